"""The periodic SLA sweep: announce each warning and breach exactly once, touching only cases that are due.

Cases are found by `next_sla_check_at <= now` (a partial index), each handled in its own transaction under
`select_for_update(skip_locked=True)`, so several workers can sweep at once without waiting on each other or
acting twice. Each (clock, threshold) alert is an `SLAAlert` row under a unique constraint, written in the
same transaction as its outbox mail: a retried or parallel sweep finds it and sends nothing more. A case that
fails is pushed five minutes forward and logged, so it cannot wedge the sweep.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from escalations.models import Escalation, EscalationEvent
from escalations.notifications import outbox_enqueue
from escalations.sla import engine
from escalations.sla.models import SLAAlert, SLAClock
from users.models import User, UserRole

logger = logging.getLogger(__name__)
RETRY_FAILED_CASE_AFTER = timedelta(minutes=5)


@dataclass
class SweepResult:
    cases: int = 0
    alerts: int = 0
    failed: int = 0


def sla_sweep(*, now: datetime | None = None, batch_size: int | None = None) -> SweepResult:
    """Fire every threshold that has come due; returns how many cases were looked at and alerts were sent."""
    now = now or timezone.now()
    batch_size = batch_size or settings.SLA_SWEEP_BATCH_SIZE
    result = SweepResult()
    while True:
        due_ids = list(
            Escalation.objects.filter(next_sla_check_at__lte=now)
            .order_by("next_sla_check_at", "pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        for escalation_id in due_ids:
            try:
                result.alerts += _sweep_case(escalation_id, now)
            except Exception:
                result.failed += 1
                logger.exception("SLA sweep failed for escalation %s; retrying in 5 minutes", escalation_id)
                Escalation.objects.filter(pk=escalation_id).update(next_sla_check_at=now + RETRY_FAILED_CASE_AFTER)
        result.cases += len(due_ids)
        if len(due_ids) < batch_size:
            return result


@transaction.atomic
def _sweep_case(escalation_id: int, now: datetime) -> int:
    case = (
        Escalation.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("account", "assignee")
        .filter(pk=escalation_id, next_sla_check_at__lte=now)
        .first()
    )
    if case is None:
        return 0  # another worker holds it, or it is no longer due
    fired = 0
    for clock in engine.open_clocks(case).prefetch_related("alerts"):
        already = {alert.threshold for alert in clock.alerts.all()}
        ladder = clock.policy.ladder if clock.policy else [100]
        for threshold in ladder:
            if threshold in already:
                continue
            moment = engine.moment_at_fraction(clock, threshold / 100)
            if moment is None or moment > now:
                break
            fired += _fire(case, clock, threshold, moment)
    engine.refresh(case, now)
    return fired


def _recipients(case: Escalation, clock: SLAClock, threshold: int) -> list[str]:
    owner = [case.assignee.email] if case.assignee_id and case.assignee.is_active else []
    if clock.kind == SLAClock.Kind.HANDOFF:
        team = clock.handoff.partner_team
        members = list(team.members.filter(is_active=True).values_list("email", flat=True))
        return sorted({*members, *([team.contact_email] if team.contact_email else []), *owner})
    managers = settings.SLA_MANAGER_EMAILS or list(
        User.objects.filter(is_active=True, role=UserRole.MANAGER).values_list("email", flat=True)
    )
    if threshold >= 100:
        return sorted({*owner, *managers, settings.SLA_TEAM_INBOX})
    if threshold >= 75:
        return sorted({*owner, *managers}) or [settings.SLA_TEAM_INBOX]
    return owner or [settings.SLA_TEAM_INBOX]


def _fire(case: Escalation, clock: SLAClock, threshold: int, moment: datetime) -> int:
    recipients = _recipients(case, clock, threshold)
    try:
        with transaction.atomic():
            alert = SLAAlert.objects.create(clock=clock, threshold=threshold, fired_at=moment, recipients=recipients)
    except IntegrityError:
        return 0  # announced already
    is_breach = threshold >= 100
    if is_breach:
        clock.breached_at = moment
        clock.save(update_fields=["breached_at"])
    what = clock.get_kind_display().lower()
    if clock.kind == SLAClock.Kind.HANDOFF:
        what = f"{clock.handoff.partner_team} response"
    body = (
        f"The {what} target was breached (due {timezone.localtime(clock.due_at):%b %-d, %H:%M %Z})."
        if is_breach
        else f"{threshold}% of the {what} target is used; due {timezone.localtime(clock.due_at):%b %-d, %H:%M %Z}."
    )
    EscalationEvent.objects.create(
        escalation=case,
        kind=EscalationEvent.Kind.SLA,
        visibility=EscalationEvent.Visibility.INTERNAL,
        body=body,
        data={"clock": clock.kind, "threshold": threshold, "due_at": clock.due_at.isoformat()},
        created_at=moment,
    )
    for recipient in recipients:
        outbox_enqueue(
            recipient=recipient,
            template="sla_breach" if is_breach else "sla_warning",
            context={"escalation": case, "clock": clock, "threshold": threshold, "body": body},
            escalation=case,
            dedupe_key=f"sla-alert:{alert.pk}:to:{recipient}",
        )
    return 1
