"""The SLA clocks of a case as the services start, stop, pause, resume and re-target them.

Times are chosen around the default policies of migration 0008: P1 runs on the 24×7 calendar, P2–P4 on
"Business hours" (America/New_York, Mon–Fri 09:00–17:00, US public holidays off). US clocks move forward on
Sunday 2026-03-08, so a deadline carried over that weekend lands on the same wall time but an hour earlier in UTC.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from escalations import services
from escalations.lifecycle import Status
from escalations.models import Escalation, SLAClock, SLAPolicy
from escalations.sla import engine
from tests import factories

NEW_YORK = ZoneInfo("America/New_York")
Kind = SLAClock.Kind
Outcome = SLAClock.Outcome


def ny(*args) -> datetime:
    """A wall-clock time in New York, the business-hours calendar's zone."""
    return datetime(*args, tzinfo=NEW_YORK)


MONDAY_9 = ny(2026, 3, 2, 9)  # 14:00 UTC
FRIDAY_16 = ny(2026, 3, 6, 16)  # the Friday before the switch to daylight saving time


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@pytest.fixture
def file_case(at, requester, account):
    """File an escalation through the filing service at a given moment."""

    def file(priority: str, when: datetime, **fields) -> Escalation:
        at(when)
        return services.escalation_file(
            acting_user=requester,
            account=fields.pop("account", account),
            title="Invoices doubled",
            description="Every invoice since Monday was sent twice.",
            priority=priority,
            **fields,
        )

    return file


@pytest.fixture
def move(at, specialist, driver):
    """Move a case along the lifecycle at a given moment, giving what each step needs; `case` is reloaded."""

    def transition(case: Escalation, status: Status, when: datetime, **inputs) -> Escalation:
        at(when)
        if status == Status.RESOLVED:
            inputs = {"resolution_summary": "Credited the duplicate invoices.", "root_cause": driver, **inputs}
        if status == Status.REJECTED:
            inputs = {"reason": "A how-to question, not an escalation.", **inputs}
        services.escalation_transition(acting_user=specialist, escalation=case, to_status=status.value, **inputs)
        case.refresh_from_db()  # as the next page would load it
        return case

    return transition


@pytest.fixture
def start_work(move):
    """Triage the case and start on it at the moment given."""

    def start(case: Escalation, when: datetime) -> Escalation:
        move(case, Status.TRIAGED, when)
        return move(case, Status.IN_PROGRESS, when)

    return start


@pytest.fixture
def email_customer(at, specialist):
    def email(case: Escalation, when: datetime):
        at(when)
        return services.escalation_email_customer(
            acting_user=specialist, escalation=case, subject="We are on it", body="We found the cause."
        )

    return email


def clocks_of(case: Escalation, kind: str) -> list[SLAClock]:
    return list(SLAClock.objects.filter(escalation=case, kind=kind).order_by("started_at", "pk"))


def clock_of(case: Escalation, kind: str) -> SLAClock:
    """The newest clock of that kind on the case."""
    return clocks_of(case, kind)[-1]


def summary_of(case: Escalation) -> tuple:
    case.refresh_from_db()
    return case.next_sla_check_at, case.sla_due_at, case.is_sla_breached


def make_policy(**fields) -> SLAPolicy:
    values = {
        "name": "Custom",
        "key": "custom",
        "priority": "P1",
        "calendar": SLAPolicy.objects.get(key="p1-critical").calendar,
        "first_response_minutes": 30,
        "next_update_minutes": 120,
        "resolution_minutes": 600,
    }
    values.update(fields)
    return SLAPolicy.objects.create(**values)


# --- which policy ---------------------------------------------------------------------------------


def test_the_policy_is_the_current_one_for_the_priority(db):
    policy = engine.policy_for(priority="P2", tier="business")

    assert (policy.key, policy.first_response_minutes, policy.calendar.name) == ("p2-high", 240, "Business hours")


def test_a_policy_for_the_account_tier_wins_over_the_one_for_any_tier(db):
    strategic = make_policy(key="p1-strategic", account_tier="strategic")

    assert engine.policy_for(priority="P1", tier="strategic") == strategic
    assert engine.policy_for(priority="P1", tier="business").key == "p1-critical"


def test_versions_that_are_not_current_are_ignored(db):
    SLAPolicy.objects.filter(key="p2-high").update(is_current=False)
    newer = make_policy(key="p2-high", version=2, priority="P2", first_response_minutes=120)
    make_policy(key="p2-strategic", priority="P2", account_tier="strategic", is_current=False)

    assert engine.policy_for(priority="P2", tier="business") == newer
    assert engine.policy_for(priority="P2", tier="strategic") == newer


