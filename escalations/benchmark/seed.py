"""Seed a large, plausible history for the benchmark: accounts, people, teams, cases with timelines, handoffs,
watchers and SLA clocks (stopped ones with their outcomes, running ones with their due times), the partner teams'
response clocks of answered handoffs, and remediations on the root causes (what the reports count).

Everything the seed makes hangs off its own accounts (`acct_bench…`) and people (`…@bench.example`), so a
database is recognised as seeded, and the benchmark refuses a database holding anything else. The shape is
fixed by `size` and the random seed, so two runs at the same size measure the same data.
"""

import random
import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from escalations.benchmark.copy import LoadWindow, copy_rows, reserve_ids
from escalations.lifecycle import Status
from escalations.models import (
    Account,
    Category,
    Escalation,
    EscalationEvent,
    EscalationWatcher,
    Handoff,
)
from escalations.services import reference_allocate
from escalations.sla import engine
from escalations.sla.models import SLAClock
from remediations.models import Remediation, RootCause
from users.models import PartnerMembership, PartnerTeam, User, UserRole

ACCOUNT_PREFIX = "acct_bench"
TIMELINE_ACCOUNT = "acct_benchtimeline"  # holds the one case with a long timeline, so it can be found by index
EMAIL_DOMAIN = "bench.example"
CATEGORY_PREFIX = "bench-"
HISTORY_DAYS = 3 * 365
OPEN_SHARE_OF_RECENT = 0.8  # the newest quarter of the history is 80 % open: 20 % open overall
RECENT_SHARE = 0.25
LONG_TIMELINE_EVENTS = 50
SPECIALISTS = 40
MANAGERS = 4
TEAMS = 12
MEMBERS_PER_TEAM = 3
CATEGORIES = 24
AREAS, DRIVERS_PER_AREA = 6, 5
HANDOFF_TARGET_MINUTES = 8 * 60

PRIORITIES = ("P1", "P2", "P2", "P3", "P3", "P3", "P3", "P3", "P4", "P4")
TIERS = (Account.Tier.STRATEGIC, Account.Tier.ENTERPRISE, Account.Tier.BUSINESS, Account.Tier.BUSINESS,
         Account.Tier.STARTER, Account.Tier.STARTER)  # fmt: skip
OPEN_MIX = (Status.NEW, Status.TRIAGED, Status.IN_PROGRESS, Status.IN_PROGRESS, Status.IN_PROGRESS,
            Status.WAITING_ON_PARTNER, Status.WAITING_ON_USER)  # fmt: skip
FINISHED_MIX = (Status.CLOSED,) * 14 + (Status.RESOLVED,) * 3 + (Status.REJECTED,) * 3

SUBJECTS = ("Invoices", "Refunds", "Webhooks", "Exports", "Logins", "Payouts", "Reports", "Notifications",
            "Subscriptions", "Imports", "Dashboards", "Searches", "Uploads", "Receipts", "Permissions",
            "Integrations", "Transfers", "Statements", "Credits", "Renewals", "Chargebacks", "Disputes",
            "Quotes", "Orders", "Shipments", "Tokens", "Backups", "Calendars", "Reminders", "Licences")  # fmt: skip
PROBLEMS = ("sent twice", "missing", "timing out", "delayed", "failing", "duplicated", "rejected", "stuck",
            "incomplete", "out of order", "blank", "wrong currency", "wrong totals", "not arriving",
            "very slow", "truncated", "garbled", "locked", "expired early", "charged twice", "unreadable",
            "lost", "misrouted", "partially applied", "reverted", "looping", "throttled", "mislabelled",
            "overwritten", "unavailable")  # fmt: skip
CONTEXTS = ("after the plan change", "since the migration", "for EU customers", "on the mobile app",
            "in the admin console", "after the outage", "for new accounts", "during month end",
            "since the last release", "for annual plans", "in the API", "after a password reset",
            "for partner resellers", "in the weekly digest", "since daylight saving", "for large files",
            "in sandbox", "for multi-currency accounts", "with SSO", "after renewal")  # fmt: skip
