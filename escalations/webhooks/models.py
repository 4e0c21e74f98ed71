"""Webhook endpoints (registered by admins) and their deliveries (one row per endpoint and event)."""

import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone


class WebhookEvent(models.TextChoices):
    ESCALATION_FILED = "escalation.filed", "Escalation filed"
    ESCALATION_STATUS_CHANGED = "escalation.status_changed", "Escalation status changed"
    ESCALATION_SLA_BREACHED = "escalation.sla_breached", "Service level breached"
    REMEDIATION_SHIPPED = "remediation.shipped", "Remediation shipped"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """A URL that wants some events, and the secret its deliveries are signed with."""

    name = models.CharField(max_length=120)
    url = models.URLField(max_length=500, help_text="Receives a POST with a JSON body for each event.")
    secret = models.CharField(
        max_length=200, default=new_secret, help_text="Signs every delivery (HMAC-SHA256); share it with the receiver."
    )
    events = models.JSONField(default=list, help_text="The events this endpoint wants.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self):
        return f"{self.name} ({self.url})"

    def wants(self, event: str) -> bool:
        return self.is_active and event in (self.events or [])


class WebhookDelivery(models.Model):
    """One event for one endpoint: written in the transaction of the change, then sent with retries."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField(help_text="The `data` of the body sent.")
    dedupe_key = models.CharField(max_length=200, help_text="The change that caused it: one delivery per endpoint.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due_idx",
                condition=Q(status__in=["pending", "sending"]),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "dedupe_key"], name="webhook_delivery_once_per_endpoint"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "delivered", "failed"]),
                name="webhook_delivery_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.event} → {self.endpoint.name} ({self.status})"