def test_a_case_whose_priority_has_no_policy_gets_no_clocks(file_case):
    SLAPolicy.objects.filter(priority="P4").update(is_current=False)

    case = file_case("P4", MONDAY_9)

    assert not case.sla_clocks.exists()
    assert summary_of(case) == (None, None, False)


def test_the_case_is_filed_under_its_account_tier_policy(file_case, account):
    strategic = make_policy(key="p1-strategic", account_tier=account.tier, first_response_minutes=15)

    case = file_case("P1", MONDAY_9)

    first_response = clock_of(case, Kind.FIRST_RESPONSE)
    assert (first_response.policy, first_response.target_minutes) == (strategic, 15)
    assert first_response.due_at == MONDAY_9 + minutes(15)


# --- filing ----------------------------------------------------------------------------------------


def test_filing_a_p1_starts_first_response_and_resolution_around_the_clock(file_case):
    case = file_case("P1", MONDAY_9)

    first_response, resolution = clock_of(case, Kind.FIRST_RESPONSE), clock_of(case, Kind.RESOLUTION)
    assert case.sla_clocks.count() == 2
    assert (first_response.policy.key, first_response.calendar.name, first_response.target_minutes) == (
        "p1-critical",
        "24×7",
        60,
    )
    assert (first_response.started_at, first_response.running_since) == (MONDAY_9, MONDAY_9)
    assert first_response.due_at == MONDAY_9 + minutes(60)
    assert resolution.due_at == MONDAY_9 + timedelta(hours=24)
    # The first thing that could fire is the 50% warning of first response.
    assert summary_of(case) == (MONDAY_9 + minutes(30), MONDAY_9 + minutes(60), False)


def test_a_p3_filed_friday_afternoon_is_due_monday_afternoon_in_business_time(file_case):
    case = file_case("P3", FRIDAY_16)

    first_response, resolution = clock_of(case, Kind.FIRST_RESPONSE), clock_of(case, Kind.RESOLUTION)
    # 480 business minutes: Friday 16–17, then Monday 9–16 (daylight saving time began on Sunday).
    assert first_response.due_at == ny(2026, 3, 9, 16)
    assert first_response.due_at == datetime(2026, 3, 9, 20, tzinfo=UTC)
    # 2400 business minutes: one hour on Friday, four full days, seven hours of the next Friday.
    assert resolution.due_at == ny(2026, 3, 13, 16)
    # 50% of first response: Friday 16–17 and Monday 9–12.
    assert summary_of(case) == (ny(2026, 3, 9, 12), ny(2026, 3, 9, 16), False)


def test_a_public_holiday_is_not_business_time(file_case):
    # Monday 2026-05-25 is Memorial Day.
    case = file_case("P3", ny(2026, 5, 22, 16))

    assert clock_of(case, Kind.FIRST_RESPONSE).due_at == ny(2026, 5, 26, 16)


# --- talking to the customer -----------------------------------------------------------------------


def test_emailing_the_customer_meets_first_response_and_starts_next_update(file_case, email_customer):
    case = file_case("P1", MONDAY_9)

    email_customer(case, MONDAY_9 + minutes(20))

    first_response = clock_of(case, Kind.FIRST_RESPONSE)
    assert first_response.stopped_at == MONDAY_9 + minutes(20)
    assert first_response.outcome == Outcome.MET
    assert (first_response.business_minutes_used, first_response.wall_minutes_used) == (20, 20)
    assert first_response.running_since is None
    (next_update,) = clocks_of(case, Kind.NEXT_UPDATE)
    assert (next_update.started_at, next_update.target_minutes) == (MONDAY_9 + minutes(20), 240)
    assert next_update.due_at == MONDAY_9 + minutes(20 + 240)
    assert next_update.stopped_at is None
    case.refresh_from_db()
    assert case.first_response_at == MONDAY_9 + minutes(20)
    assert summary_of(case) == (MONDAY_9 + minutes(20 + 120), MONDAY_9 + minutes(260), False)


def test_first_response_stores_business_and_wall_clock_minutes_apart(file_case, email_customer):
    case = file_case("P3", FRIDAY_16)

    email_customer(case, ny(2026, 3, 9, 10))

    first_response = clock_of(case, Kind.FIRST_RESPONSE)
    assert first_response.outcome == Outcome.MET
    assert first_response.business_minutes_used == 60 + 60
    # Friday 21:00 UTC to Monday 14:00 UTC.
    assert first_response.wall_minutes_used == 65 * 60


