"""`manage.py bench`: seed a large history into a throwaway PostgreSQL database and time the pages that must stay fast.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE escdesk_bench"
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/escdesk_bench
    python manage.py migrate && python manage.py bench            # 1,000,000 escalations
    python manage.py bench --reuse                                 # measure again without reseeding

See the README's "Benchmark" section for what is measured and the targets.
"""

import json
import os
import time
from dataclasses import asdict
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from escalations.benchmark import measure
from escalations.benchmark import seed as seeding
from escalations.lifecycle import OPEN_STATUSES
from escalations.models import Escalation


class Command(BaseCommand):
    help = (
        "Seed N escalations into a throwaway PostgreSQL database, then measure the pages, the intake and the SLA sweep."
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", type=int, default=1_000_000, help="Escalations to seed (default 1,000,000).")
        parser.add_argument(
            "--reuse", action="store_true", help="Measure the data an earlier run seeded; seed nothing."
        )
        parser.add_argument("--seed-only", action="store_true", help="Seed, then stop without measuring.")
        parser.add_argument("--requests", type=int, default=50, help="Timed requests per page (default 50).")
        parser.add_argument("--warmup", type=int, default=5, help="Untimed requests per page first (default 5).")
        parser.add_argument("--sweeps", type=int, default=3, help="Timed SLA sweeps (default 3).")
        parser.add_argument("--due-percent", type=float, default=1.0, help="Share of open cases due (default 1).")
        parser.add_argument("--only", action="append", help="Measure only the probes with this name (repeatable).")
        parser.add_argument(
            "--plans", help="Also write each probe's slowest query with its EXPLAIN ANALYZE into this folder."
        )
        parser.add_argument(
            "--json", dest="json_path", help="Where to write the results (default var/bench/<time>.json)."
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "The benchmark measures PostgreSQL; DATABASE_URL points at SQLite. Create a throwaway database "
                "(psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE escdesk_bench'), set "
                "DATABASE_URL=postgres://postgres@127.0.0.1:5432/escdesk_bench, run `manage.py migrate`, then retry."
            )
        if options["size"] < 100:
            raise CommandError("--size must be at least 100.")
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database has unapplied migrations; run `manage.py migrate` first.")
        seeded, seeded_now = seeding.bench_accounts().exists(), None
        foreign = Escalation.objects.exclude(account__external_id__startswith=seeding.ACCOUNT_PREFIX).exists()
        if foreign:
            raise CommandError(
                f"{connection.settings_dict['NAME']} holds escalations the benchmark did not seed. "
                "Run it against a throwaway database: it adds a million rows and changes SLA state."
            )
        if options["reuse"]:
            if not seeded:
                raise CommandError("Nothing to reuse: this database was never seeded. Run without --reuse first.")
            added = seeding.seed_missing(log=self.stdout.write)
            if added.handoff_clocks or added.remediations:
                self.stdout.write(
                    f"Added what this seeder writes and the earlier one did not: {added.handoff_clocks:,} handoff "
                    f"clocks, {added.remediations:,} remediations"
                )
        elif seeded:
            raise CommandError(
                "This database is already seeded: pass --reuse to measure it again, or drop and recreate it to reseed."
            )
        else:
            self.stdout.write(f"Seeding {options['size']:,} escalations into {connection.settings_dict['NAME']} …")
            started = time.perf_counter()
            result = seeded_now = seeding.seed(size=options["size"], log=self.stdout.write)
            self.stdout.write(
                f"Seeded {result.escalations:,} escalations, {result.events:,} events, {result.clocks:,} SLA clocks, "
                f"{result.handoffs:,} handoffs ({result.handoff_clocks:,} with a response clock), "
                f"{result.remediations:,} remediations, {result.watchers:,} watchers in {result.seconds:.1f} s "
                f"(of which indexes and foreign keys {result.index_seconds:.1f} s; then VACUUM ANALYZE "
                f"{result.vacuum_seconds:.1f} s; total {time.perf_counter() - started:.1f} s)"
            )
        if options["seed_only"]:
            return
        if settings.DEBUG:
            self.stdout.write(
                self.style.WARNING("DEBUG is on: Django keeps every query, which slows what is measured.")
            )
        sizes = self._sizes()
        self.stdout.write(
            f"Measuring {sizes['escalations']:,} escalations ({sizes['open']:,} open, {sizes['events']:,} events): "
            f"{options['requests']} requests per page after {options['warmup']} to warm up"
        )
        load_before = os.getloadavg()[0]
        self.stdout.write(f"Load average before measuring: {load_before:.2f} on {os.cpu_count()} cores")
        probes = measure.measure_probes(
            requests=options["requests"], warmup=options["warmup"], only=options["only"], log=self.stdout.write
        )
        sweep = None
        if not options["only"] or "SLA sweep" in options["only"]:
            sweep = measure.measure_sweep(
                due_percent=options["due_percent"], runs=options["sweeps"], log=self.stdout.write
            )
        load = {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2), "cores": os.cpu_count()}
        self._table(probes, sweep)
        self.stdout.write(
            f"Load average after measuring: {load['after']:.2f} on {load['cores']} cores (timings are wall clock: "
            "on a busy machine they include waiting for a core; 'python cpu ms' is this process's own work)"
        )
        path = self._write_json(
            options["json_path"], sizes=sizes, seeded=seeded_now, probes=probes, sweep=sweep, load=load
        )
        self.stdout.write(f"\nWrote {path}")
        if options["plans"]:
            self.stdout.write(f"Wrote the slowest queries' plans to {self._write_plans(options['plans'], probes)}")

    def _sizes(self) -> dict:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM escalations_escalation),"
                " (SELECT count(*) FROM escalations_escalation WHERE status = ANY(%s)),"
                " (SELECT reltuples::bigint FROM pg_class WHERE relname = 'escalations_escalationevent')",
                [[s.value for s in OPEN_STATUSES]],
            )
            escalations, open_cases, events = cursor.fetchone()
        return {"escalations": escalations, "open": open_cases, "events": events}

    def _table(self, probes, sweep) -> None:
        header = ("what", "median ms", "p95 ms", "queries", "python cpu ms", "slowest query ms", "target", "")
        rows = [
            (
                probe.name,
                f"{probe.median_ms:.1f}",
                f"{probe.p95_ms:.1f}",
                str(probe.queries) if probe.queries == probe.queries_max else f"{probe.queries}–{probe.queries_max}",
                f"{probe.python_cpu_median_ms:.1f}",
                f"{probe.slowest_query_ms:.1f}",
                f"≤ {probe.target_ms:g} ms" if probe.target_ms is not None else "",
                "" if probe.met is None else ("met" if probe.met else "NOT MET"),
            )
            for probe in probes
        ]
        if sweep is not None and sweep.runs:
            rows.append(
                (
                    f"SLA sweep ({sweep.due_cases:,} due of {sweep.open_cases:,} open)",
                    f"{sweep.median_seconds * 1000:.0f}",
                    f"{sweep.max_seconds * 1000:.0f} (max)",
                    f"{sweep.statements:,}",
                    "",
                    "",
                    f"≤ {sweep.target_for_due * 1000:,.0f} ms",
                    "met" if sweep.met else "NOT MET",
                )
            )
        widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
        self.stdout.write("")
        for number, row in enumerate((header, *rows)):
            cells = [
                row[0].ljust(widths[0]),
                *(cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)),
            ]
            self.stdout.write("  ".join(cells).rstrip())
            if number == 0:
                self.stdout.write("  ".join("-" * width for width in widths))
        if sweep is not None and sweep.runs:
            per_case = sweep.median_seconds * 1000 / sweep.due_cases
            self.stdout.write(
                f"\nSLA sweep: {sweep.alerts:,} alerts, {sweep.outbox_messages:,} mails queued, "
                f"{sweep.statements:,} statements, {per_case:.2f} ms per due case "
                f"({', '.join(f'{kind} {count:,}' for kind, count in sweep.statement_kinds.items())})"
            )

    def _write_json(self, path, *, sizes, seeded, probes, sweep, load) -> Path:
        path = (
            Path(path) if path else Path(settings.BASE_DIR) / "var" / "bench" / f"{timezone.now():%Y%m%dT%H%M%SZ}.json"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "measured_at": timezone.now().isoformat(),
            "database": connection.settings_dict["NAME"],
            "postgresql": connection.pg_version,
            "sizes": sizes,
            "load_average": load,
            "seed": asdict(seeded) if seeded else None,
            "probes": [measure.as_json(probe) for probe in probes],
            "sla_sweep": measure.as_json(sweep) if sweep else None,
        }
        path.write_text(json.dumps(document, indent=2) + "\n")
        return path

    def _write_plans(self, folder, probes) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for probe in probes:
            name = "".join(c if c.isalnum() else "-" for c in probe.name.lower()).strip("-")
            text = (
                f"{probe.method} {probe.path}: p95 {probe.p95_ms} ms, {probe.queries} queries\n"
                f"Slowest query ({probe.slowest_query_ms} ms):\n\n{probe.slowest_query}\n\n{probe.slowest_query_plan}\n"
            )
            (folder / f"{name}.txt").write_text(text)
        return folder
