"""Outbound webhooks, delivered to a real HTTP server on 127.0.0.1 that checks each signature as a receiver would."""

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.utils import timezone

from escalations import services
from escalations.sla.sweep import sla_sweep
from escalations.webhooks.delivery import webhook_deliver, webhook_deliver_due
from escalations.webhooks.models import WebhookDelivery, WebhookEndpoint
from remediations import services as remediation_services
from tests import factories

SECRET = "receiver-shared-secret"


class Receiver:
    """An HTTP endpoint that verifies signatures with its own copy of the secret and answers scripted statuses."""

    def __init__(self, secret: str = SECRET):
        self.secret = secret
        self.script: list[int] = []  # statuses to answer, in order; 200 once it runs out
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                timestamp = self.headers["X-Escalation-Desk-Timestamp"]
                expected = (
                    "sha256="
                    + hmac.new(receiver.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                )
                signed = hmac.compare_digest(expected, self.headers["X-Escalation-Desk-Signature"])
                status = (receiver.script.pop(0) if receiver.script else 200) if signed else 401
                receiver.received.append(
                    {"headers": dict(self.headers), "body": json.loads(body), "signed": signed, "status": status}
                )
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"bad signature" if not signed else b"try later")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/escalations"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def delivered(self) -> list[dict]:
        return [request for request in self.received if request["status"] < 300]


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


def endpoint_for(receiver, *events, secret=SECRET, **fields) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        name="Ops bot", url=receiver.url, secret=secret, events=list(events), **fields
    )


def file_case(requester, account, **fields):
    return services.escalation_file(
        acting_user=requester,
        account=account,
        title="Invoices doubled",
        description="Every invoice since Monday was sent twice.",
        **fields,
    )


def test_filing_sends_one_signed_delivery(receiver, requester, account, django_capture_on_commit_callbacks):
    endpoint_for(receiver, "escalation.filed")

    with django_capture_on_commit_callbacks(execute=True):
        case = file_case(requester, account)

    [request] = receiver.received
    assert request["signed"]
    assert request["body"]["event"] == "escalation.filed"
    assert request["body"]["data"]["escalation"]["reference"] == case.reference
    assert request["body"]["data"]["escalation"]["account"] == "acct_globex01"
    delivery = WebhookDelivery.objects.get()
    assert request["headers"]["X-Escalation-Desk-Delivery"] == str(delivery.delivery_id) == request["body"]["id"]
    assert request["headers"]["X-Escalation-Desk-Event"] == "escalation.filed"
    assert (delivery.status, delivery.attempts, delivery.last_response_code, delivery.last_error) == (
        "delivered",
        1,
        200,
        "",
    )


def test_a_receiver_that_fails_then_recovers_gets_it_once(receiver, requester, account, time_machine):
    endpoint_for(receiver, "escalation.filed")
    receiver.script = [503]
    time_machine.move_to(datetime(2026, 3, 2, 14, 0, tzinfo=UTC), tick=False)
    file_case(requester, account)

    assert webhook_deliver_due() == 0
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == ("pending", 1, 503)
    assert delivery.last_error.startswith("HTTP 503")
    assert delivery.next_attempt_at == timezone.now() + timedelta(minutes=1)

    assert webhook_deliver_due() == 0  # not due yet: nothing sent
    time_machine.move_to(timezone.now() + timedelta(minutes=1), tick=False)
    assert webhook_deliver_due() == 1
    assert webhook_deliver_due() == 0

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_code, delivery.last_error) == (
        "delivered",
        2,
        200,
        "",
    )
    assert [request["status"] for request in receiver.received] == [503, 200]
    assert len({request["body"]["id"] for request in receiver.received}) == 1
    assert len(receiver.delivered) == 1


def test_a_receiver_with_another_secret_refuses_the_signature(receiver, requester, account):
    endpoint_for(receiver, "escalation.filed", secret="not-what-the-receiver-has")
    file_case(requester, account)

    webhook_deliver_due()

    [request] = receiver.received
    assert (request["signed"], request["status"]) == (False, 401)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_response_code) == ("pending", 401)
    assert delivery.last_error == "HTTP 401: bad signature"


