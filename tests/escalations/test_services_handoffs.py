"""Handing part of a case to a partner team: the ask, the team's acknowledgement, and its answer."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from escalations import services
from escalations.errors import InvalidInput, PermissionDenied, TransitionNotAllowed
from escalations.models import EscalationEvent, Handoff, OutboxMessage
from tests import factories

NOW = datetime(2026, 3, 10, 14, 30, tzinfo=UTC)


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def team(partner_team, partner):
    """Billing Platform: Pat and Pia answer, Ivan left; the team's on-call address is emailed too."""
    partner_team.contact_email = "billing-oncall@example.com"
    partner_team.handoff_response_target_minutes = 120
    partner_team.save(update_fields=["contact_email", "handoff_response_target_minutes"])
    partner_team.members.add(
        factories.PartnerFactory(email="pia.partner@example.com", display_name="Pia Partner"),
        factories.PartnerFactory(email="ivan.inactive@example.com", is_active=False),
    )
    return partner_team


@pytest.fixture
def pia(team):
    return team.members.get(email="pia.partner@example.com")


@pytest.fixture
def outsider(db):
    """A partner in another team."""
    user = factories.PartnerFactory(email="olga.outsider@example.com", display_name="Olga Outsider")
    factories.PartnerTeamFactory(name="Identity", slug="identity").members.add(user)
    return user


@pytest.fixture
def case(db, requester, account, specialist):
    return factories.EscalationFactory(
        requester=requester, account=account, title="Invoices doubled", status="in_progress", assignee=specialist,
        triaged_at=NOW - timedelta(days=1),
    )  # fmt: skip


@pytest.fixture
def handoff(case, team, specialist):
    return factories.HandoffFactory(
        escalation=case, partner_team=team, requested_by=specialist, ask="Why was March billed twice?",
        created_at=NOW - timedelta(hours=1), due_at=NOW + timedelta(hours=1),
    )  # fmt: skip


def _ask(case, specialist, team, **overrides):
    arguments = {"ask": "Why was March billed twice?"}
    arguments.update(overrides)
    return services.handoff_request(acting_user=specialist, escalation=case, partner_team=team, **arguments)


# --- request -------------------------------------------------------------------------------------------------------


