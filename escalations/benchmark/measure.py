"""Time each probe through Django's test client (in process: server time, no network) and the SLA sweep."""

import json
import math
import random
import statistics
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from unittest import mock

from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone
from psycopg2.extras import execute_values

from escalations import notifications
from escalations.benchmark import seed as seeding
from escalations.benchmark.probes import PROBES, Probe
from escalations.lifecycle import OPEN_STATUSES, Status
from escalations.models import Category, Escalation, EscalationEvent, OutboxMessage
from escalations.sla import engine, sweep
from escalations.sla.models import SLAAlert, SLAClock, SLAPolicy

# How long ago a due case's clocks started: from "the first warning just passed" to "the sweep was down a week".
DUE_STARTED_AGO = tuple(
    timedelta(**ago)
    for ago in ({"minutes": 35}, {"minutes": 50}, {"hours": 2}, {"hours": 7}, {"days": 1}, {"days": 3}, {"days": 8})
)
SWEEPABLE_STATUSES = (Status.NEW.value, Status.TRIAGED.value, Status.IN_PROGRESS.value)


class QueryCounter:
    """Counts every statement sent to the database (CaptureQueriesContext keeps at most 9,000 and costs memory)."""

    def __init__(self):
        self.kinds: Counter = Counter()

    def __call__(self, execute, sql, params, many, context):
        self.kinds[sql.lstrip().split(None, 1)[0].upper()] += 1
        return execute(sql, params, many, context)

    @property
    def total(self) -> int:
        return sum(self.kinds.values())


class SlowestQuery:
    """Remembers the slowest statement of a request, to explain it."""

    def __init__(self):
        self.sql, self.params, self.ms = "", None, -1.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            explainable = sql.lstrip()[:6].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE"}
            if elapsed > self.ms and not many and explainable:
                self.sql, self.params, self.ms = sql, params, elapsed

    def explain(self) -> str:
        """EXPLAIN ANALYZE of the statement (a write is explained inside a transaction that is rolled back).

        A write that cannot run twice (an insert under a unique key the request already used, e.g. a mail's
        dedupe key) gets its plan without ANALYZE."""
        if not self.sql:
            return ""
        try:
            return self._explain("EXPLAIN (ANALYZE, BUFFERS)")
        except IntegrityError:
            return "(not run again: the statement's unique key is taken)\n" + self._explain("EXPLAIN")

    def _explain(self, explain: str) -> str:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"{explain} {self.sql}", self.params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            transaction.set_rollback(True)
        return plan


@dataclass
class ProbeResult:
    name: str
    method: str
    path: str
    requests: int
    median_ms: float
    p95_ms: float
    max_ms: float
    queries: int
    queries_max: int
    target_ms: float | None
    # This process's CPU time per request (Python: views, templates, the ORM), median: on a busy machine the wall
    # time also holds the time spent waiting for a core.
    python_cpu_median_ms: float = 0.0
    slowest_query_ms: float = 0.0
    slowest_query: str = ""
    slowest_query_plan: str = ""

    @property
    def met(self) -> bool | None:
        return None if self.target_ms is None else self.p95_ms <= self.target_ms


@dataclass
class SweepResult:
    open_cases: int
    due_cases: int
    runs: list[float] = field(default_factory=list)
    touched: int = 0
    alerts: int = 0
    failed: int = 0
    statements: int = 0
    statement_kinds: dict = field(default_factory=dict)
    outbox_messages: int = 0
    target_seconds: float = 2.0

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.runs) if self.runs else 0.0

    @property
    def max_seconds(self) -> float:
        return max(self.runs, default=0.0)

    @property
    def target_for_due(self) -> float:
        """2 s for up to 2,000 due cases, and proportionally more beyond (the sweep's time follows the due cases)."""
        return self.target_seconds * max(1.0, self.due_cases / 2000)

    @property
    def met(self) -> bool:
        return self.max_seconds <= self.target_for_due


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def fixtures() -> dict:
    """The seeded rows the probes' paths and bodies name."""
    account = seeding.bench_accounts().exclude(external_id=seeding.TIMELINE_ACCOUNT).order_by("pk").first()
    category = Category.objects.filter(slug__startswith=seeding.CATEGORY_PREFIX).order_by("pk").first()
    timeline_case = Escalation.objects.filter(account__external_id=seeding.TIMELINE_ACCOUNT).order_by("pk").first()
    requester = seeding.bench_user("requester")
    requester_case = Escalation.objects.filter(requester=requester).order_by("-filed_at").first()
    report_end = timezone.localdate(seeding.seeded_until())
    return {
        "account": account.external_id,
        "category": category.slug,
        "category_id": category.pk,
        "timeline_case": timeline_case.reference,
        "requester_case": requester_case.reference if requester_case else timeline_case.reference,
        "report_start": (report_end - timedelta(days=89)).isoformat(),
        "report_end": report_end.isoformat(),
    }


