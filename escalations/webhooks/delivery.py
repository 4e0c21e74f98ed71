"""Sending webhook deliveries: signed, claimed with a compare-and-set, retried with backoff.

The body is `{"id": <delivery id>, "event": ..., "created_at": ..., "data": {...}}`. Headers:

- `X-Escalation-Desk-Event`: the event name;
- `X-Escalation-Desk-Delivery`: the delivery id (the same on every retry: receivers use it to ignore repeats);
- `X-Escalation-Desk-Timestamp`: Unix seconds when this attempt was signed;
- `X-Escalation-Desk-Signature`: `sha256=` + hex HMAC-SHA256 of `<timestamp>.<body>` with the endpoint's secret.

A 2xx answer delivers it. Anything else (another status, a timeout, a refused connection) puts it back as pending
with a later `next_attempt_at` (1, 2, 4 … minutes, at most 6 h), until `WEBHOOK_MAX_ATTEMPTS`, then failed.
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from escalations.notifications import retry_delay
from escalations.webhooks.models import WebhookDelivery

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Escalation-Desk-Signature"
TIMESTAMP_HEADER = "X-Escalation-Desk-Timestamp"
DELIVERY_HEADER = "X-Escalation-Desk-Delivery"
EVENT_HEADER = "X-Escalation-Desk-Event"
# A claim older than this belongs to a worker that died mid-send; the sweep takes it back.
STALE_CLAIM_AFTER = timedelta(minutes=10)
SWEEP_BATCH_SIZE = 200


def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """The value of the signature header for `body` signed at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def delivery_body(delivery: WebhookDelivery) -> bytes:
    body = {
        "id": str(delivery.delivery_id),
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def _due() -> Q:
    now = timezone.now()
    return Q(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=WebhookDelivery.Status.SENDING, claimed_at__lt=now - STALE_CLAIM_AFTER
    )


def webhook_deliver(*, delivery_id: int) -> bool:
    """Send one due delivery; True if this call delivered it. Two workers never send the same attempt."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(_due(), pk=delivery_id).update(
        status=WebhookDelivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    body = delivery_body(delivery)
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        delivery.endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Escalation-Desk-Webhooks/1",
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: str(delivery.delivery_id),
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(secret=delivery.endpoint.secret, timestamp=timestamp, body=body),
        },
    )
    response_code, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            response_code = response.status
    except urllib.error.HTTPError as exc:
        response_code, error = exc.code, f"HTTP {exc.code}: {exc.read(500).decode(errors='replace')}"
    except Exception as exc:  # a refused connection, a timeout, a bad URL: keep it and try later
        error = f"{type(exc).__name__}: {exc}"
    if response_code is not None and 200 <= response_code < 300:
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            status=WebhookDelivery.Status.DELIVERED,
            delivered_at=timezone.now(),
            last_response_code=response_code,
            last_error="",
            claimed_at=None,
        )
        return True
    gave_up = delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        status=WebhookDelivery.Status.FAILED if gave_up else WebhookDelivery.Status.PENDING,
        last_response_code=response_code,
        last_error=(error or f"HTTP {response_code}")[:2000],
        next_attempt_at=now + retry_delay(delivery.attempts),
        claimed_at=None,
    )
    logger.warning("Webhook delivery %s attempt %s failed: %s", delivery_id, delivery.attempts, error)
    return False


def webhook_deliver_due() -> int:
    """Send every delivery that is due (or whose sender died); returns how many were delivered."""
    due_ids = list(
        WebhookDelivery.objects.filter(_due())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH_SIZE]
    )
    return sum(webhook_deliver(delivery_id=delivery_id) for delivery_id in due_ids)
