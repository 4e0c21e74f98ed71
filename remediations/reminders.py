"""Accountability: due-soon and overdue reminders to the owner team, and a weekly digest of what each team owes.

The same exactly-once pattern as the SLA sweep (`escalations.sla.sweep`). The daily run reads only open
remediations due within `REMEDIATION_DUE_SOON_DAYS` (the partial index `remediation_open_due_idx`) that have no
reminder for today yet. Each one is handled in its own transaction: the remediation row is claimed with
`select_for_update(skip_locked=True)` (a worker that finds it locked leaves it to the one holding it), and the
`RemediationReminder` row is written under its unique constraint (one per remediation per day) in the same
transaction as the outbox mail. A re-run, a retried task or a second worker therefore finds the reminder and
sends nothing more; a failure rolls back the reminder and its mail together, is logged, and the remediation is
picked up by the next run. The weekly digest claims the team row the same way, one digest per team per week.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from escalations.notifications import outbox_enqueue_many
from remediations import conf, selectors
from remediations.lifecycle import OPEN_STATUSES
from remediations.models import Remediation, RemediationReminder
from users.models import PartnerTeam

logger = logging.getLogger(__name__)
OPEN_VALUES = [status.value for status in OPEN_STATUSES]
Kind = RemediationReminder.Kind


@dataclass
class ReminderResult:
    looked_at: int = 0
    sent: int = 0
    failed: int = 0


def remediation_reminders_send(*, now: datetime | None = None) -> ReminderResult:
    """Remind each owner team of its open remediations due within the due-soon window (due soon) or past their
    due date (overdue): at most one reminder per remediation per day, exactly once however many workers run."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    horizon = today + timedelta(days=conf.due_soon_days())
    result = ReminderResult()
    for remediation_id in due_remediations(today=today, horizon=horizon):
        result.looked_at += 1
        try:
            result.sent += _remind(remediation_id, today=today, horizon=horizon, now=now)
        except Exception:
            result.failed += 1
            logger.exception("Reminder for remediation %s failed; the next run tries again", remediation_id)
    return result


def due_remediations(*, today: date, horizon: date) -> list[int]:
    """Ids of the open remediations due by `horizon` that have no reminder for `today` yet, soonest due first."""
    reminded_today = RemediationReminder.objects.filter(
        remediation=OuterRef("pk"), for_date=today, kind__in=[Kind.DUE_SOON, Kind.OVERDUE]
    )
    return list(
        Remediation.objects.filter(status__in=OPEN_VALUES, due_date__isnull=False, due_date__lte=horizon)
        .exclude(Exists(reminded_today))
        .order_by("due_date", "pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def _remind(remediation_id: int, *, today: date, horizon: date, now: datetime) -> int:
    remediation = (
        Remediation.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("owner_team", "owner")
        .filter(pk=remediation_id, status__in=OPEN_VALUES, due_date__isnull=False, due_date__lte=horizon)
        .first()
    )
    if remediation is None:
        return 0  # another worker holds it, or it moved on meanwhile
    if RemediationReminder.objects.filter(remediation=remediation, for_date=today).exists():
        return 0  # someone sent today's reminder after this run listed it
    kind = Kind.OVERDUE if remediation.due_date < today else Kind.DUE_SOON
    recipients = selectors.team_recipients(remediation.owner_team, owner=remediation.owner)
    reminder = RemediationReminder.objects.create(
        remediation=remediation,
        team=remediation.owner_team,
        kind=kind,
        for_date=today,
        recipients=recipients,
        created_at=now,
    )
    context = {
        "remediation": remediation,
        "team": remediation.owner_team,
        "days_left": (remediation.due_date - today).days,
        "days_late": (today - remediation.due_date).days,
        "escalation_count": remediation.escalations.count(),
    }
    outbox_enqueue_many(
        recipients=recipients,
        template=f"remediation_{kind}",
        context=context,
        dedupe_key=lambda recipient: f"remediation-reminder:{reminder.pk}:to:{recipient}",
    )
    return 1


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def remediation_digests_send(*, now: datetime | None = None) -> ReminderResult:
    """Send each team that owes something its weekly digest: open remediations, due dates, linked escalation
    counts. One digest per team per week (`for_date` is the Monday), exactly once however many workers run."""
    now = now or timezone.now()
    monday = week_start(timezone.localdate(now))
    owing = Remediation.objects.filter(owner_team=OuterRef("pk"), status__in=OPEN_VALUES)
    sent_this_week = RemediationReminder.objects.filter(team=OuterRef("pk"), kind=Kind.DIGEST, for_date=monday)
    teams = PartnerTeam.objects.filter(Exists(owing)).exclude(Exists(sent_this_week))
    team_ids = list(teams.order_by("pk").values_list("pk", flat=True))
    result = ReminderResult()
    for team_id in team_ids:
        result.looked_at += 1
        try:
            result.sent += _digest(team_id, monday=monday, now=now)
        except Exception:
            result.failed += 1
            logger.exception("Weekly remediation digest for team %s failed; the next run tries again", team_id)
    return result


@transaction.atomic
def _digest(team_id: int, *, monday: date, now: datetime) -> int:
    team = PartnerTeam.objects.select_for_update(skip_locked=True).filter(pk=team_id).first()
    if team is None:
        return 0
    if RemediationReminder.objects.filter(team=team, kind=Kind.DIGEST, for_date=monday).exists():
        return 0
    owed = selectors.team_owes(team=team)
    if not owed:
        return 0
    today = timezone.localdate(now)
    horizon = today + timedelta(days=conf.due_soon_days())
    recipients = selectors.team_recipients(team)
    reminder = RemediationReminder.objects.create(
        team=team, kind=Kind.DIGEST, for_date=monday, recipients=recipients, created_at=now
    )
    context = {
        "team": team,
        "week_of": monday,
        "remediations": owed,
        "overdue": [r for r in owed if r.due_date and r.due_date < today],
        "due_soon": [r for r in owed if r.due_date and today <= r.due_date <= horizon],
        "today": today,
    }
    outbox_enqueue_many(
        recipients=recipients,
        template="remediation_digest",
        context=context,
        dedupe_key=lambda recipient: f"remediation-reminder:{reminder.pk}:to:{recipient}",
    )
    return 1
