"""Helpers the services share: who may act, and who hears about it."""

from escalations.errors import PermissionDenied
from escalations.models import Escalation, EscalationEvent
from escalations.notifications import outbox_enqueue


def require_case_worker(user) -> None:
    if user is not None and not user.works_cases:
        raise PermissionDenied("Only specialists, managers and admins can change an escalation's status.")


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