def test_a_handoff_emails_each_active_member_and_the_team_address_once(
    case, specialist, team, frozen_now, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        handoff = _ask(case, specialist, team)

    assert (handoff.status, handoff.requested_by, handoff.ask, handoff.created_at) == (
        "requested", specialist, "Why was March billed twice?", frozen_now,
    )  # fmt: skip
    recipients = ["billing-oncall@example.com", "pat.partner@example.com", "pia.partner@example.com"]
    assert sorted(OutboxMessage.objects.filter(template="handoff_requested").values_list("recipient", flat=True)) == (
        recipients
    )
    assert OutboxMessage.objects.count() == 3
    assert sorted(address for message in mailoutbox for address in message.to) == recipients
    assert mailoutbox[0].subject == f"[{case.reference}] Billing Platform: your help is needed by Mar 10, 16:30 UTC"
    event = case.events.get()
    assert (event.kind, event.visibility, event.actor) == ("handoff", "internal", specialist)
    assert event.body == "Sam Specialist handed off to Billing Platform: Why was March billed twice?"
    assert event.data == {
        "handoff": handoff.pk,
        "partner_team": "billing-platform",
        "status": "requested",
        "due_at": (frozen_now + timedelta(minutes=120)).isoformat(),
    }


def test_a_member_who_is_also_the_team_address_is_emailed_once(
    case, specialist, team, partner, django_capture_on_commit_callbacks
):
    team.contact_email = partner.email
    team.save(update_fields=["contact_email"])

    with django_capture_on_commit_callbacks(execute=True):
        _ask(case, specialist, team)

    assert sorted(OutboxMessage.objects.values_list("recipient", flat=True)) == [
        "pat.partner@example.com", "pia.partner@example.com",
    ]  # fmt: skip


def test_due_time_defaults_to_the_team_response_target(case, specialist, team, frozen_now):
    case.priority = "P1"  # the P1 policy runs on the 24×7 calendar: business time is wall-clock time
    case.save(update_fields=["priority"])

    handoff = _ask(case, specialist, team)

    assert handoff.due_at == frozen_now + timedelta(minutes=120)
    assert services.handoff_default_due(partner_team=team, escalation=case, now=frozen_now) == handoff.due_at


def test_due_time_on_office_hours_carries_over_to_the_next_working_day(case, specialist, team):
    # P3 runs on New York business hours, 9:00–17:00: asked at 16:00 there, one hour is left today.
    with time_machine.travel(datetime(2026, 3, 10, 20, 0, tzinfo=UTC), tick=False):
        handoff = _ask(case, specialist, team)

    assert handoff.due_at == datetime(2026, 3, 11, 14, 0, tzinfo=UTC)  # 10:00 the next morning in New York


def test_a_due_time_given_is_kept(case, specialist, team, frozen_now):
    handoff = _ask(case, specialist, team, due_at=frozen_now + timedelta(days=2))

    handoff.refresh_from_db()
    assert handoff.due_at == frozen_now + timedelta(days=2)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"due_at": NOW - timedelta(minutes=1)}, "due_at", "The due time must be in the future."),
        ({"due_at": NOW}, "due_at", "The due time must be in the future."),
        ({"ask": "   "}, "ask", "Say what the partner team needs to do or answer."),
    ],
)
def test_a_handoff_due_in_the_past_or_without_an_ask_is_refused(
    case, specialist, team, frozen_now, overrides, field, message
):
    with pytest.raises(InvalidInput) as refused:
        _ask(case, specialist, team, wait_on_partner=True, **overrides)

    assert (refused.value.field, refused.value.message) == (field, message)
    case.refresh_from_db()
    assert case.status == "in_progress"
    assert Handoff.objects.count() == 0
    assert EscalationEvent.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_waiting_on_the_partner_moves_an_in_progress_case_in_the_same_step(case, specialist, team):
    _ask(case, specialist, team, wait_on_partner=True)

    case.refresh_from_db()
    assert case.status == "waiting_on_partner"
    assert case.version == 2
    assert [event.kind for event in case.events.all()] == ["handoff", "status_changed"]


@pytest.mark.parametrize(("status", "wait_on_partner"), [("in_progress", False), ("triaged", True)])
def test_the_case_stays_where_it_is_unless_asked_and_in_progress(case, specialist, team, status, wait_on_partner):
    case.status = status
    case.save(update_fields=["status"])

    _ask(case, specialist, team, wait_on_partner=wait_on_partner)

    case.refresh_from_db()
    assert (case.status, case.version) == (status, 1)
    assert [event.kind for event in case.events.all()] == ["handoff"]


@pytest.mark.parametrize("role_fixture", ["requester", "partner"])
def test_only_case_workers_hand_off(request, case, team, role_fixture):
    with pytest.raises(PermissionDenied):
        _ask(case, request.getfixturevalue(role_fixture), team)

    assert Handoff.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


# --- acknowledge ---------------------------------------------------------------------------------------------------


def test_acknowledging_stops_the_clock_and_tells_the_case_owner(
    handoff, partner, specialist, frozen_now, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        services.handoff_acknowledge(acting_user=partner, handoff=handoff)

    handoff.refresh_from_db()
    assert handoff.status == "acknowledged"
    assert handoff.acknowledged_at == handoff.responded_at == frozen_now
    assert handoff.responded_by == partner
    assert handoff.answered_at is None
    event = handoff.escalation.events.get()
    assert (event.kind, event.visibility, event.actor) == ("handoff", "internal", partner)
    assert event.body == "Pat Partner acknowledged the handoff for Billing Platform."
    assert event.data == {"handoff": handoff.pk, "partner_team": "billing-platform", "status": "acknowledged"}
    message = OutboxMessage.objects.get()
    assert (message.recipient, message.template) == (specialist.email, "case_comment")
    assert [m.to for m in mailoutbox] == [[specialist.email]]


def test_the_owner_acknowledging_for_the_team_emails_nobody(handoff, specialist, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.handoff_acknowledge(acting_user=specialist, handoff=handoff)

    handoff.refresh_from_db()
    assert (handoff.status, handoff.responded_by) == ("acknowledged", specialist)
    assert OutboxMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("acknowledged", "This handoff is already acknowledged."),
        ("answered", "This handoff is already answered."),
        ("cancelled", "This handoff is already cancelled."),
    ],
)
def test_a_handoff_is_acknowledged_only_once_and_only_while_open(handoff, pia, status, message):
    Handoff.objects.filter(pk=handoff.pk).update(status=status)

    with pytest.raises(TransitionNotAllowed) as refused:
        services.handoff_acknowledge(acting_user=pia, handoff=handoff)

    assert refused.value.message == message
    handoff.refresh_from_db()
    assert (handoff.status, handoff.responded_by, handoff.acknowledged_at) == (status, None, None)
    assert EscalationEvent.objects.count() == 0


