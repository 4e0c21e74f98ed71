"""The inbound service: a raw message threads onto its case, moves it and its clocks, and is stored exactly once."""

from datetime import timedelta

import pytest
from django.test import override_settings

from escalations.lifecycle import Status
from escalations.mail.addresses import reply_address, reply_token
from escalations.mail.models import InboundEmail
from escalations.mail.services import inbound_email_receive
from escalations.models import Attachment, Communication, EscalationEvent, OutboxMessage, SLAClock
from tests.escalations.mail.conftest import FILED_AT, eml

REPLIED_AT = FILED_AT + timedelta(hours=2)


def receive(raw):
    return inbound_email_receive(raw=raw, source=InboundEmail.Source.HTTP)


def outbound_message_id(case):
    return Communication.objects.get(escalation=case, direction="outbound").message_id


def test_a_reply_to_the_case_address_lands_on_the_timeline_and_moves_the_case_back_in_progress(
    waiting_case, specialist, at, django_capture_on_commit_callbacks
):
    at(REPLIED_AT)
    with django_capture_on_commit_callbacks(execute=True):
        receipt = receive(eml("gmail_reply.eml", reference=waiting_case.reference))

    inbound = receipt.inbound
    assert not receipt.is_duplicate
    assert (inbound.status, inbound.escalation, inbound.matched_by) == ("on_case", waiting_case, "token")
    waiting_case.refresh_from_db()
    assert waiting_case.status == Status.IN_PROGRESS
    reply = Communication.objects.get(escalation=waiting_case, direction="inbound")
    assert reply.body == "Yes, please go ahead with the re-run tonight."
    assert reply.message_id == "<CAGmail-0006=abc@mail.gmail.example>" and not reply.is_automatic
    assert reply.event.is_shared
    assert reply.event.body.startswith("Gina Gomez <gina.gomez@gmail.example> replied by email: Re: [ESC-1001]")
    moved = EscalationEvent.objects.get(escalation=waiting_case, kind="status_changed", data__from="waiting_on_user")
    assert moved.actor is None and "The customer replied by email." in moved.body
    notice = OutboxMessage.objects.get(template="customer_reply")
    assert notice.recipient == specialist.email
    assert notice.subject == f"[{waiting_case.reference}] Customer reply from gina.gomez@gmail.example"
    assert "Yes, please go ahead" in notice.body_text and "in progress" in notice.body_text


def test_a_reply_without_the_case_address_threads_by_its_in_reply_to(waiting_case):
    raw = eml("plain.eml", replace={"<outbound-1@mail.escalations.test>": outbound_message_id(waiting_case)})

    inbound = receive(raw).inbound

    assert (inbound.escalation, inbound.matched_by) == (waiting_case, "headers")


def test_a_reply_threads_by_an_older_message_in_its_references(waiting_case):
    raw = eml("plain.eml", replace={"<outbound-0@mail.escalations.test>": outbound_message_id(waiting_case)})

    assert receive(raw).inbound.escalation == waiting_case


def test_a_forged_token_does_not_thread_and_the_mail_waits_unmatched(waiting_case):
    forged = f"escalations+{waiting_case.reference}.{'0' * 12}@mail.escalations.test"
    raw = eml("plain.eml", replace={"escalations+ESC-1001.TOKEN@mail.escalations.test": forged})

    inbound = receive(raw).inbound

    assert inbound.status == "unmatched" and inbound.escalation is None
    assert inbound.problem == "No case address and no reply to an email of ours."
    waiting_case.refresh_from_db()
    assert waiting_case.status == Status.WAITING_ON_USER


def test_the_token_belongs_to_one_case_only(waiting_case):
    other = f"escalations+ESC-1.{reply_token(waiting_case.reference)}@mail.escalations.test"
    raw = eml("plain.eml", replace={"escalations+ESC-1001.TOKEN@mail.escalations.test": other})

    assert receive(raw).inbound.status == "unmatched"


def test_the_same_message_delivered_twice_is_stored_once(waiting_case, django_capture_on_commit_callbacks):
    raw = eml("plain.eml", reference=waiting_case.reference)
    first = receive(raw)

    with django_capture_on_commit_callbacks() as callbacks:
        second = receive(raw)

    assert second.is_duplicate and second.inbound.pk == first.inbound.pk
    assert InboundEmail.objects.count() == 1
    assert Communication.objects.filter(direction="inbound").count() == 1
    assert OutboxMessage.objects.filter(template="customer_reply").count() == 1
    assert callbacks == []


@pytest.mark.parametrize(("fixture", "automatic"), [("auto_reply.eml", "auto_reply"), ("dsn_bounce.eml", "bounce")])
def test_auto_replies_and_bounces_are_recorded_internally_but_are_not_a_customer_reply(
    waiting_case, fixture, automatic
):
    raw = eml(fixture, replace={"<outbound-1@mail.escalations.test>": outbound_message_id(waiting_case)})

    inbound = receive(raw).inbound

    assert (inbound.status, inbound.escalation, inbound.automatic) == ("on_case", waiting_case, automatic)
    communication = inbound.communication
    assert communication.is_automatic and not communication.event.is_shared
    waiting_case.refresh_from_db()
    assert waiting_case.status == Status.WAITING_ON_USER
    assert not OutboxMessage.objects.filter(template="customer_reply").exists()
    paused = SLAClock.objects.get(escalation=waiting_case, kind="next_update", stopped_at__isnull=True)
    assert paused.running_since is None