def test_a_change_rolled_back_sends_nothing(receiver, requester, account, django_capture_on_commit_callbacks):
    endpoint_for(receiver, "escalation.filed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        file_case(requester, account)
        raise RuntimeError("something later in the same transaction failed")

    assert not WebhookDelivery.objects.exists()
    assert webhook_deliver_due() == 0
    assert receiver.received == []


def test_only_active_endpoints_that_want_the_event_get_it(receiver, requester, account):
    wants_it = endpoint_for(receiver, "escalation.filed", "escalation.status_changed")
    endpoint_for(receiver, "remediation.shipped")
    endpoint_for(receiver, "escalation.filed", is_active=False)

    file_case(requester, account)

    assert list(WebhookDelivery.objects.values_list("endpoint", "event")) == [(wants_it.pk, "escalation.filed")]


def test_status_changes_are_announced_with_from_and_to(receiver, specialist, escalation):
    endpoint_for(receiver, "escalation.status_changed")

    services.escalation_transition(acting_user=specialist, escalation=escalation, to_status="rejected", reason="No")
    webhook_deliver_due()

    [request] = receiver.delivered
    data = request["body"]["data"]
    assert (data["from"], data["to"], data["actor"], data["escalation"]["status"]) == (
        "new",
        "rejected",
        specialist.email,
        "rejected",
    )


def test_a_claimed_delivery_is_not_sent_twice(receiver, requester, account):
    endpoint_for(receiver, "escalation.filed")
    file_case(requester, account)
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="sending", claimed_at=timezone.now())

    assert webhook_deliver(delivery_id=delivery.pk) is False
    assert receiver.received == []


def test_gives_up_after_the_last_attempt(settings, requester, account, time_machine):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    closed = Receiver()
    url = closed.url
    closed.stop()  # nothing listens there any more: the connection is refused
    WebhookEndpoint.objects.create(name="Gone", url=url, secret=SECRET, events=["escalation.filed"])
    file_case(requester, account)

    webhook_deliver_due()
    time_machine.move_to(timezone.now() + timedelta(minutes=5), tick=False)
    webhook_deliver_due()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == ("failed", 2, None)
    assert "Connection refused" in delivery.last_error or "URLError" in delivery.last_error


def test_sla_breach_is_announced_once(receiver, requester, account, reference_data, at):
    endpoint_for(receiver, "escalation.sla_breached")
    filed_at = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    at(filed_at)
    case = file_case(requester, account, priority="P1")  # 24×7, first response within 60 minutes

    at(filed_at + timedelta(minutes=61))
    sla_sweep()
    sla_sweep()
    webhook_deliver_due()

    [request] = receiver.delivered
    data = request["body"]["data"]
    assert (data["escalation"]["reference"], data["clock"]) == (case.reference, "first_response")
    assert WebhookDelivery.objects.count() == 1


def test_shipping_a_remediation_is_announced(receiver, partner, partner_team):
    endpoint_for(receiver, "remediation.shipped")
    remediation = factories.RemediationFactory(owner_team=partner_team, status="in_progress")

    remediation_services.remediation_transition(acting_user=partner, remediation=remediation, to_status="shipped")
    webhook_deliver_due()

    [request] = receiver.delivered
    assert request["body"]["event"] == "remediation.shipped"
    assert request["body"]["data"]["remediation"]["id"] == remediation.pk
    assert request["body"]["data"]["remediation"]["owner_team"] == "billing-platform"


def test_admins_register_an_endpoint_and_read_its_deliveries(client, admin_user, receiver):
    client.force_login(admin_user)

    refused = client.post(
        "/admin/escalations/webhookendpoint/add/", {"name": "Ops bot", "url": receiver.url, "secret": SECRET}
    )
    added = client.post(
        "/admin/escalations/webhookendpoint/add/",
        {
            "name": "Ops bot",
            "url": receiver.url,
            "secret": SECRET,
            "events": ["escalation.filed", "escalation.sla_breached"],
            "is_active": "on",
        },
    )

    assert refused.status_code == 200 and "This field is required." in refused.content.decode()
    assert added.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["escalation.filed", "escalation.sla_breached"]
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="escalation.filed",
        payload={},
        dedupe_key="k",
        attempts=3,
        last_response_code=503,
        last_error="HTTP 503: try later",
    )
    listing = client.get("/admin/escalations/webhookdelivery/").content.decode()
    assert "503" in listing and "Ops bot" in listing
    detail = client.get(f"/admin/escalations/webhookdelivery/{delivery.pk}/change/")
    assert detail.status_code == 200 and "HTTP 503: try later" in detail.content.decode()
    assert client.get("/admin/escalations/webhookdelivery/add/").status_code == 403
