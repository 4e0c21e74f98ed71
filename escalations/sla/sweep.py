"""The periodic SLA sweep: announce each warning and breach exactly once, touching only cases that are due.

Cases are found by `next_sla_check_at <= now` (the partial index `escalation_sla_check_idx`), in batches that
follow the index (keyset pagination, so a case skipped in one batch is never picked up again by the same sweep
and the sweep always ends). Each batch is handled in one transaction under `select_for_update(skip_locked=True)`,
so several workers can sweep at once without waiting on each other or acting twice. Each (clock, threshold)
alert is an `SLAAlert` row under a unique constraint, written in the same transaction as its timeline event and
its outbox mail: a retried or parallel sweep finds it and sends nothing more. A batch that fails is rolled back
and its cases are swept again one by one; a case that still fails is pushed five minutes forward and logged, so
it cannot wedge the sweep.

The cost of a batch is a fixed handful of statements whatever its size (lock the cases, read their open clocks
and alerts, insert the alerts, events and mail in bulk, write the summaries back in one update); who hears
about an alert (managers, partner team members) is looked up once per sweep, not once per alert.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from escalations.bulk_sql import execute_with_values
from escalations.models import Escalation, EscalationEvent
from escalations.notifications import outbox_insert, outbox_prepare
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
        case_ids = [escalation_id for _, escalation_id in batch]
        if not case_ids:
            return result
        try:
            result.alerts += _sweep_cases(case_ids, now, audience)
        except Exception:
            # The batch rolled back as a whole; sweep its cases one by one so that only the bad one fails.
            logger.warning("SLA sweep batch of %s cases failed; sweeping them one by one", len(case_ids))
            for escalation_id in case_ids:
                try:
                    result.alerts += _sweep_cases([escalation_id], now, audience)
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
def _sweep_cases(case_ids: list[int], now: datetime, audience: Audience) -> int:
    """Announce what is due on the cases in `case_ids` that are still due and not held by another worker.

    One transaction and a fixed number of statements for the whole batch: lock the cases, read their open
    clocks and alerts, insert the alerts, the events and the mail in bulk, then write each case's SLA summary.
    The alerts were read under the cases' row locks, and only the sweep announces, so none of them exists yet.
    Were one written anyway, the unique constraint fails the insert and the batch rolls back (then each case is
    retried alone): never a second mail.
    """
    cases = {
        case.pk: case
        for case in Escalation.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("account", "assignee")
        .filter(pk__in=case_ids, next_sla_check_at__lte=now)
    }
    if not cases:
        return 0  # other workers hold them, or they are no longer due
    clocks = list(
        SLAClock.objects.filter(escalation_id__in=cases, stopped_at__isnull=True)
        .select_related("policy", "calendar", "handoff__partner_team")
        .prefetch_related("alerts")
        .order_by("started_at", "pk")
    )
    fired = {clock.pk: {alert.threshold for alert in clock.alerts.all()} for clock in clocks}
    due = []
    for clock in clocks:
        ladder = clock.policy.ladder if clock.policy else [100]
        for threshold in ladder:
            if threshold in fired[clock.pk]:
                continue
            moment = engine.moment_at_fraction(clock, threshold / 100)
            if moment is None or moment > now:
                break
            due.append((cases[clock.escalation_id], clock, threshold, moment))
            fired[clock.pk].add(threshold)
    if due:
        _announce(due, audience)
    clocks_by_case: dict[int, list[SLAClock]] = {pk: [] for pk in cases}
    for clock in clocks:
        clocks_by_case[clock.escalation_id].append(clock)
    for case in cases.values():
        engine.summary_set(case, clocks_by_case[case.pk], fired, now)
    _update_each(cases.values(), ["next_sla_check_at", "sla_due_at", "is_sla_breached"])
    return len(due)


def _announce(due: list[tuple[Escalation, SLAClock, int, datetime]], audience: Audience) -> None:
    """Record, put on the timeline and mail each due (clock, threshold) of the batch: one insert of each kind."""
    alerts = SLAAlert.objects.bulk_create(
        SLAAlert(
            clock=clock,
            threshold=threshold,
            fired_at=moment,
            recipients=audience.recipients(case, clock, threshold),
        )
        for case, clock, threshold, moment in due
    )
    announced = [
        (case, alert, _describe(alert.clock, alert.threshold)) for (case, *_), alert in zip(due, alerts, strict=True)
    ]
    breached = []
    for case, alert, _body in announced:
        if alert.threshold >= 100:
            alert.clock.breached_at = alert.fired_at
            breached.append((case, alert))
    _update_each([alert.clock for _, alert in breached], ["breached_at"])
    webhook_events.escalation_sla_breaches(breached)
    EscalationEvent.objects.bulk_create(
        EscalationEvent(
            escalation=case,
            kind=EscalationEvent.Kind.SLA,
            visibility=EscalationEvent.Visibility.INTERNAL,
            body=body,
            data={"clock": alert.clock.kind, "threshold": alert.threshold, "due_at": alert.clock.due_at.isoformat()},
            created_at=alert.fired_at,
        )
        for case, alert, body in announced
    )
    mail = []
    for case, alert, body in announced:
        mail += outbox_prepare(
            recipients=alert.recipients,
            template="sla_breach" if alert.threshold >= 100 else "sla_warning",
            context={"escalation": case, "clock": alert.clock, "threshold": alert.threshold, "body": body},
            escalation=case,
            dedupe_key=lambda recipient, alert_pk=alert.pk: f"sla-alert:{alert_pk}:to:{recipient}",
        )
    outbox_insert(mail)


def _update_each(rows, fields: list[str]) -> None:
    """Write `fields` of each model instance in `rows` (all of one model) in one UPDATE.

    PostgreSQL: `UPDATE … FROM (VALUES …)`, which costs a fraction of `bulk_update`'s CASE per field and row (for a
    batch of 500 cases that CASE is compared row by row, and building it takes longer than the sweep's own work).
    """
    rows = list(rows)
    if not rows:
        return
    model = type(rows[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, fields)
        return
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{quote(column.column)} = v.{quote(column.column)}" for column in columns)
    casts = ", ".join(f"%s::{column.db_type(connection)}" for column in columns)
    execute_with_values(
        f"UPDATE {quote(model._meta.db_table)} AS t SET {assignments} FROM (VALUES %s) "
        f"AS v (id, {', '.join(quote(column.column) for column in columns)}) WHERE t.id = v.id",
        [(row.pk, *(getattr(row, column.attname) for column in columns)) for row in rows],
        template=f"(%s, {casts})",
    )


def _describe(clock: SLAClock, threshold: int) -> str:
    what = clock.get_kind_display().lower()
    if clock.kind == SLAClock.Kind.HANDOFF:
        what = f"{clock.handoff.partner_team} response"
    due = f"{timezone.localtime(clock.due_at):%b %-d, %H:%M %Z}"
    if threshold >= 100:
        return f"The {what} target was breached (due {due})."
    return f"{threshold}% of the {what} target is used; due {due}."
