"""Reads on users."""

from django.db.models import QuerySet

from users.models import ApiToken, User


def api_tokens_for_user(*, user: User) -> QuerySet[ApiToken]:
    """The user's tokens, active ones first, newest first."""
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at")
