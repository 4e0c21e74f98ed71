"""Queue webhook deliveries for a change, inside the transaction that makes it.

Each service that makes a change worth announcing calls `webhook_event_enqueue` once; a change rolled back takes
its deliveries with it, and a committed change is delivered even if the broker is down (the beat sweep finds it).
"""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from escalations.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

logger = logging.getLogger(__name__)


def webhook_event_enqueue(*, event: WebhookEvent, payload: dict, dedupe_key: str) -> list[WebhookDelivery]:
    """One delivery per active endpoint that wants `event`; none twice for the same `dedupe_key`.

    No transaction of its own: it joins the caller's, and the send is scheduled after that commit.
    """
    return webhook_events_enqueue(event=event, items=[(payload, dedupe_key)])


def webhook_events_enqueue(*, event: WebhookEvent, items: Iterable[tuple[dict, str]]) -> list[WebhookDelivery]:
    """`webhook_event_enqueue` for many (payload, dedupe_key) pairs: one read of the endpoints, one insert.

    `items` is consumed only when an endpoint wants `event`, so a lazy iterable builds no payload for nobody.
    """
    endpoints = [endpoint for endpoint in WebhookEndpoint.objects.filter(is_active=True) if endpoint.wants(event)]
    if not endpoints:
        return []
    items = list(items)
    if not items:
        return []
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(endpoint=endpoint, event=event, payload=payload, dedupe_key=dedupe_key)
            for payload, dedupe_key in items
            for endpoint in endpoints
        ],
        ignore_conflicts=True,
    )
    dedupe_keys = [dedupe_key for _payload, dedupe_key in items]
    transaction.on_commit(lambda: _schedule(dedupe_keys))
    return deliveries


def _schedule(dedupe_keys: list[str]) -> None:
    from escalations.tasks import webhook_deliver

    for delivery_id in WebhookDelivery.objects.filter(
        dedupe_key__in=dedupe_keys, status=WebhookDelivery.Status.PENDING
    ).values_list("pk", flat=True):
        try:
            webhook_deliver.delay(delivery_id)
        except Exception:
            logger.warning("Could not queue webhook delivery %s; the sweep will send it.", delivery_id, exc_info=True)


def escalation_payload(escalation) -> dict:
    """What every escalation event says about the case."""
    return {
        "reference": escalation.reference,
        "title": escalation.title,
        "status": escalation.status,
        "priority": escalation.priority,
        "account": escalation.account.external_id,
        "assignee": escalation.assignee.email if escalation.assignee_id else None,
        "version": escalation.version,
        "url": settings.SITE_URL + reverse("escalations:detail", args=[escalation.reference]),
        "api_url": settings.SITE_URL + reverse("escalations_api:escalation-detail", args=[escalation.reference]),
    }


def escalation_filed(escalation) -> None:
    webhook_event_enqueue(
        event=WebhookEvent.ESCALATION_FILED,
        payload={"escalation": escalation_payload(escalation)},
        dedupe_key=f"escalation:{escalation.pk}:filed",
    )


def escalation_status_changed(escalation, event) -> None:
    """`event` is the status_changed timeline event: its data says from what to what."""
    webhook_event_enqueue(
        event=WebhookEvent.ESCALATION_STATUS_CHANGED,
        payload={
            "escalation": escalation_payload(escalation),
            "from": event.data.get("from"),
            "to": event.data.get("to"),
            "actor": event.actor.email if event.actor_id else None,
        },
        dedupe_key=f"event:{event.pk}",
    )


def escalation_sla_breaches(breaches: list) -> None:
    """Each (escalation, SLA alert at 100%) of a sweep batch, in one insert."""
    if not breaches:
        return
    webhook_events_enqueue(
        event=WebhookEvent.ESCALATION_SLA_BREACHED,
        items=(
            (
                {
                    "escalation": escalation_payload(escalation),
                    "clock": alert.clock.kind,
                    "due_at": alert.clock.due_at.isoformat() if alert.clock.due_at else None,
                    "breached_at": alert.fired_at.isoformat(),
                },
                f"sla-alert:{alert.pk}",
            )
            for escalation, alert in breaches
        ),
    )


def remediation_shipped(remediation) -> None:
    webhook_event_enqueue(
        event=WebhookEvent.REMEDIATION_SHIPPED,
        payload={
            "remediation": {
                "id": remediation.pk,
                "title": remediation.title,
                "status": remediation.status,
                "owner_team": remediation.owner_team.slug,
                "shipped_at": remediation.shipped_at.isoformat() if remediation.shipped_at else None,
                "url": settings.SITE_URL + reverse("remediations:detail", args=[remediation.pk]),
            }
        },
        dedupe_key=f"remediation:{remediation.pk}:shipped:{remediation.shipped_at.isoformat()}",
    )
