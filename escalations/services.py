"""Every write on an escalation that carries a business rule.

Each service runs in one transaction, checks who is acting and the case's state, writes the
timeline event, queues notifications through the outbox, and raises a `DomainError` with a
message for people when it refuses.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from escalations.errors import InvalidInput, PermissionDenied, StaleVersion, TransitionNotAllowed
from escalations.lifecycle import ALLOWED_TRANSITIONS, Status, is_allowed, refusal_message
from escalations.models import Account, Category, Escalation, EscalationEvent, ReferenceCounter
from escalations.notifications import outbox_enqueue

logger = logging.getLogger(__name__)

REFERENCE_SEQUENCE = "escalation"


def reference_allocate(*, count: int = 1) -> list[str]:
    """Reserve `count` consecutive references (`ESC-1001`, …). Must run inside a transaction."""
    counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(
        name=REFERENCE_SEQUENCE, defaults={"last_value": settings.ESCALATION_REFERENCE_START - 1}
    )
    first = counter.last_value + 1
    ReferenceCounter.objects.filter(pk=counter.pk).update(last_value=F("last_value") + count)
    return [f"ESC-{number}" for number in range(first, first + count)]


def _require_case_worker(user) -> None:
    if user is not None and not user.works_cases:
        raise PermissionDenied("Only specialists, managers and admins can change an escalation's status.")


def _followers(escalation: Escalation) -> list:
    """The requester and the watchers, each once."""
    people = {escalation.requester_id: escalation.requester}
    for user in escalation.watchers.all():
        people.setdefault(user.pk, user)
    return [person for person in people.values() if person.is_active]


def _notify_followers(*, escalation: Escalation, event: EscalationEvent, template: str, acting_user) -> None:
    for person in _followers(escalation):
        if acting_user is not None and person.pk == acting_user.pk:
            continue
        outbox_enqueue(
            recipient=person.email,
            template=template,
            context={"escalation": escalation, "event": event, "recipient": person},
            escalation=escalation,
            dedupe_key=f"event:{event.pk}:to:{person.pk}",
        )


@transaction.atomic
def escalation_file(
    *,
    acting_user,
    account: Account,
    title: str,
    description: str,
    priority: str = Escalation.Priority.P3,
    category: Category | None = None,
    requesting_org: str = "",
    **details,
) -> Escalation:
    """File a new escalation on behalf of `account`; writes the `filed` event and acknowledges the requester."""
    title = (title or "").strip()
    if not title:
        raise InvalidInput("Give the escalation a short title.", field="title")
    if not (description or "").strip():
        raise InvalidInput("Describe what is happening to the customer.", field="description")
    if priority not in Escalation.Priority.values:
        raise InvalidInput(f"Priority must be one of {', '.join(Escalation.Priority.values)}.", field="priority")
    (reference,) = reference_allocate()
    now = timezone.now()
    escalation = Escalation.objects.create(
        reference=reference,
        title=title,
        description=description,
        account=account,
        requester=acting_user,
        requesting_org=requesting_org,
        category=category,
        priority=priority,
        filed_at=now,
        updated_at=now,
        **details,
    )
    event = EscalationEvent.objects.create(
        escalation=escalation,
        actor=acting_user,
        kind=EscalationEvent.Kind.FILED,
        visibility=EscalationEvent.Visibility.SHARED,
        body=f"{acting_user} filed {reference} for {account.name}.",
        data={"priority": priority},
        created_at=now,
    )
    outbox_enqueue(
        recipient=acting_user.email,
        template="escalation_filed",
        context={"escalation": escalation, "event": event, "recipient": acting_user},
        escalation=escalation,
        dedupe_key=f"event:{event.pk}:to:{acting_user.pk}",
    )
    return escalation


@transaction.atomic
def escalation_transition(
    *,
    acting_user,
    escalation: Escalation,
    to_status: str,
    expected_version: int | None = None,
    reason: str = "",
    resolution_summary: str = "",
    root_cause=None,
    duplicate_of: Escalation | None = None,
) -> Escalation:
    """Move an escalation along one allowed edge of the lifecycle.

    Guarantees: only an edge in `ALLOWED_TRANSITIONS` is taken; a stale `expected_version` is refused
    rather than merged; exactly one `status_changed` event is written and the requester and watchers
    are notified once. `acting_user=None` means the system (e.g. auto-close).
    """
    _require_case_worker(acting_user)
    try:
        target = Status(to_status)
    except ValueError:
        raise InvalidInput(f"“{to_status}” is not a status.", field="status") from None

    case = Escalation.objects.select_for_update().get(pk=escalation.pk)
    if expected_version is not None and case.version != expected_version:
        raise StaleVersion(
            f"{case.reference} was changed by someone else since you opened it. Reload it and try again."
        )
    current = case.lifecycle_status
    if not is_allowed(current, target):
        raise TransitionNotAllowed(refusal_message(current, target))

    now = timezone.now()
    action = ALLOWED_TRANSITIONS[(current, target)]
    changed = {"status", "version", "updated_at"}
    data = {"from": current.value, "to": target.value, "action": action}
    reason = (reason or "").strip()

    if target == Status.TRIAGED:
        case.triaged_at = now
        changed.add("triaged_at")
    elif target == Status.REJECTED:
        if not reason:
            raise InvalidInput("Say why the escalation is rejected; the requester will see it.", field="reason")
        case.rejection_reason = reason
        changed.add("rejection_reason")
    elif target == Status.RESOLVED:
        summary = (resolution_summary or "").strip()
        if not summary:
            raise InvalidInput("Write a resolution summary before resolving.", field="resolution_summary")
        if root_cause is None:
            raise InvalidInput("Choose the root cause before resolving.", field="root_cause")
        if root_cause.is_area:
            raise InvalidInput(
                f"“{root_cause.name}” is an area; choose one of its drivers as the root cause.", field="root_cause"
            )
        case.resolution_summary, case.root_cause, case.resolved_at = summary, root_cause, now
        changed |= {"resolution_summary", "root_cause", "resolved_at"}
        data["root_cause"] = str(root_cause)
    elif target == Status.CLOSED:
        case.closed_at = now
        changed.add("closed_at")
    elif target == Status.DUPLICATE:
        if duplicate_of is None:
            raise InvalidInput("Name the escalation this one duplicates.", field="duplicate_of")
        original = duplicate_of.duplicate_of if duplicate_of.duplicate_of_id else duplicate_of
        if original.pk == case.pk:
            raise InvalidInput("An escalation cannot be a duplicate of itself.", field="duplicate_of")
        case.duplicate_of = original
        changed.add("duplicate_of")
        data["duplicate_of"] = original.reference
    elif target == Status.IN_PROGRESS and current in (Status.RESOLVED, Status.CLOSED):
        case.resolved_at = case.closed_at = None
        case.reopen_count += 1
        changed |= {"resolved_at", "closed_at", "reopen_count"}

    if reason:
        data["reason"] = reason
    case.status = target.value
    case.version += 1
    case.updated_at = now
    case.save(update_fields=sorted(changed))

    actor_name = str(acting_user) if acting_user else "Escalation Desk"
    body = f"{actor_name} moved {case.reference} from {current.label} to {target.label}."
    if reason:
        body += f" Reason: {reason}"
    event = EscalationEvent.objects.create(
        escalation=case,
        actor=acting_user,
        kind=EscalationEvent.Kind.STATUS_CHANGED,
        visibility=EscalationEvent.Visibility.SHARED,
        body=body,
        data=data,
        created_at=now,
    )
    _notify_followers(escalation=case, event=event, template="status_changed", acting_user=acting_user)
    return case


def escalation_auto_close_due(*, now=None) -> int:
    """Close resolved escalations that have stayed resolved for `ESCALATION_AUTO_CLOSE_DAYS`.

    Touches only resolved cases past the cut-off (a partial index covers them); each is closed in its own
    transaction so one failure cannot block the rest, and a case reopened meanwhile is left alone.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ESCALATION_AUTO_CLOSE_DAYS)
    due_ids = list(
        Escalation.objects.filter(status=Status.RESOLVED.value, resolved_at__lte=cutoff)
        .order_by("resolved_at")
        .values_list("pk", flat=True)[:1000]
    )
    closed = 0
    for escalation_id in due_ids:
        try:
            escalation_transition(
                acting_user=None, escalation=Escalation(pk=escalation_id), to_status=Status.CLOSED.value
            )
        except TransitionNotAllowed:
            continue  # reopened or closed by someone else since we looked
        except Exception:
            logger.exception("Auto-close failed for escalation %s", escalation_id)
            continue
        closed += 1
    return closed
