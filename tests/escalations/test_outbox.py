"""The notification outbox: a row first, then a send that survives a mail server being down."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import override_settings

from escalations import tasks
from escalations.lifecycle import Status
from escalations.models import Escalation, EscalationEvent, OutboxMessage
from escalations.notifications import outbox_enqueue, outbox_send, outbox_send_due, retry_delay
from escalations.services import escalation_file, escalation_transition
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)

# Nothing listens on port 1: every connection is refused at once, by a real SMTP client.
MAIL_SERVER_DOWN = override_settings(
    EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
    EMAIL_HOST="127.0.0.1",
    EMAIL_PORT=1,
    EMAIL_TIMEOUT=2,
    EMAIL_USE_TLS=False,
    EMAIL_USE_SSL=False,
    EMAIL_HOST_USER="",
    EMAIL_HOST_PASSWORD="",
)


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def filed_event(escalation, requester):
    return factories.EventFactory(
        escalation=escalation, actor=requester, kind=EscalationEvent.Kind.FILED, body="Rita filed it."
    )


@pytest.fixture
def enqueue_acknowledgement(escalation, filed_event, requester):
    def enqueue(**overrides) -> OutboxMessage:
        values = {
            "recipient": requester.email,
            "template": "escalation_filed",
            "context": {"escalation": escalation, "event": filed_event, "recipient": requester},
            "escalation": escalation,
        }
        values.update(overrides)
        return outbox_enqueue(**values)

    return enqueue


def queued_message(**fields) -> OutboxMessage:
    values = {"recipient": "rita.requester@example.com", "subject": "[ESC-1001] Received", "body_text": "Hello Rita"}
    values.update(fields)
    return OutboxMessage.objects.create(**values)


# --- enqueue ------------------------------------------------------------------------------------


def test_the_acknowledgement_is_rendered_from_the_email_templates(enqueue_acknowledgement, escalation, settings):
    message = enqueue_acknowledgement()

    message.refresh_from_db()
    assert message.subject == f"[{escalation.reference}] Received: Invoices doubled"
    assert message.body_text.startswith("Hello Rita,")
    assert escalation.reference in message.body_text
    assert escalation.account.name in message.body_text
    assert f"{settings.SITE_URL}/escalations/{escalation.reference}/" in message.body_text
    assert (message.template, message.escalation, message.recipient) == (
        "escalation_filed",
        escalation,
        "rita.requester@example.com",
    )
    assert (message.status, message.attempts, message.sent_at) == (OutboxMessage.Status.PENDING, 0, None)


def test_a_status_change_email_says_what_happened_and_the_new_status(escalation, specialist, requester, driver):
    escalation_transition(acting_user=specialist, escalation=escalation, to_status="triaged")
    escalation_transition(acting_user=specialist, escalation=escalation, to_status="in_progress")
    escalation_transition(
        acting_user=specialist,
        escalation=escalation,
        to_status="resolved",
        resolution_summary="Credited the duplicate invoice.",
        root_cause=driver,
    )

    message = OutboxMessage.objects.filter(recipient=requester.email).order_by("created_at", "pk").last()
    assert message.template == "status_changed"
    assert message.subject == f"[{escalation.reference}] Now resolved: Invoices doubled"
    assert "Sam Specialist moved" in message.body_text
    assert "from In progress to Resolved" in message.body_text
    assert "Resolution: Credited the duplicate invoice." in message.body_text


def test_the_subject_is_one_line_and_fits_the_column(escalation, filed_event, requester, settings):
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {
                            "emails/probe_subject.txt": "Hello\n  {{ recipient.display_name }}\n{{ padding }}\n",
                            "emails/probe.txt": "Visit {{ site_url }}/",
                        },
                    )
                ]
            },
        }
    ]

    message = outbox_enqueue(
        recipient=requester.email,
        template="probe",
        context={"recipient": requester, "padding": "x" * 400},
    )

    assert message.subject.startswith("Hello Rita Requester x")
    assert "\n" not in message.subject
    assert len(message.subject) == 255
    assert message.body_text == f"Visit {settings.SITE_URL}/"


def test_a_second_enqueue_with_the_same_dedupe_key_is_a_no_op(
    enqueue_acknowledgement, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = enqueue_acknowledgement(dedupe_key="event:1:to:1")
        second = enqueue_acknowledgement(dedupe_key="event:1:to:1", recipient="someone.else@example.com")

    assert second.pk == first.pk
    assert list(OutboxMessage.objects.values_list("recipient", flat=True)) == ["rita.requester@example.com"]
    assert len(callbacks) == 1
    assert [email.to for email in mail.outbox] == [["rita.requester@example.com"]]


def test_without_a_dedupe_key_every_enqueue_queues_a_message(enqueue_acknowledgement):
    enqueue_acknowledgement()
    enqueue_acknowledgement()

    assert OutboxMessage.objects.count() == 2


def test_the_send_is_scheduled_only_when_the_transaction_commits(
    enqueue_acknowledgement, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = enqueue_acknowledgement()

    assert len(callbacks) == 1
    assert mail.outbox == []
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING

    callbacks[0]()

    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert len(mail.outbox) == 1


# --- send ---------------------------------------------------------------------------------------


def test_sending_delivers_the_email_and_marks_it_sent(frozen_now, settings):
    message = queued_message(subject="[ESC-1001] Received: Invoices doubled", body_text="Hello Rita")

    assert outbox_send(message_id=message.pk) is True

    message.refresh_from_db()
    assert (message.status, message.attempts, message.sent_at) == (OutboxMessage.Status.SENT, 1, frozen_now)
    assert (message.last_error, message.claimed_at) == ("", None)
    (email,) = mail.outbox
    assert (email.to, email.subject, email.body) == (
        ["rita.requester@example.com"],
        "[ESC-1001] Received: Invoices doubled",
        "Hello Rita",
    )
    assert email.from_email == settings.DEFAULT_FROM_EMAIL


def test_an_html_body_goes_along_as_an_alternative():
    message = queued_message(body_html="<p>Hello Rita</p>")

    outbox_send(message_id=message.pk)

    (email,) = mail.outbox
    assert email.alternatives[0][:2] == ("<p>Hello Rita</p>", "text/html")


def test_a_message_is_not_sent_twice():
    message = queued_message()

    assert outbox_send(message_id=message.pk) is True
    assert outbox_send(message_id=message.pk) is False

    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.attempts == 1


def test_a_message_another_worker_is_sending_is_left_to_it(frozen_now):
    message = queued_message(status=OutboxMessage.Status.SENDING, claimed_at=frozen_now - timedelta(minutes=1))

    assert outbox_send(message_id=message.pk) is False

    assert mail.outbox == []
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.SENDING, 0)


def test_a_message_not_yet_due_is_not_sent(frozen_now):
    message = queued_message(next_attempt_at=frozen_now + timedelta(seconds=1))

    assert outbox_send(message_id=message.pk) is False

    assert mail.outbox == []
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.PENDING, 0)


def test_a_failed_message_is_not_sent_again():
    message = queued_message(status=OutboxMessage.Status.FAILED, attempts=8)

    assert outbox_send(message_id=message.pk) is False
    assert mail.outbox == []


# --- a mail server that is down -----------------------------------------------------------------


@MAIL_SERVER_DOWN
def test_a_refused_connection_keeps_the_message_pending_and_retries_later(frozen_now):
    message = queued_message()

    assert outbox_send(message_id=message.pk) is False

    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.PENDING, 1)
    assert "Connection" in message.last_error and "refused" in message.last_error.lower()
    assert message.next_attempt_at == frozen_now + timedelta(minutes=1)
    assert (message.claimed_at, message.sent_at) == (None, None)


def test_the_backoff_doubles_and_is_capped():
    assert [retry_delay(attempts) for attempts in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert retry_delay(20) == timedelta(hours=6)


@MAIL_SERVER_DOWN
def test_a_message_fails_for_good_after_the_maximum_number_of_attempts(settings):
    message = queued_message(next_attempt_at=NOW)
    due_at = NOW

    for attempt in range(1, settings.OUTBOX_MAX_ATTEMPTS + 1):
        with time_machine.travel(due_at - timedelta(seconds=1), tick=False):
            assert outbox_send(message_id=message.pk) is False  # not due yet: not even tried
        with time_machine.travel(due_at, tick=False):
            assert outbox_send(message_id=message.pk) is False
        message.refresh_from_db()
        assert message.attempts == attempt
        if attempt < settings.OUTBOX_MAX_ATTEMPTS:
            assert message.status == OutboxMessage.Status.PENDING
            assert message.next_attempt_at == due_at + retry_delay(attempt)
        due_at = message.next_attempt_at

    assert message.status == OutboxMessage.Status.FAILED
    assert message.last_error
    with time_machine.travel(NOW + timedelta(days=30), tick=False):
        assert outbox_send_due() == 0
    message.refresh_from_db()
    assert message.attempts == settings.OUTBOX_MAX_ATTEMPTS


def test_mail_queued_while_the_server_was_down_goes_out_once_it_is_back(
    requester, account, django_capture_on_commit_callbacks
):
    with MAIL_SERVER_DOWN, time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        case = escalation_file(
            acting_user=requester, account=account, title="Invoices doubled", description="Charged twice."
        )

    assert Escalation.objects.filter(pk=case.pk).exists()  # the change that caused the mail is kept
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == (OutboxMessage.Status.PENDING, 1)
    assert mail.outbox == []

    with time_machine.travel(message.next_attempt_at, tick=False):
        assert outbox_send_due() == 1

    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (OutboxMessage.Status.SENT, 2, "")
    assert [email.to for email in mail.outbox] == [[requester.email]]


# --- the sweep ----------------------------------------------------------------------------------


def test_the_sweep_sends_only_messages_that_are_due():
    due_now = queued_message(recipient="due@example.com", next_attempt_at=NOW)
    due_later = queued_message(recipient="later@example.com", next_attempt_at=NOW + timedelta(minutes=5))
    queued_message(recipient="sent@example.com", status=OutboxMessage.Status.SENT, next_attempt_at=NOW)
    queued_message(recipient="failed@example.com", status=OutboxMessage.Status.FAILED, next_attempt_at=NOW)

    with time_machine.travel(NOW, tick=False):
        assert outbox_send_due() == 1
    assert [email.to for email in mail.outbox] == [["due@example.com"]]

    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        assert outbox_send_due() == 1
        assert outbox_send_due() == 0

    assert [email.to for email in mail.outbox] == [["due@example.com"], ["later@example.com"]]
    statuses = set(OutboxMessage.objects.filter(pk__in=[due_now.pk, due_later.pk]).values_list("status", flat=True))
    assert statuses == {OutboxMessage.Status.SENT}


@pytest.mark.parametrize(
    ("claimed_ago", "taken_back"),
    [(timedelta(minutes=9), False), (timedelta(minutes=10), False), (timedelta(minutes=11), True)],
    ids=["9-minutes", "10-minutes", "11-minutes"],
)
def test_the_sweep_takes_back_a_message_whose_sender_died(claimed_ago, taken_back):
    message = queued_message(
        status=OutboxMessage.Status.SENDING, attempts=1, claimed_at=NOW - claimed_ago, next_attempt_at=NOW
    )

    with time_machine.travel(NOW, tick=False):
        sent = outbox_send_due()

    message.refresh_from_db()
    assert sent == (1 if taken_back else 0)
    assert len(mail.outbox) == sent
    assert message.status == (OutboxMessage.Status.SENT if taken_back else OutboxMessage.Status.SENDING)
    assert message.attempts == (2 if taken_back else 1)


def test_the_sweep_task_runs_the_sweep():
    queued_message(next_attempt_at=NOW)

    with time_machine.travel(NOW, tick=False):
        assert tasks.outbox_send_due.delay().get() == 1

    assert len(mail.outbox) == 1


def test_the_sweep_does_not_resend_mail_already_sent(escalation, specialist):
    escalation_transition(acting_user=specialist, escalation=escalation, to_status=Status.TRIAGED.value)
    outbox_send_due()
    escalation_transition(acting_user=specialist, escalation=escalation, to_status=Status.IN_PROGRESS.value)

    assert outbox_send_due() == 1
    assert [email.subject.split("]")[1].strip() for email in mail.outbox] == [
        "Now triaged: Invoices doubled",
        "Now in progress: Invoices doubled",
    ]


@pytest.mark.parametrize(
    ("claimed_ago", "taken_back"),
    [(timedelta(minutes=10), False), (timedelta(minutes=10, seconds=1), True)],
    ids=["at-10-minutes", "just-after"],
)
def test_sending_directly_takes_back_a_claim_only_once_it_is_stale(claimed_ago, taken_back):
    message = queued_message(status=OutboxMessage.Status.SENDING, attempts=1, claimed_at=NOW - claimed_ago)

    with time_machine.travel(NOW, tick=False):
        assert outbox_send(message_id=message.pk) is taken_back

    assert len(mail.outbox) == (1 if taken_back else 0)