WORDS = [
    "customer",
    "account",
    "billing",
    "invoice",
    "payment",
    "refund",
    "export",
    "import",
    "report",
    "dashboard",
    "webhook",
    "endpoint",
    "timeout",
    "retry",
    "queue",
    "delay",
    "error",
    "message",
    "screen",
    "button",
    "mobile",
    "browser",
    "release",
    "deploy",
    "rollback",
    "migration",
    "database",
    "region",
    "latency",
    "support",
    "ticket",
    "escalation",
    "partner",
    "contract",
    "renewal",
    "pricing",
    "plan",
    "currency",
    "tax",
    "receipt",
    "statement",
    "ledger",
    "balance",
    "credit",
    "debit",
    "transfer",
    "payout",
    "schedule",
    "cron",
    "job",
    "batch",
    "file",
    "upload",
    "download",
    "attachment",
    "permission",
    "role",
    "admin",
    "user",
    "team",
    "manager",
    "email",
    "notification",
    "reminder",
    "calendar",
    "holiday",
    "weekend",
    "month",
    "quarter",
    "year",
    "audit",
    "compliance",
    "regulator",
    "legal",
    "exposure",
    "revenue",
    "churn",
    "risk",
    "outage",
    "incident",
    "monitoring",
    "alert",
    "threshold",
    "graph",
    "metric",
    "trend",
    "spike",
    "drop",
    "duplicate",
    "missing",
    "wrong",
    "stuck",
    "slow",
    "broken",
    "intermittent",
    "consistent",
    "reproducible",
]


@dataclass
class SeedResult:
    escalations: int = 0
    events: int = 0
    clocks: int = 0
    handoffs: int = 0
    handoff_clocks: int = 0
    remediations: int = 0
    watchers: int = 0
    accounts: int = 0
    users: int = 0
    seconds: float = 0.0
    index_seconds: float = 0.0
    vacuum_seconds: float = 0.0


@dataclass(frozen=True)
class Cast:
    accounts: list[tuple[int, str]]  # (pk, tier)
    timeline_account: int
    requesters: list[int]
    specialists: list[int]
    teams: list[int]
    categories: list[int]
    drivers: list[int]


def seed(*, size: int, random_seed: int = 1, log=print) -> SeedResult:
    """Seed `size` escalations and everything around them in one transaction; a failure leaves nothing behind."""
    result = SeedResult()
    started = time.perf_counter()
    rng = random.Random(random_seed)
    now = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        cast = _cast(size=size, rng=rng, result=result)
        log(f"  cast: {result.accounts:,} accounts, {result.users:,} people, {len(cast.teams)} partner teams")
        policies = _policies()
        models = (Escalation, EscalationEvent, SLAClock, Handoff, EscalationWatcher)
        with LoadWindow(models):
            _cases(size=size, rng=rng, now=now, cast=cast, policies=policies, result=result, log=log)
            index_started = time.perf_counter()
            log("  rebuilding indexes and foreign keys …")
        result.index_seconds = time.perf_counter() - index_started
        _report_rows(now=now, result=result, log=log)
    result.seconds = time.perf_counter() - started
    vacuum_started = time.perf_counter()
    # What autovacuum would do soon after a bulk load: planner statistics and the visibility map (VACUUM cannot run
    # inside a transaction, e.g. in a test; ANALYZE alone can).
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for model in (Account, User, *models, Remediation):
            cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
    result.vacuum_seconds = time.perf_counter() - vacuum_started
    return result


def seed_missing(*, log=print) -> SeedResult:
    """On a database seeded by an earlier version of the seeder (`bench --reuse`), add what the reports count and
    that version did not write: handoff clocks and remediations. Adds nothing to a database that has them."""
    result = SeedResult()
    with transaction.atomic():
        _report_rows(now=seeded_until() + timedelta(minutes=61), result=result, log=log)
    if result.handoff_clocks or result.remediations:
        with connection.cursor() as cursor:
            for model in (SLAClock, Remediation):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return result


def seeded_until():
    """When the newest seeded case was filed (the case with the long timeline is the last one): the end of the
    seeded history, whatever was filed through the benchmark's own requests since."""
    return (
        Escalation.objects.filter(account__external_id=TIMELINE_ACCOUNT)
        .order_by("pk")
        .values_list("filed_at", flat=True)
        .first()
    )


def bench_accounts():
    return Account.objects.filter(external_id__startswith=ACCOUNT_PREFIX)


def bench_user(role: str, number: int = 0) -> User:
    return User.objects.get(email=f"{role}{number}@{EMAIL_DOMAIN}")


