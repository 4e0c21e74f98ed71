"""Changes people make to their own account."""

from django.db import transaction

from escalations.errors import InvalidInput

SIGNATURE_MAX_LENGTH = 1000


@transaction.atomic
def user_set_email_signature(*, acting_user, signature: str):
    """Save the signature `acting_user` adds to customer emails (their own; plain text, at most 1000 characters)."""
    signature = "\n".join(line.rstrip() for line in (signature or "").strip().splitlines())
    if len(signature) > SIGNATURE_MAX_LENGTH:
        raise InvalidInput(f"Keep the signature under {SIGNATURE_MAX_LENGTH} characters.", field="email_signature")
    acting_user.email_signature = signature
    acting_user.save(update_fields=["email_signature"])
    return acting_user
