"""Changes people make to their own account: the email signature and personal API tokens."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from escalations.errors import InvalidInput, PermissionDenied
from users.models import ApiToken, User, validate_time_zone
from users.tokens import new_raw_token, token_hash, visible_prefix

SIGNATURE_MAX_LENGTH = 1000
MAX_ACTIVE_TOKENS = 20


@transaction.atomic
def user_set_email_signature(*, acting_user, signature: str):
    """Save the signature `acting_user` adds to customer emails (their own; plain text, at most 1000 characters)."""
    signature = "\n".join(line.rstrip() for line in (signature or "").strip().splitlines())
    if len(signature) > SIGNATURE_MAX_LENGTH:
        raise InvalidInput(f"Keep the signature under {SIGNATURE_MAX_LENGTH} characters.", field="email_signature")
    acting_user.email_signature = signature
    acting_user.save(update_fields=["email_signature"])
    return acting_user


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for `user` and return it with its raw value, which is never stored and cannot be shown again."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Give the token a name, so you can tell it apart later.", field="name")
    if len(name) > ApiToken._meta.get_field("name").max_length:
        raise InvalidInput("Keep the name under 80 characters.", field="name")
    if not user.is_active:
        raise PermissionDenied("An inactive user cannot have API tokens.")
    # Lock the user's row so two concurrent requests cannot both pass the limit.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise InvalidInput(
            f"You already have {MAX_ACTIVE_TOKENS} active tokens. Revoke one you no longer use first.", field="name"
        )
    raw = new_raw_token()
    token = ApiToken.objects.create(user=user, name=name, prefix=visible_prefix(raw), secret_hash=token_hash(raw))
    return token, raw


@transaction.atomic
def api_token_revoke(*, acting_user: User, token_id: int) -> ApiToken:
    """Revoke one of `acting_user`'s own tokens; from then on it authenticates nothing. Revoking twice is harmless."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=acting_user).first()
    if token is None:
        raise InvalidInput("There is no such token among yours.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


@transaction.atomic
def user_set_time_zone(*, acting_user: User, time_zone: str) -> User:
    """Save the time zone `acting_user` reads pages in (their own; an IANA name such as Europe/Berlin)."""
    time_zone = (time_zone or "").strip()
    try:
        validate_time_zone(time_zone)
    except ValidationError as error:
        raise InvalidInput(error.messages[0], field="time_zone") from error
    acting_user.time_zone = time_zone
    acting_user.save(update_fields=["time_zone"])
    return acting_user
