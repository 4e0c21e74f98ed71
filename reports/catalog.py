"""The reports there are: for each, its address, title, what it answers, who may open it and how it is built.

The pages, CSV downloads, the API and the index all read this one list.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from reports import access, selectors
from reports.filters import ReportFilters
from reports.tables import Report


@dataclass(frozen=True)
class ReportSpec:
    slug: str
    title: str
    question: str
    allowed: Callable[[object], bool]
    build: Callable[[ReportFilters, object], Report]
    denied_message: str = "Reports are for specialists and managers."
    uses_weeks: bool = False

    def run(self, filters: ReportFilters, user) -> Report:
        with report_queries():
            return self.build(filters, user)


@contextmanager
def report_queries() -> Iterator[None]:
    """Run report queries in the site's time zone (UTC days and weeks), whoever reads them, so everyone gets the same
    figures; and without PostgreSQL's JIT compiler: their cost estimates are large enough to trigger it, and at a
    million cases it spent up to 2.8 s compiling a query that then ran in 0.2 s. Read-only, so the transaction that
    scopes the setting (`SET LOCAL`) changes nothing else."""
    with timezone.override(timezone.get_default_timezone()):
        if connection.vendor != "postgresql":
            yield
            return
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
            yield


REPORTS = [
    ReportSpec(
        "sla-attainment",
        "SLA attainment",
        "Are we keeping our promises? Share of clocks met per clock, by week, priority, area, specialist and team; "
        "every breach with a link.",
        access.sees_manager_reports,
        lambda filters, user: selectors.sla_attainment(filters),
    ),
    ReportSpec(
        "volume-backlog",
        "Volume and backlog",
        "How much comes in and how much waits: filed per week, the open backlog by age, time to first response and "
        "to resolution, reopen rate, time in each status.",
        access.sees_manager_reports,
        lambda filters, user: selectors.volume_backlog(filters),
    ),
    ReportSpec(
        "top-drivers",
        "Top drivers",
        "What keeps breaking: root causes by count and by pain, against the previous period, with the largest "
        "accounts affected.",
        access.sees_manager_reports,
        lambda filters, user: selectors.top_drivers(filters),
    ),
    ReportSpec(
        "partner-accountability",
        "Partner accountability",
        "Who owes us what: handoff response times and overdue handoffs per team; remediations open, overdue and "
        "shipped on time.",
        access.sees_partner_accountability,
        lambda filters, user: selectors.partner_accountability(filters, teams=access.accountable_teams(user)),
        denied_message="Partner accountability is for case workers and partner team members.",
    ),
    ReportSpec(
        "remediation-impact",
        "Remediation impact",
        "Did the fixes work? Shipped remediations with the rate of escalations on their root causes before and after.",
        access.sees_manager_reports,
        lambda filters, user: selectors.remediation_impact(filters),
        uses_weeks=True,
    ),
]
REPORTS_BY_SLUG = {spec.slug: spec for spec in REPORTS}


def reports_for(user) -> list[ReportSpec]:
    return [spec for spec in REPORTS if spec.allowed(user)]
