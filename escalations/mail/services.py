"""Customer mail coming in: one service takes the raw message, whichever way it arrived, and puts it on its case.

Threading: the case's reply address (token checked) first, then In-Reply-To/References against the Message-IDs
we stored. What matches no case, and what is malformed, too big or carries a dangerous file, waits in the
unmatched queue for a specialist, who attaches it to a case, files a new escalation from it, or dismisses it.
"""

import io
import logging
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from escalations.errors import InvalidInput
from escalations.lifecycle import Status
from escalations.mail.addresses import reference_from_addresses
from escalations.mail.models import InboundEmail
from escalations.mail.parsing import Automatic, ParsedAttachment, ParsedEmail, parse_email
from escalations.models import Communication, Escalation, EscalationEvent
from escalations.notifications import outbox_enqueue
from escalations.services.common import lock_case, require_case_worker
from escalations.services.filing import attachments_store, escalation_file
from escalations.services.lifecycle import escalation_transition
from escalations.sla import engine as sla
from escalations.uploads import upload_problem

logger = logging.getLogger(__name__)

# Files that run code when opened; mail carrying one is held for a person to look at, and the file is never stored.
DANGEROUS_EXTENSIONS = frozenset(
    {
        *("exe", "com", "bat", "cmd", "scr", "pif", "msi", "msp", "cpl", "dll", "sys", "jar", "js", "jse", "vbs"),
        *("vbe", "wsf", "wsh", "ps1", "psm1", "hta", "lnk", "reg", "app", "dmg", "pkg", "apk", "sh", "iso", "img"),
        *("vhd", "docm", "xlsm", "pptm"),
    }
)


@dataclass(frozen=True)
class Receipt:
    inbound: InboundEmail
    is_duplicate: bool


class _MailUpload(io.BytesIO):
    """A parsed attachment seen as the uploaded file `upload_problem` checks: a name, a size and its content."""

    def __init__(self, attachment: ParsedAttachment):
        super().__init__(attachment.content)
        self.name, self.size = attachment.name, attachment.size


def inbound_email_receive(*, raw: bytes, source: str, truncated: bool = False, size: int | None = None) -> Receipt:
    """Record one raw RFC 822 message and, when it threads, put it on its case — exactly once per Message-ID.

    A second delivery (even a concurrent one: the unique Message-ID decides) returns the first record and
    writes nothing. Malformed mail, mail over `INBOUND_MAIL_MAX_BYTES` (`truncated`: the caller stopped reading,
    or read only the headers of a message of `size` bytes) and mail with a dangerous attachment are logged and
    queued as unmatched; nothing here raises on bad mail.
    """
    too_big = truncated or len(raw) > settings.INBOUND_MAIL_MAX_BYTES
    parsed = parse_email(raw, headers_only=too_big)
    existing = InboundEmail.objects.filter(message_id=parsed.message_id).first()
    if existing is not None:
        logger.info("Inbound mail %s was already received (record %s); ignored.", parsed.message_id, existing.pk)
        return Receipt(existing, is_duplicate=True)
    try:
        with transaction.atomic():
            inbound = _record(raw=raw, parsed=parsed, source=source, too_big=too_big, size=size or len(raw))
            return Receipt(inbound, is_duplicate=False)
    except IntegrityError:
        existing = InboundEmail.objects.filter(message_id=parsed.message_id).first()
        if existing is None:
            raise
        logger.info("Inbound mail %s was received concurrently (record %s).", parsed.message_id, existing.pk)
        return Receipt(existing, is_duplicate=True)


def _record(*, raw: bytes, parsed: ParsedEmail, source: str, too_big: bool, size: int) -> InboundEmail:
    problem = _quarantine_reason(parsed, size=size, too_big=too_big)
    inbound = InboundEmail.objects.create(
        message_id=parsed.message_id,
        status=InboundEmail.Status.UNMATCHED,
        source=source,
        from_address=parsed.from_address[:320],
        from_name=parsed.from_name[:200],
        subject=parsed.subject[:500],
        recipients="\n".join(parsed.recipients),
        automatic=parsed.automatic,
        problem=problem,
        size=size,
        raw=_headers_of(raw) if too_big else raw,
        sent_at=parsed.sent_at,
    )
    if problem:
        logger.warning(
            "Inbound mail %s from %s held in the unmatched queue: %s",
            parsed.message_id,
            parsed.from_address or "an unknown sender",
            problem,
        )
        return inbound
    escalation, matched_by = _thread(parsed)
    if escalation is None:
        inbound.problem = "No case address and no reply to an email of ours."
        inbound.save(update_fields=["problem"])
        logger.info("Inbound mail %s from %s matches no case.", parsed.message_id, parsed.from_address)
        return inbound
    _put_on_case(inbound=inbound, parsed=parsed, escalation=escalation, matched_by=matched_by, acting_user=None)
    return inbound


