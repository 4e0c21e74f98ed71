"""Mail that came in: each message once (by its Message-ID), on a case or waiting in the unmatched queue."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class InboundEmail(models.Model):
    """One received message, whatever became of it. Unique by Message-ID, so a second delivery stores nothing."""

    class Status(models.TextChoices):
        ON_CASE = "on_case", "On a case"
        UNMATCHED = "unmatched", "Unmatched"
        DISMISSED = "dismissed", "Dismissed"

    class Source(models.TextChoices):
        HTTP = "http", "Inbound webhook"
        IMAP = "imap", "IMAP mailbox"

    class MatchedBy(models.TextChoices):
        TOKEN = "token", "Case address"
        HEADERS = "headers", "Reply headers"
        SPECIALIST = "specialist", "Attached by a specialist"
        FILED = "filed", "Filed as a new escalation"

    message_id = models.CharField(max_length=500, unique=True)
    status = models.CharField(max_length=12, choices=Status.choices)
    source = models.CharField(max_length=8, choices=Source.choices)
    escalation = models.ForeignKey(
        "escalations.Escalation", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_emails"
    )
    communication = models.OneToOneField(
        "escalations.Communication", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_email"
    )
    matched_by = models.CharField(max_length=12, choices=MatchedBy.choices, blank=True)
    from_address = models.CharField(max_length=320, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    recipients = models.TextField(blank=True, help_text="The addresses it was delivered to, one a line.")
    automatic = models.CharField(
        max_length=12, blank=True, help_text="auto_reply or bounce: recorded, but not a reply from a person."
    )
    problem = models.TextField(blank=True, help_text="Why it could not be put on a case by itself.")
    size = models.PositiveIntegerField(default=0)
    raw = models.BinaryField(blank=True, help_text="The message as received (headers only when it was too big).")
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["-received_at"], name="inbound_unmatched_idx", condition=Q(status="unmatched")),
            models.Index(fields=["escalation", "received_at"], name="inbound_case_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["on_case", "unmatched", "dismissed"]), name="inbound_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="on_case") | Q(escalation__isnull=False), name="inbound_on_case_has_case"
            ),
        ]

    def __str__(self):
        return f"{self.message_id} from {self.from_address or 'unknown sender'} ({self.status})"
