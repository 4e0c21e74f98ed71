"""SLA alerts through real Celery processes against Redis.

A worker (with beat) runs the sweep task published to Redis, announces each threshold of an overdue P1 once
and sends the mail; a worker killed mid-sweep leaves no alert or mail missing or doubled once a new worker
sweeps again.
"""

import contextlib
import importlib
import os
import shelve
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine
from django.apps import apps as django_apps
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from escalations import services, tasks
from escalations.models import Escalation, EscalationEvent, OutboxMessage, SLAAlert, SLAClock
from escalations.sla import engine
from tests import factories

pytestmark = [
    pytest.mark.needs_redis,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: runs real workers against Redis"),
]

PROJECT_DIR = Path(__file__).resolve().parents[2]
TEAM_INBOX = "sla-desk@example.com"
SLA_TEMPLATES = ("sla_warning", "sla_breach")

# The test settings run Celery eagerly; the workers here must publish the mail they queue to Redis like a
# production worker does, so they get these settings on top.
WORKER_SETTINGS = f"""
from config.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
SLA_TEAM_INBOX = {TEAM_INBOX!r}
SLA_MANAGER_EMAILS = []
"""


def _database_url_of_test_database() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    credentials = quote(settings["USER"] or "")
    if settings.get("PASSWORD"):
        credentials += ":" + quote(settings["PASSWORD"])
    return f"postgres://{credentials}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"