def test_each_email_stops_the_running_next_update_and_starts_a_new_one(file_case, email_customer):
    case = file_case("P1", MONDAY_9)
    email_customer(case, MONDAY_9 + minutes(20))

    email_customer(case, MONDAY_9 + minutes(80))

    first, second = clocks_of(case, Kind.NEXT_UPDATE)
    assert (first.stopped_at, first.outcome, first.business_minutes_used) == (
        MONDAY_9 + minutes(80),
        Outcome.MET,
        60,
    )
    assert (second.started_at, second.due_at, second.stopped_at) == (
        MONDAY_9 + minutes(80),
        MONDAY_9 + minutes(80 + 240),
        None,
    )
    assert clock_of(case, Kind.FIRST_RESPONSE).stopped_at == MONDAY_9 + minutes(20)


def test_a_late_first_email_is_recorded_as_breached(file_case, email_customer):
    case = file_case("P1", MONDAY_9)

    email_customer(case, MONDAY_9 + minutes(75))

    first_response = clock_of(case, Kind.FIRST_RESPONSE)
    assert (first_response.outcome, first_response.business_minutes_used, first_response.wall_minutes_used) == (
        Outcome.BREACHED,
        75,
        75,
    )


def test_an_email_exactly_at_the_due_time_is_in_time(file_case, email_customer):
    case = file_case("P1", MONDAY_9)

    email_customer(case, MONDAY_9 + minutes(60))

    assert clock_of(case, Kind.FIRST_RESPONSE).outcome == Outcome.MET


def test_an_internal_note_does_not_stop_first_response(file_case, at, specialist):
    case = file_case("P1", MONDAY_9)
    at(MONDAY_9 + minutes(20))

    services.escalation_comment(acting_user=specialist, escalation=case, body="Checked the logs.", is_internal=True)

    assert clock_of(case, Kind.FIRST_RESPONSE).stopped_at is None
    assert not clocks_of(case, Kind.NEXT_UPDATE)


def test_an_update_to_the_requester_does_not_stop_first_response_by_default(file_case, at, specialist):
    case = file_case("P1", MONDAY_9)
    at(MONDAY_9 + minutes(20))

    services.escalation_comment(acting_user=specialist, escalation=case, body="We are looking into it.")

    assert clock_of(case, Kind.FIRST_RESPONSE).stopped_at is None
    assert not clocks_of(case, Kind.NEXT_UPDATE)


def test_an_update_to_the_requester_counts_when_the_policy_says_so(file_case, at, specialist):
    SLAPolicy.objects.filter(key="p1-critical").update(requester_update_counts=True)
    case = file_case("P1", MONDAY_9)
    at(MONDAY_9 + minutes(20))

    services.escalation_comment(acting_user=specialist, escalation=case, body="We are looking into it.")

    first_response = clock_of(case, Kind.FIRST_RESPONSE)
    assert (first_response.stopped_at, first_response.outcome) == (MONDAY_9 + minutes(20), Outcome.MET)
    assert clock_of(case, Kind.NEXT_UPDATE).started_at == MONDAY_9 + minutes(20)


@pytest.mark.parametrize(
    ("direction", "outcome", "counts"),
    [
        ("outbound", "connected", True),
        ("outbound", "no_answer", False),
        ("outbound", "voicemail", False),
        ("inbound", "connected", False),
    ],
)
def test_only_a_connected_call_to_the_customer_stops_first_response(
    direction, outcome, counts, file_case, at, specialist
):
    case = file_case("P1", MONDAY_9)
    at(MONDAY_9 + minutes(20))

    services.escalation_log_call(
        acting_user=specialist, escalation=case, direction=direction, outcome=outcome, summary="Talked it through."
    )

    first_response = clock_of(case, Kind.FIRST_RESPONSE)
    assert (first_response.stopped_at is not None) == counts
    assert bool(clocks_of(case, Kind.NEXT_UPDATE)) == counts


# --- waiting ---------------------------------------------------------------------------------------