def test_a_bounce_names_the_failure_on_the_timeline(waiting_case):
    raw = eml("dsn_bounce.eml", replace={"<outbound-1@mail.escalations.test>": outbound_message_id(waiting_case)})

    event = receive(raw).inbound.communication.event

    assert event.body.startswith("Delivery failure reported by Mail Delivery System")
    assert "550 5.1.1 User unknown" in event.body


def test_attachments_are_stored_on_the_reply_with_the_upload_rules(waiting_case):
    raw = eml("alternative_with_attachments.eml", reference=waiting_case.reference)

    inbound = receive(raw).inbound

    files = Attachment.objects.filter(escalation=waiting_case).order_by("pk")
    assert [(f.original_name, f.size, f.event_id) for f in files] == [
        ("payslip march.pdf", 45, inbound.communication.event_id),
        ("export résumé.csv", 20, inbound.communication.event_id),
    ]
    assert files[1].file.read() == b"employee,amount\nA,1\n"
    # Served as uploads are, by extension, whatever type the sender's mail client claimed.
    assert [f.content_type for f in files] == ["application/pdf", "text/csv; charset=utf-8"]


@override_settings(ATTACHMENT_MAX_BYTES=30)
def test_an_attachment_over_the_upload_limit_is_named_but_not_stored(waiting_case):
    inbound = receive(eml("alternative_with_attachments.eml", reference=waiting_case.reference)).inbound

    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["export résumé.csv"]
    assert "Not attached: “payslip march.pdf” is 45\xa0bytes; files can be at most 30\xa0bytes." in (
        inbound.communication.event.body
    )


def test_mail_with_a_dangerous_attachment_is_held_unmatched_and_logged(waiting_case, caplog):
    inbound = receive(eml("dangerous_attachment.eml", reference=waiting_case.reference)).inbound

    assert inbound.status == "unmatched" and inbound.escalation is None
    assert inbound.problem.startswith("Dangerous attachment (fixer.exe)")
    assert "held in the unmatched queue: Dangerous attachment (fixer.exe)" in caplog.text
    assert not Attachment.objects.exists() and not Communication.objects.filter(direction="inbound").exists()


def test_malformed_mail_is_held_unmatched_and_logged(db, caplog):
    inbound = receive(eml("malformed.eml")).inbound

    assert inbound.status == "unmatched"
    assert inbound.problem.startswith("Malformed: No sender address (From).")
    assert "held in the unmatched queue: Malformed" in caplog.text


@override_settings(INBOUND_MAIL_MAX_BYTES=1000)
def test_huge_mail_keeps_only_its_headers_and_waits_unmatched(waiting_case, caplog):
    raw = eml("alternative_with_attachments.eml", reference=waiting_case.reference)

    inbound = receive(raw).inbound

    assert inbound.status == "unmatched" and inbound.size == len(raw) > 1000
    assert inbound.problem.startswith("Too big to read:")
    assert bytes(inbound.raw).endswith(b"\r\n\r\n") and b"%PDF" not in bytes(inbound.raw)
    assert "Too big to read" in caplog.text


def test_a_reply_to_a_resolved_case_is_recorded_without_reopening_it(waiting_case, specialist, driver):
    from escalations import services

    services.escalation_transition(
        acting_user=specialist, escalation=waiting_case, to_status="resolved", resolution_summary="Re-ran it.",
        root_cause=driver,
    )  # fmt: skip

    inbound = receive(eml("plain.eml", reference=waiting_case.reference)).inbound

    waiting_case.refresh_from_db()
    assert inbound.status == "on_case" and waiting_case.status == Status.RESOLVED
    assert OutboxMessage.objects.filter(template="customer_reply", recipient=specialist.email).exists()


def test_an_unowned_case_tells_the_team_inbox(waiting_case, settings):
    waiting_case.assignee = None
    waiting_case.save(update_fields=["assignee"])

    receive(eml("plain.eml", reference=waiting_case.reference))

    assert OutboxMessage.objects.get(template="customer_reply").recipient == settings.SLA_TEAM_INBOX


def test_the_reply_address_is_the_case_address_with_its_token(waiting_case):
    assert reply_address(waiting_case.reference) == (
        f"escalations+{waiting_case.reference}.{reply_token(waiting_case.reference)}@mail.escalations.test"
    )


def test_a_bounce_marks_the_email_it_returns_as_bounced_on_the_timeline(client, waiting_case, specialist):
    outbound = Communication.objects.get(escalation=waiting_case, direction="outbound")
    raw = eml("dsn_bounce.eml", replace={"<outbound-1@mail.escalations.test>": outbound.message_id})

    receive(raw)

    outbound.refresh_from_db()
    assert outbound.bounced_at is not None
    client.force_login(specialist)
    assert (
        '<span class="badge delivery-failed">Bounced</span>'
        in client.get(f"/escalations/{waiting_case.reference}/").content.decode()
    )


def test_the_requester_sees_the_customers_reply_but_not_machine_mail(client, waiting_case, requester):
    receive(eml("plain.eml", reference=waiting_case.reference))
    outbound = outbound_message_id(waiting_case)
    receive(eml("auto_reply.eml", replace={"<outbound-1@mail.escalations.test>": outbound}))
    client.force_login(requester)

    page = client.get(f"/escalations/{waiting_case.reference}/").content.decode()

    assert "The export works again after the fix. Thanks!" in page
    assert "I am out of the office" not in page
