"""Status changes along the lifecycle table, and the sweep that closes long-resolved cases."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from escalations.errors import InvalidInput, StaleVersion, TransitionNotAllowed
from escalations.lifecycle import ALLOWED_TRANSITIONS, Status, is_allowed, refusal_message
from escalations.models import Escalation, EscalationEvent
from escalations.services.common import lock_case, notify_followers, require_case_worker
from escalations.sla import engine as sla
from escalations.webhooks import events as webhook_events

logger = logging.getLogger(__name__)


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
    require_case_worker(acting_user)
    try:
        target = Status(to_status)
    except ValueError:
        raise InvalidInput(f"“{to_status}” is not a status.", field="status") from None

    case = lock_case(escalation=escalation, expected_version=expected_version)
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
        # Follow the whole chain from what the database holds now (the caller's copy may be stale):
        # one step is not enough once an original is itself marked duplicate, and stopping early
        # would let two cases point at each other.
        original, seen = Escalation.objects.get(pk=duplicate_of.pk), set()
        while original.duplicate_of_id and original.pk not in seen:
            seen.add(original.pk)
            original = original.duplicate_of
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
    sla.on_status_change(case, current, target, now)

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
    notify_followers(escalation=case, event=event, template="status_changed", acting_user=acting_user)
    webhook_events.escalation_status_changed(case, event)
    return case


def escalation_auto_close_due(*, now=None) -> int:
    """Close resolved escalations that have stayed resolved for `ESCALATION_AUTO_CLOSE_DAYS`.

    Touches only resolved cases past the cut-off (a partial index covers them); each is closed in its own
    transaction so one failure cannot block the rest, and a case reopened meanwhile is left alone.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ESCALATION_AUTO_CLOSE_DAYS)
    due = list(
        Escalation.objects.filter(status=Status.RESOLVED.value, resolved_at__lte=cutoff)
        .order_by("resolved_at")
        .values_list("pk", "version")[:1000]
    )
    closed = 0
    for escalation_id, version in due:
        try:
            # The version we saw: a case reopened (and perhaps resolved again) since then is not ours to close.
            escalation_transition(
                acting_user=None,
                escalation=Escalation(pk=escalation_id),
                to_status=Status.CLOSED.value,
                expected_version=version,
            )
        except (TransitionNotAllowed, StaleVersion):
            continue  # reopened or closed by someone else since we looked
        except Exception:
            logger.exception("Auto-close failed for escalation %s", escalation_id)
            continue
        closed += 1
    return closed