def _headers_of(raw: bytes) -> bytes:
    for separator in (b"\r\n\r\n", b"\n\n"):
        if separator in raw:
            return raw.split(separator, 1)[0] + separator
    return raw[: 64 * 1024]


def _quarantine_reason(parsed: ParsedEmail, *, size: int, too_big: bool) -> str:
    if too_big:
        return (
            f"Too big to read: {filesizeformat(size)} or more; mail can be at most "
            f"{filesizeformat(settings.INBOUND_MAIL_MAX_BYTES)}. Only its headers were kept."
        )
    if parsed.problems:
        return "Malformed: " + " ".join(parsed.problems)
    dangerous = [a.name for a in parsed.attachments if _is_dangerous(a)]
    if dangerous:
        return f"Dangerous attachment ({', '.join(dangerous)}): held for a person to check; the file is never stored."
    return ""


def _is_dangerous(attachment: ParsedAttachment) -> bool:
    return PurePath(attachment.name).suffix.lower().lstrip(".") in DANGEROUS_EXTENSIONS


def _thread(parsed: ParsedEmail) -> tuple[Escalation | None, str]:
    reference = reference_from_addresses(parsed.recipients)
    if reference:
        escalation = Escalation.objects.filter(reference=reference).first()
        if escalation is not None:
            return escalation, InboundEmail.MatchedBy.TOKEN
    if parsed.thread_ids:
        earlier = (
            Communication.objects.filter(message_id__in=parsed.thread_ids, channel=Communication.Channel.EMAIL)
            .order_by("-created_at", "-pk")
            .select_related("escalation")
            .first()
        )
        if earlier is not None:
            return earlier.escalation, InboundEmail.MatchedBy.HEADERS
    return None, ""


def _put_on_case(*, inbound: InboundEmail, parsed: ParsedEmail, escalation, matched_by: str, acting_user) -> None:
    """The timeline entry, the files, the lifecycle move, the clocks and the owner's notification for one email."""
    case = lock_case(escalation=escalation, expected_version=None)
    now = timezone.now()
    is_automatic = parsed.automatic != Automatic.NONE
    sender = f"{parsed.from_name} <{parsed.from_address}>" if parsed.from_name else parsed.from_address
    sender = sender or "an unknown sender"
    stored, refused = _storable_attachments(parsed.attachments)
    if parsed.automatic == Automatic.BOUNCE:
        headline = f"Delivery failure reported by {sender}: {parsed.subject}"
        text = parsed.text[:4000]
    elif parsed.automatic == Automatic.AUTO_REPLY:
        headline = f"Automatic reply from {sender} (not counted as a customer reply): {parsed.subject}"
        text = parsed.reply_text
    else:
        headline = f"{sender} replied by email: {parsed.subject}"
        text = parsed.reply_text
    body = f"{headline}\n\n{text}".strip()
    if refused:
        body += "\n\nNot attached: " + " ".join(refused)
    if acting_user is not None:
        body += f"\n\n(Attached to this case from the unmatched mail by {acting_user}.)"
    event = EscalationEvent.objects.create(
        escalation=case,
        actor=acting_user,
        kind=EscalationEvent.Kind.COMMUNICATION,
        # Customer email is shared both ways, as the emails we send are; machine mail is for the team only.
        visibility=EscalationEvent.Visibility.INTERNAL if is_automatic else EscalationEvent.Visibility.SHARED,
        body=body,
        data={
            "channel": "email",
            "direction": "inbound",
            "from": parsed.from_address,
            "message_id": parsed.message_id,
            "automatic": parsed.automatic,
            "matched_by": matched_by,
        },
        created_at=now,
    )
    communication = Communication.objects.create(
        escalation=case,
        channel=Communication.Channel.EMAIL,
        direction=Communication.Direction.INBOUND,
        counterpart=parsed.from_address[:255],
        subject=parsed.subject[:255],
        body=text,
        message_id=parsed.message_id,
        references=" ".join(parsed.references),
        is_automatic=is_automatic,
        event=event,
        created_by=acting_user,
        created_at=now,
    )
    # Stored as uploads are: served with the content type of the name's extension, never the sender's claim.
    attachments_store(escalation=case, event=event, files=[_MailUpload(a) for a in stored], acting_user=None)
    inbound.status, inbound.escalation, inbound.communication = InboundEmail.Status.ON_CASE, case, communication
    inbound.matched_by, inbound.problem = matched_by, ""
    inbound.handled_by, inbound.handled_at = acting_user, (now if acting_user else None)
    inbound.save(
        update_fields=["status", "escalation", "communication", "matched_by", "problem", "handled_by", "handled_at"]
    )
    Escalation.objects.filter(pk=case.pk).update(updated_at=now)
    if parsed.automatic == Automatic.BOUNCE and parsed.returned_message_ids:
        Communication.objects.filter(
            escalation=case, direction=Communication.Direction.OUTBOUND, message_id__in=parsed.returned_message_ids
        ).update(bounced_at=now)
    if is_automatic:
        return
    sla.on_customer_reply(case, now)
    if case.lifecycle_status == Status.WAITING_ON_USER:
        case = escalation_transition(
            acting_user=None,
            escalation=case,
            to_status=Status.IN_PROGRESS.value,
            reason="The customer replied by email.",
        )
    _notify_owner(case=case, inbound=inbound, event=event, acting_user=acting_user)


