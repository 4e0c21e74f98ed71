"""The notification outbox: every email is a row first, then sent by a worker with retries.

A message is written in the same transaction as the change that caused it, so a failing mail
server delays mail but never loses it; a `dedupe_key` makes a notification happen at most once.
"""

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.signals import setting_changed
from django.db import connection, transaction
from django.db.models import F, Q
from django.dispatch import receiver
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from escalations.bulk_sql import execute_with_values
from escalations.models import OutboxMessage

logger = logging.getLogger(__name__)

# A claim older than this belongs to a worker that died mid-send; the sweep takes it back.
STALE_CLAIM_AFTER = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=6)
SWEEP_BATCH_SIZE = 500


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 1, 2, 4 … minutes after each failed attempt, capped at six hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def outbox_enqueue(
    *,
    recipient: str,
    template: str,
    context: dict,
    escalation=None,
    dedupe_key: str | None = None,
) -> OutboxMessage:
    """Queue one email rendered from `templates/emails/<template>_subject.txt` and `<template>.txt`.

    With a `dedupe_key`, a second call with the same key returns the first message and queues nothing.
    The send is scheduled only after the surrounding transaction commits.
    """
    context = {"site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"emails/{template}_subject.txt", context)
    body_text = render_to_string(f"emails/{template}.txt", context)
    return outbox_enqueue_message(
        recipient=recipient,
        subject=subject,
        body_text=body_text,
        template=template,
        escalation=escalation,
        dedupe_key=dedupe_key,
    )


def outbox_enqueue_message(
    *,
    recipient: str,
    subject: str,
    body_text: str,
    template: str = "",
    escalation=None,
    dedupe_key: str | None = None,
    headers: dict | None = None,
) -> OutboxMessage:
    """Queue one email whose text is already written (e.g. by a specialist); same guarantees as `outbox_enqueue`.

    No transaction of its own: it joins the caller's (one row, and the send waits for that commit), which
    spares the SLA sweep two savepoints per message.
    """
    fields = {
        "recipient": recipient,
        "subject": " ".join(subject.split())[:255],
        "body_text": body_text,
        "template": template,
        "escalation": escalation,
        "headers": headers or {},
    }
    if dedupe_key:
        message, created = OutboxMessage.objects.get_or_create(dedupe_key=dedupe_key, defaults=fields)
        if not created:
            return message
    else:
        message = OutboxMessage.objects.create(**fields)
    transaction.on_commit(lambda: _schedule_send(message.pk))
    return message


def _schedule_send(message_id: int) -> None:
    """Ask a worker to send now; if the broker is down the periodic sweep sends it later instead."""
    from escalations.tasks import outbox_send_message

    try:
        outbox_send_message.delay(message_id)
    except Exception:
        logger.warning("Could not queue outbox message %s; the periodic sweep will send it.", message_id, exc_info=True)


def outbox_send(*, message_id: int) -> bool:
    """Send one due message. Returns True if this call sent it.

    The message is claimed with a compare-and-set first, so two workers never send it twice; a failure
    puts it back as pending with a later `next_attempt_at`, until `OUTBOX_MAX_ATTEMPTS`.
    """
    now = timezone.now()
    claimable = Q(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxMessage.Status.SENDING, claimed_at__lt=now - STALE_CLAIM_AFTER
    )
    claimed = OutboxMessage.objects.filter(claimable, pk=message_id).update(
        status=OutboxMessage.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    message = OutboxMessage.objects.get(pk=message_id)
    try:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers=message.headers or None,
        )
        if message.body_html:
            email.attach_alternative(message.body_html, "text/html")
        email.send()
    except Exception as exc:  # any transport error: keep the message and try later
        gave_up = message.attempts >= settings.OUTBOX_MAX_ATTEMPTS
        OutboxMessage.objects.filter(pk=message_id).update(
            status=OutboxMessage.Status.FAILED if gave_up else OutboxMessage.Status.PENDING,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=now + retry_delay(message.attempts),
            claimed_at=None,
        )
        logger.warning("Outbox message %s attempt %s failed: %s", message_id, message.attempts, exc)
        return False
    OutboxMessage.objects.filter(pk=message_id).update(
        status=OutboxMessage.Status.SENT, sent_at=timezone.now(), last_error="", claimed_at=None
    )
    return True


def outbox_send_due(*, now=None) -> int:
    """Send every message that is due (or whose sender died); returns how many were sent."""
    now = now or timezone.now()
    due_ids = list(
        OutboxMessage.objects.filter(
            Q(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
            | Q(status=OutboxMessage.Status.SENDING, claimed_at__lt=now - STALE_CLAIM_AFTER)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH_SIZE]
    )
    return sum(outbox_send(message_id=message_id) for message_id in due_ids)


def outbox_enqueue_many(
    *,
    recipients: Iterable[str],
    template: str,
    context: dict,
    dedupe_key: Callable[[str], str],
    escalation=None,
    per_recipient: Callable[[str], dict] | None = None,
) -> None:
    """Queue one email to each of `recipients` in one INSERT (and find them again in one query to send them).

    `dedupe_key(address)` names each recipient's message; an address whose message already exists gets nothing
    new (the insert skips it on the unique key, ON CONFLICT DO NOTHING), so a retry or a second worker never
    mails anyone twice. The text is rendered once for everybody unless `per_recipient(address)` adds context
    of its own (e.g. the person greeted). Joins the caller's transaction; sends are scheduled after it commits.
    """
    outbox_insert(
        outbox_prepare(
            recipients=recipients,
            template=template,
            context=context,
            dedupe_key=dedupe_key,
            escalation=escalation,
            per_recipient=per_recipient,
        )
    )


@dataclass(frozen=True)
class PreparedMail:
    """One rendered email and who gets it: the text once, each recipient with a dedupe key of their own.

    The database fans it out into one `OutboxMessage` row per recipient (`outbox_insert`)."""

    recipients: tuple[str, ...]
    dedupe_keys: tuple[str, ...]
    subject: str
    body_text: str
    template: str = ""
    escalation_id: int | None = None


def outbox_prepare(
    *,
    recipients: Iterable[str],
    template: str,
    context: dict,
    dedupe_key: Callable[[str], str],
    escalation=None,
    per_recipient: Callable[[str], dict] | None = None,
) -> list[PreparedMail]:
    """What `outbox_enqueue_many` would queue, unsaved, for a caller that inserts many at once: one `PreparedMail`
    for everybody, or one per recipient when `per_recipient` personalises the text."""
    context = {"site_url": settings.SITE_URL, **context}
    addresses = list(dict.fromkeys(recipients))  # each address once, in the order given
    escalation_id = escalation.pk if escalation is not None else None
    if not addresses:
        return []
    if per_recipient is None:
        groups = [(addresses, context)]
    else:
        groups = [([address], {**context, **per_recipient(address)}) for address in addresses]
    prepared = []
    for group, group_context in groups:
        subject, body_text = _render(template, group_context)
        prepared.append(
            PreparedMail(
                recipients=tuple(group),
                dedupe_keys=tuple(dedupe_key(address) for address in group),
                subject=subject,
                body_text=body_text,
                template=template,
                escalation_id=escalation_id,
            )
        )
    return prepared


def outbox_insert(mail: list[PreparedMail]) -> None:
    """Insert prepared mail in one statement, one row per recipient, skipping any whose `dedupe_key` exists already
    (`ON CONFLICT (dedupe_key) DO NOTHING`), and schedule the new ones' sends after the caller's transaction commits.
    """
    if not mail:
        return
    keys = [key for prepared in mail for key in prepared.dedupe_keys]
    if not all(keys) or len(set(keys)) != len(keys) or any(len(m.recipients) != len(m.dedupe_keys) for m in mail):
        raise ValueError("Every message queued in bulk needs a dedupe_key of its own.")
    if connection.vendor == "postgresql":
        new_ids = _insert_returning_new(mail)
    else:
        # Elsewhere an insert that skips conflicts returns no keys: find the messages again (those still pending;
        # scheduling one that was pending already is harmless, each send is claimed with a compare-and-set).
        OutboxMessage.objects.bulk_create(
            [
                OutboxMessage(
                    recipient=recipient,
                    subject=prepared.subject,
                    body_text=prepared.body_text,
                    template=prepared.template,
                    escalation_id=prepared.escalation_id,
                    dedupe_key=key,
                )
                for prepared in mail
                for recipient, key in zip(prepared.recipients, prepared.dedupe_keys, strict=True)
            ],
            ignore_conflicts=True,
        )
        new_ids = list(
            OutboxMessage.objects.filter(dedupe_key__in=keys, status=OutboxMessage.Status.PENDING).values_list(
                "pk", flat=True
            )
        )

    def schedule():
        for message_id in new_ids:
            _schedule_send(message_id)

    transaction.on_commit(schedule)


def _insert_returning_new(mail: list[PreparedMail]) -> list[int]:
    """PostgreSQL: one `INSERT … SELECT … ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`: the ids of the rows it
    added. Each text travels once with its recipients and their keys as two arrays, which `unnest` turns into one
    row per recipient (29,000 messages of an SLA sweep are 7,700 texts)."""
    quote = connection.ops.quote_name
    rows = [
        (
            list(prepared.recipients),
            list(prepared.dedupe_keys),
            prepared.subject,
            prepared.body_text,
            prepared.template,
            prepared.escalation_id,
        )
        for prepared in mail
    ]
    columns = {
        "recipient": "r.recipient",
        "dedupe_key": "r.dedupe_key",
        "subject": "v.subject",
        "body_text": "v.body_text",
        "template": "v.template",
        "escalation_id": "v.escalation_id",
    }
    # Every other column gets the model's default (status pending, no attempts, created now …), as a literal.
    with connection.cursor() as cursor:
        for field in OutboxMessage._meta.concrete_fields:
            if not field.primary_key and field.column not in columns:
                value = field.get_db_prep_save(field.get_default(), connection)
                columns[field.column] = cursor.cursor.mogrify("%s", [value]).decode()
    inserted = execute_with_values(
        f"INSERT INTO {quote(OutboxMessage._meta.db_table)} ({', '.join(map(quote, columns))}) "
        f"SELECT {', '.join(columns.values())} "
        "FROM (VALUES %s) AS v (recipients, dedupe_keys, subject, body_text, template, escalation_id) "
        "CROSS JOIN LATERAL unnest(v.recipients, v.dedupe_keys) AS r (recipient, dedupe_key) "
        f"ON CONFLICT ({quote('dedupe_key')}) DO NOTHING RETURNING id",
        rows,
        template="(%s::text[], %s::text[], %s, %s, %s, %s::bigint)",
        fetch=True,
    )
    return [row[0] for row in inserted]


def _render(template: str, context: dict) -> tuple[str, str]:
    subject = _template(f"emails/{template}_subject.txt").render(context)
    return " ".join(subject.split())[:255], _template(f"emails/{template}.txt").render(context)


@functools.cache
def _template(name: str):
    """The compiled template (what `render_to_string` looks up on every call: an SLA sweep renders thousands)."""
    return get_template(name)


@receiver(setting_changed)
def _forget_templates(*, setting, **kwargs):
    if setting == "TEMPLATES":
        _template.cache_clear()
