"""SLA alerts through a real SMTP conversation: kept while the mail server is down, delivered once when it is back.

The "mail server" is an aiosmtpd sink on a free local port; "down" is a port nobody listens on.
"""

import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from escalations import services
from escalations.models import Escalation, OutboxMessage, SLAAlert, SLAPolicy
from escalations.notifications import outbox_send_due
from escalations.sla import engine
from escalations.sla.sweep import sla_sweep

pytestmark = pytest.mark.django_db

FILED_AT = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # Monday 09:00 in New York
BREACH_AT = FILED_AT + timedelta(minutes=60)  # a P1's first response
TEAM_INBOX = "sla-desk@example.com"


def free_port() -> int:
    """A port nothing listens on (the OS just handed it out and it was closed again)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def smtp_settings(port: int):
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_TIMEOUT=2,
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
    )


class Sink:
    """Accepts every message and remembers its envelope."""

    def __init__(self):
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def mail_server():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, sink
    finally:
        controller.stop()


@pytest.fixture(autouse=True)
def sla_settings(settings):
    settings.SLA_TEAM_INBOX = TEAM_INBOX
    settings.SLA_MANAGER_EMAILS = []
    engine.calendar_cache_clear()
    yield
    engine.calendar_cache_clear()


@pytest.fixture
def breached_case(time_machine, requester, account, specialist, manager):
    """A P1 nobody answered, owned by a specialist, swept at its breach (the policy has no warnings)."""
    SLAPolicy.objects.filter(key="p1-critical").update(warning_thresholds=[])
    time_machine.move_to(FILED_AT, tick=False)
    case = services.escalation_file(
        acting_user=requester,
        account=account,
        title="Invoices doubled",
        description="Every invoice since Monday was sent twice.",
        priority="P1",
    )
    Escalation.objects.filter(pk=case.pk).update(assignee=specialist)
    # The filing acknowledgement went out already; only the breach is left to send.
    OutboxMessage.objects.update(status=OutboxMessage.Status.SENT)
    time_machine.move_to(BREACH_AT, tick=False)
    assert sla_sweep().alerts == 1
    return case


def test_breach_mail_waits_out_a_mail_server_outage_and_is_then_delivered_once(
    breached_case, mail_server, time_machine, specialist, manager
):
    breach = OutboxMessage.objects.filter(template="sla_breach")
    expected = sorted([specialist.email, manager.email, TEAM_INBOX])
    assert sorted(breach.values_list("recipient", flat=True)) == expected
    port, sink = mail_server

    with smtp_settings(free_port()):
        assert outbox_send_due() == 0

    for message in breach.all():
        assert (message.status, message.attempts) == (OutboxMessage.Status.PENDING, 1)
        assert "Connection refused" in message.last_error or "ConnectionRefused" in message.last_error
        assert message.next_attempt_at == BREACH_AT + timedelta(minutes=1)
        assert message.sent_at is None

    with smtp_settings(port):
        time_machine.move_to(BREACH_AT + timedelta(seconds=30), tick=False)
        assert outbox_send_due() == 0  # still backing off
        assert sink.received == []

        time_machine.move_to(BREACH_AT + timedelta(minutes=2), tick=False)
        assert outbox_send_due() == len(expected)
        assert outbox_send_due() == 0

    assert sorted(recipient for recipients, _ in sink.received for recipient in recipients) == expected
    assert all(len(recipients) == 1 for recipients, _ in sink.received)
    for _, content in sink.received:
        subject = message_from_bytes(content, policy=email_policy.default)["Subject"].strip()
        assert subject == f"[{breached_case.reference}] SLA BREACHED — first response: Invoices doubled"
    for message in breach.all():
        assert (message.status, message.attempts, message.last_error) == (OutboxMessage.Status.SENT, 2, "")
    assert SLAAlert.objects.get().recipients == expected
