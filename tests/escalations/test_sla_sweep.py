"""The SLA sweep: each warning and breach announced exactly once, to the right people, touching only due cases.

The sweep's unit is called directly at frozen moments just before, at and after each threshold of a P1 case
(24×7 calendar: first response 60 minutes, resolution 24 hours, warnings at 50% and 75%).
"""

import importlib
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps as django_apps
from django.db import connection

from escalations import services
from escalations.lifecycle import Status
from escalations.models import Escalation, EscalationEvent, OutboxMessage, SLAAlert, SLAClock
from escalations.sla import engine, sweep
from escalations.sla.backfill import sla_backfill
from escalations.sla.sweep import sla_sweep
from tests import factories

FILED_AT = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # Monday 09:00 in New York
TEAM_INBOX = "sla-desk@example.com"
SLA_TEMPLATES = ("sla_warning", "sla_breach")
Kind = SLAClock.Kind


def minutes(n: float) -> datetime:
    """`n` minutes after the case was filed."""
    return FILED_AT + timedelta(minutes=n)


@pytest.fixture(autouse=True)
def sla_settings(settings):
    settings.SLA_TEAM_INBOX = TEAM_INBOX
    settings.SLA_MANAGER_EMAILS = []
    settings.SLA_SWEEP_BATCH_SIZE = 500


@pytest.fixture
def file_case(at, requester, account):
    """File a case through the filing service, then give it an owner (without the assignment email)."""

    def file(priority: str = "P1", *, when: datetime = FILED_AT, owner=None) -> Escalation:
        at(when)
        case = services.escalation_file(
            acting_user=requester,
            account=account,
            title="Invoices doubled",
            description="Every invoice since Monday was sent twice.",
            priority=priority,
        )
        if owner is not None:
            Escalation.objects.filter(pk=case.pk).update(assignee=owner)
            case.refresh_from_db()
        return case

    return file


@pytest.fixture
def sweep_at(at):
    """Run the sweep at a frozen moment, as the periodic task would."""

    def run(moment: datetime) -> sweep.SweepResult:
        at(moment)
        return sla_sweep()

    return run


def sla_mail() -> list[tuple[str, str]]:
    """(template, recipient) of every SLA alert email queued so far, in a stable order."""
    return sorted(
        OutboxMessage.objects.filter(template__in=SLA_TEMPLATES).values_list("template", "recipient"),
    )


def alerts_of(case: Escalation) -> list[tuple[str, int]]:
    return sorted(SLAAlert.objects.filter(clock__escalation=case).values_list("clock__kind", "threshold"))


def sla_events(case: Escalation):
    return EscalationEvent.objects.filter(escalation=case, kind=EscalationEvent.Kind.SLA).order_by("created_at")


@pytest.fixture
def move_to_rejected(at, specialist):
    def reject(case, when):
        at(when)
        services.escalation_transition(
            acting_user=specialist, escalation=case, to_status=Status.REJECTED.value, reason="A how-to question."
        )

    return reject


# --- touching only what is due ---------------------------------------------------------------------


def test_a_sweep_with_nothing_due_touches_no_case(file_case, sweep_at, specialist, django_assert_max_num_queries):
    for _ in range(3):
        file_case(owner=specialist)

    with django_assert_max_num_queries(1):
        result = sweep_at(minutes(10))

    assert (result.cases, result.alerts, result.failed) == (0, 0, 0)
    assert SLAAlert.objects.count() == 0


def test_a_finished_case_is_never_looked_at(file_case, sweep_at, move_to_rejected):
    case = file_case()
    move_to_rejected(case, minutes(5))

    result = sweep_at(minutes(24 * 60 + 1))

    assert (result.cases, result.alerts) == (0, 0)


# --- the alert ladder ------------------------------------------------------------------------------


