"""The reports: every figure is computed by the database (aggregates, and window functions for percentiles and
time in status) over stored SLA clock outcomes, timeline events, handoffs and remediations, then shaped into
tables. Each report costs a fixed number of queries whatever the number of rows, and each query is bounded by
the date range on an indexed column.

Definitions (also in the README):
- A clock is *judged* in the range when its outcome was decided there: met when it stopped in time, breached
  when it passed its due time (`breached_at`; or, if the sweep never saw it, when it stopped late). Cancelled
  clocks (rejected or duplicate cases) and running clocks still in time are not judged.
- Percentiles are nearest-rank: the p-th percentile of n values is the ⌈p·n/100⌉-th smallest.
"""

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    FloatField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, Lead, RowNumber, TruncDate, TruncWeek
from django.urls import reverse
from django.utils import timezone

from escalations.lifecycle import OPEN_STATUSES, STATUS_LABELS, Status
from escalations.models import Escalation, EscalationEvent, Handoff
from escalations.sla.models import SLAClock
from remediations.lifecycle import DELIVERED_STATUSES
from remediations.lifecycle import OPEN_STATUSES as REMEDIATION_OPEN_STATUSES
from remediations.models import Remediation
from reports.filters import ReportFilters
from reports.models import DEFAULT_TIER_WEIGHTS, TierWeight
from reports.tables import Chart, Column, Report, Table, change_percent, hours, percent
from users.models import PartnerTeam

CLOCK_KINDS = [(kind.value, kind.label) for kind in SLAClock.Kind]
OPEN_VALUES = [status.value for status in OPEN_STATUSES]
AGING_BUCKETS = [
    ("lt_1d", "Under 1 day", timedelta(0), timedelta(days=1)),
    ("1_3d", "1–3 days", timedelta(days=1), timedelta(days=3)),
    ("3_7d", "3–7 days", timedelta(days=3), timedelta(days=7)),
    ("7_30d", "7–30 days", timedelta(days=7), timedelta(days=30)),
    ("gt_30d", "Over 30 days", timedelta(days=30), None),
]
# Where a case ends up for good: time spent there is not time anyone worked on it.
TERMINAL_STATUSES = (Status.CLOSED.value, Status.REJECTED.value, Status.DUPLICATE.value)
TIER_RANK = {"strategic": 4, "enterprise": 3, "business": 2, "starter": 1}
REVENUE_RANK = {"gt_1m": 4, "100k_1m": 3, "10k_100k": 2, "lt_10k": 1}
TOP_DRIVERS = 10
ACCOUNTS_PER_DRIVER = 3
OVERDUE_HANDOFF_LIMIT = 100
SERIES_COLOURS = ["#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#c62828", "#5d4037", "#546e7a"]


def _in(field: str, filters: ReportFilters) -> Q:
    return Q(**{f"{field}__gte": filters.period_start, f"{field}__lt": filters.period_end})