def test_waiting_on_the_customer_pauses_next_update_and_resolution_and_resuming_moves_them_later(
    file_case, start_work, email_customer, move
):
    case = file_case("P3", MONDAY_9)
    start_work(case, MONDAY_9)
    email_customer(case, ny(2026, 3, 2, 10))
    assert clock_of(case, Kind.RESOLUTION).due_at == ny(2026, 3, 6, 17)
    assert clock_of(case, Kind.NEXT_UPDATE).due_at == ny(2026, 3, 4, 10)

    move(case, Status.WAITING_ON_USER, ny(2026, 3, 2, 12))

    for kind, used in ((Kind.RESOLUTION, 180), (Kind.NEXT_UPDATE, 120)):
        clock = clock_of(case, kind)
        assert clock.is_paused, kind
        assert (clock.due_at, clock.used_minutes_before_pause) == (None, used)
    assert summary_of(case) == (None, None, False)

    # Paused 12–17 on Monday and 9–11 on Tuesday: 420 business minutes.
    move(case, Status.IN_PROGRESS, ny(2026, 3, 3, 11))

    resolution, next_update = clock_of(case, Kind.RESOLUTION), clock_of(case, Kind.NEXT_UPDATE)
    assert resolution.due_at == ny(2026, 3, 9, 16)  # Friday 17:00 + 420 business minutes
    assert next_update.due_at == ny(2026, 3, 4, 17)  # Wednesday 10:00 + 420 business minutes
    for clock in (resolution, next_update):
        assert clock.is_running
        (pause,) = clock.pauses.all()
        assert (pause.reason, pause.started_at, pause.ended_at, pause.business_minutes) == (
            "waiting on customer",
            ny(2026, 3, 2, 12),
            ny(2026, 3, 3, 11),
            420,
        )
    assert summary_of(case)[1] == ny(2026, 3, 4, 17)


def test_first_response_keeps_running_while_waiting_on_the_customer(file_case, start_work, move):
    case = file_case("P3", MONDAY_9)
    start_work(case, MONDAY_9)

    move(case, Status.WAITING_ON_USER, ny(2026, 3, 2, 10))

    first_response = clock_of(case, Kind.FIRST_RESPONSE)
    assert first_response.is_running
    assert first_response.due_at == ny(2026, 3, 2, 17)
    assert not first_response.pauses.exists()
    assert clock_of(case, Kind.RESOLUTION).is_paused
    assert summary_of(case) == (ny(2026, 3, 2, 13), ny(2026, 3, 2, 17), False)


def test_an_email_while_waiting_on_the_customer_starts_next_update_paused(file_case, start_work, move, email_customer):
    case = file_case("P3", MONDAY_9)
    start_work(case, MONDAY_9)
    move(case, Status.WAITING_ON_USER, ny(2026, 3, 2, 10))

    email_customer(case, ny(2026, 3, 2, 11))

    next_update = clock_of(case, Kind.NEXT_UPDATE)
    assert next_update.is_paused
    assert next_update.pauses.get().started_at == ny(2026, 3, 2, 11)


@pytest.mark.parametrize("pauses_on_partner", [False, True])
def test_waiting_on_a_partner_pauses_resolution_only_when_the_policy_says_so(
    pauses_on_partner, file_case, start_work, move
):
    SLAPolicy.objects.filter(key="p3-normal").update(pause_resolution_on_partner=pauses_on_partner)
    case = file_case("P3", MONDAY_9)
    start_work(case, MONDAY_9)

    move(case, Status.WAITING_ON_PARTNER, ny(2026, 3, 2, 11))

    resolution = clock_of(case, Kind.RESOLUTION)
    assert resolution.is_paused == pauses_on_partner
    assert clock_of(case, Kind.FIRST_RESPONSE).is_running

    move(case, Status.IN_PROGRESS, ny(2026, 3, 3, 11))

    resolution = clock_of(case, Kind.RESOLUTION)
    assert resolution.is_running
    # Paused on Monday 11–17 and Tuesday 9–11 (480 minutes), or not at all.
    assert resolution.due_at == (ny(2026, 3, 9, 17) if pauses_on_partner else ny(2026, 3, 6, 17))
    if pauses_on_partner:
        assert resolution.pauses.get().reason == "waiting on partner"


def test_resolving_while_waiting_on_the_customer_closes_the_pause_with_its_business_time(file_case, start_work, move):
    case = file_case("P3", MONDAY_9)
    start_work(case, MONDAY_9)
    move(case, Status.WAITING_ON_USER, ny(2026, 3, 2, 12))

    move(case, Status.RESOLVED, ny(2026, 3, 3, 11))

    resolution = clock_of(case, Kind.RESOLUTION)
    assert (resolution.outcome, resolution.business_minutes_used) == (Outcome.MET, 180)
    pause = resolution.pauses.get()
    assert (pause.ended_at, pause.business_minutes) == (ny(2026, 3, 3, 11), 420)


