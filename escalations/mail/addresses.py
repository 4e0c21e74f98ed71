"""The reply address that identifies a case: `escalations+ESC-1042.<token>@<domain>`.

The token is an HMAC of the reference under the site's secret key, so it needs no storage and cannot be guessed
from the reference alone: mail to `escalations+ESC-1042.anything@` does not land on ESC-1042.
"""

import re
from email.utils import make_msgid

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

TOKEN_LENGTH = 12
_TOKEN_SALT = "escalations.mail.reply-address"


def reply_token(reference: str) -> str:
    return salted_hmac(_TOKEN_SALT, reference.upper(), algorithm="sha256").hexdigest()[:TOKEN_LENGTH]


def reply_address(reference: str) -> str:
    local_part = f"{settings.INBOUND_MAIL_LOCAL_PART}+{reference.upper()}.{reply_token(reference)}"
    return f"{local_part}@{settings.INBOUND_MAIL_DOMAIN}"


def new_message_id() -> str:
    return make_msgid(domain=settings.INBOUND_MAIL_DOMAIN)


def reference_from_addresses(addresses: list[str]) -> str | None:
    """The case reference carried by the first of `addresses` that is a genuine reply address of ours."""
    pattern = re.compile(
        rf"^{re.escape(settings.INBOUND_MAIL_LOCAL_PART.lower())}\+(esc-[1-9][0-9]*)\.([0-9a-f]+)@"
        rf"{re.escape(settings.INBOUND_MAIL_DOMAIN.lower())}$"
    )
    for address in addresses:
        match = pattern.match(address.strip().lower())
        if match and constant_time_compare(match.group(2), reply_token(match.group(1))):
            return match.group(1).upper()
    return None
