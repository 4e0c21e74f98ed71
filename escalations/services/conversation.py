"""The conversation around a case: comments, internal notes, following and watching."""

from django.db import transaction
from django.utils import timezone

from escalations.errors import InvalidInput, PermissionDenied
from escalations.models import Escalation, EscalationEvent, EscalationWatcher
from escalations.services.common import notify_followers, notify_owner
from escalations.services.filing import attachments_store
from escalations.sla import engine as sla
from escalations.uploads import validate_uploads


@transaction.atomic
def escalation_comment(
    *,
    acting_user,
    escalation: Escalation,
    body: str,
    attachments=(),
    is_internal: bool = False,
) -> EscalationEvent:
    """Add a comment (and files) to the timeline.

    Only case workers may write internal notes. A shared update from a case worker emails the requester
    and watchers; a comment from a requester or watcher emails the owner. Each person is emailed once.
    """
    body = (body or "").strip()
    attachments = list(attachments or [])
    if not body and not attachments:
        raise InvalidInput("Write a comment or attach a file.", field="body")
    if is_internal and not acting_user.works_cases:
        raise PermissionDenied("Only specialists and managers can write internal notes.")
    validate_uploads(attachments)
    now = timezone.now()
    event = EscalationEvent.objects.create(
        escalation=escalation,
        actor=acting_user,
        kind=EscalationEvent.Kind.NOTE if is_internal else EscalationEvent.Kind.COMMENT,
        visibility=EscalationEvent.Visibility.INTERNAL if is_internal else EscalationEvent.Visibility.SHARED,
        body=body,
        created_at=now,
    )
    stored = attachments_store(escalation=escalation, event=event, files=attachments, acting_user=acting_user)
    if stored:
        event.data = {"attachments": [attachment.original_name for attachment in stored]}
        event.save(update_fields=["data"])
    Escalation.objects.filter(pk=escalation.pk).update(updated_at=now)
    if is_internal:
        return event
    if acting_user.works_cases:
        notify_followers(escalation=escalation, event=event, template="case_update", acting_user=acting_user)
        if sla.requester_updates_count(escalation):
            sla.on_customer_contact(escalation, now)
    else:
        notify_owner(escalation=escalation, event=event, acting_user=acting_user)
    return event


@transaction.atomic
def escalation_follow(*, acting_user, escalation: Escalation, context: str = "") -> EscalationEvent | None:
    """Follow an open escalation instead of filing a duplicate: become a watcher and add what you know.

    Following twice adds the context again but never a second watcher row; returns the timeline event.
    """
    if not escalation.is_open:
        raise InvalidInput(
            f"{escalation.reference} is {escalation.get_status_display().lower()}; file a new escalation instead."
        )
    EscalationWatcher.objects.get_or_create(escalation=escalation, user=acting_user)
    context = (context or "").strip()
    body = f"{acting_user} is also following this escalation for their customer contact."
    if context:
        body += f"\n\n{context}"
    event = EscalationEvent.objects.create(
        escalation=escalation,
        actor=acting_user,
        kind=EscalationEvent.Kind.WATCHER,
        visibility=EscalationEvent.Visibility.SHARED,
        body=body,
        data={"action": "follow", "has_context": bool(context)},
    )
    notify_owner(escalation=escalation, event=event, acting_user=acting_user)
    return event


@transaction.atomic
def escalation_watch(*, acting_user, escalation: Escalation, watching: bool) -> bool:
    """Start or stop watching; returns whether anything changed. The requester always follows their own case."""
    if escalation.requester_id == acting_user.pk:
        raise InvalidInput("You filed this escalation, so you are always told when it moves.")
    if watching:
        _, changed = EscalationWatcher.objects.get_or_create(escalation=escalation, user=acting_user)
    else:
        changed = EscalationWatcher.objects.filter(escalation=escalation, user=acting_user).delete()[0] > 0
    if changed:
        EscalationEvent.objects.create(
            escalation=escalation,
            actor=acting_user,
            kind=EscalationEvent.Kind.WATCHER,
            visibility=EscalationEvent.Visibility.INTERNAL,
            body=f"{acting_user} {'started' if watching else 'stopped'} watching.",
            data={"action": "watch" if watching else "unwatch"},
        )
    return changed