# --- answer --------------------------------------------------------------------------------------------------------


def test_the_answer_closes_the_handoff_and_keeps_the_first_response_time(
    handoff, partner, pia, specialist, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.handoff_acknowledge(acting_user=partner, handoff=handoff)
    with time_machine.travel(NOW + timedelta(hours=2), tick=False), django_capture_on_commit_callbacks(execute=True):
        services.handoff_answer(acting_user=pia, handoff=handoff, response="  A retry job ran twice.  ")

    handoff.refresh_from_db()
    assert (handoff.status, handoff.response) == ("answered", "A retry job ran twice.")
    assert (handoff.acknowledged_at, handoff.responded_at, handoff.responded_by) == (NOW, NOW, partner)
    assert handoff.answered_at == NOW + timedelta(hours=2)
    answered = handoff.escalation.events.get(data__status="answered")
    assert (answered.actor, answered.visibility) == (pia, "internal")
    assert answered.body == "Pia Partner answered for Billing Platform: A retry job ran twice."
    assert list(OutboxMessage.objects.values_list("recipient", flat=True)) == [specialist.email] * 2  # once per event


def test_answering_without_acknowledging_first_is_also_the_first_response(handoff, partner, frozen_now):
    services.handoff_answer(acting_user=partner, handoff=handoff, response="Fixed in the billing job.")

    handoff.refresh_from_db()
    assert handoff.status == "answered"
    assert handoff.answered_at == handoff.responded_at == frozen_now
    assert handoff.acknowledged_at is None
    assert handoff.responded_by == partner


def test_an_empty_answer_is_refused(handoff, partner):
    with pytest.raises(InvalidInput) as refused:
        services.handoff_answer(acting_user=partner, handoff=handoff, response=" \n ")

    assert (refused.value.field, refused.value.message) == ("response", "Write the answer.")
    handoff.refresh_from_db()
    assert (handoff.status, handoff.response, handoff.responded_at) == ("requested", "", None)
    assert EscalationEvent.objects.count() == 0


def test_an_answered_handoff_cannot_be_answered_again(handoff, partner, pia):
    services.handoff_answer(acting_user=partner, handoff=handoff, response="First answer")

    with pytest.raises(TransitionNotAllowed) as refused:
        services.handoff_answer(acting_user=pia, handoff=handoff, response="Second answer")

    assert refused.value.message == "This handoff is already answered."
    handoff.refresh_from_db()
    assert (handoff.response, handoff.responded_by) == ("First answer", partner)
    assert handoff.escalation.events.count() == 1


# --- who may -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role_fixture", ["outsider", "requester"])
def test_only_the_team_or_case_workers_acknowledge_or_answer(request, handoff, role_fixture):
    someone = request.getfixturevalue(role_fixture)

    with pytest.raises(PermissionDenied) as refused:
        services.handoff_acknowledge(acting_user=someone, handoff=handoff)
    with pytest.raises(PermissionDenied):
        services.handoff_answer(acting_user=someone, handoff=handoff, response="Not my team, but here goes")

    assert refused.value.message == (
        "Only members of Billing Platform or the escalations team can answer this handoff."
    )
    handoff.refresh_from_db()
    assert (handoff.status, handoff.response, handoff.responded_by) == ("requested", "", None)
    assert EscalationEvent.objects.count() == 0
    assert OutboxMessage.objects.count() == 0