def measure_probe(probe: Probe, *, fixtures: dict, requests: int, warmup: int, explain: bool = True) -> ProbeResult:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(seeding.bench_user(probe.user))
    path = probe.path.format(**fixtures)
    timings, cpu_timings, queries = [], [], []
    # Mail goes to the outbox as in production but is not handed to the broker: the benchmark must not send it.
    with mock.patch.object(notifications, "_schedule_send", lambda message_id: None):
        for n in range(warmup + requests):
            counter = QueryCounter()
            kwargs = {}
            if probe.form:
                kwargs["data"] = probe.form(fixtures, n)
            elif probe.json:
                kwargs = {"data": probe.json(fixtures, n), "content_type": "application/json"}
            with connection.execute_wrapper(counter):
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.generic(probe.method, path, **_encoded(kwargs))
                elapsed = (time.perf_counter() - started) * 1000
                cpu = (time.process_time() - started_cpu) * 1000
            if response.status_code not in probe.expect_status:
                raise RuntimeError(
                    f"{probe.name}: {probe.method} {path} answered {response.status_code}, "
                    f"expected {'/'.join(map(str, probe.expect_status))}: {response.content[:500]!r}"
                )
            if n >= warmup:
                timings.append(elapsed)
                cpu_timings.append(cpu)
                queries.append(counter.total)
        slowest = SlowestQuery()
        kwargs = {}
        if probe.form:
            kwargs["data"] = probe.form(fixtures, warmup + requests)
        elif probe.json:
            kwargs = {"data": probe.json(fixtures, warmup + requests), "content_type": "application/json"}
        with connection.execute_wrapper(slowest):
            client.generic(probe.method, path, **_encoded(kwargs))
        plan = slowest.explain() if explain else ""
    return ProbeResult(
        name=probe.name,
        method=probe.method,
        path=path,
        requests=requests,
        median_ms=round(statistics.median(timings), 1),
        p95_ms=round(percentile(timings, 0.95), 1),
        max_ms=round(max(timings), 1),
        queries=min(queries),
        queries_max=max(queries),
        target_ms=probe.target_ms,
        python_cpu_median_ms=round(statistics.median(cpu_timings), 1),
        slowest_query_ms=round(slowest.ms, 1),
        slowest_query=_interpolated(slowest.sql, slowest.params),
        slowest_query_plan=plan,
    )


def _interpolated(sql: str, params) -> str:
    """The statement with its parameters filled in, as PostgreSQL received it (for reading, not for running)."""
    if not sql:
        return ""
    with connection.cursor() as cursor:
        return cursor.cursor.mogrify(sql, params).decode()


def _encoded(kwargs: dict) -> dict:
    """`Client.generic` takes a body: a form is encoded as multipart (as a browser posts the filing form)."""
    if "data" not in kwargs:
        return {}
    if "content_type" in kwargs:
        return {"data": json.dumps(kwargs["data"]), "content_type": kwargs["content_type"]}
    return {"data": encode_multipart(BOUNDARY, kwargs["data"]), "content_type": MULTIPART_CONTENT}


def measure_probes(*, requests: int, warmup: int, only: list[str] | None = None, log=print) -> list[ProbeResult]:
    found = fixtures()
    results = []
    for probe in PROBES:
        if only and probe.name not in only:
            continue
        result = measure_probe(probe, fixtures=found, requests=requests, warmup=warmup)
        log(
            f"  {result.name}: p95 {result.p95_ms:.1f} ms, {result.queries} queries; "
            f"slowest query {result.slowest_query_ms:.1f} ms"
        )
        results.append(result)
    return results


# The SLA sweep ------------------------------------------------------------------------------------------------------


