"""The weekly digest: each manager gets one email a week with last week's SLA attainment, the open backlog by age,
the top five drivers and the overdue remediations, linking to the live reports.

Exactly once per manager and week, however many workers or re-runs: the figures are computed once per run (they
are the same for every manager); then each manager is handled in a transaction of its own that claims the
manager's row with `select_for_update(skip_locked=True)`, checks for this week's `ManagerDigest`, and writes that
row and the outbox message together (the row's unique constraint backs the check). A failure rolls back both and
is logged; the next run tries again. A failing mail server only delays the outbox message, which the outbox
retries; the digest itself is never queued twice.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from escalations.notifications import outbox_enqueue
from remediations.lifecycle import OPEN_STATUSES as REMEDIATION_OPEN_STATUSES
from remediations.models import Remediation
from reports import selectors
from reports.catalog import report_queries
from reports.filters import ReportFilters
from reports.models import ManagerDigest
from users.models import User, UserRole

logger = logging.getLogger(__name__)
TOP_DRIVERS = 5
OVERDUE_LISTED = 20


@dataclass
class DigestResult:
    looked_at: int = 0
    sent: int = 0
    failed: int = 0


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def digest_context(*, week_of: date, now: datetime) -> dict:
    """What every manager's digest for the week starting `week_of` says: the figures of the seven days before."""
    filters = ReportFilters(start=week_of - timedelta(days=7), end=week_of - timedelta(days=1))
    query = urlencode(filters.as_query())
    today = timezone.localdate(now)
    attainment = selectors.sla_attainment(filters)
    overdue = (
        Remediation.objects.filter(
            status__in=[status.value for status in REMEDIATION_OPEN_STATUSES], due_date__lt=today
        )
        .select_related("owner_team")
        .order_by("due_date", "pk")
    )
    overdue_list = list(overdue[: OVERDUE_LISTED + 1])
    return {
        "week_of": week_of,
        "filters": filters,
        "attainment": attainment.table("by_clock").rows,
        "attainment_summary": dict(attainment.summary),
        "backlog": selectors.backlog_by_age(filters, now=now).rows,
        "drivers": selectors.top_drivers(filters).table("by_count").rows[:TOP_DRIVERS],
        "overdue_remediations": [
            {
                "title": remediation.title,
                "team": remediation.owner_team.name,
                "due_date": remediation.due_date,
                "days_late": (today - remediation.due_date).days,
                "url": f"{settings.SITE_URL}{reverse('remediations:detail', args=[remediation.pk])}",
            }
            for remediation in overdue_list[:OVERDUE_LISTED]
        ],
        "more_overdue": len(overdue_list) > OVERDUE_LISTED,
        "links": {
            spec.replace("-", "_"): f"{settings.SITE_URL}{reverse('reports:report', args=[spec])}?{query}"
            for spec in ("sla-attainment", "volume-backlog", "top-drivers", "partner-accountability")
        },
    }


def managers_due(week_of: date) -> list[int]:
    sent = ManagerDigest.objects.filter(manager=OuterRef("pk"), week_of=week_of)
    return list(
        User.objects.filter(role=UserRole.MANAGER, is_active=True)
        .exclude(Exists(sent))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def manager_digests_send(*, now: datetime | None = None) -> DigestResult:
    """Queue this week's digest for every active manager who has not had it yet."""
    now = now or timezone.now()
    week_of = week_start(timezone.localdate(now))
    result = DigestResult()
    manager_ids = managers_due(week_of)
    if not manager_ids:
        return result
    with report_queries():
        context = digest_context(week_of=week_of, now=now)
    for manager_id in manager_ids:
        result.looked_at += 1
        try:
            result.sent += _send_one(manager_id, week_of=week_of, now=now, context=context)
        except Exception:
            result.failed += 1
            logger.exception("Weekly report digest for manager %s failed; the next run tries again", manager_id)
    return result


@transaction.atomic
def _send_one(manager_id: int, *, week_of: date, now: datetime, context: dict) -> int:
    # Wait for a worker (or anything else) holding this manager's row rather than skip it: a skipped manager
    # would miss this week's digest. Once the lock is ours, the digest record says whether it went already.
    manager = User.objects.select_for_update().filter(pk=manager_id, is_active=True).first()
    if manager is None:
        return 0  # they left
    if ManagerDigest.objects.filter(manager=manager, week_of=week_of).exists():
        return 0
    digest = ManagerDigest.objects.create(manager=manager, week_of=week_of, created_at=now)
    outbox_enqueue(
        recipient=manager.email,
        template="report_digest",
        context={**context, "manager": manager},
        dedupe_key=f"report-digest:{digest.pk}",
    )
    return 1