def _cast(*, size: int, rng: random.Random, result: SeedResult) -> Cast:
    account_count = max(50, size // 50)
    requester_count = max(20, size // 200)
    account_rows = [
        Account(
            external_id=f"{ACCOUNT_PREFIX}{n:07d}",
            name=f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {n}",
            tier=TIERS[n % len(TIERS)],
            contact_name=f"Contact {n}",
            contact_email=f"contact{n}@customer.{EMAIL_DOMAIN}",
        )
        for n in range(account_count)
    ]
    account_rows.append(Account(external_id=TIMELINE_ACCOUNT, name="Long Timeline Inc", tier=Account.Tier.STRATEGIC))
    accounts = Account.objects.bulk_create(account_rows, batch_size=5000)

    def people(role, count):
        users = [
            User(email=f"{role}{n}@{EMAIL_DOMAIN}", display_name=f"{role.title()} {n}", role=role, password="!")
            for n in range(count)
        ]
        return [user.pk for user in User.objects.bulk_create(users, batch_size=5000)]

    requesters = people(UserRole.REQUESTER, requester_count)
    specialists = people(UserRole.SPECIALIST, SPECIALISTS)
    people(UserRole.MANAGER, MANAGERS)
    partners = people(UserRole.PARTNER, TEAMS * MEMBERS_PER_TEAM)
    teams = PartnerTeam.objects.bulk_create(
        PartnerTeam(name=f"Bench team {n}", slug=f"bench-team-{n}", contact_email=f"team{n}@{EMAIL_DOMAIN}")
        for n in range(TEAMS)
    )
    PartnerMembership.objects.bulk_create(
        PartnerMembership(team=team, user_id=partners[t * MEMBERS_PER_TEAM + m])
        for t, team in enumerate(teams)
        for m in range(MEMBERS_PER_TEAM)
    )
    categories = Category.objects.bulk_create(
        Category(name=f"Bench {subject.lower()}", slug=f"{CATEGORY_PREFIX}{subject.lower()}")
        for subject in SUBJECTS[:CATEGORIES]
    )
    areas = RootCause.objects.bulk_create(
        RootCause(name=f"Bench area {n}", slug=f"bench-area-{n}") for n in range(AREAS)
    )
    drivers = RootCause.objects.bulk_create(
        RootCause(parent=area, name=f"Bench driver {a}.{d}", slug=f"bench-driver-{d}")
        for a, area in enumerate(areas)
        for d in range(DRIVERS_PER_AREA)
    )
    result.accounts = len(accounts)
    result.users = requester_count + SPECIALISTS + MANAGERS + len(partners)
    return Cast(
        accounts=[(account.pk, account.tier) for account in accounts[:-1]],
        timeline_account=accounts[-1].pk,
        requesters=requesters,
        specialists=specialists,
        teams=[team.pk for team in teams],
        categories=[category.pk for category in categories],
        drivers=[driver.pk for driver in drivers],
    )


def _policies() -> dict[tuple[str, str], tuple[int, int, int, int]]:
    """(priority, tier) → (policy pk, calendar pk, first-response minutes, resolution minutes)."""
    policies = {}
    for priority in set(PRIORITIES):
        for tier in set(TIERS):
            policy = engine.policy_for(priority=priority, tier=tier)
            if policy is None:
                raise RuntimeError(f"No current SLA policy for {priority}; run `manage.py migrate` first.")
            policies[priority, tier] = (
                policy.pk,
                policy.calendar_id,
                policy.first_response_minutes,
                policy.resolution_minutes,
            )
    return policies


CASE_COLUMNS = (
    "id", "reference", "title", "description", "account", "requester", "requesting_org", "category", "priority",
    "status", "assignee", "customer_need", "customers_affected", "has_regulatory_exposure",
    "preferred_contact_channel", "links", "version", "next_sla_check_at", "sla_due_at", "is_sla_breached",
    "filed_at", "triaged_at", "first_response_at", "resolved_at", "closed_at", "updated_at", "reopen_count",
    "resolution_summary", "root_cause", "rejection_reason",
)  # fmt: skip
EVENT_COLUMNS = ("id", "escalation", "actor", "kind", "visibility", "body", "data", "created_at")
CLOCK_COLUMNS = (
    "id", "escalation", "kind", "policy", "calendar", "target_minutes", "started_at", "used_minutes_before_pause",
    "running_since", "due_at", "breached_at", "stopped_at", "outcome", "business_minutes_used", "wall_minutes_used",
)  # fmt: skip
HANDOFF_COLUMNS = ("escalation", "partner_team", "requested_by", "ask", "status", "response", "due_at",
                   "acknowledged_at", "responded_at", "answered_at", "created_at")  # fmt: skip
WATCHER_COLUMNS = ("escalation", "user", "created_at")


def _cases(*, size, rng, now, cast: Cast, policies, result: SeedResult, log) -> None:
    references = reference_allocate(count=size)
    first_case = reserve_ids(Escalation, size)
    descriptions = [" ".join(rng.choices(WORDS, k=rng.randint(18, 40))).capitalize() + "." for _ in range(3000)]
    events, clocks, handoffs, watchers = [], [], [], []
    heavy_requester = cast.requesters[0]
    history = timedelta(days=HISTORY_DAYS)
    recent_from = int(size * (1 - RECENT_SHARE))

    def case_rows():
        for n in range(size):
            pk = first_case + n
            filed_at = now - history + history * (n / size) + timedelta(minutes=rng.randint(0, 50))
            filed_at = min(filed_at, now - timedelta(minutes=61))
            is_last = n == size - 1
            is_open = is_last or (n >= recent_from and rng.random() < OPEN_SHARE_OF_RECENT)
            status = (Status.IN_PROGRESS if is_last else rng.choice(OPEN_MIX)) if is_open else rng.choice(FINISHED_MIX)
            account_pk, tier = (cast.timeline_account, Account.Tier.STRATEGIC) if is_last else rng.choice(cast.accounts)
            priority = rng.choice(PRIORITIES)
            policy_pk, calendar_pk, first_response_minutes, resolution_minutes = policies[priority, tier]
            requester = heavy_requester if n % 2500 == 7 else rng.choice(cast.requesters)
            specialist = rng.choice(cast.specialists)
            assignee = None if status in (Status.NEW, Status.REJECTED) else specialist
            triaged_at = filed_at + timedelta(minutes=30) if assignee else None
            responded_at = filed_at + timedelta(minutes=rng.randint(20, 600)) if status != Status.NEW else None
            resolved_at = closed_at = None
            summary = rejection = ""
            root_cause = None
            next_check = due = None
            breached = False
            if status in (Status.RESOLVED, Status.CLOSED):
                resolved_at = min(filed_at + timedelta(hours=rng.randint(2, 24 * 20)), now - timedelta(minutes=10))
                if resolved_at + timedelta(days=7) > now:
                    status = Status.RESOLVED  # too recent to have closed itself
                closed_at = resolved_at + timedelta(days=7) if status == Status.CLOSED else None
                summary = "Fixed the configuration and confirmed with the customer."
                root_cause = rng.choice(cast.drivers)
            elif status == Status.REJECTED:
                rejection = "Works as designed."
            if is_open and status != Status.WAITING_ON_USER:
                due = now + timedelta(minutes=rng.randint(-5 * 1440, 15 * 1440))
                breached = due <= now
                next_check = None if breached else max(due, now + timedelta(days=2))
            finished_at = resolved_at or (filed_at + timedelta(hours=3) if status == Status.REJECTED else None)
            updated_at = closed_at or finished_at or (filed_at + timedelta(hours=3))
            # Children first: the generator is not resumed after the last case.
            _case_children(
                pk=pk, n=n, rng=rng, status=status, is_open=is_open, filed_at=filed_at,
                requester=requester, assignee=assignee, specialist=specialist, responded_at=responded_at,
                finished_at=finished_at, due=due, breached=breached, policy=(policy_pk, calendar_pk),
                targets=(first_response_minutes, resolution_minutes), cast=cast, long_timeline=is_last,
                events=events, clocks=clocks, handoffs=handoffs, watchers=watchers,
            )  # fmt: skip
            yield (
                pk, references[n],
                "Benchmark case with a long timeline" if is_last else
                f"{rng.choice(SUBJECTS)} {rng.choice(PROBLEMS)} {rng.choice(CONTEXTS)}",
                rng.choice(descriptions), account_pk, requester, f"Org {requester % 40}",
                rng.choice(cast.categories), priority, status.value, assignee, "A fix and a credit note.",
                rng.choice((None, 1, 5, 40, 300)), rng.random() < 0.02, "email", [], 1,
                next_check, due, breached, filed_at, triaged_at, responded_at, resolved_at, closed_at, updated_at,
                0, summary, root_cause, rejection,
            )  # fmt: skip

    def flush_children():
        if events:
            start = reserve_ids(EscalationEvent, len(events))
            result.events += copy_rows(
                EscalationEvent, EVENT_COLUMNS, ((start + i, *row) for i, row in enumerate(events))
            )
            events.clear()
        if clocks:
            start = reserve_ids(SLAClock, len(clocks))
            result.clocks += copy_rows(SLAClock, CLOCK_COLUMNS, ((start + i, *row) for i, row in enumerate(clocks)))
            clocks.clear()
        result.handoffs += copy_rows(Handoff, HANDOFF_COLUMNS, handoffs) if handoffs else 0
        result.watchers += copy_rows(EscalationWatcher, WATCHER_COLUMNS, watchers) if watchers else 0
        handoffs.clear()
        watchers.clear()

    chunk = 100_000
    rows = case_rows()
    for start in range(0, size, chunk):
        count = min(chunk, size - start)
        result.escalations += copy_rows(Escalation, CASE_COLUMNS, (next(rows) for _ in range(count)))
        flush_children()
        log(f"  {result.escalations:,} escalations, {result.events:,} events, {result.clocks:,} clocks")


def _case_children(
    *, pk, n, rng, status, is_open, filed_at, requester, assignee, specialist, responded_at, finished_at, due,
    breached, policy, targets, cast, long_timeline, events, clocks, handoffs, watchers,
) -> None:  # fmt: skip
    shared, internal = "shared", "internal"
    events.append((pk, requester, "filed", shared, "", {}, filed_at))
    if assignee:
        events.append((pk, specialist, "assigned", internal, "", {"to": assignee}, filed_at + timedelta(minutes=30)))
    events.append(
        (pk, requester, "comment", shared, "Any news? The customer is asking.", {}, filed_at + timedelta(hours=1))
    )
    events.append(
        (
            pk,
            specialist,
            "note",
            internal,
            "Checked the logs; looks like the known issue.",
            {},
            filed_at + timedelta(hours=2),
        )
    )
    if status != Status.NEW:
        data = {"from": "new", "to": status.value}
        events.append(
            (pk, specialist, "status_changed", shared, "", data, finished_at or filed_at + timedelta(hours=3))
        )
    if long_timeline:
        for k in range(LONG_TIMELINE_EVENTS - 5):
            events.append(
                (
                    pk,
                    rng.choice((requester, specialist)),
                    "comment",
                    shared,
                    f"Update {k + 1}: still looking.",
                    {},
                    filed_at + timedelta(hours=4, minutes=k),
                )
            )
    policy_pk, calendar_pk = policy
    first_response_minutes, resolution_minutes = targets
    # First response: met once someone answered (now and then late); running while the case is new.
    if responded_at is not None:
        late = rng.random() < 0.1
        clocks.append(
            (
                pk,
                "first_response",
                policy_pk,
                calendar_pk,
                first_response_minutes,
                filed_at,
                0,
                None,
                None,
                None,
                responded_at,
                "breached" if late else "met",
                first_response_minutes * (1.3 if late else 0.6),
                (responded_at - filed_at).total_seconds() / 60,
            )
        )
    else:
        clocks.append(
            (
                pk,
                "first_response",
                policy_pk,
                calendar_pk,
                first_response_minutes,
                filed_at,
                0,
                filed_at if due else None,
                due,
                None,
                None,
                "",
                None,
                None,
            )
        )
    if is_open:
        running = due is not None
        clocks.append(
            (
                pk,
                "resolution",
                policy_pk,
                calendar_pk,
                resolution_minutes,
                filed_at,
                0,
                filed_at if running else None,
                due,
                due if breached else None,
                None,
                "",
                None,
                None,
            )
        )
    else:
        outcome = "cancelled" if status == Status.REJECTED else ("breached" if rng.random() < 0.15 else "met")
        used = resolution_minutes * (1.2 if outcome == "breached" else rng.uniform(0.1, 0.9))
        clocks.append(
            (
                pk,
                "resolution",
                policy_pk,
                calendar_pk,
                resolution_minutes,
                filed_at,
                0,
                None,
                None,
                finished_at if outcome == "breached" else None,
                finished_at,
                outcome,
                used,
                (finished_at - filed_at).total_seconds() / 60,
            )
        )
    if n % 10 == 3 or status == Status.WAITING_ON_PARTNER:
        team = rng.choice(cast.teams)
        asked_at = filed_at + timedelta(hours=2)
        if is_open:
            acknowledged = rng.random() < 0.5
            handoffs.append(
                (
                    pk,
                    team,
                    specialist,
                    "Please check the ledger for this account.",
                    "acknowledged" if acknowledged else "requested",
                    "",
                    asked_at + timedelta(hours=8),
                    asked_at + timedelta(hours=1) if acknowledged else None,
                    asked_at + timedelta(hours=1) if acknowledged else None,
                    None,
                    asked_at,
                )
            )
        else:
            answered = asked_at + timedelta(hours=5)
            handoffs.append(
                (
                    pk,
                    team,
                    specialist,
                    "Please check the ledger for this account.",
                    "answered",
                    "Fixed on our side.",
                    asked_at + timedelta(hours=8),
                    None,
                    answered,
                    answered,
                    asked_at,
                )
            )
    if n % 5000 == 11 and requester != cast.requesters[0]:
        watchers.append((pk, cast.requesters[0], filed_at + timedelta(hours=1)))
    elif n % 33 == 5:
        watcher = rng.choice(cast.requesters)
        if watcher != requester:
            watchers.append((pk, watcher, filed_at + timedelta(hours=1)))


def _report_rows(*, now, result: SeedResult, log) -> None:
    """What the reports read beyond the cases and their own clocks, each skipped if already there."""
    if not SLAClock.objects.filter(kind=SLAClock.Kind.HANDOFF).exists():
        result.handoff_clocks = _handoff_clocks()
        log(f"  {result.handoff_clocks:,} handoff clocks")
    if not Remediation.objects.filter(owner_team__slug__startswith="bench-team-").exists():
        result.remediations = _remediations(now=now)
        log(f"  {result.remediations:,} remediations")


def _handoff_clocks() -> int:
    """The partner team's response clock of every handoff that was answered or acknowledged, stopped when it was,
    in the case's calendar: met, or breached past the 8-hour target (about 4 in 10), in one INSERT … SELECT.

    Handoffs still waiting get no clock: a running one would be swept, and the sweep is measured on the cases'
    own clocks only.
    """
    quote = connection.ops.quote_name
    clocks, handoffs = quote(SLAClock._meta.db_table), quote(Handoff._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {clocks} (escalation_id, kind, handoff_id, policy_id, calendar_id, target_minutes, started_at,
                used_minutes_before_pause, running_since, due_at, breached_at, stopped_at, outcome,
                business_minutes_used, wall_minutes_used)
            SELECT h.escalation_id, %(kind)s, h.id, NULL, c.calendar_id, %(target)s, h.created_at, 0, NULL, NULL,
                CASE WHEN used.minutes > %(target)s THEN h.created_at + interval '8 hours' END, h.responded_at,
                CASE WHEN used.minutes > %(target)s THEN 'breached' ELSE 'met' END, used.minutes,
                EXTRACT(EPOCH FROM h.responded_at - h.created_at) / 60
            FROM {handoffs} h
            JOIN {clocks} c ON c.escalation_id = h.escalation_id AND c.kind = 'resolution'
            CROSS JOIN LATERAL (SELECT (60 + (h.id * 37) %% 700)::float AS minutes) used
            WHERE h.responded_at IS NOT NULL
            """,
            {"kind": SLAClock.Kind.HANDOFF.value, "target": HANDOFF_TARGET_MINUTES},
        )
        return cursor.rowcount


def _remediations(*, now) -> int:
    """Two remediations per driver, owned by the partner teams: one shipped (or verified) in the last half year,
    one still open (due in the past for some, so some are overdue)."""
    teams = list(PartnerTeam.objects.filter(slug__startswith="bench-team-").order_by("pk"))
    drivers = list(RootCause.objects.filter(slug__startswith="bench-driver-", parent__isnull=False).order_by("pk"))
    rows, causes = [], []
    for n, driver in enumerate(drivers):
        team = teams[n % len(teams)]
        shipped_at = now - timedelta(days=3 + 6 * n, hours=n % 7)
        rows.append(
            Remediation(
                title=f"Fix {driver.name.lower()}",
                owner_team=team,
                status=Remediation.Status.VERIFIED if n % 3 == 0 else Remediation.Status.SHIPPED,
                due_date=(shipped_at + timedelta(days=(n % 5) - 2)).date(),
                shipped_at=shipped_at,
                verified_at=shipped_at + timedelta(days=2) if n % 3 == 0 else None,
            )
        )
        rows.append(
            Remediation(
                title=f"Prevent {driver.name.lower()}",
                owner_team=team,
                status=Remediation.Status.IN_PROGRESS if n % 2 else Remediation.Status.ACCEPTED,
                due_date=(now + timedelta(days=(n % 9) * 7 - 21)).date(),
            )
        )
        causes += [driver, driver]
    created = Remediation.objects.bulk_create(rows)
    Remediation.root_causes.through.objects.bulk_create(
        Remediation.root_causes.through(remediation_id=remediation.pk, rootcause_id=driver.pk)
        for remediation, driver in zip(created, causes, strict=True)
    )
    return len(created)