# --- priority and finishing ------------------------------------------------------------------------


def test_raising_the_priority_retargets_the_open_clocks_from_when_they_started(file_case, at, specialist):
    case = file_case("P3", MONDAY_9)
    at(MONDAY_9 + timedelta(hours=2))

    services.escalation_set_priority(acting_user=specialist, escalation=case, priority="P1")

    first_response, resolution = clock_of(case, Kind.FIRST_RESPONSE), clock_of(case, Kind.RESOLUTION)
    assert (first_response.policy.key, first_response.calendar.name, first_response.target_minutes) == (
        "p1-critical",
        "24×7",
        60,
    )
    assert (first_response.started_at, first_response.due_at) == (MONDAY_9, MONDAY_9 + minutes(60))
    assert resolution.due_at == MONDAY_9 + timedelta(hours=24)
    # Already late under the new target: breached, and due for the sweep right away.
    assert summary_of(case) == (MONDAY_9 + minutes(30), MONDAY_9 + minutes(60), True)


def test_a_priority_with_a_policy_starts_the_clocks_of_a_case_that_had_none_from_its_filing(file_case, at, specialist):
    SLAPolicy.objects.filter(priority="P4").update(is_current=False)
    case = file_case("P4", MONDAY_9)
    at(MONDAY_9 + timedelta(hours=2))

    services.escalation_set_priority(acting_user=specialist, escalation=case, priority="P1")

    first_response = clock_of(case, Kind.FIRST_RESPONSE)
    assert (first_response.started_at, first_response.due_at) == (MONDAY_9, MONDAY_9 + minutes(60))
    assert clock_of(case, Kind.RESOLUTION).due_at == MONDAY_9 + timedelta(hours=24)
    # Judged now, not at filing: first response is already an hour late.
    assert summary_of(case) == (MONDAY_9 + minutes(30), MONDAY_9 + minutes(60), True)


def test_lowering_the_priority_gives_the_open_clocks_more_time(file_case, at, specialist):
    case = file_case("P1", MONDAY_9)
    at(MONDAY_9 + minutes(30))

    services.escalation_set_priority(acting_user=specialist, escalation=case, priority="P3")

    assert clock_of(case, Kind.FIRST_RESPONSE).due_at == ny(2026, 3, 2, 17)
    assert clock_of(case, Kind.RESOLUTION).due_at == ny(2026, 3, 6, 17)
    assert summary_of(case) == (ny(2026, 3, 2, 13), ny(2026, 3, 2, 17), False)


def test_resolving_in_time_meets_resolution_and_cancels_next_update(file_case, start_work, email_customer, move):
    case = file_case("P1", MONDAY_9)
    start_work(case, MONDAY_9)
    email_customer(case, MONDAY_9 + minutes(20))

    move(case, Status.RESOLVED, MONDAY_9 + timedelta(hours=3))

    resolution = clock_of(case, Kind.RESOLUTION)
    assert (resolution.stopped_at, resolution.outcome, resolution.business_minutes_used) == (
        MONDAY_9 + timedelta(hours=3),
        Outcome.MET,
        180,
    )
    assert clock_of(case, Kind.NEXT_UPDATE).outcome == Outcome.CANCELLED
    assert clock_of(case, Kind.FIRST_RESPONSE).outcome == Outcome.MET
    assert not case.sla_clocks.filter(stopped_at__isnull=True).exists()
    assert summary_of(case) == (None, None, False)


def test_resolving_late_breaches_resolution(file_case, start_work, email_customer, move):
    case = file_case("P1", MONDAY_9)
    start_work(case, MONDAY_9)
    email_customer(case, MONDAY_9 + minutes(20))

    move(case, Status.RESOLVED, MONDAY_9 + timedelta(hours=25))

    resolution = clock_of(case, Kind.RESOLUTION)
    assert (resolution.outcome, resolution.business_minutes_used, resolution.wall_minutes_used) == (
        Outcome.BREACHED,
        25 * 60,
        25 * 60,
    )


