"""Polling an IMAP mailbox: every unseen message goes through the inbound service, then is flagged \\Seen.

One bad message never stops the poll: mail the service cannot place is queued as unmatched (and flagged seen like
any other); an unexpected error leaves that message unseen, so the next poll tries it again, and the loop goes on.
"""

import contextlib
import imaplib
import logging
import re
from dataclasses import dataclass

from django.conf import settings

from escalations.mail.models import InboundEmail
from escalations.mail.services import inbound_email_receive

logger = logging.getLogger(__name__)


@dataclass
class PollResult:
    fetched: int = 0
    on_case: int = 0
    unmatched: int = 0
    duplicates: int = 0
    failed: int = 0


def _connect() -> imaplib.IMAP4:
    host, port, timeout = settings.INBOUND_IMAP_HOST, settings.INBOUND_IMAP_PORT, settings.INBOUND_IMAP_TIMEOUT_SECONDS
    if settings.INBOUND_IMAP_SSL:
        return imaplib.IMAP4_SSL(host, port, timeout=timeout)
    return imaplib.IMAP4(host, port, timeout=timeout)


def imap_poll() -> PollResult:
    """Read up to `INBOUND_IMAP_BATCH_SIZE` unseen messages from the configured mailbox; a no-op when unconfigured."""
    result = PollResult()
    if not settings.INBOUND_IMAP_HOST:
        return result
    try:
        connection = _connect()
    except (TimeoutError, OSError, imaplib.IMAP4.error) as error:
        logger.warning("IMAP: cannot reach %s:%s: %s", settings.INBOUND_IMAP_HOST, settings.INBOUND_IMAP_PORT, error)
        return result
    try:
        connection.login(settings.INBOUND_IMAP_USER, settings.INBOUND_IMAP_PASSWORD)
        status, _ = connection.select(settings.INBOUND_IMAP_MAILBOX)
        if status != "OK":
            logger.warning("IMAP: cannot open mailbox %s.", settings.INBOUND_IMAP_MAILBOX)
            return result
        status, data = connection.uid("SEARCH", None, "UNSEEN")
        uids = data[0].split()[: settings.INBOUND_IMAP_BATCH_SIZE] if status == "OK" and data and data[0] else []
        for uid in uids:
            _process_one(connection, uid, result)
    except (imaplib.IMAP4.error, OSError) as error:
        logger.warning("IMAP: the poll stopped early (%s); unseen messages wait for the next one.", error)
    finally:
        with contextlib.suppress(Exception):  # the connection may already be gone; nothing left to clean up
            connection.logout()
    return result


def _size(connection: imaplib.IMAP4, uid: bytes) -> int | None:
    status, data = connection.uid("FETCH", uid, "(RFC822.SIZE)")
    answer = data[0] if status == "OK" and data and isinstance(data[0], bytes) else b""
    found = re.search(rb"RFC822\.SIZE (\d+)", answer)
    return int(found.group(1)) if found else None


def _process_one(connection: imaplib.IMAP4, uid: bytes, result: PollResult) -> None:
    # BODY.PEEK leaves \Seen alone: the message is marked only once it is safely recorded. A message over the
    # size limit is not downloaded at all: its headers are enough to queue it as too big.
    size = _size(connection, uid)
    too_big = size is not None and size > settings.INBOUND_MAIL_MAX_BYTES
    status, data = connection.uid("FETCH", uid, "(BODY.PEEK[HEADER])" if too_big else "(BODY.PEEK[])")
    raw = next((part[1] for part in data or [] if isinstance(part, tuple)), None) if status == "OK" else None
    if raw is None:
        result.failed += 1
        logger.warning("IMAP: could not fetch message uid %s; it stays unseen.", uid.decode())
        return
    result.fetched += 1
    try:
        receipt = inbound_email_receive(raw=raw, source=InboundEmail.Source.IMAP, truncated=too_big, size=size)
    except Exception:
        result.failed += 1
        logger.exception("IMAP: message uid %s could not be recorded; it stays unseen for the next poll.", uid.decode())
        return
    connection.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    if receipt.is_duplicate:
        result.duplicates += 1
    elif receipt.inbound.status == InboundEmail.Status.ON_CASE:
        result.on_case += 1
    else:
        result.unmatched += 1
