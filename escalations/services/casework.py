"""What specialists change on a case: owner, priority, category, triage, and the same for many cases at once."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from escalations.errors import DomainError, InvalidInput, TransitionNotAllowed
from escalations.lifecycle import Status
from escalations.models import Category, Escalation, EscalationEvent
from escalations.notifications import outbox_enqueue
from escalations.services.common import lock_case, require_case_worker
from escalations.services.lifecycle import escalation_transition
from escalations.sla import engine as sla


def _record(*, case: Escalation, acting_user, kind: str, body: str, data: dict, shared: bool = True):
    case.version += 1
    case.updated_at = timezone.now()
    return EscalationEvent.objects.create(
        escalation=case,
        actor=acting_user,
        kind=kind,
        visibility=EscalationEvent.Visibility.SHARED if shared else EscalationEvent.Visibility.INTERNAL,
        body=body,
        data=data,
        created_at=case.updated_at,
    )


@transaction.atomic
def escalation_assign(*, acting_user, escalation: Escalation, assignee, expected_version: int | None = None):
    """Give the case an owner (or none). The new owner is emailed unless they assigned themselves.

    Assigning the current owner again changes nothing and writes nothing.
    """
    require_case_worker(acting_user)
    case = lock_case(escalation=escalation, expected_version=expected_version)
    if assignee is not None and not (assignee.is_active and assignee.works_cases):
        raise InvalidInput(f"{assignee} is not an active specialist or manager.", field="assignee")
    if case.assignee_id == (assignee.pk if assignee else None):
        return case
    before = case.assignee
    case.assignee = assignee
    if assignee is None:
        body = f"{acting_user} removed {before} as owner."
    elif before is None:
        body = f"{acting_user} assigned {case.reference} to {assignee}."
    else:
        body = f"{acting_user} reassigned {case.reference} from {before} to {assignee}."
    event = _record(
        case=case,
        acting_user=acting_user,
        kind=EscalationEvent.Kind.ASSIGNED,
        body=body,
        data={"from": before.email if before else None, "to": assignee.email if assignee else None},
    )
    case.save(update_fields=["assignee", "version", "updated_at"])
    if assignee is not None and assignee.pk != acting_user.pk:
        outbox_enqueue(
            recipient=assignee.email,
            template="assigned",
            context={"escalation": case, "event": event, "recipient": assignee},
            escalation=case,
            dedupe_key=f"event:{event.pk}:to:{assignee.pk}",
        )
    return case


@transaction.atomic
def escalation_set_priority(
    *, acting_user, escalation: Escalation, priority: str, expected_version: int | None = None, reason: str = ""
):
    """Change the priority; the timeline says from what to what and why. The same priority changes nothing."""
    require_case_worker(acting_user)
    if priority not in Escalation.Priority.values:
        raise InvalidInput(f"Priority must be one of {', '.join(Escalation.Priority.values)}.", field="priority")
    case = lock_case(escalation=escalation, expected_version=expected_version)
    if case.priority == priority:
        return case
    before, case.priority = case.priority, priority
    body = f"{acting_user} changed the priority from {before} to {priority}."
    if reason.strip():
        body += f" Reason: {reason.strip()}"
    _record(
        case=case,
        acting_user=acting_user,
        kind=EscalationEvent.Kind.PRIORITY_CHANGED,
        body=body,
        data={"from": before, "to": priority},
    )
    case.save(update_fields=["priority", "version", "updated_at"])
    sla.on_priority_change(case, case.updated_at)
    return case


@transaction.atomic
def escalation_set_category(
    *, acting_user, escalation: Escalation, category: Category, expected_version: int | None = None
):
    require_case_worker(acting_user)
    case = lock_case(escalation=escalation, expected_version=expected_version)
    if case.category_id == category.pk:
        return case
    before, case.category = case.category, category
    _record(
        case=case,
        acting_user=acting_user,
        kind=EscalationEvent.Kind.CATEGORY_CHANGED,
        body=f"{acting_user} set the product area to {category} (was {before or 'none'}).",
        data={"field": "category", "from": before.name if before else None, "to": category.name},
        shared=False,
    )
    case.save(update_fields=["category", "version", "updated_at"])
    return case


@transaction.atomic
def escalation_triage(
    *,
    acting_user,
    escalation: Escalation,
    priority: str,
    category: Category,
    assignee,
    expected_version: int | None = None,
) -> Escalation:
    """Accept a new escalation: confirm priority and product area, give it an owner, move it to triaged.

    All of it or none of it: one version check up front, one transaction.
    """
    require_case_worker(acting_user)
    if assignee is None:
        raise InvalidInput("Choose who owns the escalation.", field="assignee")
    case = lock_case(escalation=escalation, expected_version=expected_version)
    if case.status != Status.NEW:
        raise TransitionNotAllowed(
            f"{case.reference} is already {case.get_status_display().lower()}; only a new escalation can be triaged."
        )
    escalation_set_priority(acting_user=acting_user, escalation=case, priority=priority)
    escalation_set_category(acting_user=acting_user, escalation=case, category=category)
    escalation_assign(acting_user=acting_user, escalation=case, assignee=assignee)
    return escalation_transition(acting_user=acting_user, escalation=case, to_status=Status.TRIAGED.value)


@dataclass(frozen=True)
class BulkOutcome:
    reference: str
    ok: bool
    message: str


BULK_ACTIONS = {"assign", "priority", "status"}


def escalations_bulk_update(*, acting_user, escalations, action: str, value) -> list[BulkOutcome]:
    """Apply one action to many cases, each through the same service as a single change, each on its own.

    A refusal on one case (a transition it cannot take, a missing field) is reported for that case and
    does not undo the others.
    """
    require_case_worker(acting_user)
    if action not in BULK_ACTIONS:
        raise InvalidInput(f"Choose one of: {', '.join(sorted(BULK_ACTIONS))}.", field="action")
    outcomes = []
    for case in escalations:
        try:
            with transaction.atomic():
                if action == "assign":
                    escalation_assign(acting_user=acting_user, escalation=case, assignee=value)
                elif action == "priority":
                    escalation_set_priority(acting_user=acting_user, escalation=case, priority=value)
                else:
                    escalation_transition(acting_user=acting_user, escalation=case, to_status=value)
        except DomainError as error:
            outcomes.append(BulkOutcome(case.reference, False, error.message))
        else:
            outcomes.append(BulkOutcome(case.reference, True, "done"))
    return outcomes


def _require_driver(root_cause) -> None:
    if root_cause is None or root_cause.is_area:
        name = root_cause.name if root_cause else "nothing"
        raise InvalidInput(f"“{name}” is not a driver; choose a driver under an area.", field="root_cause")


@transaction.atomic
def escalation_set_root_cause(
    *, acting_user, escalation: Escalation, root_cause, expected_version: int | None = None
) -> Escalation:
    """Change the root cause of a resolved or closed case; the timeline says from what to what."""
    require_case_worker(acting_user)
    _require_driver(root_cause)
    case = lock_case(escalation=escalation, expected_version=expected_version)
    if case.root_cause_id is None:
        raise InvalidInput("Only a resolved case has a root cause to change; resolve it first.", field="root_cause")
    if case.root_cause_id == root_cause.pk:
        return case
    before, case.root_cause = case.root_cause, root_cause
    _record(
        case=case,
        acting_user=acting_user,
        kind=EscalationEvent.Kind.ROOT_CAUSE,
        body=f"{acting_user} changed the root cause from {before} to {root_cause}.",
        data={"from": before.pk, "to": root_cause.pk},
        shared=False,
    )
    case.save(update_fields=["root_cause", "version", "updated_at"])
    return case


@transaction.atomic
def escalations_move_root_cause(*, acting_user, from_driver, to_driver, reason: str = "") -> int:
    """Move every case from one driver to another (a merge), with an event on each; returns how many moved."""
    _require_driver(to_driver)
    if from_driver.pk == to_driver.pk:
        raise InvalidInput("Choose a different driver to merge into.", field="root_cause")
    now = timezone.now()
    moved = 0
    for case in Escalation.objects.select_for_update(of=("self",)).filter(root_cause=from_driver):
        case.root_cause = to_driver
        case.version += 1
        case.updated_at = now
        case.save(update_fields=["root_cause", "version", "updated_at"])
        EscalationEvent.objects.create(
            escalation=case,
            actor=acting_user,
            kind=EscalationEvent.Kind.ROOT_CAUSE,
            visibility=EscalationEvent.Visibility.INTERNAL,
            body=f"Root cause {from_driver} was merged into {to_driver}." + (f" {reason}" if reason else ""),
            data={"from": from_driver.pk, "to": to_driver.pk, "merge": True},
            created_at=now,
        )
        moved += 1
    return moved
