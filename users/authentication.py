"""DRF authentication by personal API token: `Authorization: Token <raw token>`."""

from datetime import timedelta

from auditlog.context import auditlog_value
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from escalations.api.throttling import FailedTokenThrottle
from users.models import ApiToken
from users.tokens import token_hash

# Recording every use would write on every API call; a minute's precision is plenty for "last used".
LAST_USED_PRECISION = timedelta(minutes=1)


class ApiTokenAuthentication(TokenAuthentication):
    """The header DRF's authtoken used (`Token <key>`), checked against the hashes of our tokens."""

    keyword = "Token"

    def authenticate(self, request):
        self.failed_tokens = FailedTokenThrottle()
        self.request = request  # DRF makes one authenticator per request
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        if self.failed_tokens.is_blocked(self.request):
            raise exceptions.Throttled(self.failed_tokens.wait())
        token = (
            ApiToken.objects.select_related("user").filter(secret_hash=token_hash(key), revoked_at__isnull=True).first()
        )
        if token is None or not token.user.is_active:
            self.failed_tokens.record_failure(self.request)
            raise exceptions.AuthenticationFailed(
                "Invalid or revoked token." if token is None else "This token's user is inactive."
            )
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        _record_audit_actor(token.user)
        return token.user, token


def _record_audit_actor(user) -> None:
    """Make `user` the actor of audit-log entries written during this request.

    django-auditlog's middleware picks the actor from the session before DRF has read the token, so a
    token-authenticated call would otherwise be logged as "system".
    """
    try:
        context = auditlog_value.get()
    except LookupError:  # outside a request (a test calling the class directly)
        return
    context["actor"] = user


def lockout_username(request, credentials) -> str:
    """The email a sign-in attempt is counted against, lower-cased so `Rita@…` and `rita@…` share one count."""
    username = (credentials or {}).get("username") or request.POST.get("username") or ""
    return username.strip().lower()