def _storable_attachments(attachments: list[ParsedAttachment]) -> tuple[list[ParsedAttachment], list[str]]:
    """The files that meet the upload rules (`escalations/uploads.py`), and why each other one was left out."""
    stored, refused = [], []
    for attachment in attachments:
        if _is_dangerous(attachment):
            refused.append(f"“{attachment.name}” is a dangerous type and was not stored.")
        elif problem := upload_problem(_MailUpload(attachment)):
            refused.append(problem)
        elif len(stored) >= settings.ATTACHMENT_MAX_FILES:
            refused.append(f"“{attachment.name}”: at most {settings.ATTACHMENT_MAX_FILES} files per email.")
        else:
            stored.append(attachment)
    return stored, refused


def _notify_owner(*, case: Escalation, inbound: InboundEmail, event: EscalationEvent, acting_user) -> None:
    """Tell the owner (the team inbox when nobody owns the case) that the customer wrote; once per email."""
    owner = case.assignee if case.assignee_id else None
    if owner is not None and acting_user is not None and owner.pk == acting_user.pk:
        return
    recipient = owner.email if owner is not None else settings.SLA_TEAM_INBOX
    outbox_enqueue(
        recipient=recipient,
        template="customer_reply",
        context={"escalation": case, "event": event, "inbound": inbound, "recipient": owner},
        escalation=case,
        dedupe_key=f"inbound:{inbound.pk}:notify",
    )


def _claim_unmatched(inbound: InboundEmail) -> InboundEmail:
    locked = InboundEmail.objects.select_for_update().get(pk=inbound.pk)
    if locked.status != InboundEmail.Status.UNMATCHED:
        where = f" It is on {locked.escalation.reference}." if locked.escalation_id else ""
        raise InvalidInput(f"This email was already handled ({locked.get_status_display().lower()}).{where}")
    return locked


def _reparse(inbound: InboundEmail) -> ParsedEmail:
    raw = bytes(inbound.raw or b"")
    too_big = inbound.size > settings.INBOUND_MAIL_MAX_BYTES or len(raw) < inbound.size
    parsed = parse_email(raw, headers_only=too_big)
    parsed.message_id = inbound.message_id
    if too_big:
        parsed.text = parsed.reply_text = "(The email was too big to read; only its headers were kept.)"
    elif not parsed.reply_text:
        parsed.text = parsed.reply_text = "(No readable text in this email.)"
    return parsed


@transaction.atomic
def inbound_email_attach(*, acting_user, inbound: InboundEmail, escalation: Escalation) -> InboundEmail:
    """Put a message from the unmatched queue on `escalation`, as if it had threaded there by itself.

    Dangerous and oversized attachments are left out (and named on the timeline); a reply from a person moves a
    case waiting on the customer back to in progress and tells its owner.
    """
    require_case_worker(acting_user)
    inbound = _claim_unmatched(inbound)
    _put_on_case(
        inbound=inbound,
        parsed=_reparse(inbound),
        escalation=escalation,
        matched_by=InboundEmail.MatchedBy.SPECIALIST,
        acting_user=acting_user,
    )
    return inbound


@transaction.atomic
def inbound_email_file_escalation(*, acting_user, inbound: InboundEmail, account, title: str = "") -> Escalation:
    """File a new escalation for `account` from a message in the unmatched queue, with the message on it."""
    require_case_worker(acting_user)
    inbound = _claim_unmatched(inbound)
    parsed = _reparse(inbound)
    sender = parsed.from_address or "an unknown sender"
    escalation = escalation_file(
        acting_user=acting_user,
        account=account,
        title=(title or parsed.subject or f"Email from {sender}")[:200],
        description=f"Filed from an email by {sender}.\n\n{parsed.reply_text}",
    )
    _put_on_case(
        inbound=inbound,
        parsed=parsed,
        escalation=escalation,
        matched_by=InboundEmail.MatchedBy.FILED,
        acting_user=acting_user,
    )
    return escalation


@transaction.atomic
def inbound_email_dismiss(*, acting_user, inbound: InboundEmail) -> InboundEmail:
    """Take spam or noise out of the unmatched queue; the record (and who dismissed it) stays."""
    require_case_worker(acting_user)
    inbound = _claim_unmatched(inbound)
    inbound.status, inbound.handled_by, inbound.handled_at = InboundEmail.Status.DISMISSED, acting_user, timezone.now()
    inbound.save(update_fields=["status", "handled_by", "handled_at"])
    logger.info("Inbound mail %s dismissed by %s.", inbound.message_id, acting_user)
    return inbound
