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

import functools
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import JSONField
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
    for case in cases.values():
        _remember_display(case, "status")
    clocks = list(
        SLAClock.objects.filter(escalation_id__in=cases, stopped_at__isnull=True)
        .select_related("policy", "calendar", "handoff__partner_team")
        .order_by("started_at", "pk")
    )
    for clock in clocks:
        _remember_display(clock, "kind")
    # The thresholds already announced, in one query (a prefetch would build a queryset per clock).
    fired: dict[int, set[int]] = {clock.pk: set() for clock in clocks}
    for clock_id, threshold in SLAAlert.objects.filter(clock_id__in=fired).values_list("clock_id", "threshold"):
        fired[clock_id].add(threshold)
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
    """Record, put on the timeline and mail each due (clock, threshold) of the batch: one insert of each kind.

    The rows go in as plain values (`_insert`): building a model instance per alert and event, then having
    `bulk_create` take each apart again, cost more than the inserts themselves.
    """
    recipients = [audience.recipients(case, clock, threshold) for case, clock, threshold, _ in due]
    alert_ids = _insert(
        SLAAlert,
        ["clock_id", "threshold", "fired_at", "recipients"],
        [
            (clock.pk, threshold, moment, people)
            for (_, clock, threshold, moment), people in zip(due, recipients, strict=True)
        ],
        returning=True,
    )
    bodies = [_describe(clock, threshold) for _, clock, threshold, _ in due]
    breached = []
    for (case, clock, threshold, moment), alert_id, people in zip(due, alert_ids, recipients, strict=True):
        if threshold >= 100:
            clock.breached_at = moment
            alert = SLAAlert(pk=alert_id, clock=clock, threshold=threshold, fired_at=moment, recipients=people)
            breached.append((case, alert))
    _update_each([alert.clock for _, alert in breached], ["breached_at"])
    webhook_events.escalation_sla_breaches(breached)
    _insert(
        EscalationEvent,
        ["escalation_id", "kind", "visibility", "body", "data", "created_at"],
        [
            (
                case.pk,
                EscalationEvent.Kind.SLA.value,
                EscalationEvent.Visibility.INTERNAL.value,
                body,
                {"clock": clock.kind, "threshold": threshold, "due_at": clock.due_at.isoformat()},
                moment,
            )
            for (case, clock, threshold, moment), body in zip(due, bodies, strict=True)
        ],
    )
    mail = []
    for (case, clock, threshold, _), alert_id, people, body in zip(due, alert_ids, recipients, bodies, strict=True):
        # One text per alert, shared by its recipients; each recipient's message has a dedupe key of its own.
        mail += outbox_prepare(
            recipients=people,
            template="sla_breach" if threshold >= 100 else "sla_warning",
            context={"escalation": case, "clock": clock, "threshold": threshold, "body": body},
            escalation=case,
            dedupe_key=lambda recipient, alert_pk=alert_id: f"sla-alert:{alert_pk}:to:{recipient}",
        )
    outbox_insert(mail)


def _insert(model, columns: list[str], rows: list[tuple], *, returning: bool = False) -> list[int]:
    """Insert `rows` (values of the fields named in `columns`, by attname) into `model`'s table in one statement; any
    other column takes the model's default. Returns the new primary keys in the order of `rows` if `returning`.

    PostgreSQL: one `INSERT … VALUES … RETURNING id` (the rows come back in the order they were given); elsewhere
    `bulk_create`.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        created = model.objects.bulk_create(model(**dict(zip(columns, row, strict=True))) for row in rows)
        return [instance.pk for instance in created] if returning else []
    quote = connection.ops.quote_name
    given = [model._meta.get_field(name) for name in columns]
    json_at = [index for index, field in enumerate(given) if isinstance(field, JSONField)]
    if json_at:
        rows = [
            tuple(given[i].get_db_prep_save(v, connection) if i in json_at else v for i, v in enumerate(row))
            for row in rows
        ]
    defaults = {}
    with connection.cursor() as cursor:
        for field in model._meta.concrete_fields:
            if not field.primary_key and field not in given:
                value = field.get_db_prep_save(field.get_default(), connection)
                # A literal in the row template, which is itself a format string: its % doubled.
                defaults[field.column] = cursor.cursor.mogrify("%s", [value]).decode().replace("%", "%%")
    names = ", ".join(quote(column) for column in [*(field.column for field in given), *defaults])
    template = ", ".join([*(f"%s::{field.db_type(connection)}" for field in given), *defaults.values()])
    inserted = execute_with_values(
        f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES %s" + (" RETURNING id" if returning else ""),
        rows,
        template=f"({template})",
        fetch=returning,
    )
    return [row[0] for row in inserted]


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


def _remember_display(instance, field_name: str) -> None:
    """Answer `instance.get_<field>_display()` from a constant: Django rebuilds the field's choices on every call,
    and the sweep asks once or twice per alert (timeline text, mail subject and body)."""
    label = _labels(type(instance), field_name).get(getattr(instance, field_name))
    if label is not None:
        setattr(instance, f"get_{field_name}_display", lambda: str(label))  # a lazy label: in the active language


@functools.cache
def _labels(model, field_name: str) -> dict:
    return dict(model._meta.get_field(field_name).flatchoices)


def _describe(clock: SLAClock, threshold: int) -> str:
    what = clock.get_kind_display().lower()
    if clock.kind == SLAClock.Kind.HANDOFF:
        what = f"{clock.handoff.partner_team} response"
    due = f"{timezone.localtime(clock.due_at):%b %-d, %H:%M %Z}"
    if threshold >= 100:
        return f"The {what} target was breached (due {due})."
    return f"{threshold}% of the {what} target is used; due {due}."