def _weeks(filters: ReportFilters) -> list:
    """The Monday of every week the range touches, as dates."""
    first = filters.start - timedelta(days=filters.start.weekday())
    return [first + timedelta(weeks=n) for n in range((filters.end - first).days // 7 + 1)]


def _week_date(value):
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _case_link(reference: str) -> dict:
    return {"text": reference, "url": reverse("escalations:detail", args=[reference])}


def percentiles(queryset: QuerySet, *, value: str, group: str, percents=(50, 90)) -> dict:
    """{group value: {p: the p-th percentile of `value`}} by nearest rank, computed in the database.

    The group sizes come first (one grouped count); then the rows are ranked within their group (ROW_NUMBER) and
    only the rows at the wanted ranks come back: two queries whatever the number of rows.
    """
    valued = queryset.filter(**{f"{value}__isnull": False})
    sizes = dict(valued.order_by().values_list(group).annotate(n=Count("pk")))
    wanted = {key: {p: -(-size * p // 100) for p in percents} for key, size in sizes.items()}  # ⌈size·p/100⌉
    ranks = sorted({rank for by_percent in wanted.values() for rank in by_percent.values()})
    found: dict = defaultdict(dict)
    if not ranks:
        return found
    ranked = (
        valued.annotate(position=Window(RowNumber(), partition_by=[F(group)], order_by=[F(value).asc(), F("pk").asc()]))
        .filter(position__in=ranks)
        .order_by()
        .values_list(group, "position", value)
    )
    for key, position, number in ranked:
        for p, rank in wanted.get(key, {}).items():
            if rank == position:
                found[key][p] = number
    return found


# --- SLA attainment -----------------------------------------------------------------------------------------


def judged_clocks(filters: ReportFilters) -> QuerySet[SLAClock]:
    """Clocks whose outcome was decided in the range, with `decided_at` and `is_met`."""
    decided_in_range = (
        (Q(outcome=SLAClock.Outcome.MET) & _in("stopped_at", filters))
        | _in("breached_at", filters)
        | (Q(outcome=SLAClock.Outcome.BREACHED, breached_at__isnull=True) & _in("stopped_at", filters))
    )
    return (
        SLAClock.objects.filter(decided_in_range)
        .filter(filters.escalation_q("escalation__"))
        .annotate(decided_at=Coalesce("breached_at", "stopped_at", output_field=DateTimeField()))
    )


def _attainment_counts(queryset, *dimensions):
    return (
        queryset.order_by()
        .values(*dimensions, "kind")
        .annotate(met=Count("pk", filter=Q(outcome=SLAClock.Outcome.MET)), judged=Count("pk"))
    )


def _attainment_table(key, title, dimension_label, rows, *, label_of, order_key=None, chart=None, note=""):
    """Pivot (dimension, kind, met, judged) rows into one row per dimension value with a column per clock kind."""
    by_value: dict = {}
    for row in rows:
        value = label_of(row)
        line = by_value.setdefault(value, {"label": value, "met": 0, "judged": 0})
        line[f"{row['kind']}_met"] = line.get(f"{row['kind']}_met", 0) + row["met"]
        line[f"{row['kind']}_judged"] = line.get(f"{row['kind']}_judged", 0) + row["judged"]
        line["met"] += row["met"]
        line["judged"] += row["judged"]
    for line in by_value.values():
        for kind, _ in CLOCK_KINDS:
            line[kind] = percent(line.get(f"{kind}_met", 0), line.get(f"{kind}_judged", 0))
        line["all"] = percent(line["met"], line["judged"])
    lines = sorted(by_value.values(), key=order_key or (lambda line: str(line["label"])))
    columns = [
        Column("label", dimension_label),
        *(Column(kind, f"{label} %", "percent") for kind, label in CLOCK_KINDS),
        Column("met", "Met", "count"),
        Column("judged", "Judged", "count"),
        Column("all", "All clocks %", "percent"),
    ]
    return Table(
        key, title, columns, lines, chart=chart, note=note, empty="No clock was met or breached in this range."
    )


def sla_attainment(filters: ReportFilters) -> Report:
    """Share of clocks met per clock kind: overall, by week, priority, product area, specialist and partner team."""
    clocks = judged_clocks(filters)
    # One grouped count over the judged clocks by kind × priority × area × owner (a few thousand groups at most,
    # whatever the number of clocks) serves the per-clock, priority, area and specialist tables: one scan of the
    # range instead of four.
    cube = list(
        _attainment_counts(
            clocks,
            "escalation__priority",
            "escalation__category__name",
            "escalation__assignee__display_name",
            "escalation__assignee__email",
        )
    )
    per_kind: dict = {}
    for row in cube:
        counts = per_kind.setdefault(row["kind"], {"met": 0, "judged": 0})
        counts["met"] += row["met"]
        counts["judged"] += row["judged"]
    by_kind_rows = [
        {
            "label": label,
            "met": per_kind[kind]["met"],
            "breached": per_kind[kind]["judged"] - per_kind[kind]["met"],
            "judged": per_kind[kind]["judged"],
            "rate": percent(per_kind[kind]["met"], per_kind[kind]["judged"]),
        }
        for kind, label in CLOCK_KINDS
        if kind in per_kind
    ]
    total_met = sum(row["met"] for row in by_kind_rows)
    total_judged = sum(row["judged"] for row in by_kind_rows)
    by_kind = Table(
        "by_clock",
        "Attainment by clock",
        [
            Column("label", "Clock"),
            Column("met", "Met", "count"),
            Column("breached", "Breached", "count"),
            Column("judged", "Judged", "count"),
            Column("rate", "Met %", "percent"),
        ],
        by_kind_rows,
        empty="No clock was met or breached in this range.",
    )

    week_expr = TruncWeek("decided_at")
    weekly_rows = list(_attainment_counts(clocks.annotate(week=week_expr), "week"))
    weekly = _attainment_table(
        "by_week",
        "By week",
        "Week of",
        [{**row, "week": _week_date(row["week"])} for row in weekly_rows],
        label_of=lambda row: row["week"],
        order_key=lambda line: line["label"],
    )
    weekly_index = {line["label"]: line for line in weekly.rows}
    weekly.rows = [weekly_index.get(week, {"label": week, "met": 0, "judged": 0}) for week in _weeks(filters)]
    weekly.columns[0] = Column("label", "Week of", "date")
    weekly.chart = Chart(
        "line",
        [week.isoformat() for week in _weeks(filters)],
        [
            {"label": label, "data": [line.get(kind) for line in weekly.rows], "color": SERIES_COLOURS[index]}
            for index, (kind, label) in enumerate(CLOCK_KINDS)
        ],
        y_label="% of clocks met",
        y_max=100,
    )

    by_priority = _attainment_table(
        "by_priority",
        "By priority",
        "Priority",
        cube,
        label_of=lambda row: row["escalation__priority"],
    )
    by_category = _attainment_table(
        "by_category",
        "By product area",
        "Product area",
        cube,
        label_of=lambda row: row["escalation__category__name"] or "No product area",
    )
    by_specialist = _attainment_table(
        "by_specialist",
        "By specialist (the case owner)",
        "Specialist",
        cube,
        label_of=lambda row: (
            row["escalation__assignee__display_name"] or row["escalation__assignee__email"] or "Unassigned"
        ),
    )
    by_team = _attainment_table(
        "by_team",
        "Handoff response by partner team",
        "Partner team",
        _attainment_counts(clocks.filter(kind=SLAClock.Kind.HANDOFF), "handoff__partner_team__name"),
        label_of=lambda row: row["handoff__partner_team__name"] or "—",
        note="Only handoff clocks belong to a partner team.",
    )
    by_kind.chart = Chart(
        "bar",
        [row["label"] for row in by_kind_rows],
        [{"label": "% met", "data": [row["rate"] for row in by_kind_rows], "color": SERIES_COLOURS[0]}],
        y_label="% of clocks met",
        y_max=100,
    )
    return Report(
        "sla-attainment",
        "SLA attainment",
        [by_kind, weekly, by_priority, by_category, by_specialist, by_team],
        summary=[
            ("Clocks judged", f"{total_judged:,}"),
            ("Met", f"{percent(total_met, total_judged):.1f} %" if total_judged else "—"),
            ("Breached", f"{total_judged - total_met:,}"),
        ],
    )


def sla_breaches(filters: ReportFilters) -> QuerySet[SLAClock]:
    """The clocks breached in the range, newest first, ready for a list with links."""
    return (
        judged_clocks(filters)
        .exclude(outcome=SLAClock.Outcome.MET)
        .select_related("escalation__account", "escalation__assignee", "handoff__partner_team")
        .order_by("-decided_at", "-pk")
    )


BREACH_COLUMNS = [
    Column("reference", "Case", "link"),
    Column("title", "Title"),
    Column("account", "Account"),
    Column("priority", "Priority"),
    Column("clock", "Clock"),
    Column("owner", "Owner or team"),
    Column("due", "Due", "datetime"),
    Column("breached", "Breached", "datetime"),
    Column("state", "Now"),
]


def breach_row(clock: SLAClock) -> dict:
    escalation = clock.escalation
    owner = clock.handoff.partner_team.name if clock.handoff_id else (str(escalation.assignee or "Unassigned"))
    return {
        "reference": _case_link(escalation.reference),
        "title": escalation.title,
        "account": escalation.account.name,
        "priority": escalation.priority,
        "clock": clock.get_kind_display(),
        "owner": owner,
        "due": clock.due_at,
        "breached": clock.decided_at,
        "state": "Stopped late" if clock.stopped_at else "Still running",
    }


def breach_table(clocks, **options) -> Table:
    """The breach list as a table: one page of it on the page and in the API, its columns for the streamed CSV."""
    return Table("breaches", "Breaches", BREACH_COLUMNS, [breach_row(clock) for clock in clocks], **options)


# --- Volume and backlog -------------------------------------------------------------------------------------


def _weekly_pivot(key, title, rows, *, series_of, weeks, limit=None, note=""):
    """Rows (week, series, n) as one line per week with a column per series (the largest `limit`, rest "Other")."""
    totals: dict = defaultdict(int)
    for row in rows:
        totals[series_of(row)] += row["n"]
    names = sorted(totals, key=lambda name: (-totals[name], name))
    if limit and len(names) > limit:
        kept, names = set(names[:limit]), names[:limit] + ["Other"]
    else:
        kept = set(names)
    lines = {week: {"week": week, "total": 0} for week in weeks}
    for row in rows:
        name = series_of(row)
        line = lines.setdefault(_week_date(row["week"]), {"week": _week_date(row["week"]), "total": 0})
        column = name if name in kept else "Other"
        line[column] = line.get(column, 0) + row["n"]
        line["total"] += row["n"]
    ordered = [lines[week] for week in sorted(lines)]
    for line in ordered:
        for name in names:
            line.setdefault(name, 0)
    columns = [Column("week", "Week of", "date"), *(Column(name, name, "count") for name in names)]
    columns.append(Column("total", "Total", "count"))
    chart = Chart(
        "stacked",
        [line["week"].isoformat() for line in ordered],
        [
            {"label": name, "data": [line[name] for line in ordered], "color": SERIES_COLOURS[i % len(SERIES_COLOURS)]}
            for i, name in enumerate(names)
        ],
        y_label="Escalations filed",
    )
    return Table(key, title, columns, ordered, chart=chart, note=note, empty="No escalation was filed in this range.")


def _time_in_status(filters: ReportFilters, now: datetime) -> list[dict]:
    """Hours each status held the cases filed in the range: the statuses in order from the timeline (filed, then
    each status change), each lasting until the next change, or until now while current.

    The spans come from a window (LEAD over each case's status events); the database sums them in an outer
    query, whose date arithmetic is the one part written per database.
    """
    events = (
        EscalationEvent.objects.filter(
            kind__in=[EscalationEvent.Kind.FILED, EscalationEvent.Kind.STATUS_CHANGED],
            # Every event of a case comes after its filing: the bound lets the (kind, created_at) index drive.
            created_at__gte=filters.period_start,
            escalation__in=Escalation.objects.filter(_in("filed_at", filters))
            .filter(filters.escalation_q())
            .values("pk"),
        )
        .annotate(
            status_name=Coalesce(KeyTextTransform("to", "data"), Value(Status.NEW.value), output_field=CharField()),
            ends_at=Window(
                Lead("created_at"), partition_by=[F("escalation_id")], order_by=[F("created_at").asc(), F("pk").asc()]
            ),
        )
        .order_by()  # the model orders by time; the window orders its own partitions
        .values("escalation_id", "status_name", "created_at", "ends_at")
    )
    inner_sql, params = events.query.sql_with_params()
    if connection.vendor == "postgresql":
        seconds = "EXTRACT(EPOCH FROM (COALESCE(spans.ends_at, %s) - spans.created_at))"
        now_param = now
    else:
        seconds = "(julianday(COALESCE(spans.ends_at, %s)) - julianday(spans.created_at)) * 86400.0"
        now_param = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    sql = (
        f"SELECT spans.status_name, COUNT(DISTINCT spans.escalation_id), SUM({seconds}) "
        f"FROM ({inner_sql}) spans WHERE spans.status_name NOT IN (%s, %s, %s) GROUP BY spans.status_name"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (now_param, *params, *TERMINAL_STATUSES))
        results = cursor.fetchall()
    order = [status.value for status in Status]
    rows = []
    for status_name, cases, total_seconds in sorted(results, key=lambda r: order.index(r[0]) if r[0] in order else 99):
        total_hours = float(total_seconds or 0) / 3600
        rows.append(
            {
                "status": STATUS_LABELS.get(Status(status_name), status_name) if status_name in order else status_name,
                "cases": cases,
                "total_hours": round(total_hours, 1),
                "average_hours": round(total_hours / cases, 1) if cases else None,
            }
        )
    return rows


def backlog_by_age(filters: ReportFilters, *, now: datetime) -> Table:
    """The cases open now (matching the filters, whatever the date range), counted by how long ago they were filed."""
    open_cases = Escalation.objects.filter(status__in=OPEN_VALUES).filter(filters.escalation_q())
    bucket_counts = open_cases.aggregate(
        **{
            key: Count(
                "pk",
                filter=Q(filed_at__lte=now - low) & (Q(filed_at__gt=now - high) if high is not None else Q()),
            )
            for key, _, low, high in AGING_BUCKETS
        }
    )
    backlog_rows = [{"bucket": label, "open": bucket_counts[key]} for key, label, _, _ in AGING_BUCKETS]
    return Table(
        "backlog",
        "Open backlog by age",
        [Column("bucket", "Open for"), Column("open", "Open cases", "count")],
        backlog_rows,
        chart=Chart(
            "bar",
            [row["bucket"] for row in backlog_rows],
            [{"label": "Open cases", "data": [row["open"] for row in backlog_rows], "color": SERIES_COLOURS[2]}],
            y_label="Open cases",
        ),
        note="The cases open now, aged from filing; the date range does not apply, the other filters do.",
    )


def volume_backlog(filters: ReportFilters, *, now: datetime | None = None) -> Report:
    """Escalations filed per week by product area and requesting org, the open backlog by age, time to first
    response and to resolution (business hours, median and 90th percentile), reopen rate and time in status."""
    now = now or timezone.now()
    filed = Escalation.objects.filter(_in("filed_at", filters)).filter(filters.escalation_q())
    weeks = _weeks(filters)
    by_category_rows = list(
        filed.order_by().annotate(week=TruncWeek("filed_at")).values("week", "category__name").annotate(n=Count("pk"))
    )
    by_category = _weekly_pivot(
        "filed_by_category",
        "Filed per week by product area",
        by_category_rows,
        series_of=lambda row: row["category__name"] or "No product area",
        weeks=weeks,
    )
    by_org_rows = list(
        filed.order_by().annotate(week=TruncWeek("filed_at")).values("week", "requesting_org").annotate(n=Count("pk"))
    )
    by_org = _weekly_pivot(
        "filed_by_org",
        "Filed per week by requesting org",
        by_org_rows,
        series_of=lambda row: row["requesting_org"] or "No org given",
        weeks=weeks,
        limit=6,
        note="The six orgs that filed most; the rest are added up as Other.",
    )

    backlog = backlog_by_age(filters, now=now)
    backlog_total = sum(row["open"] for row in backlog.rows)

    timed = SLAClock.objects.filter(
        kind__in=[SLAClock.Kind.FIRST_RESPONSE, SLAClock.Kind.RESOLUTION],
        outcome__in=[SLAClock.Outcome.MET, SLAClock.Outcome.BREACHED],
    ).filter(_in("stopped_at", filters), filters.escalation_q("escalation__"))
    counts = dict(timed.order_by().values_list("kind").annotate(n=Count("pk")))
    marks = percentiles(timed, value="business_minutes_used", group="kind")
    timing_rows = [
        {
            "measure": label,
            "cases": counts.get(kind, 0),
            "median": hours(marks.get(kind, {}).get(50)),
            "p90": hours(marks.get(kind, {}).get(90)),
        }
        for kind, label in (
            (SLAClock.Kind.FIRST_RESPONSE, "Time to first response"),
            (SLAClock.Kind.RESOLUTION, "Time to resolution"),
        )
    ]
    timings = Table(
        "response_times",
        "Time to first response and to resolution (business hours)",
        [
            Column("measure", "Measure"),
            Column("cases", "Clocks stopped", "count"),
            Column("median", "Median (h)", "hours"),
            Column("p90", "90th percentile (h)", "hours"),
        ],
        timing_rows,
        note="Business time of the case's calendar, paused time left out; each resolution after a reopen counts "
        "from the reopen. Percentiles are nearest-rank.",
    )

    moves = EscalationEvent.objects.filter(
        _in("created_at", filters), filters.escalation_q("escalation__"), kind=EscalationEvent.Kind.STATUS_CHANGED
    ).aggregate(
        resolved=Count("pk", filter=Q(data__to=Status.RESOLVED.value)),
        reopened=Count(
            "pk",
            filter=Q(data__to=Status.IN_PROGRESS.value, data__from__in=[Status.RESOLVED.value, Status.CLOSED.value]),
        ),
    )
    reopen = Table(
        "reopen_rate",
        "Reopen rate",
        [
            Column("resolutions", "Resolutions", "count"),
            Column("reopens", "Reopens", "count"),
            Column("rate", "Reopen rate %", "percent"),
        ],
        [
            {
                "resolutions": moves["resolved"],
                "reopens": moves["reopened"],
                "rate": percent(moves["reopened"], moves["resolved"]),
            }
        ],
        note="Reopens in the range ÷ resolutions in the range.",
    )
    status_rows = _time_in_status(filters, now)
    in_status = Table(
        "time_in_status",
        "Time in each status (cases filed in the range)",
        [
            Column("status", "Status"),
            Column("cases", "Cases", "count"),
            Column("total_hours", "Total (h)", "hours"),
            Column("average_hours", "Average per case (h)", "hours"),
        ],
        status_rows,
        chart=Chart(
            "bar",
            [row["status"] for row in status_rows],
            [
                {
                    "label": "Average hours per case",
                    "data": [row["average_hours"] for row in status_rows],
                    "color": SERIES_COLOURS[3],
                }
            ],
            y_label="Hours (wall clock)",
        ),
        note="Wall-clock hours from each status change to the next; a current status counts until now. Closed, "
        "rejected and duplicate are where cases end, so they are left out.",
        empty="No escalation was filed in this range.",
    )
    filed_total = sum(line["total"] for line in by_category.rows)
    return Report(
        "volume-backlog",
        "Volume and backlog",
        [by_category, by_org, backlog, timings, reopen, in_status],
        summary=[
            ("Filed in range", f"{filed_total:,}"),
            ("Open now", f"{backlog_total:,}"),
            ("Reopen rate", f"{reopen.rows[0]['rate']:.1f} %" if reopen.rows[0]["rate"] is not None else "—"),
        ],
    )


# --- Top drivers --------------------------------------------------------------------------------------------


def tier_weights() -> dict[str, float]:
    """Each account tier's weight in "pain": the admin's rows over the defaults (one query)."""
    weights = {tier: float(weight) for tier, weight in DEFAULT_TIER_WEIGHTS.items()}
    weights.update({tier: float(weight) for tier, weight in TierWeight.objects.values_list("tier", "weight")})
    return weights


def top_drivers(filters: ReportFilters) -> Report:
    """Root causes of the escalations filed in the range, ranked by count and by pain (business hours the case
    was open until resolved × its account tier's weight), with the change against the previous period of equal
    length and the largest accounts affected."""
    weights = tier_weights()
    previous = filters.previous()
    current_q = _in("filed_at", filters)
    previous_q = _in("filed_at", previous)
    weight = Case(
        *(When(account__tier=tier, then=Value(value)) for tier, value in weights.items()),
        default=Value(1.0),
        output_field=FloatField(),
    )
    # Business minutes to resolution per case, summed over its resolution clocks (one per reopen): a correlated
    # sum on the (escalation, kind) index, so no join multiplies the cases.
    resolution_minutes = Subquery(
        SLAClock.objects.filter(escalation=OuterRef("pk"), kind=SLAClock.Kind.RESOLUTION)
        .order_by()
        .values("escalation")
        .annotate(total=Sum("business_minutes_used"))
        .values("total"),
        output_field=FloatField(),
    )
    rows = list(
        Escalation.objects.filter(root_cause__isnull=False, filed_at__gte=previous.period_start)
        .filter(filed_at__lt=filters.period_end)
        .filter(filters.escalation_q())
        .annotate(case_pain=Coalesce(resolution_minutes, 0.0) * weight / 60.0)
        .order_by()
        .values("root_cause", "root_cause__name", "root_cause__parent__name")
        .annotate(
            count=Count("pk", filter=current_q),
            previous_count=Count("pk", filter=previous_q),
            pain=Coalesce(Sum("case_pain", filter=current_q, output_field=FloatField()), 0.0),
            previous_pain=Coalesce(Sum("case_pain", filter=previous_q, output_field=FloatField()), 0.0),
        )
    )
    for row in rows:
        row["driver"] = row["root_cause__name"]
        row["area"] = row["root_cause__parent__name"] or ""
        row["count_change"] = change_percent(row["count"], row["previous_count"])
        row["pain"] = round(row["pain"], 1)
        row["previous_pain"] = round(row["previous_pain"], 1)
        row["pain_change"] = change_percent(row["pain"], row["previous_pain"])
        row["url"] = reverse("remediations:root_cause", args=[row["root_cause"]])
    current_rows = [row for row in rows if row["count"]]
    by_count = sorted(current_rows, key=lambda row: (-row["count"], -row["pain"], row["driver"]))[:TOP_DRIVERS]
    by_pain = sorted(current_rows, key=lambda row: (-row["pain"], -row["count"], row["driver"]))[:TOP_DRIVERS]

    shown = {row["root_cause"] for row in by_count + by_pain}
    accounts = _largest_accounts(filters, shown)
    for row in by_count + by_pain:
        row["driver_link"] = {"text": row["driver"], "url": row["url"]}
        row["accounts"] = ", ".join(accounts.get(row["root_cause"], []))
    columns = [
        Column("driver_link", "Driver", "link"),
        Column("area", "Area"),
        Column("count", "Escalations", "count"),
        Column("previous_count", "Previous period", "count"),
        Column("count_change", "Change %", "percent"),
        Column("pain", "Pain", "hours"),
        Column("previous_pain", "Previous pain", "hours"),
        Column("pain_change", "Pain change %", "percent"),
        Column("accounts", "Largest accounts affected"),
    ]
    previous_label = f"{previous.start:%d %b} – {previous.end:%d %b %Y}"
    count_table = Table(
        "by_count",
        "Ranked by number of escalations",
        columns,
        by_count,
        chart=Chart(
            "bar",
            [row["driver"] for row in by_count],
            [
                {"label": "This period", "data": [row["count"] for row in by_count], "color": SERIES_COLOURS[0]},
                {"label": "Previous period", "data": [row["previous_count"] for row in by_count], "color": "#b0bec5"},
            ],
            y_label="Escalations",
        ),
        note=f"Escalations filed in the range with a root cause; previous period {previous_label}.",
        empty="No escalation filed in this range has a root cause yet.",
    )
    weight_text = ", ".join(f"{tier} {value:g}" for tier, value in weights.items())
    pain_table = Table(
        "by_pain",
        "Ranked by pain",
        columns,
        by_pain,
        chart=Chart(
            "bar",
            [row["driver"] for row in by_pain],
            [
                {"label": "This period", "data": [row["pain"] for row in by_pain], "color": SERIES_COLOURS[5]},
                {"label": "Previous period", "data": [row["previous_pain"] for row in by_pain], "color": "#b0bec5"},
            ],
            y_label="Pain (weighted business hours)",
        ),
        note=f"Pain = business hours from filing (or reopening) to resolution × the account tier's weight "
        f"({weight_text}; managers change them in the admin).",
        empty="No escalation filed in this range has a root cause yet.",
    )
    return Report(
        "top-drivers",
        "Top drivers",
        [count_table, pain_table],
        summary=[
            ("Drivers seen", f"{len(current_rows):,}"),
            ("Escalations with a root cause", f"{sum(row['count'] for row in current_rows):,}"),
        ],
    )


def _largest_accounts(filters: ReportFilters, driver_ids: set[int]) -> dict[int, list[str]]:
    """For each driver, its affected accounts in the range, the largest first (tier, then revenue band, then
    number of escalations): the first few per driver, picked by ROW_NUMBER in the database."""
    if not driver_ids:
        return {}
    tier_rank = Case(*(When(account__tier=t, then=Value(r)) for t, r in TIER_RANK.items()), default=Value(0))
    revenue_rank = Case(
        *(When(account__revenue_band=b, then=Value(r)) for b, r in REVENUE_RANK.items()), default=Value(0)
    )
    pairs = (
        Escalation.objects.filter(_in("filed_at", filters), root_cause__in=driver_ids)
        .filter(filters.escalation_q())
        .order_by()
        .values("root_cause", "account", "account__name")
        .annotate(n=Count("pk"), tier_rank=Min(tier_rank), revenue_rank=Min(revenue_rank))
        .annotate(
            position=Window(
                RowNumber(),
                partition_by=[F("root_cause")],
                order_by=[F("tier_rank").desc(), F("revenue_rank").desc(), F("n").desc(), F("account__name").asc()],
            )
        )
        .filter(position__lte=ACCOUNTS_PER_DRIVER)
        .order_by("root_cause", "position")
    )
    found: dict[int, list[str]] = defaultdict(list)
    for pair in pairs:
        found[pair["root_cause"]].append(f"{pair['account__name']} ({pair['n']})")
    return found


# --- Partner accountability ---------------------------------------------------------------------------------


def partner_accountability(
    filters: ReportFilters, *, teams: QuerySet[PartnerTeam], now: datetime | None = None
) -> Report:
    """Per partner team: handoffs asked in the range, how fast they were answered (business hours, median and
    90th percentile), how many were late, how many are overdue now; remediations open, overdue, and shipped in
    the range with the share shipped by their due date."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if filters.team:
        teams = teams.filter(pk=filters.team.pk)
    team_list = list(teams.order_by("name"))
    team_ids = [team.pk for team in team_list]
    escalation_q = filters.escalation_q("escalation__", with_team=False)

    handoffs = dict.fromkeys(team_ids)
    for row in (
        Handoff.objects.filter(partner_team__in=team_ids)
        .filter(_in("created_at", filters), escalation_q)
        .order_by()
        .values("partner_team")
        .annotate(asked=Count("pk"), responded=Count("pk", filter=Q(responded_at__isnull=False)))
    ):
        handoffs[row["partner_team"]] = row
    clocks = SLAClock.objects.filter(kind=SLAClock.Kind.HANDOFF, handoff__partner_team__in=team_ids).filter(
        _in("started_at", filters), escalation_q
    )
    clock_counts = {
        row["handoff__partner_team"]: row
        for row in clocks.order_by()
        .values("handoff__partner_team")
        .annotate(
            met=Count("pk", filter=Q(outcome=SLAClock.Outcome.MET)),
            late=Count("pk", filter=Q(outcome=SLAClock.Outcome.BREACHED) | Q(breached_at__isnull=False)),
        )
    }
    marks = percentiles(
        clocks.filter(outcome__in=[SLAClock.Outcome.MET, SLAClock.Outcome.BREACHED]),
        value="business_minutes_used",
        group="handoff__partner_team",
    )
    overdue_now = Handoff.objects.filter(
        partner_team__in=team_ids, status=Handoff.Status.REQUESTED, responded_at__isnull=True, due_at__lt=now
    ).filter(escalation_q)
    overdue_counts = dict(overdue_now.order_by().values_list("partner_team").annotate(n=Count("pk")))
    open_values = [status.value for status in REMEDIATION_OPEN_STATUSES]
    shipped_q = _in("shipped_at", filters) & Q(status__in=[status.value for status in DELIVERED_STATUSES])
    remediation_counts = {
        row["owner_team"]: row
        for row in Remediation.objects.filter(owner_team__in=team_ids)
        .order_by()
        .values("owner_team")
        .annotate(
            open=Count("pk", filter=Q(status__in=open_values)),
            overdue=Count("pk", filter=Q(status__in=open_values, due_date__lt=today)),
            shipped=Count("pk", filter=shipped_q),
            shipped_with_due=Count("pk", filter=shipped_q & Q(due_date__isnull=False)),
            shipped_on_time=Count("pk", filter=shipped_q & Q(due_date__gte=TruncDate("shipped_at"))),
        )
    }
    rows = []
    for team in team_list:
        asked = handoffs.get(team.pk) or {"asked": 0, "responded": 0}
        judged = clock_counts.get(team.pk) or {"met": 0, "late": 0}
        remediations = remediation_counts.get(team.pk) or {}
        rows.append(
            {
                "team": team.name,
                "asked": asked["asked"],
                "responded": asked["responded"],
                "median": hours(marks.get(team.pk, {}).get(50)),
                "p90": hours(marks.get(team.pk, {}).get(90)),
                "late": judged["late"],
                "on_time": percent(judged["met"], judged["met"] + judged["late"]),
                "overdue_now": overdue_counts.get(team.pk, 0),
                "remediations_open": remediations.get("open", 0),
                "remediations_overdue": remediations.get("overdue", 0),
                "remediations_shipped": remediations.get("shipped", 0),
                "shipped_on_time": percent(
                    remediations.get("shipped_on_time", 0), remediations.get("shipped_with_due", 0)
                ),
            }
        )
    table = Table(
        "teams",
        "Partner teams",
        [
            Column("team", "Team"),
            Column("asked", "Handoffs asked", "count"),
            Column("responded", "Responded", "count"),
            Column("median", "Median response (h)", "hours"),
            Column("p90", "90th pct response (h)", "hours"),
            Column("late", "Late", "count"),
            Column("on_time", "On time %", "percent"),
            Column("overdue_now", "Overdue now", "count"),
            Column("remediations_open", "Remediations open", "count"),
            Column("remediations_overdue", "Remediations overdue", "count"),
            Column("remediations_shipped", "Shipped in range", "count"),
            Column("shipped_on_time", "Shipped on time %", "percent"),
        ],
        rows,
        chart=Chart(
            "bar",
            [row["team"] for row in rows],
            [
                {"label": "Median response (h)", "data": [row["median"] for row in rows], "color": SERIES_COLOURS[0]},
                {"label": "90th percentile (h)", "data": [row["p90"] for row in rows], "color": SERIES_COLOURS[4]},
            ],
            y_label="Business hours to respond",
        ),
        note="Handoffs asked in the range; response time in business hours until acknowledged or answered. "
        "Overdue now: unanswered past their due time. Shipped on time: by the due date, of those that had one.",
        empty="No partner team to show.",
    )
    overdue_rows = [
        {
            "reference": _case_link(handoff.escalation.reference),
            "team": handoff.partner_team.name,
            "ask": handoff.ask[:120],
            "requested": handoff.created_at,
            "due": handoff.due_at,
        }
        for handoff in overdue_now.select_related("escalation", "partner_team").order_by("due_at", "pk")[
            :OVERDUE_HANDOFF_LIMIT
        ]
    ]
    overdue = Table(
        "overdue_handoffs",
        "Overdue handoffs now",
        [
            Column("reference", "Case", "link"),
            Column("team", "Team"),
            Column("ask", "Asked"),
            Column("requested", "Requested", "datetime"),
            Column("due", "Due", "datetime"),
        ],
        overdue_rows,
        note=f"The longest overdue first (at most {OVERDUE_HANDOFF_LIMIT}).",
        empty="No handoff is overdue.",
    )
    return Report(
        "partner-accountability",
        "Partner accountability",
        [table, overdue],
        summary=[
            ("Handoffs asked", f"{sum(row['asked'] for row in rows):,}"),
            ("Overdue now", f"{sum(row['overdue_now'] for row in rows):,}"),
            ("Remediations overdue", f"{sum(row['remediations_overdue'] for row in rows):,}"),
        ],
    )


# --- Remediation impact -------------------------------------------------------------------------------------


def remediation_impact(filters: ReportFilters, *, now: datetime | None = None) -> Report:
    """Remediations shipped in the range with the weekly rate of new escalations on their root causes in the
    `weeks` weeks before shipping and after: the same comparison as the remediation page
    (`remediations.selectors.remediation_effectiveness`), for every remediation in one query."""
    now = now or timezone.now()
    span = timedelta(weeks=filters.weeks)
    shipped_at = OuterRef("shipped_at")

    def filed_on_its_drivers(since, until):
        # A correlated count per remediation: the (root cause, filed at) index answers each in a short range scan.
        return Coalesce(
            Subquery(
                Escalation.objects.filter(
                    root_cause__remediations=OuterRef("pk"),
                    filed_at__gte=ExpressionWrapper(since, output_field=DateTimeField()),
                    filed_at__lt=ExpressionWrapper(until, output_field=DateTimeField()),
                )
                .filter(filters.escalation_q(with_team=False))  # the team is the remediation's owner (below)
                .order_by()
                .values("root_cause__remediations")
                .annotate(n=Count("pk"))
                .values("n")
            ),
            0,
        )

    shipped = (
        Remediation.objects.filter(_in("shipped_at", filters))
        .filter(status__in=[status.value for status in DELIVERED_STATUSES])
        .select_related("owner_team")
        .prefetch_related("root_causes")
        .annotate(
            before=filed_on_its_drivers(shipped_at - span, shipped_at),
            after=filed_on_its_drivers(shipped_at, shipped_at + span),
        )
        .order_by("-shipped_at", "-pk")
    )
    if filters.team:
        shipped = shipped.filter(owner_team=filters.team)
    remediations = list(shipped)
    records_start = Escalation.objects.aggregate(first=Min("filed_at"))["first"] if remediations else None
    rows = []
    for remediation in remediations:
        ready = remediation.shipped_at + span <= now
        before_rate = round(remediation.before / filters.weeks, 2)
        after_rate = round(remediation.after / filters.weeks, 2) if ready else None
        partial = records_start is not None and records_start > remediation.shipped_at - span + timedelta(days=1)
        rows.append(
            {
                "remediation": {
                    "text": remediation.title,
                    "url": reverse("remediations:detail", args=[remediation.pk]),
                },
                "team": remediation.owner_team.name,
                "drivers": ", ".join(sorted(rc.name for rc in remediation.root_causes.all())),
                "shipped": timezone.localdate(remediation.shipped_at),
                "before": remediation.before,
                "after": remediation.after if ready else None,
                "before_rate": before_rate,
                "after_rate": after_rate,
                # Both windows are `weeks` long: the change in the weekly rate is the change in the counts (not in the
                # rounded rates, which would turn 1 → 2 into +108 %).
                "change": change_percent(remediation.after, remediation.before) if ready else None,
                "state": (
                    f"After window ends {timezone.localdate(remediation.shipped_at + span):%d %b %Y}"
                    if not ready
                    else ("Before window starts before the first record" if partial else "Complete")
                ),
            }
        )
    labels = [row["remediation"]["text"] for row in rows]
    table = Table(
        "remediations",
        f"Shipped remediations: {filters.weeks} weeks before and after",
        [
            Column("remediation", "Remediation", "link"),
            Column("team", "Team"),
            Column("drivers", "Root causes"),
            Column("shipped", "Shipped", "date"),
            Column("before", "Escalations before", "count"),
            Column("after", "Escalations after", "count"),
            Column("before_rate", "Per week before", "rate"),
            Column("after_rate", "Per week after", "rate"),
            Column("change", "Change %", "percent"),
            Column("state", "Data"),
        ],
        rows,
        chart=Chart(
            "bar",
            labels,
            [
                {"label": "Per week before", "data": [row["before_rate"] for row in rows], "color": "#b0bec5"},
                {"label": "Per week after", "data": [row["after_rate"] for row in rows], "color": SERIES_COLOURS[1]},
            ],
            y_label="New escalations per week",
        ),
        note="New escalations (by filing date) whose root cause is one of the remediation's, counted from the "
        "moment it shipped. The after rate shows once the after window has passed.",
        empty="No remediation shipped in this range.",
    )
    return Report(
        "remediation-impact",
        "Remediation impact",
        [table],
        summary=[("Shipped in range", f"{len(rows):,}")],
    )


__all__ = [
    "BREACH_COLUMNS",
    "breach_row",
    "breach_table",
    "judged_clocks",
    "partner_accountability",
    "percentiles",
    "remediation_impact",
    "sla_attainment",
    "sla_breaches",
    "tier_weights",
    "top_drivers",
    "volume_backlog",
]