@pytest.mark.parametrize("finish", [Status.REJECTED, Status.DUPLICATE])
def test_rejecting_or_marking_duplicate_cancels_every_clock(finish, file_case, move, requester, account):
    original = factories.EscalationFactory(requester=requester, account=account)
    case = file_case("P1", MONDAY_9)
    inputs = {"duplicate_of": original} if finish == Status.DUPLICATE else {}

    move(case, finish, MONDAY_9 + minutes(10), **inputs)

    outcomes = {clock.kind: clock.outcome for clock in case.sla_clocks.all()}
    assert outcomes == {Kind.FIRST_RESPONSE: Outcome.CANCELLED, Kind.RESOLUTION: Outcome.CANCELLED}
    assert summary_of(case) == (None, None, False)


def test_reopening_starts_a_new_resolution_clock(file_case, start_work, email_customer, move):
    case = file_case("P1", MONDAY_9)
    start_work(case, MONDAY_9)
    email_customer(case, MONDAY_9 + minutes(20))
    move(case, Status.RESOLVED, MONDAY_9 + timedelta(hours=3))

    move(case, Status.IN_PROGRESS, MONDAY_9 + timedelta(hours=5))

    first, second = clocks_of(case, Kind.RESOLUTION)
    assert first.outcome == Outcome.MET
    reopened_at = MONDAY_9 + timedelta(hours=5)
    assert (second.started_at, second.due_at, second.stopped_at) == (
        reopened_at,
        reopened_at + timedelta(hours=24),
        None,
    )
    assert summary_of(case) == (reopened_at + timedelta(hours=12), reopened_at + timedelta(hours=24), False)


# --- handoffs --------------------------------------------------------------------------------------


@pytest.fixture
def handoff_on_friday(file_case, at, specialist, partner_team, partner):
    """A P3 case filed Friday 14:00 New York, handed to a team with four business hours to respond at 15:00."""
    partner_team.handoff_response_target_minutes = 240
    partner_team.save(update_fields=["handoff_response_target_minutes"])
    case = file_case("P3", ny(2026, 3, 6, 14))
    at(ny(2026, 3, 6, 15))
    return services.handoff_request(
        acting_user=specialist, escalation=case, partner_team=partner_team, ask="Why were the invoices sent twice?"
    )


def test_a_handoff_starts_a_clock_with_the_team_target_in_the_case_calendar(handoff_on_friday):
    handoff = handoff_on_friday

    (clock,) = handoff.sla_clocks.all()
    assert (clock.kind, clock.escalation, clock.policy, clock.calendar.name, clock.target_minutes) == (
        Kind.HANDOFF,
        handoff.escalation,
        None,
        "Business hours",
        240,
    )
    # Friday 15–17, then Monday 9–11.
    assert clock.due_at == ny(2026, 3, 9, 11)
    assert handoff.due_at == clock.due_at


def test_acknowledging_a_handoff_in_time_meets_its_clock(handoff_on_friday, at, partner):
    at(ny(2026, 3, 9, 10))

    services.handoff_acknowledge(acting_user=partner, handoff=handoff_on_friday)

    clock = handoff_on_friday.sla_clocks.get()
    assert (clock.stopped_at, clock.outcome, clock.business_minutes_used) == (ny(2026, 3, 9, 10), Outcome.MET, 180)


def test_a_late_answer_breaches_the_handoff_clock(handoff_on_friday, at, partner):
    at(ny(2026, 3, 9, 12))

    services.handoff_answer(acting_user=partner, handoff=handoff_on_friday, response="A retry without a lock.")

    clock = handoff_on_friday.sla_clocks.get()
    assert (clock.outcome, clock.business_minutes_used) == (Outcome.BREACHED, 300)


def test_the_handoff_clock_is_not_the_case_due_time(handoff_on_friday):
    case = handoff_on_friday.escalation

    # First response (Friday 14–17 and Monday 9–14) is what the case owes; the handoff is the team's.
    assert summary_of(case)[1] == ny(2026, 3, 9, 14)


def test_an_agreed_handoff_due_time_is_the_clock_due_time(file_case, at, specialist, partner_team):
    case = file_case("P3", ny(2026, 3, 6, 14))
    at(ny(2026, 3, 6, 15))

    handoff = services.handoff_request(
        acting_user=specialist, escalation=case, partner_team=partner_team, ask="Check the ledger",
        due_at=ny(2026, 3, 10, 12),
    )  # fmt: skip

    (clock,) = handoff.sla_clocks.all()
    # Friday 15–17 (2 h), Monday 9–17 (8 h), Tuesday 9–12 (3 h): 13 business hours.
    assert clock.target_minutes == 13 * 60
    assert clock.due_at == handoff.due_at == ny(2026, 3, 10, 12)
