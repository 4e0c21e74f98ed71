"""Helpers the services share: who may act, and who hears about it."""

from escalations.errors import PermissionDenied, StaleVersion
from escalations.models import Escalation, EscalationEvent
from escalations.notifications import outbox_enqueue


def lock_case(*, escalation: Escalation, expected_version: int | None) -> Escalation:
    """The case, row-locked for this transaction; refused if someone changed it since `expected_version` was read."""
    case = (
        Escalation.objects.select_for_update(of=("self",)).select_related("account", "requester").get(pk=escalation.pk)
    )
    if expected_version is not None and case.version != expected_version:
        raise StaleVersion(
            f"{case.reference} was changed by someone else since you opened it. Reload it and try again."
        )
    return case


def require_case_worker(user) -> None:
    if user is not None and not user.works_cases:
        raise PermissionDenied("Only specialists, managers and admins can work on escalations.")


def followers(escalation: Escalation) -> list:
    """The requester and the watchers, each once."""
    people = {escalation.requester_id: escalation.requester}
    for user in escalation.watchers.all():
        people.setdefault(user.pk, user)
    return [person for person in people.values() if person.is_active]


def notify_followers(*, escalation: Escalation, event: EscalationEvent, template: str, acting_user) -> None:
    for person in followers(escalation):
        if acting_user is not None and person.pk == acting_user.pk:
            continue
        outbox_enqueue(
            recipient=person.email,
            template=template,
            context={"escalation": escalation, "event": event, "recipient": person},
            escalation=escalation,
            dedupe_key=f"event:{event.pk}:to:{person.pk}",
        )


def notify_owner(*, escalation: Escalation, event: EscalationEvent, acting_user) -> None:
    """Email the case owner about something someone else added (once per event)."""
    if not escalation.assignee_id or escalation.assignee_id == acting_user.pk:
        return
    owner = escalation.assignee
    outbox_enqueue(
        recipient=owner.email,
        template="case_comment",
        context={"escalation": escalation, "event": event, "recipient": owner},
        escalation=escalation,
        dedupe_key=f"event:{event.pk}:to:{owner.pk}",
    )
