# ruff: noqa: E501  (long lines of SQL read better unbroken)
"""Time every report over a 90-day window on a large PostgreSQL database (a command, not a test).

`--seed N` first writes N escalations spread over two years, with the clocks, timeline events, handoffs and
remediations the reports read, in a handful of INSERT … SELECT FROM generate_series statements (no Python loop
over rows). Run it on a throwaway database:

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE ed_reports_bench"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ed_reports_bench python manage.py migrate
    DATABASE_URL=… python manage.py reports_bench --seed 1000000
    DATABASE_URL=… python manage.py reports_bench            # time again, without seeding
"""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from escalations.models import Account, Category, Escalation
from escalations.sla.models import BusinessCalendar, SLAPolicy
from remediations.models import Remediation, RootCause
from reports.catalog import REPORTS
from reports.filters import ReportFilters
from users.models import PartnerTeam, User, UserRole

SPAN_DAYS = 730
BENCH_PREFIX = "bench"


class Command(BaseCommand):
    help = "Seed a large data set (PostgreSQL) and time each report and its API endpoint for the last 90 days."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=0, help="Write this many escalations first.")
        parser.add_argument("--repeat", type=int, default=3, help="Runs per report; the best is shown.")
        parser.add_argument("--explain", action="store_true", help="Print the plan of every query of each report.")

    def handle(self, *args, seed, repeat, explain, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The reports benchmark needs PostgreSQL (set DATABASE_URL).")
        if seed:
            started = time.perf_counter()
            self._seed(seed)
            self.stdout.write(f"Seeded {seed:,} escalations in {time.perf_counter() - started:.0f} s")
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        total = Escalation.objects.count()
        today = timezone.localdate()
        filters = ReportFilters(start=today - timedelta(days=89), end=today)
        manager = User.objects.filter(role=UserRole.MANAGER).first() or User.objects.create_user(
            f"{BENCH_PREFIX}-manager@example.com", role=UserRole.MANAGER
        )
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(manager)
        self.stdout.write(f"{total:,} escalations; window {filters.start} – {filters.end}\n")
        self.stdout.write(f"{'report':<26}{'selector (s)':>14}{'API (s)':>10}{'queries':>9}")
        for spec in REPORTS:
            best_selector = best_api = float("inf")
            for _ in range(repeat):
                started = time.perf_counter()
                spec.run(filters, manager)
                best_selector = min(best_selector, time.perf_counter() - started)
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as captured:
                    response = client.get(
                        reverse("reports_api:report", args=[spec.slug]),
                        {"start": filters.start.isoformat(), "end": filters.end.isoformat()},
                    )
                best_api = min(best_api, time.perf_counter() - started)
                if response.status_code != 200:
                    raise CommandError(f"{spec.slug}: HTTP {response.status_code}")
            queries = [query["sql"] for query in captured.captured_queries]
            self.stdout.write(f"{spec.slug:<26}{best_selector:>14.3f}{best_api:>10.3f}{len(queries):>9}")
            if explain:
                for sql in queries:
                    if sql.lstrip().upper().startswith(("SELECT", "WITH")):
                        with connection.cursor() as cursor:
                            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                            self.stdout.write("\n".join(row[0] for row in cursor.fetchall()) + "\n")

    @transaction.atomic
    def _seed(self, count: int) -> None:
        """The reference rows through the ORM, then every bulk table in one INSERT … SELECT each."""
        calendar = BusinessCalendar.objects.get(always_open=True)
        policies = {policy.priority: policy for policy in SLAPolicy.objects.filter(is_current=True, account_tier="")}
        if set(policies) != {"P1", "P2", "P3", "P4"}:
            raise CommandError("The default SLA policies are missing; run migrate first.")
        requester = User.objects.create_user(f"{BENCH_PREFIX}-{time.time_ns()}@example.com")
        specialists = [
            User.objects.create_user(f"{BENCH_PREFIX}-s{i}-{time.time_ns()}@example.com", role=UserRole.SPECIALIST)
            for i in range(20)
        ]
        tag = time.time_ns() % 10**8
        tiers = [tier for tier, _ in Account.Tier.choices]
        bands = [band for band, _ in Account.RevenueBand.choices]
        accounts = Account.objects.bulk_create(
            Account(
                external_id=f"acct_b{tag}x{i}", name=f"Bench account {i}", tier=tiers[i % 4], revenue_band=bands[i % 4]
            )
            for i in range(2000)
        )
        categories = [Category.objects.create(name=f"Bench area {tag}-{i}", slug=f"bench-{tag}-{i}") for i in range(8)]
        teams = [
            PartnerTeam.objects.create(name=f"Bench team {tag}-{i}", slug=f"bench-team-{tag}-{i}") for i in range(5)
        ]
        area = RootCause.objects.create(name=f"Bench area {tag}", slug=f"bench-{tag}")
        drivers = [
            RootCause.objects.create(name=f"Bench driver {i}", slug=f"bench-driver-{tag}-{i}", parent=area)
            for i in range(20)
        ]
        now = timezone.now()
        params = {
            "n": count,
            "now": now,
            "span": f"{SPAN_DAYS} days",
            "account0": accounts[0].pk,
            "accounts": len(accounts),
            "requester": requester.pk,
            "cat0": categories[0].pk,
            "spec0": specialists[0].pk,
            "driver0": drivers[0].pk,
            "ref0": 10_000_000 + Escalation.objects.count() + tag * 10,
        }
        # ids of the rows created above are consecutive (one sequence, one transaction, no concurrent writers
        # assumed on a throwaway database): offsets pick among them.
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO escalations_escalation (reference, title, description, requesting_org, priority, status,
                    customer_need, has_regulatory_exposure, preferred_contact_channel, version, filed_at, updated_at,
                    resolved_at, closed_at, reopen_count, resolution_summary, rejection_reason, account_id,
                    assignee_id, category_id, requester_id, root_cause_id, links, is_sla_breached)
                SELECT 'ESC-' || (%(ref0)s + i), 'Bench case ' || i, 'Generated.', 'Org ' || (i %% 12),
                    'P' || (1 + i %% 4),
                    CASE WHEN i %% 20 = 0 THEN 'new' WHEN i %% 20 = 1 THEN 'in_progress'
                         WHEN i %% 20 = 2 THEN 'rejected' WHEN i %% 20 < 6 THEN 'resolved' ELSE 'closed' END,
                    '', false, 'email', 1, f, f,
                    CASE WHEN i %% 20 >= 3 THEN f + ((i::bigint * 7919) %% 7200) * interval '1 minute' END,
                    CASE WHEN i %% 20 >= 6 THEN f + ((i::bigint * 7919) %% 7200) * interval '1 minute' + interval '7 days' END,
                    (i %% 50 = 0)::int,
                    CASE WHEN i %% 20 >= 3 THEN 'Fixed.' ELSE '' END,
                    CASE WHEN i %% 20 = 2 THEN 'Not ours.' ELSE '' END,
                    %(account0)s + (i * 37) %% %(accounts)s, %(spec0)s + i %% 20, %(cat0)s + i %% 8, %(requester)s,
                    CASE WHEN i %% 20 >= 3 THEN %(driver0)s + (i * 13) %% 20 END,
                    '[]'::jsonb, false
                FROM (SELECT i, %(now)s::timestamptz - (i::float / %(n)s) * interval %(span)s AS f
                      FROM generate_series(1, %(n)s) AS i) AS g
                """,
                params,
            )
            first_id = Escalation.objects.order_by("-pk").values_list("pk", flat=True)[count - 1 : count][0]
            params |= {
                "first_id": first_id,
                "calendar": calendar.pk,
                **{f"policy_{p}": policies[p].pk for p in policies},
                **{f"fr_{p}": policies[p].first_response_minutes for p in policies},
                **{f"res_{p}": policies[p].resolution_minutes for p in policies},
                "team0": teams[0].pk,
            }
            policy = "CASE e.priority WHEN 'P1' THEN %(policy_P1)s WHEN 'P2' THEN %(policy_P2)s WHEN 'P3' THEN %(policy_P3)s ELSE %(policy_P4)s END"
            fr = "CASE e.priority WHEN 'P1' THEN %(fr_P1)s WHEN 'P2' THEN %(fr_P2)s WHEN 'P3' THEN %(fr_P3)s ELSE %(fr_P4)s END"
            res = "CASE e.priority WHEN 'P1' THEN %(res_P1)s WHEN 'P2' THEN %(res_P2)s WHEN 'P3' THEN %(res_P3)s ELSE %(res_P4)s END"
            # First response: answered after (id·31 mod 600) minutes, met when within target.
            cursor.execute(
                f"""
                INSERT INTO escalations_slaclock (kind, target_minutes, started_at, used_minutes_before_pause,
                    running_since, due_at, breached_at, stopped_at, outcome, business_minutes_used, wall_minutes_used,
                    calendar_id, escalation_id, policy_id)
                SELECT 'first_response', {fr}, e.filed_at, 0, NULL, NULL,
                    CASE WHEN m > {fr} THEN e.filed_at + ({fr}) * interval '1 minute' END,
                    e.filed_at + m * interval '1 minute', CASE WHEN m > {fr} THEN 'breached' ELSE 'met' END, m, m,
                    %(calendar)s, e.id, {policy}
                FROM (SELECT e.*, (e.id * 31) %% 600 AS m FROM escalations_escalation e WHERE e.id >= %(first_id)s) e
                """,
                params,
            )
            cursor.execute(
                f"""
                INSERT INTO escalations_slaclock (kind, target_minutes, started_at, used_minutes_before_pause,
                    running_since, due_at, breached_at, stopped_at, outcome, business_minutes_used, wall_minutes_used,
                    calendar_id, escalation_id, policy_id)
                SELECT 'resolution', {res}, e.filed_at, 0, NULL, NULL,
                    CASE WHEN m > {res} THEN e.filed_at + ({res}) * interval '1 minute' END,
                    e.resolved_at, CASE WHEN m > {res} THEN 'breached' ELSE 'met' END, m, m,
                    %(calendar)s, e.id, {policy}
                FROM (SELECT e.*, EXTRACT(EPOCH FROM e.resolved_at - e.filed_at) / 60 AS m
                      FROM escalations_escalation e WHERE e.id >= %(first_id)s AND e.resolved_at IS NOT NULL) e
                """,
                params,
            )
            cursor.execute(
                """
                INSERT INTO escalations_handoff (ask, status, response, due_at, responded_at, answered_at, created_at,
                    escalation_id, partner_team_id)
                SELECT 'Please look.', CASE WHEN e.id %% 7 = 0 THEN 'requested' ELSE 'answered' END, '',
                    e.filed_at + interval '2 hours' + interval '8 hours',
                    CASE WHEN e.id %% 7 <> 0 THEN e.filed_at + interval '2 hours' + ((e.id * 17) %% 900) * interval '1 minute' END,
                    CASE WHEN e.id %% 7 <> 0 THEN e.filed_at + interval '2 hours' + ((e.id * 17) %% 900) * interval '1 minute' END,
                    e.filed_at + interval '2 hours', e.id, %(team0)s + e.id %% 5
                FROM escalations_escalation e WHERE e.id >= %(first_id)s AND e.id %% 3 = 0
                """,
                params,
            )
            cursor.execute(
                """
                INSERT INTO escalations_slaclock (kind, target_minutes, started_at, used_minutes_before_pause,
                    running_since, due_at, breached_at, stopped_at, outcome, business_minutes_used, wall_minutes_used,
                    calendar_id, escalation_id, handoff_id)
                SELECT 'handoff', 480, h.created_at, 0,
                    CASE WHEN h.responded_at IS NULL THEN h.created_at END, CASE WHEN h.responded_at IS NULL THEN h.due_at END,
                    CASE WHEN COALESCE(h.responded_at, %(now)s) > h.due_at THEN h.due_at END,
                    h.responded_at,
                    CASE WHEN h.responded_at IS NULL THEN '' WHEN h.responded_at > h.due_at THEN 'breached' ELSE 'met' END,
                    EXTRACT(EPOCH FROM h.responded_at - h.created_at) / 60, EXTRACT(EPOCH FROM h.responded_at - h.created_at) / 60,
                    %(calendar)s, h.escalation_id, h.id
                FROM escalations_handoff h WHERE h.escalation_id >= %(first_id)s
                """,
                params,
            )
            # The timeline: filed, triaged, in progress, then resolved/closed or rejected, as the services write it.
            for kind, status_to, status_from, moment, condition in (
                ("filed", None, None, "e.filed_at", "true"),
                (
                    "status_changed",
                    "triaged",
                    "new",
                    "e.filed_at + interval '10 minutes'",
                    "e.status <> 'new' AND e.status <> 'rejected'",
                ),
                ("status_changed", "rejected", "new", "e.filed_at + interval '10 minutes'", "e.status = 'rejected'"),
                (
                    "status_changed",
                    "in_progress",
                    "triaged",
                    "e.filed_at + interval '30 minutes'",
                    "e.status NOT IN ('new', 'rejected')",
                ),
                ("status_changed", "resolved", "in_progress", "e.resolved_at", "e.resolved_at IS NOT NULL"),
                ("status_changed", "closed", "resolved", "e.closed_at", "e.closed_at IS NOT NULL"),
            ):
                data = (
                    "'{}'::jsonb"
                    if status_to is None
                    else f"""'{{"from": "{status_from}", "to": "{status_to}"}}'::jsonb"""
                )
                cursor.execute(
                    f"""
                    INSERT INTO escalations_escalationevent (kind, visibility, body, data, created_at, escalation_id)
                    SELECT '{kind}', 'shared', '', {data}, {moment}, e.id
                    FROM escalations_escalation e WHERE e.id >= %(first_id)s AND {condition}
                    """,
                    params,
                )
        for index in range(40):
            remediation = Remediation.objects.create(
                title=f"Bench fix {index}",
                owner_team=teams[index % 5],
                status="shipped",
                shipped_at=now - timedelta(days=2 * index + 1),
                due_date=(now - timedelta(days=2 * index)).date(),
            )
            remediation.root_causes.add(drivers[index % 20])
