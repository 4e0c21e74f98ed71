from django.db.models import QuerySet

from escalations.mail.models import InboundEmail
from escalations.mail.parsing import ParsedEmail, parse_email
from escalations.models import Account


def unmatched_mail() -> QuerySet[InboundEmail]:
    """The unmatched queue, newest first, without the raw messages."""
    return (
        InboundEmail.objects.filter(status=InboundEmail.Status.UNMATCHED).defer("raw").order_by("-received_at", "-pk")
    )


def inbound_preview(inbound: InboundEmail) -> ParsedEmail:
    """What the stored message says, for a specialist deciding where it belongs."""
    raw = bytes(inbound.raw or b"")
    return parse_email(raw, headers_only=len(raw) < inbound.size)


def account_for_sender(address: str) -> Account | None:
    """The account whose contact has this address, if exactly one has."""
    if not address:
        return None
    accounts = list(Account.objects.filter(contact_email__iexact=address)[:2])
    return accounts[0] if len(accounts) == 1 else None
