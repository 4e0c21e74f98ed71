"""A customer's reply and the SLA clocks: resolution resumes, the next update counts from the reply."""

from datetime import timedelta

from escalations import services
from escalations.mail.models import InboundEmail
from escalations.mail.services import inbound_email_receive
from escalations.models import SLAClock
from tests.escalations.mail.conftest import FILED_AT, eml

WAITING_SINCE = FILED_AT + timedelta(minutes=10)


def open_clock(case, kind):
    return SLAClock.objects.get(escalation=case, kind=kind, stopped_at__isnull=True)


def test_waiting_on_the_customer_pauses_the_clocks_their_reply_resumes_them(waiting_case, at):
    assert open_clock(waiting_case, "resolution").running_since is None
    assert open_clock(waiting_case, "next_update").running_since is None
    replied_at = at(WAITING_SINCE + timedelta(hours=3))

    inbound_email_receive(raw=eml("plain.eml", reference=waiting_case.reference), source=InboundEmail.Source.IMAP)

    resolution = open_clock(waiting_case, "resolution")
    assert resolution.running_since == replied_at
    # P1 resolution is 24 h on the 24×7 calendar; 10 minutes were used before the wait, the 3 h wait is not counted.
    assert resolution.due_at == replied_at + timedelta(hours=24) - timedelta(minutes=10)
    waiting_case.refresh_from_db()
    assert waiting_case.sla_due_at == min(resolution.due_at, open_clock(waiting_case, "next_update").due_at)


def test_the_next_update_is_owed_counting_from_the_customers_reply(waiting_case, at):
    paused = open_clock(waiting_case, "next_update")
    replied_at = at(WAITING_SINCE + timedelta(hours=3))

    inbound_email_receive(raw=eml("plain.eml", reference=waiting_case.reference), source=InboundEmail.Source.HTTP)

    paused.refresh_from_db()
    assert paused.outcome == SLAClock.Outcome.CANCELLED and paused.stopped_at == replied_at
    next_update = open_clock(waiting_case, "next_update")
    assert next_update.started_at == replied_at
    assert next_update.due_at == replied_at + timedelta(hours=4)  # the P1 next-update target


def test_a_second_customer_message_before_we_answer_keeps_the_earlier_deadline(waiting_case, at):
    first_reply_at = at(WAITING_SINCE + timedelta(hours=1))
    inbound_email_receive(raw=eml("plain.eml", reference=waiting_case.reference), source=InboundEmail.Source.HTTP)
    at(first_reply_at + timedelta(hours=1))

    inbound_email_receive(raw=eml("gmail_reply.eml", reference=waiting_case.reference), source="http")

    assert open_clock(waiting_case, "next_update").due_at == first_reply_at + timedelta(hours=4)


def test_our_answer_stops_the_next_update_clock_as_met(waiting_case, specialist, at):
    at(WAITING_SINCE + timedelta(hours=1))
    inbound_email_receive(raw=eml("plain.eml", reference=waiting_case.reference), source=InboundEmail.Source.HTTP)
    answered_at = at(WAITING_SINCE + timedelta(hours=2))

    services.escalation_email_customer(acting_user=specialist, escalation=waiting_case, subject="Re", body="Done.")

    met = SLAClock.objects.get(escalation=waiting_case, kind="next_update", stopped_at=answered_at)
    assert met.outcome == SLAClock.Outcome.MET


def test_an_auto_reply_leaves_the_clocks_paused(waiting_case, at):
    at(WAITING_SINCE + timedelta(hours=1))

    inbound_email_receive(raw=eml("auto_reply.eml", reference=waiting_case.reference), source="http")

    assert open_clock(waiting_case, "resolution").running_since is None
    assert open_clock(waiting_case, "next_update").running_since is None


def test_a_connected_outbound_call_is_customer_contact_for_the_first_response_clock(
    at, requester, specialist, customer
):
    at(FILED_AT)
    case = services.escalation_file(
        acting_user=requester, account=customer, title="Payroll", description="Empty.", priority="P1"
    )
    called_at = at(FILED_AT + timedelta(minutes=20))

    services.escalation_log_call(
        acting_user=specialist, escalation=case, direction="outbound", outcome="connected", summary="Explained."
    )

    first_response = SLAClock.objects.get(escalation=case, kind="first_response")
    assert (first_response.stopped_at, first_response.outcome) == (called_at, SLAClock.Outcome.MET)
    assert open_clock(case, "next_update").started_at == called_at
