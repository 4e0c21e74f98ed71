"""The weekly manager digest: the figures and links it carries, once per manager and week whatever re-runs or a
mail server that is down do; it reaches the manager when the server is back."""

import threading
from datetime import timedelta
from email import message_from_bytes
from email import policy as email_policy

import pytest
from django.core import mail
from django.db import connection, transaction

from config.celery import app as celery_app
from escalations.models import OutboxMessage
from escalations.notifications import outbox_send_due
from reports import digest
from reports.models import ManagerDigest
from tests import factories
from tests.escalations.test_sla_smtp import Sink, free_port, smtp_settings
from tests.reports.conftest import NOW
from users.models import User


@pytest.fixture
def managers(manager):
    second = factories.ManagerFactory(email="mo.manager@example.com", display_name="Mo Manager")
    factories.ManagerFactory(email="gone@example.com", is_active=False)
    factories.AdminFactory(email="root@example.com")
    factories.SpecialistFactory(email="spec@example.com")
    return [manager, second]


def digests():
    return OutboxMessage.objects.filter(template="report_digest").order_by("recipient")


def test_each_active_manager_gets_one_digest_with_last_weeks_figures(
    world, managers, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://desk.example.com"

    with django_capture_on_commit_callbacks(execute=True):
        result = digest.manager_digests_send()

    assert (result.sent, result.failed) == (2, 0)
    assert [m.recipient for m in digests()] == ["maya.manager@example.com", "mo.manager@example.com"]
    message = digests().first()
    # The week of Mon 9 Mar reports on Mon 2 – Sun 8 Mar: 5 of 9 clocks met (below).
    assert message.subject == "[Reports] Week of Mar 2: 55.6 % of SLA clocks met, 1 overdue remediation"
    body = message.body_text
    assert "Your weekly report for Mon Mar 2 – Sun Mar 8, 2026." in body
    # First response: A met; B, D and E (Sun 8 Mar 02:00) late. Handoffs: A met, D breached Sun 05:00.
    assert "- First response: 25.0 % met (1 of 4)" in body
    assert "- Resolution: 100.0 % met (3 of 3)" in body
    assert "- Handoff response: 50.0 % met (1 of 2)" in body
    assert "- 1–3 days: 2" in body and "- Over 30 days: 1" in body
    assert "1. Invoice rounding (Billing logic): 2 escalations, pain 21.4" in body
    assert "- Rounding fix (Billing Platform): due Mar 5, 5 days late" in body
    assert "https://desk.example.com/reports/sla-attainment/?start=2026-03-02&end=2026-03-08" in body
    assert "https://desk.example.com/reports/top-drivers/?start=2026-03-02&end=2026-03-08" in body
    assert sorted(email.to[0] for email in mail.outbox) == ["maya.manager@example.com", "mo.manager@example.com"]


def test_a_rerun_in_the_same_week_sends_nothing_and_next_week_sends_again(world, managers, time_machine):
    digest.manager_digests_send()

    again = digest.manager_digests_send()
    time_machine.move_to(NOW + timedelta(days=4), tick=False)
    later_same_week = digest.manager_digests_send()

    assert (again.looked_at, again.sent, later_same_week.sent) == (0, 0, 0)
    assert digests().count() == 2
    assert ManagerDigest.objects.count() == 2

    time_machine.move_to(NOW + timedelta(days=7), tick=False)
    assert digest.manager_digests_send().sent == 2
    assert sorted(set(ManagerDigest.objects.values_list("week_of", flat=True))) == [
        NOW.date() - timedelta(days=1),
        NOW.date() + timedelta(days=6),
    ]


def test_a_digest_that_fails_to_queue_rolls_back_and_is_retried(world, managers, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("template store unreachable")

    monkeypatch.setattr(digest, "outbox_enqueue", broken)
    failed = digest.manager_digests_send()
    assert (failed.sent, failed.failed) == (0, 2)
    assert not ManagerDigest.objects.exists()  # nothing half-written

    monkeypatch.undo()
    assert digest.manager_digests_send().sent == 2
    assert digests().count() == 2


def test_mail_server_down_delays_the_digest_and_delivers_it_once(
    world, managers, time_machine, django_capture_on_commit_callbacks
):
    from aiosmtpd.controller import Controller

    down = free_port()
    with smtp_settings(down), django_capture_on_commit_callbacks(execute=True):
        digest.manager_digests_send()
        digest.manager_digests_send()  # beat fires again while the server is down
    assert digests().count() == 2
    assert {message.status for message in digests()} == {OutboxMessage.Status.PENDING}
    assert {message.attempts for message in digests()} == {1}
    assert digests().first().last_error  # the refused connection, kept for the Outbox page

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        time_machine.move_to(NOW + timedelta(minutes=5), tick=False)
        with smtp_settings(controller.port):
            assert outbox_send_due() == 2
            assert outbox_send_due() == 0
            digest.manager_digests_send()
    finally:
        controller.stop()

    delivered = sorted(rcpt for rcpts, _ in sink.received for rcpt in rcpts)
    assert delivered == ["maya.manager@example.com", "mo.manager@example.com"]
    parsed = message_from_bytes(sink.received[0][1], policy=email_policy.default)
    assert "SLA ATTAINMENT" in parsed.get_content()
    assert {message.status for message in digests()} == {OutboxMessage.Status.SENT}


def test_beat_schedules_the_digest_on_mondays_and_retries_it_that_day():
    entry = celery_app.conf.beat_schedule["reports-manager-digest"]

    assert entry["task"] == "reports.tasks.manager_digests_send"
    assert entry["schedule"].day_of_week == {1}
    assert min(entry["schedule"].hour) == 7 and len(entry["schedule"].hour) > 1


@pytest.mark.django_db(transaction=True)
def test_a_manager_whose_row_is_busy_still_gets_the_digest(reference_data):
    """Something else holds the manager's row (a sign-in writing last_login): the digest waits, it is not skipped."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    busy = factories.ManagerFactory(email="busy.manager@example.com")
    locked, release = threading.Event(), threading.Event()

    def hold_the_row():
        with transaction.atomic():
            User.objects.select_for_update().get(pk=busy.pk)
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    assert locked.wait(10)
    threading.Timer(0.5, release.set).start()
    try:
        result = digest.manager_digests_send()
    finally:
        release.set()
        holder.join()

    assert result.sent == 1
    assert list(digests().values_list("recipient", flat=True)) == ["busy.manager@example.com"]


def test_the_task_sends_the_digests(world, managers):
    from reports.tasks import manager_digests_send

    assert manager_digests_send.delay().get() == 2
