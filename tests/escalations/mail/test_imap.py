"""The IMAP poller against a real dovecot on 127.0.0.1: messages go in with APPEND, the poller reads and marks them."""

import imaplib
import os

import pytest

from escalations.lifecycle import Status
from escalations.mail import imap, services
from escalations.mail.models import InboundEmail
from escalations.mail.tasks import inbound_mail_poll
from tests.escalations.mail import dovecot
from tests.escalations.mail.conftest import eml

REQUIRED = bool(os.environ.get("E2E_REQUIRED") or os.environ.get("IMAP_REQUIRED"))


@pytest.fixture(scope="module")
def imap_server():
    if not dovecot.is_available():
        message = f"no dovecot at {dovecot.DOVECOT}: apt-get install dovecot-imapd"
        if REQUIRED:
            pytest.fail(f"E2E_REQUIRED/IMAP_REQUIRED is set but there is {message}")
        pytest.skip(message)
    server = dovecot.start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(imap_server, settings):
    """An empty INBOX on the test server, and the poller's settings pointing at it."""
    settings.INBOUND_IMAP_HOST = "127.0.0.1"
    settings.INBOUND_IMAP_PORT = imap_server.port
    settings.INBOUND_IMAP_SSL = False
    settings.INBOUND_IMAP_USER = dovecot.USER
    settings.INBOUND_IMAP_PASSWORD = dovecot.PASSWORD
    settings.INBOUND_IMAP_MAILBOX = "INBOX"
    client = imaplib.IMAP4("127.0.0.1", imap_server.port)
    client.login(dovecot.USER, dovecot.PASSWORD)
    if int(client.select("INBOX")[1][0]):  # messages left by the previous test
        client.store("1:*", "+FLAGS", "(\\Deleted)")
        client.expunge()
    yield client
    client.logout()


def append(client, raw: bytes) -> None:
    status, _ = client.append("INBOX", "", None, raw)
    assert status == "OK"


def unseen(client) -> list[bytes]:
    client.select("INBOX")
    return client.search(None, "UNSEEN")[1][0].split()


def test_the_poller_threads_a_reply_onto_its_case_and_marks_it_seen(mailbox, waiting_case):
    append(mailbox, eml("gmail_reply.eml", reference=waiting_case.reference))

    result = imap.imap_poll()

    assert (result.fetched, result.on_case, result.unmatched, result.failed) == (1, 1, 0, 0)
    inbound = InboundEmail.objects.get()
    assert (inbound.source, inbound.escalation) == ("imap", waiting_case)
    waiting_case.refresh_from_db()
    assert waiting_case.status == Status.IN_PROGRESS
    assert unseen(mailbox) == []
    assert imap.imap_poll().fetched == 0  # nothing left to read


def test_one_bad_message_does_not_stop_the_others(mailbox, waiting_case):
    append(mailbox, eml("malformed.eml"))
    append(mailbox, eml("plain.eml", reference=waiting_case.reference))
    append(mailbox, eml("dangerous_attachment.eml", reference=waiting_case.reference))

    result = imap.imap_poll()

    assert (result.fetched, result.on_case, result.unmatched) == (3, 1, 2)
    assert sorted(InboundEmail.objects.values_list("status", flat=True)) == ["on_case", "unmatched", "unmatched"]
    assert unseen(mailbox) == []


def test_the_same_message_in_the_mailbox_twice_is_stored_once(mailbox, waiting_case):
    raw = eml("plain.eml", reference=waiting_case.reference)
    append(mailbox, raw)
    append(mailbox, raw)

    result = imap.imap_poll()

    assert (result.on_case, result.duplicates) == (1, 1)
    assert InboundEmail.objects.count() == 1
    assert unseen(mailbox) == []


def test_a_message_that_fails_unexpectedly_stays_unseen_for_the_next_poll(mailbox, waiting_case, monkeypatch, caplog):
    append(mailbox, eml("plain.eml", reference=waiting_case.reference))
    append(mailbox, eml("gmail_reply.eml", reference=waiting_case.reference))
    real_receive = services.inbound_email_receive

    def database_hiccup_on_gmail(*, raw, **details):
        if b"CAGmail-0006" in raw:
            raise ConnectionError("database went away")
        return real_receive(raw=raw, **details)

    monkeypatch.setattr(imap, "inbound_email_receive", database_hiccup_on_gmail)
    result = imap.imap_poll()

    assert (result.on_case, result.failed) == (1, 1)
    assert "could not be recorded; it stays unseen for the next poll" in caplog.text
    assert len(unseen(mailbox)) == 1

    monkeypatch.setattr(imap, "inbound_email_receive", real_receive)
    assert imap.imap_poll().on_case == 1
    assert InboundEmail.objects.count() == 2 and unseen(mailbox) == []


def test_a_message_over_the_size_limit_is_queued_from_its_headers_without_downloading_it(
    mailbox, waiting_case, settings
):
    raw = eml("alternative_with_attachments.eml", reference=waiting_case.reference)
    append(mailbox, raw)
    settings.INBOUND_MAIL_MAX_BYTES = 1000

    result = imap.imap_poll()

    inbound = InboundEmail.objects.get()
    assert (result.unmatched, inbound.status, inbound.size) == (1, "unmatched", len(raw))
    assert inbound.problem.startswith("Too big to read: 1.5\xa0KB or more; mail can be at most 1000\xa0bytes.")
    assert inbound.from_address == "gina@initech.example" and b"%PDF" not in bytes(inbound.raw)
    assert unseen(mailbox) == []


def test_a_wrong_password_is_logged_and_the_poll_ends_quietly(mailbox, settings, caplog):
    append(mailbox, eml("plain.eml"))
    settings.INBOUND_IMAP_PASSWORD = "wrong"

    result = imap.imap_poll()

    assert result.fetched == 0 and "IMAP: the poll stopped early" in caplog.text
    assert len(unseen(mailbox)) == 1


def test_an_unreachable_server_is_logged(db, settings, caplog):
    settings.INBOUND_IMAP_HOST, settings.INBOUND_IMAP_PORT, settings.INBOUND_IMAP_SSL = "127.0.0.1", 1, False

    assert imap.imap_poll().fetched == 0
    assert "IMAP: cannot reach 127.0.0.1:1" in caplog.text


def test_without_a_host_the_poller_does_nothing(db, settings):
    settings.INBOUND_IMAP_HOST = ""

    assert imap.imap_poll() == imap.PollResult()


def test_the_beat_task_polls_and_reports_counts(mailbox, waiting_case):
    append(mailbox, eml("auto_reply.eml", reference=waiting_case.reference))

    assert inbound_mail_poll.delay().get() == {"fetched": 1, "on_case": 1, "unmatched": 0, "duplicates": 0, "failed": 0}