def test_an_unanswered_p1_climbs_the_ladder_once_per_threshold(file_case, sweep_at, specialist, manager):
    case = file_case(owner=specialist)
    owner = specialist.email

    assert sweep_at(minutes(29)).cases == 0
    assert sla_mail() == []

    assert sweep_at(minutes(30)).alerts == 1
    assert sla_mail() == [("sla_warning", owner)]
    assert sweep_at(minutes(30)).cases == 0  # the same moment again: nothing is due any more
    assert sweep_at(minutes(44)).cases == 0
    assert sla_mail() == [("sla_warning", owner)]

    assert sweep_at(minutes(45)).alerts == 1
    assert sla_mail() == sorted([("sla_warning", owner), ("sla_warning", owner), ("sla_warning", manager.email)])
    assert sweep_at(minutes(45)).alerts == 0
    case.refresh_from_db()
    assert not case.is_sla_breached

    assert sweep_at(minutes(60)).alerts == 1
    breach_mail = [message for message in sla_mail() if message[0] == "sla_breach"]
    assert breach_mail == sorted([("sla_breach", owner), ("sla_breach", manager.email), ("sla_breach", TEAM_INBOX)])
    assert sweep_at(minutes(60)).alerts == 0
    assert sweep_at(minutes(61)).alerts == 0

    assert len(sla_mail()) == 1 + 2 + 3
    assert alerts_of(case) == [(Kind.FIRST_RESPONSE, 50), (Kind.FIRST_RESPONSE, 75), (Kind.FIRST_RESPONSE, 100)]
    case.refresh_from_db()
    assert case.is_sla_breached
    # Next: the resolution clock's 50% warning.
    assert case.next_sla_check_at == minutes(12 * 60)
    breach = sla_events(case).last()
    assert breach.visibility == EscalationEvent.Visibility.INTERNAL
    assert (breach.data["clock"], breach.data["threshold"], breach.created_at) == ("first_response", 100, minutes(60))
    assert "breached" in breach.body
    first_response = SLAClock.objects.get(escalation=case, kind=Kind.FIRST_RESPONSE)
    assert (first_response.breached_at, first_response.stopped_at) == (minutes(60), None)


def test_the_alerts_record_who_was_told(file_case, sweep_at, specialist, manager):
    case = file_case(owner=specialist)

    sweep_at(minutes(60))

    recipients = dict(SLAAlert.objects.filter(clock__escalation=case).values_list("threshold", "recipients"))
    assert recipients == {
        50: [specialist.email],
        75: sorted([specialist.email, manager.email]),
        100: sorted([specialist.email, manager.email, TEAM_INBOX]),
    }


def test_a_sweep_that_comes_late_fires_every_passed_threshold_once(file_case, sweep_at, specialist, manager):
    case = file_case(owner=specialist)

    result = sweep_at(minutes(61))

    assert (result.cases, result.alerts) == (1, 3)
    assert alerts_of(case) == [(Kind.FIRST_RESPONSE, 50), (Kind.FIRST_RESPONSE, 75), (Kind.FIRST_RESPONSE, 100)]
    assert sla_mail() == sorted(
        [("sla_warning", specialist.email)]
        + [("sla_warning", specialist.email), ("sla_warning", manager.email)]
        + [("sla_breach", specialist.email), ("sla_breach", manager.email), ("sla_breach", TEAM_INBOX)]
    )
    # Each threshold is dated when it was reached, not when the sweep noticed.
    assert [event.created_at for event in sla_events(case)] == [minutes(30), minutes(45), minutes(60)]

    queued = OutboxMessage.objects.count()
    assert sweep_at(minutes(61)).alerts == 0
    assert sweep_at(minutes(90)).alerts == 0
    assert OutboxMessage.objects.count() == queued
    assert SLAAlert.objects.count() == 3


def test_an_unassigned_case_warns_the_team_inbox(file_case, sweep_at):
    case = file_case()

    sweep_at(minutes(45))

    # No owner and no managers: both warnings go to the team inbox.
    assert sla_mail() == [("sla_warning", TEAM_INBOX), ("sla_warning", TEAM_INBOX)]
    assert alerts_of(case) == [(Kind.FIRST_RESPONSE, 50), (Kind.FIRST_RESPONSE, 75)]


def test_manager_addresses_from_settings_replace_the_manager_accounts(file_case, sweep_at, manager, settings):
    settings.SLA_MANAGER_EMAILS = ["duty-manager@example.com"]
    file_case()

    sweep_at(minutes(45))

    assert sla_mail() == [("sla_warning", "duty-manager@example.com"), ("sla_warning", TEAM_INBOX)]


def test_a_first_response_in_time_stops_the_ladder(file_case, sweep_at, at, specialist):
    case = file_case(owner=specialist)
    sweep_at(minutes(30))
    at(minutes(40))
    services.escalation_email_customer(
        acting_user=specialist, escalation=case, subject="We are on it", body="We found the cause."
    )

    sweep_at(minutes(61))

    assert alerts_of(case) == [(Kind.FIRST_RESPONSE, 50)]
    case.refresh_from_db()
    assert not case.is_sla_breached
    # Next: 50% of the next update (four hours from the email).
    assert case.next_sla_check_at == minutes(40 + 120)


