"""A real Celery worker process, against Redis, sends what the outbox holds."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from config.celery import app as celery_app
from escalations.models import OutboxMessage
from escalations.notifications import outbox_enqueue
from tests import factories

pytestmark = [
    pytest.mark.needs_redis,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: runs a real worker against Redis"),
]

PROJECT_DIR = Path(__file__).resolve().parents[2]


def _database_url_of_test_database() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    credentials = quote(settings["USER"] or "")
    if settings.get("PASSWORD"):
        credentials += ":" + quote(settings["PASSWORD"])
    return f"postgres://{credentials}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"


@pytest.fixture
def real_worker(tmp_path):
    """A `celery worker` process on the test database; tasks are published to Redis, not run eagerly."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_of_test_database(),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    pidfile = tmp_path / "worker.pid"
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--loglevel", "INFO",
         "--without-gossip", "--without-mingle", "--pidfile", str(pidfile)],
        cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    celery_app.conf.task_always_eager = False
    try:
        yield process
    finally:
        celery_app.conf.task_always_eager = True
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        print((tmp_path / "worker.log").read_text()[-3000:])


def _wait_for(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


@pytest.mark.django_db(transaction=True)
def test_worker_sends_a_queued_email_and_marks_it_sent(real_worker, requester):
    escalation = factories.EscalationFactory(requester=requester)
    message = outbox_enqueue(
        recipient=requester.email,
        template="escalation_filed",
        context={"escalation": escalation, "recipient": requester},
        escalation=escalation,
    )

    def is_sent():
        message.refresh_from_db()
        return message.status == OutboxMessage.Status.SENT

    assert _wait_for(is_sent), f"worker did not send the message (status {message.status}, {message.last_error})"
    assert message.attempts == 1
    assert message.sent_at is not None
