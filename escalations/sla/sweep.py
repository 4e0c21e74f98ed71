"""The periodic SLA sweep: announce each warning and breach exactly once, touching only cases that are due.

Cases are found by `next_sla_check_at <= now` (the partial index `escalation_sla_check_idx`), in batches that
follow the index (keyset pagination, so a case skipped in one batch is never picked up again by the same sweep
and the sweep always ends). Each case is handled in its own transaction under
`select_for_update(skip_locked=True)`, so several workers can sweep at once without waiting on each other or
acting twice. Each (clock, threshold) alert is an `SLAAlert` row under a unique constraint, written in the
same transaction as its timeline event and its outbox mail: a retried or parallel sweep finds it and sends
nothing more. A case that fails is rolled back, pushed five minutes forward and logged, so it cannot wedge
the sweep.

The cost per due case is a fixed handful of queries (lock the case, read its open clocks and their alerts,
insert the alerts and events in bulk, queue each mail, recompute the summary); who hears about an alert
(managers, partner team members) is looked up once per sweep, not once per alert.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from escalations.models import Escalation, EscalationEvent
from escalations.notifications import outbox_enqueue
from escalations.sla import engine
from escalations.sla.models import SLAAlert, SLAClock
from escalations.webhooks import events as webhook_events
from users.models import User, UserRole

logger = logging.getLogger(__name__)
RETRY_FAILED_CASE_AFTER = timedelta(minutes=5)


@dataclass
class SweepResult:
    cases: int = 0
    alerts: int = 0
    failed: int = 0


def sla_sweep(*, now: datetime | None = None, batch_size: int | None = None) -> SweepResult:
    """Fire every threshold that has come due; returns how many cases were looked at and alerts were sent.

    Exactly one alert (with its event and mail) per clock and threshold, however many sweeps run at once or
    are retried. With nothing due this is one indexed query.
    """
    now = now or timezone.now()
    batch_size = batch_size or settings.SLA_SWEEP_BATCH_SIZE
    result = SweepResult()
    audience = Audience()
    after = None
    while True:
        batch = list(due_cases(now=now, after=after)[:batch_size])
        for _, escalation_id in batch:
            try:
                result.alerts += _sweep_case(escalation_id, now, audience)
            except Exception:
                result.failed += 1
                logger.exception("SLA sweep failed for escalation %s; retrying in 5 minutes", escalation_id)
                Escalation.objects.filter(pk=escalation_id).update(next_sla_check_at=now + RETRY_FAILED_CASE_AFTER)
        result.cases += len(batch)
        if len(batch) < batch_size:
            return result
        after = batch[-1]


def due_cases(*, now: datetime, after: tuple[datetime, int] | None = None):
    """(next_sla_check_at, pk) of the cases due at `now`, soonest first, continuing after `after` if given."""
    due = Escalation.objects.filter(next_sla_check_at__lte=now)
    if after is not None:
        checked_at, pk = after
        due = due.filter(next_sla_check_at__gte=checked_at).exclude(next_sla_check_at=checked_at, pk__lte=pk)
    return due.order_by("next_sla_check_at", "pk").values_list("next_sla_check_at", "pk")


@dataclass
class Audience:
    """Who hears about an alert. Managers and partner team members are read once per sweep, when first needed."""

    _managers: list[str] | None = None
    _teams: dict[int, list[str]] = field(default_factory=dict)

    def managers(self) -> list[str]:
        if self._managers is None:
            self._managers = list(settings.SLA_MANAGER_EMAILS) or list(
                User.objects.filter(is_active=True, role=UserRole.MANAGER).values_list("email", flat=True)
            )
        return self._managers

    def team(self, team) -> list[str]:
        if team.pk not in self._teams:
            members = team.members.filter(is_active=True).values_list("email", flat=True)
            self._teams[team.pk] = [*members, *([team.contact_email] if team.contact_email else [])]
        return self._teams[team.pk]

    def recipients(self, case: Escalation, clock: SLAClock, threshold: int) -> list[str]:
        owner = [case.assignee.email] if case.assignee_id and case.assignee.is_active else []
        if clock.kind == SLAClock.Kind.HANDOFF:
            return sorted({*self.team(clock.handoff.partner_team), *owner})
        if threshold >= 100:
            return sorted({*owner, *self.managers(), settings.SLA_TEAM_INBOX})
        if threshold >= 75:
            return sorted({*owner, *self.managers()}) or [settings.SLA_TEAM_INBOX]
        return owner or [settings.SLA_TEAM_INBOX]


@transaction.atomic
def _sweep_case(escalation_id: int, now: datetime, audience: Audience) -> int:
    case = (
        Escalation.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("account", "assignee")
        .filter(pk=escalation_id, next_sla_check_at__lte=now)
        .first()
    )
    if case is None:
        return 0  # another worker holds it, or it is no longer due
    due = []
    for clock in engine.open_clocks(case).prefetch_related("alerts"):
        already = {alert.threshold for alert in clock.alerts.all()}
        ladder = clock.policy.ladder if clock.policy else [100]
        for threshold in ladder:
            if threshold in already:
                continue
            moment = engine.moment_at_fraction(clock, threshold / 100)
            if moment is None or moment > now:
                break
            due.append((clock, threshold, moment))
    if due:
        _announce(case, due, audience)
    engine.refresh(case, now)
    return len(due)


def _announce(case: Escalation, due: list[tuple[SLAClock, int, datetime]], audience: Audience) -> None:
    """Record, put on the timeline and mail each due (clock, threshold), in the case's transaction.

    The alerts were read under the case's row lock, and only the sweep announces, so none of these exists
    yet. Were one written anyway, the unique constraint fails this insert, the whole case rolls back and is
    retried in five minutes, when it is seen as announced: never a second mail.
    """
    alerts = SLAAlert.objects.bulk_create(
        SLAAlert(
            clock=clock,
            threshold=threshold,
            fired_at=moment,
            recipients=audience.recipients(case, clock, threshold),
        )
        for clock, threshold, moment in due
    )
    bodies = [_describe(alert.clock, alert.threshold) for alert in alerts]
    for alert in alerts:
        if alert.threshold >= 100:
            alert.clock.breached_at = alert.fired_at
            alert.clock.save(update_fields=["breached_at"])
            webhook_events.escalation_sla_breached(case, alert)
    EscalationEvent.objects.bulk_create(
        EscalationEvent(
            escalation=case,
            kind=EscalationEvent.Kind.SLA,
            visibility=EscalationEvent.Visibility.INTERNAL,
            body=body,
            data={"clock": alert.clock.kind, "threshold": alert.threshold, "due_at": alert.clock.due_at.isoformat()},
            created_at=alert.fired_at,
        )
        for alert, body in zip(alerts, bodies, strict=True)
    )
    for alert, body in zip(alerts, bodies, strict=True):
        for recipient in alert.recipients:
            outbox_enqueue(
                recipient=recipient,
                template="sla_breach" if alert.threshold >= 100 else "sla_warning",
                context={"escalation": case, "clock": alert.clock, "threshold": alert.threshold, "body": body},
                escalation=case,
                dedupe_key=f"sla-alert:{alert.pk}:to:{recipient}",
            )


def _describe(clock: SLAClock, threshold: int) -> str:
    what = clock.get_kind_display().lower()
    if clock.kind == SLAClock.Kind.HANDOFF:
        what = f"{clock.handoff.partner_team} response"
    due = f"{timezone.localtime(clock.due_at):%b %-d, %H:%M %Z}"
    if threshold >= 100:
        return f"The {what} target was breached (due {due})."
    return f"{threshold}% of the {what} target is used; due {due}."