def test_an_overdue_handoff_alerts_the_partner_team_and_the_case_owner(
    file_case, sweep_at, at, specialist, partner_team, partner
):
    partner_team.handoff_response_target_minutes = 60
    partner_team.save(update_fields=["handoff_response_target_minutes"])
    # P3 runs in business hours: first response is due at 17:00 New York, long after the handoff.
    case = file_case("P3", owner=specialist)
    at(FILED_AT)
    handoff = services.handoff_request(
        acting_user=specialist, escalation=case, partner_team=partner_team, ask="Why were the invoices sent twice?"
    )

    assert sweep_at(minutes(59)).alerts == 0
    assert sweep_at(minutes(60)).alerts == 1

    (alert,) = SLAAlert.objects.all()
    assert (alert.clock.handoff, alert.threshold) == (handoff, 100)
    assert sla_mail() == sorted(
        [("sla_breach", partner.email), ("sla_breach", partner_team.contact_email), ("sla_breach", specialist.email)]
    )
    assert sla_events(case).get().data["clock"] == "handoff"
    assert sweep_at(minutes(61)).alerts == 0


# --- failures --------------------------------------------------------------------------------------


def test_a_case_that_fails_is_retried_in_five_minutes_and_the_others_are_still_swept(
    file_case, sweep_at, specialist, monkeypatch
):
    broken, healthy = file_case(owner=specialist), file_case(owner=specialist)
    computed = engine.moment_at_fraction

    def moment_at_fraction(clock, fraction):
        if clock.escalation_id == broken.pk:
            raise RuntimeError("calendar lookup failed")
        return computed(clock, fraction)

    monkeypatch.setattr(engine, "moment_at_fraction", moment_at_fraction)

    result = sweep_at(minutes(30))

    assert (result.cases, result.alerts, result.failed) == (2, 1, 1)
    assert alerts_of(healthy) == [(Kind.FIRST_RESPONSE, 50)]
    assert alerts_of(broken) == []
    broken.refresh_from_db()
    assert broken.next_sla_check_at == minutes(35)

    monkeypatch.setattr(engine, "moment_at_fraction", computed)
    assert sweep_at(minutes(34)).cases == 0
    assert sweep_at(minutes(35)).alerts == 1
    assert alerts_of(broken) == [(Kind.FIRST_RESPONSE, 50)]


def test_a_failure_while_queueing_mail_takes_back_the_alert_so_the_retry_sends_it_once(
    file_case, sweep_at, specialist, manager, monkeypatch
):
    case = file_case(owner=specialist)
    prepare = sweep.outbox_prepare

    def prepare_then_fail(**message):
        # Both warnings are prepared by now; the breach mail is the one that fails.
        if message["template"] == "sla_breach":
            raise ConnectionError("database went away")
        return prepare(**message)

    monkeypatch.setattr(sweep, "outbox_prepare", prepare_then_fail)

    assert sweep_at(minutes(61)).failed == 1

    # The warnings went down with the breach: nothing of the case's sweep was kept.
    assert alerts_of(case) == []
    assert sla_mail() == []
    assert not sla_events(case).exists()
    case.refresh_from_db()
    assert case.next_sla_check_at == minutes(66)

    monkeypatch.setattr(sweep, "outbox_prepare", prepare)
    assert sweep_at(minutes(66)).alerts == 3
    assert sla_mail() == sorted(
        [("sla_warning", specialist.email)]
        + [("sla_warning", specialist.email), ("sla_warning", manager.email)]
        + [("sla_breach", specialist.email), ("sla_breach", manager.email), ("sla_breach", TEAM_INBOX)]
    )
    assert sla_events(case).count() == 3


def test_cases_are_swept_in_batches_until_none_is_due(file_case, at, specialist):
    cases = [file_case(owner=specialist) for _ in range(5)]
    at(minutes(30))

    result = sla_sweep(batch_size=2)

    assert (result.cases, result.alerts, result.failed) == (5, 5, 0)
    assert all(alerts_of(case) == [(Kind.FIRST_RESPONSE, 50)] for case in cases)


