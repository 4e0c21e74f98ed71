"""Talking to the customer: emails from the case (through the outbox) and logged phone calls."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template import Context, Template
from django.utils import timezone

from escalations.errors import InvalidInput
from escalations.mail.addresses import new_message_id, reply_address
from escalations.models import Communication, CommunicationTemplate, Escalation, EscalationEvent
from escalations.notifications import outbox_enqueue_message
from escalations.services.common import lock_case, require_case_worker
from escalations.sla import engine as sla


def communication_template_render(*, template: CommunicationTemplate, escalation: Escalation, specialist):
    """The template's subject and body filled in for this case and specialist, as plain text."""
    account = escalation.account
    context = Context(
        {
            "escalation": escalation,
            "reference": escalation.reference,
            "account": account,
            "contact_name": account.contact_name or account.name,
            "specialist": specialist.display_name or specialist.email,
        },
        autoescape=False,
    )
    return Template(template.subject).render(context).strip(), Template(template.body).render(context)


def _mark_first_response(case: Escalation, at) -> None:
    # A fact, not an edit: set once, without touching the version other people hold.
    Escalation.objects.filter(pk=case.pk, first_response_at__isnull=True).update(first_response_at=at)


def _communication_event(*, case, acting_user, body: str, data: dict, at) -> EscalationEvent:
    Escalation.objects.filter(pk=case.pk).update(updated_at=at)
    return EscalationEvent.objects.create(
        escalation=case,
        actor=acting_user,
        kind=EscalationEvent.Kind.COMMUNICATION,
        visibility=EscalationEvent.Visibility.SHARED,
        body=body,
        data=data,
        created_at=at,
    )


def with_signature(body: str, user) -> str:
    """The text followed by the user's signature, under the conventional "-- " separator."""
    signature = (getattr(user, "email_signature", "") or "").strip()
    return f"{body}\n\n-- \n{signature}" if signature else body


def _thread_of(escalation: Escalation) -> tuple[str, list[str]]:
    """The newest email of the case's conversation and the chain before it, so mail clients keep one thread."""
    latest = (
        Communication.objects.filter(escalation=escalation, channel=Communication.Channel.EMAIL, is_automatic=False)
        .exclude(message_id="")
        .order_by("-created_at", "-pk")
        .values_list("message_id", "references")
        .first()
    )
    if latest is None:
        return "", []
    message_id, references = latest
    return message_id, references.split()[-20:]


@transaction.atomic
def escalation_email_customer(
    *,
    acting_user,
    escalation: Escalation,
    subject: str,
    body: str,
    to: str = "",
    template: CommunicationTemplate | None = None,
) -> Communication:
    """Email the customer from the case: recorded on the timeline and queued in the outbox once.

    The email carries the case's reply address (Reply-To), its own stored Message-ID and, after earlier mail,
    In-Reply-To/References, so the customer's answer threads back onto this case; the specialist's signature
    is added below the text. The first one stops the first-response clock (`first_response_at`).
    """
    require_case_worker(acting_user)
    escalation = lock_case(escalation=escalation, expected_version=None)
    recipient = (to or escalation.account.contact_email or "").strip()
    subject, body = (subject or "").strip(), (body or "").strip()
    if not recipient:
        raise InvalidInput(
            f"{escalation.account.name} has no contact email; enter the address to write to.", field="to"
        )
    try:
        validate_email(recipient)
    except ValidationError:
        raise InvalidInput(f"“{recipient}” is not an email address.", field="to") from None
    if not subject:
        raise InvalidInput("Write a subject.", field="subject")
    if not body:
        raise InvalidInput("Write the message.", field="body")
    now = timezone.now()
    body = with_signature(body, acting_user)
    message_id, in_reply_to, references = new_message_id(), *_thread_of(escalation)
    headers = {"Reply-To": reply_address(escalation.reference), "Message-ID": message_id}
    if in_reply_to:
        headers |= {"In-Reply-To": in_reply_to, "References": " ".join([*references, in_reply_to])}
    event = _communication_event(
        case=escalation,
        acting_user=acting_user,
        body=f"{acting_user} emailed the customer ({recipient}): {subject}\n\n{body}",
        data={"channel": "email", "direction": "outbound", "to": recipient},
        at=now,
    )
    communication = Communication.objects.create(
        escalation=escalation,
        channel=Communication.Channel.EMAIL,
        direction=Communication.Direction.OUTBOUND,
        counterpart=recipient,
        subject=subject,
        body=body,
        template=template,
        event=event,
        message_id=message_id,
        references=headers.get("References", ""),
        created_by=acting_user,
        created_at=now,
    )
    communication.outbox_message = outbox_enqueue_message(
        recipient=recipient,
        subject=subject,
        body_text=body,
        template=f"customer:{template.slug}" if template else "customer",
        escalation=escalation,
        dedupe_key=f"communication:{communication.pk}",
        headers=headers,
    )
    communication.save(update_fields=["outbox_message"])
    _mark_first_response(escalation, now)
    sla.on_customer_contact(escalation, now)
    return communication


@transaction.atomic
def escalation_log_call(
    *,
    acting_user,
    escalation: Escalation,
    direction: str,
    outcome: str,
    summary: str,
    duration_minutes: int | None = None,
    number: str = "",
) -> Communication:
    """Record a phone call with the customer. A connected outbound call counts as the first response."""
    require_case_worker(acting_user)
    escalation = lock_case(escalation=escalation, expected_version=None)
    if direction not in Communication.Direction.values:
        raise InvalidInput("Say whether you called the customer or they called you.", field="direction")
    if outcome not in Communication.CallOutcome.values:
        raise InvalidInput("Say how the call went.", field="outcome")
    summary = (summary or "").strip()
    if not summary:
        raise InvalidInput("Summarise the call.", field="summary")
    if duration_minutes is not None and not 0 <= duration_minutes <= 24 * 60:
        raise InvalidInput("The duration is in minutes, between 0 and 1440.", field="duration_minutes")
    now = timezone.now()
    labels = {
        "direction": Communication.Direction(direction).label.lower(),
        "outcome": Communication.CallOutcome(outcome).label.lower(),
    }
    length = f", {duration_minutes} min" if duration_minutes else ""
    event = _communication_event(
        case=escalation,
        acting_user=acting_user,
        body=f"{acting_user} logged a call {labels['direction']} ({labels['outcome']}{length}): {summary}",
        data={"channel": "phone", "direction": direction, "outcome": outcome, "minutes": duration_minutes},
        at=now,
    )
    communication = Communication.objects.create(
        escalation=escalation,
        channel=Communication.Channel.PHONE,
        direction=direction,
        counterpart=(number or escalation.account.contact_phone or "").strip(),
        body=summary,
        call_outcome=outcome,
        duration_minutes=duration_minutes,
        event=event,
        created_by=acting_user,
        created_at=now,
    )
    if communication.reaches_the_customer:
        _mark_first_response(escalation, now)
        sla.on_customer_contact(escalation, now)
    return communication
