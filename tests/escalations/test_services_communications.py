"""Talking to the customer from the case: emails through the outbox, logged calls, and the templates behind them."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from escalations import services
from escalations.errors import InvalidInput, PermissionDenied
from escalations.models import Communication, CommunicationTemplate, EscalationEvent, OutboxMessage
from tests import factories

NOW = datetime(2026, 3, 10, 14, 30, tzinfo=UTC)


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def customer(db):
    return factories.AccountFactory(
        external_id="acct_initech01",
        name="Initech",
        contact_name="Gina Gomez",
        contact_email="gina@initech.example",
        contact_phone="+1 555 0100",
    )


@pytest.fixture
def case(db, requester, customer, specialist):
    return factories.EscalationFactory(
        requester=requester, account=customer, title="Payroll export empty", status="in_progress", assignee=specialist
    )


@pytest.fixture
def greeting(db):
    """Seeded by migration 0006."""
    return CommunicationTemplate.objects.get(slug="greeting")


def _email(case, specialist, **overrides):
    arguments = {"subject": "We are on it", "body": "Hello Gina,\n\nWe found the cause."}
    arguments.update(overrides)
    return services.escalation_email_customer(acting_user=specialist, escalation=case, **arguments)


def _nothing_written(case):
    case.refresh_from_db()
    assert case.first_response_at is None
    assert case.version == 1
    assert Communication.objects.count() == 0
    assert EscalationEvent.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


# --- email ---------------------------------------------------------------------------------------------------------


def test_emailing_the_customer_queues_one_message_to_the_contact_and_records_it(
    case, specialist, frozen_now, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        communication = _email(case, specialist)

    message = OutboxMessage.objects.get()
    assert (message.recipient, message.subject, message.body_text) == (
        "gina@initech.example", "We are on it", "Hello Gina,\n\nWe found the cause.",
    )  # fmt: skip
    assert (message.template, message.escalation, message.dedupe_key) == (
        "customer", case, f"communication:{communication.pk}",
    )  # fmt: skip
    assert [(m.to, m.subject) for m in mailoutbox] == [(["gina@initech.example"], "We are on it")]
    communication.refresh_from_db()
    assert communication.outbox_message == message
    assert (communication.channel, communication.direction, communication.counterpart) == (
        "email", "outbound", "gina@initech.example",
    )  # fmt: skip
    assert communication.created_by == specialist
    event = communication.event
    assert event.escalation == case
    assert event.kind == EscalationEvent.Kind.COMMUNICATION
    assert event.visibility == EscalationEvent.Visibility.SHARED
    assert event.actor == specialist
    assert event.body == (
        "Sam Specialist emailed the customer (gina@initech.example): We are on it\n\nHello Gina,\n\nWe found the cause."
    )
    assert event.data == {"channel": "email", "direction": "outbound", "to": "gina@initech.example"}
    case.refresh_from_db()
    assert case.first_response_at == frozen_now
    assert case.updated_at == frozen_now
    assert case.version == 1  # a message is not an edit: nobody's open form goes stale


def test_email_goes_to_the_address_given_instead_of_the_contact(case, specialist, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        communication = _email(case, specialist, to=" cfo@initech.example ")

    assert list(OutboxMessage.objects.values_list("recipient", flat=True)) == ["cfo@initech.example"]
    assert communication.counterpart == "cfo@initech.example"


def test_only_the_first_email_stops_the_first_response_clock(case, specialist, django_capture_on_commit_callbacks):
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        _email(case, specialist, subject="First")
    with time_machine.travel(NOW + timedelta(hours=3), tick=False), django_capture_on_commit_callbacks(execute=True):
        _email(case, specialist, subject="Second")

    case.refresh_from_db()
    assert case.first_response_at == NOW
    assert case.updated_at == NOW + timedelta(hours=3)
    assert sorted(OutboxMessage.objects.values_list("subject", flat=True)) == ["First", "Second"]
    assert Communication.objects.filter(escalation=case).count() == 2


def test_email_written_from_a_template_remembers_it(case, specialist, greeting, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        communication = _email(case, specialist, template=greeting)

    assert communication.template == greeting
    assert OutboxMessage.objects.get().template == "customer:greeting"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"subject": "   "}, "subject", "Write a subject."),
        ({"body": ""}, "body", "Write the message."),
        ({"to": "gina at initech"}, "to", "“gina at initech” is not an email address."),
    ],
)
def test_an_incomplete_email_is_refused_and_nothing_written(case, specialist, overrides, field, message):
    with pytest.raises(InvalidInput) as refused:
        _email(case, specialist, **overrides)

    assert (refused.value.field, refused.value.message) == (field, message)
    _nothing_written(case)


def test_email_to_an_account_without_a_contact_needs_an_address(case, customer, specialist):
    customer.contact_email = ""
    customer.save(update_fields=["contact_email"])

    with pytest.raises(InvalidInput) as refused:
        _email(case, specialist, to="")

    assert refused.value.field == "to"
    assert refused.value.message == "Initech has no contact email; enter the address to write to."
    _nothing_written(case)


# --- calls ---------------------------------------------------------------------------------------------------------


def test_a_connected_call_to_the_customer_is_the_first_response(case, specialist, frozen_now):
    communication = services.escalation_log_call(
        acting_user=specialist, escalation=case, direction="outbound", outcome="connected",
        summary=" Walked Gina through the fix ", duration_minutes=12,
    )  # fmt: skip

    assert (communication.channel, communication.call_outcome, communication.duration_minutes) == (
        "phone", "connected", 12,
    )  # fmt: skip
    assert communication.counterpart == "+1 555 0100"
    assert communication.body == "Walked Gina through the fix"
    event = communication.event
    assert (event.kind, event.visibility, event.actor) == ("communication", "shared", specialist)
    assert event.body == "Sam Specialist logged a call to the customer (connected, 12 min): Walked Gina through the fix"
    assert event.data == {"channel": "phone", "direction": "outbound", "outcome": "connected", "minutes": 12}
    case.refresh_from_db()
    assert case.first_response_at == frozen_now
    assert OutboxMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("direction", "outcome", "words"),
    [
        ("outbound", "no_answer", "to the customer (no answer)"),
        ("outbound", "voicemail", "to the customer (left a voicemail)"),
        ("inbound", "connected", "from the customer (connected)"),
    ],
)
def test_a_call_that_did_not_reach_the_customer_leaves_the_clock_running(case, specialist, direction, outcome, words):
    communication = services.escalation_log_call(
        acting_user=specialist, escalation=case, direction=direction, outcome=outcome, summary="Tried the office line",
        number="+1 555 0199",
    )  # fmt: skip

    assert communication.event.body == f"Sam Specialist logged a call {words}: Tried the office line"
    assert communication.counterpart == "+1 555 0199"
    case.refresh_from_db()
    assert case.first_response_at is None


def test_a_later_connected_call_keeps_the_first_response(case, specialist):
    with time_machine.travel(NOW, tick=False):
        _email(case, specialist)
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        services.escalation_log_call(
            acting_user=specialist, escalation=case, direction="outbound", outcome="connected", summary="Follow-up"
        )

    case.refresh_from_db()
    assert case.first_response_at == NOW


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"direction": "sideways"}, "direction", "Say whether you called the customer or they called you."),
        ({"outcome": "great"}, "outcome", "Say how the call went."),
        ({"outcome": ""}, "outcome", "Say how the call went."),
        ({"summary": "  "}, "summary", "Summarise the call."),
        ({"duration_minutes": -1}, "duration_minutes", "The duration is in minutes, between 0 and 1440."),
        ({"duration_minutes": 1441}, "duration_minutes", "The duration is in minutes, between 0 and 1440."),
    ],
)
def test_a_call_with_bad_details_is_refused_and_nothing_written(case, specialist, overrides, field, message):
    arguments = {"direction": "outbound", "outcome": "connected", "summary": "Talked", "duration_minutes": 5}
    arguments.update(overrides)

    with pytest.raises(InvalidInput) as refused:
        services.escalation_log_call(acting_user=specialist, escalation=case, **arguments)

    assert (refused.value.field, refused.value.message) == (field, message)
    _nothing_written(case)


@pytest.mark.parametrize("role_fixture", ["requester", "partner"])
def test_only_case_workers_talk_to_the_customer_from_the_case(request, case, role_fixture):
    someone = request.getfixturevalue(role_fixture)

    with pytest.raises(PermissionDenied):
        _email(case, someone)
    with pytest.raises(PermissionDenied):
        services.escalation_log_call(
            acting_user=someone, escalation=case, direction="outbound", outcome="connected", summary="Hi"
        )

    _nothing_written(case)


# --- templates -----------------------------------------------------------------------------------------------------


def test_the_seeded_templates_are_there_in_order(db):
    assert list(CommunicationTemplate.objects.values_list("slug", flat=True)) == ["greeting", "update", "resolution"]


def test_a_template_is_filled_in_for_the_case_contact_and_specialist(case, specialist, greeting):
    subject, body = services.communication_template_render(template=greeting, escalation=case, specialist=specialist)

    assert subject == f"{case.reference}: we are on it — Payroll export empty"
    assert body.startswith("Hello Gina Gomez,\n\nI am Sam Specialist from the escalations team")
    assert f"{case.reference} about “Payroll export empty”" in body
    assert body.endswith("Best regards,\nSam Specialist\nEscalations team")


def test_a_template_falls_back_to_the_account_name_and_the_specialist_email(case, customer):
    customer.contact_name = ""
    customer.save(update_fields=["contact_name"])
    nameless = factories.SpecialistFactory(email="nameless@example.com", display_name="")
    template = CommunicationTemplate(slug="t", subject="x", body="Dear {{ contact_name }}, {{ specialist }} here.")

    _, body = services.communication_template_render(template=template, escalation=case, specialist=nameless)

    assert body == "Dear Initech, nameless@example.com here."


def test_a_template_renders_plain_text_without_html_escaping(case, specialist):
    case.title = "Refunds & credits <late>"
    template = CommunicationTemplate(
        slug="t",
        subject="  {{ reference }}: {{ escalation.title }}  ",
        body="{{ account.name }} / {{ escalation.title }}",
    )

    subject, body = services.communication_template_render(template=template, escalation=case, specialist=specialist)

    assert subject == f"{case.reference}: Refunds & credits <late>"
    assert body == "Initech / Refunds & credits <late>"