# --- backfill --------------------------------------------------------------------------------------


def test_a_backfilled_case_remembers_past_thresholds_without_mailing_anyone(at, requester, account, specialist):
    now = at(FILED_AT + timedelta(hours=2))
    case = factories.EscalationFactory(
        requester=requester,
        account=account,
        assignee=specialist,
        priority="P1",
        status=Status.IN_PROGRESS.value,
        filed_at=FILED_AT,
        triaged_at=FILED_AT,
    )

    assert sla_backfill(escalations=Escalation.objects.filter(pk=case.pk), now=now) == 1

    assert sorted(SLAClock.objects.filter(escalation=case).values_list("kind", flat=True)) == [
        Kind.FIRST_RESPONSE,
        Kind.RESOLUTION,
    ]
    alerts = SLAAlert.objects.filter(clock__escalation=case).order_by("threshold")
    assert [(alert.threshold, alert.fired_at, alert.recipients) for alert in alerts] == [
        (50, minutes(30), []),
        (75, minutes(45), []),
        (100, minutes(60), []),
    ]
    case.refresh_from_db()
    assert case.is_sla_breached
    assert case.next_sla_check_at == minutes(12 * 60)
    assert OutboxMessage.objects.count() == 0

    assert sla_sweep().alerts == 0
    assert OutboxMessage.objects.count() == 0
    assert sla_backfill(escalations=Escalation.objects.filter(pk=case.pk), now=now) == 0


def test_a_backfilled_case_that_was_answered_has_a_met_first_response(at, requester, account):
    now = at(FILED_AT + timedelta(hours=2))
    case = factories.EscalationFactory(
        requester=requester,
        account=account,
        priority="P1",
        status=Status.IN_PROGRESS.value,
        filed_at=FILED_AT,
        first_response_at=minutes(20),
    )

    sla_backfill(escalations=Escalation.objects.filter(pk=case.pk), now=now)

    first_response = SLAClock.objects.get(escalation=case, kind=Kind.FIRST_RESPONSE)
    assert (first_response.outcome, first_response.business_minutes_used) == (SLAClock.Outcome.MET, 20)
    next_update = SLAClock.objects.get(escalation=case, kind=Kind.NEXT_UPDATE)
    assert (next_update.started_at, next_update.due_at) == (minutes(20), minutes(20 + 240))
    assert not SLAAlert.objects.exists()
    case.refresh_from_db()
    assert not case.is_sla_breached
    assert case.next_sla_check_at == minutes(20 + 120)


# --- several workers at once (PostgreSQL) ----------------------------------------------------------


@pytest.fixture
def sla_policies(transactional_db):
    """Transactional tests start from emptied tables: put back the calendars and policies of migration 0008."""
    migration = importlib.import_module("escalations.migrations.0008_default_sla_policies")
    migration.add_defaults(django_apps, None)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks with SKIP LOCKED need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_parallel_sweeps_announce_every_threshold_exactly_once(sla_policies, at, specialist, manager):
    at(FILED_AT)
    account = factories.AccountFactory()
    requester = factories.RequesterFactory()
    cases = []
    for _ in range(30):
        case = factories.EscalationFactory(
            requester=requester, account=account, assignee=specialist, priority="P1", filed_at=FILED_AT
        )
        engine.on_filed(case)
        cases.append(case)
    at(minutes(61))

    workers, start, results, errors = 4, threading.Barrier(4), [], []

    def worker():
        try:
            start.wait()
            results.append(sla_sweep(batch_size=7))
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
    assert sum(result.alerts for result in results) == 30 * 3
    assert sum(result.failed for result in results) == 0
    fired = list(SLAAlert.objects.values_list("clock__escalation", "clock__kind", "threshold"))
    assert len(fired) == len(set(fired)) == 30 * 3
    assert set(fired) == {(case.pk, Kind.FIRST_RESPONSE, threshold) for case in cases for threshold in (50, 75, 100)}
    # Owner at 50%; owner and manager at 75%; owner, manager and team inbox at the breach.
    assert OutboxMessage.objects.filter(template__in=SLA_TEMPLATES).count() == 30 * (1 + 2 + 3)
    assert EscalationEvent.objects.filter(kind=EscalationEvent.Kind.SLA).count() == 30 * 3
    assert not Escalation.objects.filter(next_sla_check_at__lte=minutes(61)).exists()