def wait_for(predicate, *, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def _result_of(log: str, task_id: str) -> str | None:
    """What a task returned, from the worker's `Task name[id] succeeded in 0.01s: result` line."""
    for line in log.splitlines():
        if f"[{task_id}] succeeded in" in line:
            return line.rsplit(": ", 1)[-1].strip()
    return None


class Worker:
    """One `celery worker` process group (prefork pool, optionally with beat) on the test database."""

    def __init__(self, tmp_path: Path, name: str, *, beat: bool = False):
        self.log_path = tmp_path / f"{name}.log"
        self.schedule_path = tmp_path / f"{name}-beat-schedule"
        settings_module = f"sla_worker_settings_{name}"
        (tmp_path / f"{settings_module}.py").write_text(WORKER_SETTINGS)
        env = {
            **os.environ,
            "DATABASE_URL": _database_url_of_test_database(),
            "DJANGO_SETTINGS_MODULE": settings_module,
            "PYTHONPATH": os.pathsep.join([str(tmp_path), str(PROJECT_DIR)]),
        }
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork", "--concurrency", "2",
            "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--hostname", f"{name}-{uuid.uuid4().hex[:8]}@%h", "--pidfile", str(tmp_path / f"{name}.pid"),
        ]  # fmt: skip
        if beat:
            command += ["--beat", "--schedule", str(self.schedule_path)]
        self._log = self.log_path.open("w")
        # A session of its own, so that killpg reaches the pool's child processes (and beat) too.
        self.process = subprocess.Popen(
            command, cwd=PROJECT_DIR, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_until_ready(self, timeout: float = 60) -> None:
        ready = wait_for(lambda: " ready." in self.log() or self.process.poll() is not None, timeout=timeout)
        assert ready and self.process.poll() is None, f"the worker did not start:\n{self.log()[-3000:]}"

    def succeeded(self, result) -> bool:
        return _result_of(self.log(), result.id) is not None

    def kill(self) -> None:
        """SIGKILL the whole process group, as the OOM killer or a lost machine would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # warm shutdown: finish the task at hand
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # any pool child left behind
        self._log.close()


@pytest.fixture
def sla_policies(transactional_db):
    """Transactional tests start from emptied tables: put back the calendars and policies of migration 0008."""
    importlib.import_module("escalations.migrations.0008_default_sla_policies").add_defaults(django_apps, None)


@pytest.fixture
def start_worker(tmp_path, sla_policies):
    """Start workers on demand; every one is stopped (and its log tail printed) when the test ends."""
    started: list[Worker] = []

    def start(name: str = "worker", *, beat: bool = False) -> Worker:
        worker = Worker(tmp_path, name, beat=beat)
        started.append(worker)
        worker.wait_until_ready()
        return worker

    # Tasks an earlier test left queued (a warm shutdown puts back what a worker had prefetched) would run
    # against this test's database and race the sweep published here.
    celery_app.control.purge()
    celery_app.conf.task_always_eager = False  # publish to Redis from the test too
    try:
        yield start
    finally:
        celery_app.conf.task_always_eager = True
        for worker in started:
            worker.stop()
            print(f"--- {worker.log_path.name} (tail) ---\n{worker.log()[-3000:]}")
        celery_app.control.purge()


def sla_messages():
    return OutboxMessage.objects.filter(template__in=SLA_TEMPLATES)


def expected_dedupe_keys() -> set[str]:
    """One mail per alert and recipient the alert records: the keys the sweep gives them."""
    return {
        f"sla-alert:{alert_id}:to:{recipient}"
        for alert_id, recipients in SLAAlert.objects.values_list("pk", "recipients")
        for recipient in recipients
    }


@pytest.mark.django_db(transaction=True)
def test_a_worker_with_beat_announces_an_overdue_p1_once_and_sends_the_mail(
    start_worker, requester, account, specialist, manager
):
    # Filed two hours ago through the filing service: first response (60 minutes, 24×7) is long overdue,
    # its 50%, 75% and 100% moments are all in the past; resolution's 50% (12 hours) is not.
    filed_at = timezone.now() - timedelta(hours=2)
    with time_machine.travel(filed_at, tick=True):
        case = services.escalation_file(
            acting_user=requester,
            account=account,
            title="Checkout down for every EU customer",
            description="Card payments fail since the last deploy.",
            priority="P1",
        )
    Escalation.objects.filter(pk=case.pk).update(assignee=specialist)
    case.refresh_from_db()
    assert case.next_sla_check_at <= timezone.now()
    worker = start_worker("sla", beat=True)

    sweep = tasks.sla_sweep.delay()

    def announced_and_sent() -> bool:
        return SLAAlert.objects.filter(clock__escalation=case).count() == 3 and (
            sla_messages().filter(status=OutboxMessage.Status.SENT).count() == 6
        )

    assert wait_for(announced_and_sent, timeout=60), (
        f"alerts {list(SLAAlert.objects.values_list('threshold', flat=True))}, "
        f"mail {list(sla_messages().values_list('recipient', 'status'))}\n{worker.log()[-3000:]}"
    )
    assert _result_of(worker.log(), sweep.id) == "3"
    alerts = SLAAlert.objects.filter(clock__escalation=case).order_by("threshold")
    assert [(alert.clock.kind, alert.threshold) for alert in alerts] == [
        (SLAClock.Kind.FIRST_RESPONSE, 50),
        (SLAClock.Kind.FIRST_RESPONSE, 75),
        (SLAClock.Kind.FIRST_RESPONSE, 100),
    ]
    assert [alert.recipients for alert in alerts] == [
        [specialist.email],
        sorted([specialist.email, manager.email]),
        sorted([specialist.email, manager.email, TEAM_INBOX]),
    ]
    assert sorted(sla_messages().values_list("template", "recipient")) == sorted(
        [("sla_warning", specialist.email)]
        + [("sla_warning", specialist.email), ("sla_warning", manager.email)]
        + [("sla_breach", specialist.email), ("sla_breach", manager.email), ("sla_breach", TEAM_INBOX)]
    )
    assert set(sla_messages().values_list("dedupe_key", flat=True)) == expected_dedupe_keys()
    assert set(sla_messages().values_list("attempts", flat=True)) == {1}
    assert EscalationEvent.objects.filter(escalation=case, kind=EscalationEvent.Kind.SLA).count() == 3
    case.refresh_from_db()
    assert case.is_sla_breached
    assert case.next_sla_check_at == case.filed_at + timedelta(hours=12)  # resolution's 50% is next

    # The same task again (a retry, or beat's next minute) finds nothing new to say.
    again = tasks.sla_sweep.delay()
    assert wait_for(lambda: worker.succeeded(again), timeout=30), worker.log()[-3000:]
    assert _result_of(worker.log(), again.id) == "0"  # alerts fired
    assert SLAAlert.objects.count() == 3
    assert sla_messages().count() == 6

    # Beat ran inside the worker with the project's schedule: the sweep every minute.
    worker.stop()
    with shelve.open(str(worker.schedule_path)) as schedule:
        entry = schedule["entries"]["sla-sweep"]
    assert entry.task == "escalations.tasks.sla_sweep"
    assert entry.schedule.run_every == timedelta(seconds=60)
    assert celery_app.conf.beat_schedule["sla-sweep"]["task"] == "escalations.tasks.sla_sweep"


CASES_IN_THE_KILLED_SWEEP = 200
ALERTS_PER_CASE = 3  # first response at 50%, 75% and 100%
MAILS_PER_CASE = 1 + 1 + 2  # the owner at 50% and 75% (no managers), owner and team inbox at the breach


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_sweep_leaves_no_alert_or_mail_missing_or_doubled(
    start_worker, requester, specialist, monkeypatch
):
    # Batches of 10 cases (each batch is one transaction), so the kill lands between and inside batches.
    monkeypatch.setenv("SLA_SWEEP_BATCH_SIZE", "10")
    filed_at = timezone.now() - timedelta(hours=2)
    account = factories.AccountFactory()
    cases = []
    for _ in range(CASES_IN_THE_KILLED_SWEEP):
        case = factories.EscalationFactory(
            requester=requester, account=account, assignee=specialist, priority="P1", filed_at=filed_at
        )
        engine.on_filed(case)
        cases.append(case)
    expected_alerts = {
        (clock_id, threshold)
        for clock_id in SLAClock.objects.filter(kind=SLAClock.Kind.FIRST_RESPONSE).values_list("pk", flat=True)
        for threshold in (50, 75, 100)
    }
    assert len(expected_alerts) == CASES_IN_THE_KILLED_SWEEP * ALERTS_PER_CASE

    first = start_worker("doomed")
    tasks.sla_sweep.delay()
    some_announced = wait_for(lambda: SLAAlert.objects.count() >= 10 * ALERTS_PER_CASE, timeout=60, interval=0.05)
    first.kill()
    assert some_announced, first.log()[-3000:]

    at_kill = SLAAlert.objects.count()
    print(f"killed the worker with {at_kill} of {len(expected_alerts)} alerts announced")
    assert 0 < at_kill < len(expected_alerts), f"the sweep was not interrupted ({at_kill} alerts); make it bigger"
    # Each case is all or nothing: its batch's transaction either committed its alerts, events and mail, or
    # died with the worker and left no trace.
    per_case = {case.pk: SLAAlert.objects.filter(clock__escalation=case).count() for case in cases}
    assert set(per_case.values()) <= {0, ALERTS_PER_CASE}
    assert sla_messages().count() == at_kill // ALERTS_PER_CASE * MAILS_PER_CASE
    assert set(sla_messages().values_list("dedupe_key", flat=True)) == expected_dedupe_keys()

    # Recovery. The killed sweep task was taken with acks_late, so Redis still holds it as unacknowledged,
    # but it only hands it out again after the visibility timeout (an hour): in practice beat's next
    # sweep, a minute later, picks up the rest. We publish that sweep now, and the outbox sweep beat also
    # runs every minute, which sends mail whose send task died with the worker.
    second = start_worker("recovery")

    def swept_and_sent() -> bool:
        return (
            SLAAlert.objects.count() == len(expected_alerts)
            and not sla_messages().filter(status=OutboxMessage.Status.PENDING).exists()
        )

    for _ in range(4):  # as beat would, a minute apart; here a few seconds apart, at most four times
        tasks.sla_sweep.delay()
        tasks.outbox_send_due.delay()
        if wait_for(swept_and_sent, timeout=20):
            break
    assert swept_and_sent(), (
        f"{SLAAlert.objects.count()} of {len(expected_alerts)} alerts; "
        f"{sla_messages().filter(status=OutboxMessage.Status.PENDING).count()} mails pending\n{second.log()[-3000:]}"
    )

    fired = list(SLAAlert.objects.values_list("clock_id", "threshold"))
    assert len(fired) == len(set(fired)) and set(fired) == expected_alerts
    assert set(sla_messages().values_list("dedupe_key", flat=True)) == expected_dedupe_keys()
    assert sla_messages().count() == CASES_IN_THE_KILLED_SWEEP * MAILS_PER_CASE
    assert EscalationEvent.objects.filter(kind=EscalationEvent.Kind.SLA).count() == len(expected_alerts)
    assert not Escalation.objects.filter(next_sla_check_at__lte=timezone.now()).exists()
    # Sent once each. A mail a killed process had claimed but not finished stays "sending" until the outbox
    # sweep takes the claim back (after ten minutes); there can be at most one per killed pool process.
    assert set(sla_messages().filter(status=OutboxMessage.Status.SENT).values_list("attempts", flat=True)) == {1}
    stuck = sla_messages().filter(status=OutboxMessage.Status.SENDING).count()
    print(f"after recovery: every alert once, {sla_messages().count()} mails, {stuck} claimed by the killed worker")
    assert stuck <= 2
    assert not sla_messages().filter(status=OutboxMessage.Status.FAILED).exists()
