"""Handing a piece of a case to a partner team, and the team's acknowledgement and answer."""

from django.db import transaction
from django.utils import timezone

from escalations.errors import InvalidInput, PermissionDenied, TransitionNotAllowed
from escalations.lifecycle import Status
from escalations.models import Escalation, EscalationEvent, Handoff
from escalations.notifications import outbox_enqueue_many
from escalations.services.common import notify_owner, require_case_worker
from escalations.services.lifecycle import escalation_transition
from escalations.sla import engine as sla

OPEN_HANDOFF_STATUSES = (Handoff.Status.REQUESTED, Handoff.Status.ACKNOWLEDGED)


def handoff_default_due(*, partner_team, escalation, now=None):
    """When the team's response target (business time in the case's calendar) runs out if asked now."""
    return sla.handoff_due(partner_team, escalation, now or timezone.now())


def _require_team_member_or_case_worker(user, handoff: Handoff) -> None:
    if user.works_cases or handoff.partner_team.members.filter(pk=user.pk).exists():
        return
    raise PermissionDenied(f"Only members of {handoff.partner_team} or the escalations team can answer this handoff.")


def _handoff_event(*, handoff: Handoff, acting_user, body: str, data: dict) -> EscalationEvent:
    now = timezone.now()
    Escalation.objects.filter(pk=handoff.escalation_id).update(updated_at=now)
    return EscalationEvent.objects.create(
        escalation=handoff.escalation,
        actor=acting_user,
        kind=EscalationEvent.Kind.HANDOFF,
        visibility=EscalationEvent.Visibility.INTERNAL,
        body=body,
        data={"handoff": handoff.pk, "partner_team": handoff.partner_team.slug, **data},
        created_at=now,
    )


@transaction.atomic
def handoff_request(
    *,
    acting_user,
    escalation: Escalation,
    partner_team,
    ask: str,
    due_at=None,
    wait_on_partner: bool = False,
) -> Handoff:
    """Ask a partner team for something. The team's contact address and members are emailed once each.

    `due_at` defaults to the team's response target; with `wait_on_partner` an in-progress case moves to
    waiting on partner in the same transaction.
    """
    require_case_worker(acting_user)
    ask = (ask or "").strip()
    if not ask:
        raise InvalidInput("Say what the partner team needs to do or answer.", field="ask")
    now = timezone.now()
    due_at = due_at or handoff_default_due(partner_team=partner_team, escalation=escalation, now=now)
    if due_at <= now:
        raise InvalidInput("The due time must be in the future.", field="due_at")
    handoff = Handoff.objects.create(
        escalation=escalation,
        partner_team=partner_team,
        requested_by=acting_user,
        ask=ask,
        due_at=due_at,
        created_at=now,
    )
    sla.on_handoff_requested(handoff, now)
    event = _handoff_event(
        handoff=handoff,
        acting_user=acting_user,
        body=f"{acting_user} handed off to {partner_team}: {ask}",
        data={"status": Handoff.Status.REQUESTED, "due_at": due_at.isoformat()},
    )
    recipients = {member.email for member in partner_team.members.filter(is_active=True)}
    if partner_team.contact_email:
        recipients.add(partner_team.contact_email)
    outbox_enqueue_many(
        recipients=sorted(recipients),
        template="handoff_requested",
        context={"escalation": escalation, "event": event, "handoff": handoff},
        escalation=escalation,
        dedupe_key=lambda recipient: f"handoff:{handoff.pk}:requested:{recipient}",
    )
    if wait_on_partner and escalation.status == Status.IN_PROGRESS:
        escalation_transition(acting_user=acting_user, escalation=escalation, to_status=Status.WAITING_ON_PARTNER.value)
    return handoff


def _locked_open_handoff(handoff: Handoff) -> Handoff:
    locked = (
        Handoff.objects.select_for_update(of=("self",))
        .select_related("escalation__assignee", "partner_team")
        .get(pk=handoff.pk)
    )
    if locked.status not in OPEN_HANDOFF_STATUSES:
        raise TransitionNotAllowed(f"This handoff is already {locked.get_status_display().lower()}.")
    return locked


@transaction.atomic
def handoff_acknowledge(*, acting_user, handoff: Handoff) -> Handoff:
    """The partner team has seen the ask: stops the handoff response clock; the case owner is told."""
    _require_team_member_or_case_worker(acting_user, handoff)
    handoff = _locked_open_handoff(handoff)
    if handoff.status == Handoff.Status.ACKNOWLEDGED:
        raise TransitionNotAllowed("This handoff is already acknowledged.")
    now = timezone.now()
    handoff.status = Handoff.Status.ACKNOWLEDGED
    handoff.acknowledged_at = now
    handoff.responded_at = handoff.responded_at or now
    handoff.responded_by = handoff.responded_by or acting_user
    handoff.save(update_fields=["status", "acknowledged_at", "responded_at", "responded_by"])
    sla.on_handoff_responded(handoff, now)
    event = _handoff_event(
        handoff=handoff,
        acting_user=acting_user,
        body=f"{acting_user} acknowledged the handoff for {handoff.partner_team}.",
        data={"status": Handoff.Status.ACKNOWLEDGED},
    )
    notify_owner(escalation=handoff.escalation, event=event, acting_user=acting_user)
    return handoff


@transaction.atomic
def handoff_answer(*, acting_user, handoff: Handoff, response: str) -> Handoff:
    """The partner team's answer: closes the handoff, lands on the timeline, and the case owner is told."""
    _require_team_member_or_case_worker(acting_user, handoff)
    response = (response or "").strip()
    if not response:
        raise InvalidInput("Write the answer.", field="response")
    handoff = _locked_open_handoff(handoff)
    now = timezone.now()
    handoff.status = Handoff.Status.ANSWERED
    handoff.response = response
    handoff.answered_at = now
    handoff.responded_at = handoff.responded_at or now
    handoff.responded_by = handoff.responded_by or acting_user
    handoff.save(update_fields=["status", "response", "answered_at", "responded_at", "responded_by"])
    sla.on_handoff_responded(handoff, now)
    event = _handoff_event(
        handoff=handoff,
        acting_user=acting_user,
        body=f"{acting_user} answered for {handoff.partner_team}: {response}",
        data={"status": Handoff.Status.ANSWERED},
    )
    notify_owner(escalation=handoff.escalation, event=event, acting_user=acting_user)
    return handoff
