"""Measure the SLA sweep against a large open backlog: its time should follow the due cases, not the backlog.

Run it against a throwaway database, never a real one (it refuses to start if the database has due cases
of its own, because the sweep would announce them):

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE escdesk_bench"
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/escdesk_bench DEBUG=false
    python manage.py migrate
    python manage.py sla_benchmark --open 200000 --due-percent 1 --due-percent 10

For each `--due-percent` it seeds `--open` open escalations with the first-response and resolution clocks the
engine starts at filing (exactly that share filed long enough ago that a threshold has passed, the rest just
filed), runs one `sla_sweep()`, and reports; then it removes what it seeded (unless `--keep`). The cases take
real `ESC-n` numbers from the reference counter (the check constraint allows no other form); they are found
again through the benchmark's own accounts (`acct_slabench…`).
"""

import io
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from unittest import mock

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from escalations import notifications
from escalations.lifecycle import Status
from escalations.models import Account, Category, Escalation, EscalationEvent, EscalationWatcher, OutboxMessage
from escalations.services import reference_allocate
from escalations.sla import engine, sweep
from escalations.sla.models import SLAAlert, SLAClock, SLAPause, SLAPolicy
from users.models import User, UserRole

ACCOUNT_PREFIX = "acct_slabench"
EMAIL_DOMAIN = "sla-benchmark.example"
CATEGORY_SLUG = "sla-benchmark"
INSERT_CHUNK = 20000

# One in ten cases is P1 (24×7), the rest run on business hours, as in a real queue.
PRIORITY_MIX = ("P1", "P2", "P2", "P3", "P3", "P3", "P3", "P4", "P4", "P3")
TIER_MIX = (Account.Tier.STRATEGIC, Account.Tier.ENTERPRISE, Account.Tier.BUSINESS, Account.Tier.STARTER)
STATUS_MIX = (Status.NEW, Status.TRIAGED, Status.IN_PROGRESS)
# How long ago a due case was filed: a mix of "one threshold just passed" and "the sweep was down for a while".
DUE_FILED_AGO = tuple(
    timedelta(**ago)
    for ago in ({"minutes": 35}, {"minutes": 50}, {"hours": 2}, {"hours": 7}, {"days": 1}, {"days": 3}, {"days": 8})
)
FRESH_FILED_WITHIN_MINUTES = 10


@dataclass(frozen=True)
class ClockPlan:
    """The clocks the engine starts for a case filed at `filed_at` under `policy`, and the case's SLA summary."""

    clocks: tuple[SLAClock, ...]
    next_sla_check_at: datetime
    sla_due_at: datetime


@dataclass
class Run:
    open_cases: int
    due_percent: float
    due_cases: int
    backlog: int = 0
    seed_seconds: float = 0.0
    analyze_seconds: float = 0.0
    clocks: int = 0
    sweep_seconds: float = 0.0
    sweep_cpu_seconds: float = 0.0
    statement_seconds: float = 0.0
    touched: int = 0
    alerts: int = 0
    failed: int = 0
    queries: int = 0
    query_kinds: Counter = field(default_factory=Counter)
    outbox_messages: int = 0
    sends_scheduled: int = 0

    @property
    def ms_per_due_case(self) -> float:
        return self.sweep_seconds * 1000 / self.due_cases if self.due_cases else 0.0

    @property
    def queries_per_due_case(self) -> float:
        return self.queries / self.due_cases if self.due_cases else 0.0


class QueryCounter:
    """Counts every statement sent to the database, by its first word.

    Not `CaptureQueriesContext`: that reads `connection.queries_log`, a deque capped at 9,000 entries, so a
    sweep of thousands of cases would be under-counted (and keeping every SQL string costs memory and time).
    """

    def __init__(self):
        self.kinds: Counter = Counter()
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        self.kinds[sql.lstrip().split(None, 1)[0].upper()] += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started

    @property
    def total(self) -> int:
        return sum(self.kinds.values())


