"""Accountability reminders: due soon and overdue at most once per remediation per day, exactly once however many
workers run; a weekly digest per team of what it owes. The runs are called directly at frozen moments."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection

from config.celery import app as celery_app
from escalations import notifications
from escalations.models import OutboxMessage
from remediations import reminders, tasks
from remediations.models import RemediationReminder
from tests import factories

NOW = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)  # a Wednesday
TODAY = NOW.date()
MONDAY = date(2026, 3, 2)


@pytest.fixture
def at(time_machine):
    def move(moment: datetime) -> datetime:
        time_machine.move_to(moment, tick=False)
        return moment

    move(NOW)
    return move


@pytest.fixture
def colleague(partner_team):
    user = factories.PartnerFactory(email="cole.colleague@example.com", display_name="Cole Colleague")
    partner_team.members.add(user)
    return user


@pytest.fixture
def billing_recipients(partner, colleague, partner_team):
    return sorted([partner.email, colleague.email, partner_team.contact_email])


@pytest.fixture
def due(remediation_in, at):
    """Remediations of Billing Platform due `days` from today (negative: overdue)."""

    def make(days: int | None, status: str = "in_progress", **fields):
        return remediation_in(status, due_date=None if days is None else TODAY + timedelta(days=days), **fields)

    return make


def reminders_sent():
    return sorted(RemediationReminder.objects.values_list("remediation__title", "kind", "for_date"))


def test_the_daily_run_reminds_the_owner_team_of_what_is_due_soon_and_overdue(due, billing_recipients):
    due(3, title="Due in three days")
    due(0, "accepted", title="Due today")
    due(-2, "proposed", title="Two days late")
    due(7, title="Due in a week")
    due(8, title="Due in eight days")  # outside the default 7-day window
    due(None, title="No due date")
    due(-5, "shipped", title="Shipped late")  # delivered: nothing owed
    due(-5, "declined", title="Declined")

    result = reminders.remediation_reminders_send()

    assert (result.sent, result.failed) == (4, 0)
    assert reminders_sent() == [
        ("Due in a week", "due_soon", TODAY),
        ("Due in three days", "due_soon", TODAY),
        ("Due today", "due_soon", TODAY),
        ("Two days late", "overdue", TODAY),
    ]
    late = OutboxMessage.objects.filter(template="remediation_overdue")
    assert sorted(late.values_list("recipient", flat=True)) == billing_recipients
    assert late.first().subject == "[Remediation] Overdue by 2 days: Two days late"
    soon = OutboxMessage.objects.filter(template="remediation_due_soon", subject__contains="Due in three days")
    assert soon.first().subject == "[Remediation] Due in 3 days: Due in three days"
    assert OutboxMessage.objects.count() == 4 * len(billing_recipients)


def test_an_owner_outside_the_team_is_reminded_too(due, partner_team, other_partner, billing_recipients):
    partner_team.members.add(other_partner)  # on the team when it was assigned …
    remediation = due(-1, owner=other_partner)
    partner_team.members.remove(other_partner)  # … and gone since
    reminders.remediation_reminders_send()
    assert sorted(RemediationReminder.objects.get().recipients) == sorted([*billing_recipients, other_partner.email])
    assert remediation.reminders.count() == 1


def test_running_again_the_same_day_sends_nothing_new(due, at):
    due(2)
    due(-1)
    assert reminders.remediation_reminders_send().sent == 2
    messages = OutboxMessage.objects.count()

    at(NOW + timedelta(hours=5))
    again = reminders.remediation_reminders_send()

    assert (again.looked_at, again.sent) == (0, 0)
    assert RemediationReminder.objects.count() == 2
    assert OutboxMessage.objects.count() == messages


def test_the_next_day_brings_the_next_reminder_and_due_soon_turns_overdue(due, at):
    remediation = due(1, title="Due tomorrow")
    reminders.remediation_reminders_send()
    for days_later in (1, 2, 3):
        at(NOW + timedelta(days=days_later))
        reminders.remediation_reminders_send()
        reminders.remediation_reminders_send()
    assert list(remediation.reminders.order_by("for_date").values_list("for_date", "kind")) == [
        (TODAY, "due_soon"),
        (TODAY + timedelta(days=1), "due_soon"),
        (TODAY + timedelta(days=2), "overdue"),
        (TODAY + timedelta(days=3), "overdue"),
    ]


def test_the_due_soon_window_is_a_setting(due, settings):
    due(12, title="Due in twelve days")
    settings.REMEDIATION_DUE_SOON_DAYS = 14
    assert reminders.remediation_reminders_send().sent == 1


def test_a_reminder_that_fails_rolls_back_with_its_mail_and_goes_out_on_the_next_run(due, monkeypatch, partner):
    due(-1, title="Breaks once")
    due(-1, title="Fine")
    real_enqueue = notifications.outbox_enqueue_many
    calls = {"failed": 0}

    def flaky(**kwargs):
        if "Breaks once" in str(kwargs["context"]["remediation"]) and partner.email in kwargs["recipients"]:
            calls["failed"] += 1
            raise RuntimeError("template exploded")
        return real_enqueue(**kwargs)

    monkeypatch.setattr(reminders, "outbox_enqueue_many", flaky)
    result = reminders.remediation_reminders_send()

    assert (result.sent, result.failed) == (1, 1)
    assert reminders_sent() == [("Fine", "overdue", TODAY)]
    assert not OutboxMessage.objects.filter(subject__contains="Breaks once").exists()

    monkeypatch.setattr(reminders, "outbox_enqueue_many", real_enqueue)
    assert reminders.remediation_reminders_send().sent == 1
    assert OutboxMessage.objects.filter(subject__contains="Breaks once").count() == 2  # the partner, the team


def test_the_beat_schedule_runs_reminders_daily_and_digests_on_mondays():
    schedule = celery_app.conf.beat_schedule
    daily = next(
        entry for entry in schedule.values() if entry["task"] == "remediations.tasks.remediation_reminders_send"
    )
    weekly = next(
        entry for entry in schedule.values() if entry["task"] == "remediations.tasks.remediation_digests_send"
    )
    assert daily["schedule"].day_of_week == set(range(7)) and len(daily["schedule"].hour) == 1
    assert weekly["schedule"].day_of_week == {1}


def test_the_tasks_are_thin_wrappers(due):
    due(-1)
    assert tasks.remediation_reminders_send.delay().get() == 1
    assert tasks.remediation_digests_send.delay().get() == 1


# --- the weekly digest ----------------------------------------------------------------------------------------


def test_each_team_that_owes_something_gets_one_digest_a_week(
    due, at, other_team, other_partner, billing_recipients, escalation
):
    late = due(-3, title="Late fix")
    late.escalations.add(escalation)
    due(20, "accepted", title="Later fix")
    due(None, "proposed", title="Undated fix")
    due(-3, "shipped", title="Shipped fix")
    factories.RemediationFactory(owner_team=other_team, status="verified", shipped_at=NOW, verified_at=NOW)

    result = reminders.remediation_digests_send()

    assert result.sent == 1  # Identity & Access owes nothing open
    (digest,) = RemediationReminder.objects.all()
    assert (digest.kind, digest.for_date, digest.remediation) == ("digest", MONDAY, None)
    mails = OutboxMessage.objects.filter(template="remediation_digest")
    assert sorted(mails.values_list("recipient", flat=True)) == billing_recipients
    mail = mails.first()
    assert mail.subject == "[Remediations] Billing Platform owes 3 fixes, 1 overdue (week of Mar 2)"
    assert "Late fix" in mail.body_text and "(OVERDUE)" in mail.body_text and "1 linked escalation" in mail.body_text
    assert "Later fix" in mail.body_text and "Undated fix" in mail.body_text and "no due date" in mail.body_text
    assert "Shipped fix" not in mail.body_text

    at(NOW + timedelta(days=2))  # Friday, same week
    assert reminders.remediation_digests_send().sent == 0
    at(NOW + timedelta(days=5))  # the next Monday
    assert reminders.remediation_digests_send().sent == 1
    assert list(RemediationReminder.objects.order_by("for_date").values_list("for_date", flat=True)) == [
        MONDAY,
        MONDAY + timedelta(weeks=1),
    ]


# --- several workers at once ----------------------------------------------------------------------------------


def run_in_parallel(function, workers: int = 4):
    start, results, errors = threading.Barrier(workers), [], []

    def worker():
        try:
            start.wait()
            results.append(function())
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(results) == workers
    return results


@pytest.mark.django_db(transaction=True)
def test_parallel_runs_send_each_reminder_and_digest_exactly_once(partner_team, partner, time_machine):
    time_machine.move_to(NOW, tick=False)
    for index in range(12):
        factories.RemediationFactory(
            owner_team=partner_team, owner=partner, status="in_progress", title=f"Fix {index}",
            due_date=TODAY + timedelta(days=index - 6),
        )  # fmt: skip
    recipients = 2  # the partner and the team's shared address

    results = run_in_parallel(reminders.remediation_reminders_send)

    assert sum(result.sent for result in results) == 12
    assert sum(result.failed for result in results) == 0
    sent = list(RemediationReminder.objects.values_list("remediation", "for_date"))
    assert len(sent) == len(set(sent)) == 12
    assert OutboxMessage.objects.filter(template__startswith="remediation_").count() == 12 * recipients

    results = run_in_parallel(reminders.remediation_digests_send)
    assert sum(result.sent for result in results) == 1
    assert OutboxMessage.objects.filter(template="remediation_digest").count() == recipients


@pytest.mark.django_db(transaction=True)
def test_a_second_worker_that_finds_the_row_claimed_skips_it(partner_team, partner, time_machine):
    """While one worker holds a remediation (mid-send), another run passes it by instead of waiting or repeating."""
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL; SQLite serialises whole write transactions instead")
    time_machine.move_to(NOW, tick=False)
    remediation = factories.RemediationFactory(
        owner_team=partner_team, owner=partner, status="accepted", due_date=TODAY - timedelta(days=1)
    )
    holding, release, outcome = threading.Event(), threading.Event(), {}

    def first_worker():
        from django.db import transaction

        from remediations.models import Remediation

        try:
            with transaction.atomic():
                Remediation.objects.select_for_update().get(pk=remediation.pk)
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    holding.wait(timeout=30)
    try:
        outcome["second"] = reminders.remediation_reminders_send()
    finally:
        release.set()
        thread.join(timeout=30)
    assert (outcome["second"].looked_at, outcome["second"].sent) == (1, 0)
    assert not RemediationReminder.objects.exists()
    assert reminders.remediation_reminders_send().sent == 1