def measure_sweep(*, due_percent: float, runs: int, log=print) -> SweepResult:
    """Make `due_percent` of the open cases due, run one sweep, and again `runs` times; report each sweep's time."""
    open_ids = list(
        Escalation.objects.filter(status__in=SWEEPABLE_STATUSES)
        .exclude(account__external_id=seeding.TIMELINE_ACCOUNT)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    open_total = Escalation.objects.filter(status__in=[s.value for s in OPEN_STATUSES]).count()
    due_count = min(len(open_ids), round(open_total * due_percent / 100))
    result = SweepResult(open_cases=open_total, due_cases=due_count)
    if due_count == 0:
        return result
    step = len(open_ids) / due_count
    due_ids = [open_ids[int(i * step)] for i in range(due_count)]
    for run in range(runs):
        now = _make_due(due_ids)
        counter = QueryCounter()
        engine.calendar_cache_clear()
        unsent = mock.patch.object(notifications, "_schedule_send", lambda message_id: None)
        with unsent, connection.execute_wrapper(counter):
            started = time.perf_counter()
            outcome = sweep.sla_sweep(now=now)
            elapsed = time.perf_counter() - started
        if outcome.cases != due_count:
            raise RuntimeError(f"The sweep touched {outcome.cases:,} cases, not the {due_count:,} made due.")
        result.runs.append(round(elapsed, 3))
        result.touched, result.alerts, result.failed = outcome.cases, outcome.alerts, outcome.failed
        result.statements, result.statement_kinds = counter.total, dict(counter.kinds.most_common())
        result.outbox_messages = OutboxMessage.objects.filter(escalation_id__in=due_ids).count()
        log(
            f"  SLA sweep run {run + 1}: {due_count:,} due of {open_total:,} open, {elapsed:.2f} s, "
            f"{outcome.alerts:,} alerts, {counter.total:,} statements"
        )
    return result


def _make_due(due_ids: list[int]) -> datetime:
    """Restart the two clocks of each case in `due_ids` so that an alert threshold has passed; nothing else is due.

    Undoes what an earlier sweep did to them (alerts, their events and mail), so every run sweeps the same work.
    """
    now = timezone.now().replace(microsecond=0)
    policies = {policy.pk: policy for policy in SLAPolicy.objects.select_related("calendar")}
    rng = random.Random(len(due_ids))
    plans: dict[tuple[int, timedelta], tuple] = {}

    def plan(policy: SLAPolicy, ago: timedelta):
        if (policy.pk, ago) not in plans:
            started = now - ago
            dues, checks = [], []
            for kind in (SLAClock.Kind.FIRST_RESPONSE, SLAClock.Kind.RESOLUTION):
                clock = SLAClock(
                    kind=kind,
                    policy=policy,
                    calendar=policy.calendar,
                    target_minutes=policy.target_minutes(kind),
                    started_at=started,
                    running_since=started,
                )
                dues.append(engine.moment_at_fraction(clock, 1.0))
                checks.append(engine.moment_at_fraction(clock, policy.ladder[0] / 100))
            plans[policy.pk, ago] = (started, dues[0], dues[1], min(checks), min(dues))
        return plans[policy.pk, ago]

    clock_policy = dict(
        SLAClock.objects.filter(escalation_id__in=due_ids, kind=SLAClock.Kind.RESOLUTION).values_list(
            "escalation_id", "policy_id"
        )
    )
    rows = []
    for case_id in due_ids:
        policy = policies[clock_policy[case_id]]
        choices = [ago for ago in DUE_STARTED_AGO if plan(policy, ago)[3] < now]
        started, first_due, resolution_due, next_check, case_due = plan(policy, rng.choice(choices))
        rows.append((case_id, started, first_due, resolution_due, next_check, case_due))
    quote = connection.ops.quote_name
    cases, clocks = quote(Escalation._meta.db_table), quote(SLAClock._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        SLAAlert.objects.filter(clock__escalation_id__in=due_ids).delete()
        EscalationEvent.objects.filter(escalation_id__in=due_ids, kind=EscalationEvent.Kind.SLA).delete()
        OutboxMessage.objects.filter(escalation_id__in=due_ids).delete()
        execute_values(
            cursor.cursor,
            f"""
            UPDATE {clocks} AS c SET started_at = v.started, running_since = v.started,
                due_at = CASE WHEN c.kind = 'first_response' THEN v.first_due ELSE v.resolution_due END,
                used_minutes_before_pause = 0, breached_at = NULL, stopped_at = NULL, outcome = '',
                business_minutes_used = NULL, wall_minutes_used = NULL
            FROM (VALUES %s) AS v (case_id, started, first_due, resolution_due)
            WHERE c.escalation_id = v.case_id AND c.kind IN ('first_response', 'resolution')
            """,
            [row[:4] for row in rows],
            template="(%s, %s::timestamptz, %s::timestamptz, %s::timestamptz)",
        )
        execute_values(
            cursor.cursor,
            f"""
            UPDATE {cases} AS e SET next_sla_check_at = v.next_check, sla_due_at = v.due, is_sla_breached = false
            FROM (VALUES %s) AS v (case_id, next_check, due) WHERE e.id = v.case_id
            """,
            [(row[0], row[4], row[5]) for row in rows],
            template="(%s, %s::timestamptz, %s::timestamptz)",
        )
        # Nothing else may be due, whenever the seed ran: push the rest of the backlog's checks out of the way.
        cursor.execute(
            f"UPDATE {cases} SET next_sla_check_at = %s WHERE next_sla_check_at <= %s AND NOT (id = ANY(%s))",
            [now + timedelta(days=30), now + timedelta(hours=1), due_ids],
        )
    return now


def as_json(value):
    return asdict(value) | ({"met": value.met} if hasattr(value, "met") else {})