class Command(BaseCommand):
    help = (
        "Seed a large open backlog with SLA clocks, make a share of it due, run one SLA sweep and report its "
        "time and queries. Use a throwaway database (see the module docstring); seeded rows are removed after."
    )

    def add_arguments(self, parser):
        parser.add_argument("--open", type=int, default=20000, help="Open escalations to seed (default 20000).")
        parser.add_argument(
            "--due-percent",
            type=float,
            action="append",
            help="Share of the backlog that is due, in percent; repeat for a comparison (default 1).",
        )
        parser.add_argument("--batch-size", type=int, default=None, help="The sweep's batch size (default setting).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed for which cases are due (default 1).")
        parser.add_argument("--keep", action="store_true", help="Leave the last run's rows in the database.")
        parser.add_argument("--explain", action="store_true", help="Print the plan of the sweep's due-case query.")
        parser.add_argument(
            "--allow-sqlite", action="store_true", help="Run on SQLite too (for small smoke runs; numbers mean little)."
        )

    def handle(self, *args, **options):
        open_cases, percents = options["open"], options["due_percent"] or [1.0]
        if open_cases < 1:
            raise CommandError("--open must be at least 1.")
        if any(not 0 <= percent <= 100 for percent in percents):
            raise CommandError("--due-percent must be between 0 and 100.")
        if connection.vendor == "sqlite" and not options["allow_sqlite"]:
            raise CommandError(
                "This measures the sweep on PostgreSQL: point DATABASE_URL at a throwaway PostgreSQL database "
                "(e.g. postgres://postgres@127.0.0.1:5432/escdesk_bench, then migrate). "
                "For a small smoke run on SQLite pass --allow-sqlite."
            )
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database has unapplied migrations; run `manage.py migrate` first.")
        policies = self._policies()
        leftovers = self._cleanup()
        if leftovers:
            self.stdout.write(f"Removed {leftovers:,} escalations left by an earlier run.")
        foreign_due = Escalation.objects.filter(next_sla_check_at__lte=timezone.now()).count()
        if foreign_due:
            raise CommandError(
                f"This database has {foreign_due:,} due escalations of its own; the sweep would announce them. "
                "Run the benchmark against a throwaway database."
            )
        if settings.DEBUG:
            self.stdout.write(self.style.WARNING("DEBUG is on: Django logs every query, which slows the sweep."))
        self.stdout.write(f"Database: {connection.vendor} {connection.settings_dict['NAME']}")

        runs: list[Run] = []
        rng = random.Random(options["seed"])
        try:
            for number, percent in enumerate(percents, start=1):
                if number > 1:
                    self._cleanup()
                run = Run(open_cases=open_cases, due_percent=percent, due_cases=round(open_cases * percent / 100))
                self.stdout.write(f"\nRun {number}: {open_cases:,} open escalations, {percent:g}% due")
                self._seed(run, policies=policies, rng=rng)
                if options["explain"]:
                    self._explain(options["batch_size"])
                self._sweep(run, batch_size=options["batch_size"])
                self._report(run)
                runs.append(run)
        finally:
            if not options["keep"]:
                started = time.perf_counter()
                self._cleanup(cast_too=True)
                self.stdout.write(f"\nRemoved the seeded rows in {time.perf_counter() - started:.1f} s.")
        self._compare(runs)

    # Seeding

    def _policies(self) -> dict[tuple[str, str], SLAPolicy]:
        policies = {}
        for priority in set(PRIORITY_MIX):
            for tier in TIER_MIX:
                policy = engine.policy_for(priority=priority, tier=tier)
                if policy is None:
                    raise CommandError(f"No current SLA policy for {priority}; run `manage.py migrate` first.")
                policies[priority, tier] = policy
        return policies

    def _cast(self):
        category, _ = Category.objects.get_or_create(slug=CATEGORY_SLUG, defaults={"name": "SLA benchmark"})
        accounts = [
            Account.objects.get_or_create(
                external_id=f"{ACCOUNT_PREFIX}{n:03d}", defaults={"name": f"SLA benchmark {n}", "tier": tier}
            )[0]
            for n, tier in enumerate(TIER_MIX * 5)
        ]

        def person(name, role):
            email = f"{name}@{EMAIL_DOMAIN}"
            return User.objects.get_or_create(email=email, defaults={"display_name": name.title(), "role": role})[0]

        requester = person("requester", UserRole.REQUESTER)
        specialists = [person(f"specialist{n}", UserRole.SPECIALIST) for n in range(3)]
        person("manager", UserRole.MANAGER)  # warnings at 75% and breaches go to managers too
        return category, accounts, requester, specialists

    def _plan(self, policy: SLAPolicy, filed_at: datetime) -> ClockPlan:
        """What `engine.on_filed` would write: the two clocks and the case's summary columns."""
        clocks = []
        for kind in (SLAClock.Kind.FIRST_RESPONSE, SLAClock.Kind.RESOLUTION):
            clock = SLAClock(
                kind=kind,
                policy=policy,
                calendar=policy.calendar,
                target_minutes=policy.target_minutes(kind),
                started_at=filed_at,
                running_since=filed_at,
            )
            clock.due_at = engine.moment_at_fraction(clock, 1.0)
            clocks.append(clock)
        first_threshold = policy.ladder[0] / 100
        return ClockPlan(
            clocks=tuple(clocks),
            next_sla_check_at=min(engine.moment_at_fraction(clock, first_threshold) for clock in clocks),
            sla_due_at=min(clock.due_at for clock in clocks),
        )

    def _seed(self, run: Run, *, policies, rng: random.Random) -> None:
        started = time.perf_counter()
        now = timezone.now().replace(microsecond=0)
        category, accounts, requester, specialists = self._cast()
        plans: dict[tuple[int, datetime], ClockPlan] = {}

        def plan(policy, filed_at):
            key = (policy.pk, filed_at)
            if key not in plans:
                plans[key] = self._plan(policy, filed_at)
            return plans[key]

        # Per policy, the filing moments whose first threshold has passed (on business hours that depends
        # on the day and hour of the run).
        due_filings = {}
        for policy in {policy.pk: policy for policy in policies.values()}.values():
            due_filings[policy.pk] = [
                now - ago for ago in DUE_FILED_AGO if plan(policy, now - ago).next_sla_check_at < now
            ]
            if not due_filings[policy.pk]:
                raise CommandError(f"Found no filing moment that makes {policy} due; extend DUE_FILED_AGO.")

        due_positions = set(rng.sample(range(run.open_cases), run.due_cases))
        with transaction.atomic():
            references = reference_allocate(count=run.open_cases)
            for chunk_start in range(0, run.open_cases, INSERT_CHUNK):
                cases, case_plans = [], []
                for n in range(chunk_start, min(chunk_start + INSERT_CHUNK, run.open_cases)):
                    account = accounts[n % len(accounts)]
                    priority = PRIORITY_MIX[n % len(PRIORITY_MIX)]
                    policy = policies[priority, account.tier]
                    if n in due_positions:
                        choices = due_filings[policy.pk]
                        filed_at = choices[n % len(choices)]
                    else:
                        filed_at = now - timedelta(minutes=n % (FRESH_FILED_WITHIN_MINUTES + 1))
                    case_plan = plan(policy, filed_at)
                    status = STATUS_MIX[n % len(STATUS_MIX)]
                    assignee = None if status == Status.NEW else specialists[n % len(specialists)]
                    cases.append(
                        {
                            "reference": references[n],
                            "title": f"SLA benchmark case {n + 1}",
                            "description": "Seeded by `manage.py sla_benchmark`.",
                            "account_id": account.pk,
                            "requester_id": requester.pk,
                            "category_id": category.pk,
                            "priority": priority,
                            "status": status.value,
                            "assignee_id": assignee.pk if assignee else None,
                            "triaged_at": None if assignee is None else filed_at,
                            "filed_at": filed_at,
                            "updated_at": filed_at,
                            "next_sla_check_at": case_plan.next_sla_check_at,
                            "sla_due_at": case_plan.sla_due_at,
                        }
                    )
                    case_plans.append(case_plan)
                case_ids = _insert(Escalation, cases)
                clocks = [
                    {
                        "escalation_id": case_id,
                        "kind": clock.kind,
                        "policy_id": clock.policy_id,
                        "calendar_id": clock.calendar_id,
                        "target_minutes": clock.target_minutes,
                        "started_at": clock.started_at,
                        "running_since": clock.running_since,
                        "due_at": clock.due_at,
                    }
                    for case_id, case_plan in zip(case_ids, case_plans, strict=True)
                    for clock in case_plan.clocks
                ]
                _insert(SLAClock, clocks)
                run.clocks += len(clocks)
        run.seed_seconds = time.perf_counter() - started
        if connection.vendor == "postgresql":
            # What autovacuum would do soon after a bulk load: give the planner row counts.
            started = time.perf_counter()
            with connection.cursor() as cursor:
                for model in (Escalation, SLAClock):
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
            run.analyze_seconds = time.perf_counter() - started
        due_now = Escalation.objects.filter(next_sla_check_at__lte=timezone.now()).count()
        if due_now != run.due_cases:
            raise CommandError(f"Seeded {due_now:,} due escalations instead of {run.due_cases:,}.")
        self.stdout.write(
            f"  seeded {run.open_cases:,} escalations and {run.clocks:,} clocks in {run.seed_seconds:.1f} s"
            + (f" (then ANALYZE {run.analyze_seconds:.1f} s)" if run.analyze_seconds else "")
        )

    # Measuring

    def _explain(self, batch_size: int | None) -> None:
        """The plans of the sweep's first batch query and of a follow-on batch (keyset continuation)."""
        now, size = timezone.now(), batch_size or settings.SLA_SWEEP_BATCH_SIZE
        batches = [("first batch", sweep.due_cases(now=now)[:size])]
        first = list(batches[0][1])
        if len(first) == size:
            batches.append(("next batch", sweep.due_cases(now=now, after=first[-1])[:size]))
        options = {"analyze": True} if connection.vendor == "postgresql" else {}
        for name, query in batches:
            plan = query.explain(**options)
            self.stdout.write(f"  plan of the due-case query, {name}:")
            for line in plan.splitlines():
                self.stdout.write(f"    {line}")
            if connection.vendor == "postgresql" and "escalation_sla_check_idx" not in plan:
                self.stdout.write(self.style.WARNING("  the due-case query does not use escalation_sla_check_idx"))

    def _sweep(self, run: Run, *, batch_size: int | None) -> None:
        run.backlog = Escalation.objects.filter(next_sla_check_at__isnull=False).count()
        counter = QueryCounter()
        scheduled = []
        engine.calendar_cache_clear()
        # Mail is written to the outbox as in production, but not handed to the broker: the benchmark
        # measures the sweep, and a broker (or a worker) shared with a real site must not see its mail.
        with mock.patch.object(notifications, "_schedule_send", scheduled.append), connection.execute_wrapper(counter):
            started, started_cpu = time.perf_counter(), time.process_time()
            result = sweep.sla_sweep(batch_size=batch_size)
            run.sweep_seconds = time.perf_counter() - started
            run.sweep_cpu_seconds = time.process_time() - started_cpu
        run.statement_seconds = counter.seconds
        run.touched, run.alerts, run.failed = result.cases, result.alerts, result.failed
        run.queries, run.query_kinds = counter.total, counter.kinds
        run.sends_scheduled = len(scheduled)
        run.outbox_messages = OutboxMessage.objects.filter(
            escalation__account__external_id__startswith=ACCOUNT_PREFIX
        ).count()

    def _report(self, run: Run) -> None:
        kinds = ", ".join(f"{kind} {count:,}" for kind, count in run.query_kinds.most_common())
        rows = [
            ("cases in the backlog", f"{run.backlog:,} (with a next SLA check; {run.open_cases:,} seeded)"),
            ("cases due", f"{run.due_cases:,}"),
            (
                "sweep wall time",
                f"{run.sweep_seconds:.2f} s (this process's CPU {run.sweep_cpu_seconds:.2f} s, "
                f"waiting on statements {run.statement_seconds:.2f} s)",
            ),
            ("cases touched", f"{run.touched:,}"),
            ("alerts fired", f"{run.alerts:,}"),
            ("failed cases", f"{run.failed:,}"),
            ("outbox messages", f"{run.outbox_messages:,} ({run.sends_scheduled:,} sends scheduled, not published)"),
            ("queries issued", f"{run.queries:,} ({run.queries_per_due_case:.1f} per due case: {kinds})"),
            ("time per due case", f"{run.ms_per_due_case:.2f} ms"),
        ]
        for label, value in rows:
            self.stdout.write(f"  {label:<22}{value}")
        if run.touched != run.due_cases:
            self.stdout.write(
                self.style.WARNING(f"  the sweep touched {run.touched:,} cases, not the {run.due_cases:,} due")
            )

    def _compare(self, runs: list[Run]) -> None:
        header = ("backlog", "due %", "due", "touched", "alerts", "queries", "q/case", "sweep s", "ms/case", "seed s")
        lines = [
            (
                f"{run.backlog:,}",
                f"{run.due_percent:g}",
                f"{run.due_cases:,}",
                f"{run.touched:,}",
                f"{run.alerts:,}",
                f"{run.queries:,}",
                f"{run.queries_per_due_case:.1f}",
                f"{run.sweep_seconds:.2f}",
                f"{run.ms_per_due_case:.2f}",
                f"{run.seed_seconds:.1f}",
            )
            for run in runs
        ]
        widths = [max(len(row[i]) for row in (header, *lines)) for i in range(len(header))]
        self.stdout.write("\nSLA sweep benchmark")
        for row in (header, *lines):
            self.stdout.write("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))

    # Cleaning up

    def _cleanup(self, *, cast_too: bool = False) -> int:
        """Delete every row the benchmark made (found through its accounts), children first, in plain SQL.

        The ORM's cascade would load hundreds of thousands of clocks into memory to delete them. With
        `cast_too`, the benchmark's accounts, people and category go as well. Returns the escalations deleted.
        """
        quote = connection.ops.quote_name

        def table(model):
            return quote(model._meta.db_table)

        cases = (
            f"SELECT id FROM {table(Escalation)} WHERE account_id IN "
            f"(SELECT id FROM {table(Account)} WHERE external_id LIKE %s)"
        )
        clocks = f"SELECT id FROM {table(SLAClock)} WHERE escalation_id IN ({cases})"
        statements = [
            f"DELETE FROM {table(SLAAlert)} WHERE clock_id IN ({clocks})",
            f"DELETE FROM {table(SLAPause)} WHERE clock_id IN ({clocks})",
            f"DELETE FROM {table(SLAClock)} WHERE escalation_id IN ({cases})",
            f"DELETE FROM {table(EscalationEvent)} WHERE escalation_id IN ({cases})",
            f"DELETE FROM {table(OutboxMessage)} WHERE escalation_id IN ({cases})",
            f"DELETE FROM {table(EscalationWatcher)} WHERE escalation_id IN ({cases})",
            f"DELETE FROM {table(Escalation)} WHERE account_id IN "
            f"(SELECT id FROM {table(Account)} WHERE external_id LIKE %s)",
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement, [f"{ACCOUNT_PREFIX}%"])
            deleted_cases = cursor.rowcount
            if cast_too:
                Account.objects.filter(external_id__startswith=ACCOUNT_PREFIX).delete()
                User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").delete()
                Category.objects.filter(slug=CATEGORY_SLUG).delete()
        return max(deleted_cases, 0)


def _insert(model, rows: list[dict]) -> list[int]:
    """Insert `rows` (attribute name → value) and return their primary keys, in order.

    PostgreSQL: COPY, with the keys drawn from the table's sequence first (several times faster than
    INSERT for hundreds of thousands of rows). Elsewhere: `bulk_create`.
    """
    if connection.vendor != "postgresql":
        return [obj.pk for obj in model.objects.bulk_create([model(**row) for row in rows], batch_size=1000)]
    quote = connection.ops.quote_name
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, model._meta.pk.column, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        fields = model._meta.concrete_fields
        given = {model._meta.pk.attname, *rows[0]}
        defaults = {field.attname: field.get_default() for field in fields if field.attname not in given}
        lines = io.StringIO()
        for pk, row in zip(ids, rows, strict=True):
            values = {**defaults, **row, model._meta.pk.attname: pk}
            lines.write("\t".join(_copy_text(values[field.attname]) for field in fields))
            lines.write("\n")
        lines.seek(0)
        columns = ", ".join(quote(field.column) for field in fields)
        cursor.copy_expert(f"COPY {quote(table)} ({columns}) FROM STDIN", lines)
    return ids


def _copy_text(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, date | datetime):
        text = value.isoformat()
    elif isinstance(value, list | dict):
        text = json.dumps(value)
    else:
        text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
