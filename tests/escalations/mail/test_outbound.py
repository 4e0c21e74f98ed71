"""Email to the customer from a case: a reply address that identifies the case, a stored Message-ID, a signature."""

import pytest
from django.core import mail

from escalations import services
from escalations.mail.addresses import reply_address
from escalations.mail.models import InboundEmail
from escalations.mail.services import inbound_email_receive
from escalations.models import Communication, OutboxMessage
from tests import factories
from tests.escalations.mail.conftest import eml


@pytest.fixture
def case(db, requester, specialist, customer):
    return factories.EscalationFactory(
        requester=requester, account=customer, status="in_progress", assignee=specialist, reference="ESC-1042"
    )


def email(case, user, **overrides):
    fields = {"subject": "[ESC-1042] Payroll export", "body": "Hello Gina,\n\nWe found it.", **overrides}
    return services.escalation_email_customer(acting_user=user, escalation=case, **fields)


def test_the_sent_email_carries_the_case_reply_address_and_its_stored_message_id(
    case, specialist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        communication = email(case, specialist)

    sent = mail.outbox[-1]
    assert sent.to == ["gina@initech.example"]
    headers = sent.message()
    assert headers["Reply-To"] == reply_address("ESC-1042")
    assert headers["Reply-To"].startswith("escalations+ESC-1042.")
    assert headers["Reply-To"].endswith("@mail.escalations.test")
    assert headers["Message-ID"] == communication.message_id
    assert communication.message_id.endswith("@mail.escalations.test>")
    assert headers["In-Reply-To"] is None  # the first email of the conversation


def test_each_email_gets_its_own_message_id_and_answers_the_previous_one(case, specialist):
    first = email(case, specialist)
    second = email(case, specialist, subject="Update")

    assert first.message_id != second.message_id
    assert second.outbox_message.headers["In-Reply-To"] == first.message_id
    assert second.references == first.message_id


def test_an_email_after_the_customers_reply_answers_their_message(case, specialist):
    email(case, specialist)
    inbound_email_receive(raw=eml("plain.eml", reference="ESC-1042"), source=InboundEmail.Source.HTTP)

    answer = email(case, specialist, subject="Re: Payroll")

    headers = answer.outbox_message.headers
    assert headers["In-Reply-To"] == "<CAPlain-0001@mail.initech.example>"
    assert headers["References"].split() == [
        "<outbound-0@mail.escalations.test>",
        "<outbound-1@mail.escalations.test>",
        "<CAPlain-0001@mail.initech.example>",
    ]


def test_the_specialists_signature_is_added_below_the_text(case, specialist):
    specialist.email_signature = "Sam Specialist\nEscalations team"
    specialist.save()

    communication = email(case, specialist)

    expected = "Hello Gina,\n\nWe found it.\n\n-- \nSam Specialist\nEscalations team"
    assert communication.outbox_message.body_text == expected
    assert communication.body == expected


def test_without_a_signature_the_text_is_sent_as_written(case, specialist):
    assert email(case, specialist).outbox_message.body_text == "Hello Gina,\n\nWe found it."


def test_the_timeline_shows_whether_the_email_was_delivered(client, case, specialist):
    communication = email(case, specialist)
    client.force_login(specialist)

    assert "Sending" in client.get("/escalations/ESC-1042/").content.decode()

    OutboxMessage.objects.filter(pk=communication.outbox_message_id).update(status="failed", last_error="550 no")
    page = client.get("/escalations/ESC-1042/").content.decode()
    assert 'class="badge delivery-failed" title="550 no">Not delivered' in page

    OutboxMessage.objects.filter(pk=communication.outbox_message_id).update(status="sent")
    assert "Delivered to the mail server" in client.get("/escalations/ESC-1042/").content.decode()


def test_the_case_page_costs_the_same_queries_with_more_customer_email(
    client, case, specialist, django_assert_max_num_queries
):
    client.force_login(specialist)
    email(case, specialist)
    with django_assert_max_num_queries(40) as few:
        client.get("/escalations/ESC-1042/")
    for n in range(8):
        email(case, specialist, subject=f"Update {n}")
    inbound_email_receive(raw=eml("plain.eml", reference="ESC-1042"), source="http")

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/escalations/ESC-1042/")

    assert response.content.decode().count("Sending") == 9
    assert Communication.objects.filter(escalation=case).count() == 10


def test_the_email_panel_shows_where_replies_come_back(client, case, specialist):
    client.force_login(specialist)

    page = client.get("/escalations/ESC-1042/").content.decode()

    assert f"Replies come back to this case at <code>{reply_address('ESC-1042')}</code>" in page


def test_an_auto_reply_is_not_what_our_next_email_answers(case, specialist):
    first = email(case, specialist)
    inbound_email_receive(raw=eml("auto_reply.eml", reference="ESC-1042"), source=InboundEmail.Source.HTTP)

    second = email(case, specialist, subject="Update")

    assert second.outbox_message.headers["In-Reply-To"] == first.message_id
