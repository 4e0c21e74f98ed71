from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from escalations.lifecycle import OPEN_STATUSES, STATUS_LABELS, Status

ACCOUNT_EXTERNAL_ID_PATTERN = r"^acct_[A-Za-z0-9]{4,40}$"
REFERENCE_PATTERN = r"^ESC-[1-9][0-9]*$"


class Account(models.Model):
    """The customer account affected by an escalation ("the user" in the product's language)."""

    class Tier(models.TextChoices):
        STRATEGIC = "strategic", "Strategic"
        ENTERPRISE = "enterprise", "Enterprise"
        BUSINESS = "business", "Business"
        STARTER = "starter", "Starter"

    class RevenueBand(models.TextChoices):
        UNDER_10K = "lt_10k", "Under $10k"
        FROM_10K = "10k_100k", "$10k–$100k"
        FROM_100K = "100k_1m", "$100k–$1M"
        OVER_1M = "gt_1m", "Over $1M"

    class Region(models.TextChoices):
        NORTH_AMERICA = "na", "North America"
        LATIN_AMERICA = "latam", "Latin America"
        EMEA = "emea", "Europe, Middle East & Africa"
        APAC = "apac", "Asia-Pacific"

    external_id = models.CharField(
        max_length=45,
        unique=True,
        validators=[
            RegexValidator(
                ACCOUNT_EXTERNAL_ID_PATTERN, "Use the account id as acct_ followed by 4–40 letters or digits."
            )
        ],
    )
    name = models.CharField(max_length=200)
    tier = models.CharField(max_length=20, choices=Tier.choices, default=Tier.BUSINESS)
    revenue_band = models.CharField(max_length=20, choices=RevenueBand.choices, default=RevenueBand.FROM_10K)
    region = models.CharField(max_length=10, choices=Region.choices, default=Region.NORTH_AMERICA)
    contact_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(external_id__regex=ACCOUNT_EXTERNAL_ID_PATTERN), name="account_external_id_format"
            ),
            models.CheckConstraint(
                condition=Q(tier__in=["strategic", "enterprise", "business", "starter"]), name="account_tier_valid"
            ),
        ]
        indexes = [models.Index(fields=["name"], name="account_name_idx")]

    def __str__(self):
        return f"{self.name} ({self.external_id})"


class Category(models.Model):
    """A product area an escalation is about."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name


class PriorityRule(models.Model):
    """One row of the table that suggests a priority at filing; the first active matching rule (by order) wins.

    A blank condition matches anything. Specialists confirm or change the suggestion at triage.
    """

    order = models.PositiveIntegerField(default=100, help_text="Lower runs first.")
    name = models.CharField(max_length=120)
    tier = models.CharField(max_length=20, choices=Account.Tier.choices, blank=True, help_text="Blank: any tier.")
    min_customers_affected = models.PositiveIntegerField(null=True, blank=True)
    min_revenue_at_risk = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    requires_regulatory_exposure = models.BooleanField(default=False)
    priority = models.CharField(max_length=2, choices=[(p, p) for p in ("P1", "P2", "P3", "P4")])
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(priority__in=["P1", "P2", "P3", "P4"]), name="priority_rule_priority_valid"
            )
        ]

    def __str__(self):
        return f"{self.order}. {self.name} → {self.priority}"

    def matches(self, *, tier: str, customers_affected: int | None, revenue_at_risk, has_regulatory_exposure: bool):
        if self.tier and self.tier != tier:
            return False
        if self.min_customers_affected is not None and (customers_affected or 0) < self.min_customers_affected:
            return False
        if self.min_revenue_at_risk is not None and (revenue_at_risk or 0) < self.min_revenue_at_risk:
            return False
        return not (self.requires_regulatory_exposure and not has_regulatory_exposure)


class ReferenceCounter(models.Model):
    """Hands out escalation numbers; one row per sequence, incremented under a row lock."""

    name = models.CharField(max_length=40, primary_key=True)
    last_value = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.name}: {self.last_value}"


class Escalation(models.Model):
    class Priority(models.TextChoices):
        P1 = "P1", "P1 — critical"
        P2 = "P2", "P2 — high"
        P3 = "P3", "P3 — normal"
        P4 = "P4", "P4 — low"

    class ContactChannel(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"
        ANY = "any", "No preference"

    reference = models.CharField(max_length=20, unique=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(help_text="Markdown.")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="escalations")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="filed_escalations")
    requesting_org = models.CharField(max_length=120, blank=True, help_text="The requester's organisation.")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="escalations")
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.P3)
    status = models.CharField(
        max_length=24, choices=[(s.value, STATUS_LABELS[s]) for s in Status], default=Status.NEW.value
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_escalations",
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="EscalationWatcher", related_name="watched_escalations", blank=True
    )

    # What the customer needs and what is at stake.
    customer_need = models.TextField(blank=True, help_text="What the customer needs.")
    needed_by = models.DateField(null=True, blank=True, help_text="When the customer needs it.")
    customers_affected = models.PositiveIntegerField(null=True, blank=True)
    revenue_at_risk = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    has_regulatory_exposure = models.BooleanField(default=False, help_text="Regulatory or legal exposure.")
    preferred_contact_channel = models.CharField(
        max_length=10, choices=ContactChannel.choices, default=ContactChannel.EMAIL
    )
    links = models.JSONField(default=list, blank=True, help_text="Internal tickets, dashboards: a list of URLs.")

    version = models.PositiveIntegerField(default=1, help_text="Bumped on every change; stale writes are refused.")
    next_sla_check_at = models.DateTimeField(
        null=True, blank=True, help_text="The earliest moment an SLA warning or breach could fire; the sweep's index."
    )
    sla_due_at = models.DateTimeField(null=True, blank=True, help_text="When the next running SLA clock is due.")
    is_sla_breached = models.BooleanField(default=False, help_text="A running SLA clock has passed its due time.")
    filed_at = models.DateTimeField(default=timezone.now)
    triaged_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    reopen_count = models.PositiveIntegerField(default=0)

    resolution_summary = models.TextField(blank=True)
    root_cause = models.ForeignKey(
        "remediations.RootCause", null=True, blank=True, on_delete=models.PROTECT, related_name="escalations"
    )
    rejection_reason = models.TextField(blank=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates")

    class Meta:
        ordering = ["-filed_at"]
        constraints = [
            models.CheckConstraint(condition=Q(reference__regex=REFERENCE_PATTERN), name="escalation_reference_format"),
            models.CheckConstraint(condition=Q(status__in=[s.value for s in Status]), name="escalation_status_valid"),
            models.CheckConstraint(
                condition=Q(priority__in=["P1", "P2", "P3", "P4"]), name="escalation_priority_valid"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="escalation_version_positive"),
            models.CheckConstraint(
                condition=Q(status=Status.DUPLICATE.value, duplicate_of__isnull=False)
                | (~Q(status=Status.DUPLICATE.value) & Q(duplicate_of__isnull=True)),
                name="escalation_duplicate_has_original",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[Status.RESOLVED.value, Status.CLOSED.value])
                | (Q(resolved_at__isnull=False) & ~Q(resolution_summary="") & Q(root_cause__isnull=False)),
                name="escalation_resolved_has_resolution",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "priority", "filed_at"], name="escalation_status_prio_idx"),
            models.Index(fields=["assignee", "status"], name="escalation_assignee_idx"),
            models.Index(fields=["requester", "-filed_at"], name="escalation_requester_idx"),
            models.Index(fields=["account", "status"], name="escalation_account_idx"),
            models.Index(fields=["-filed_at"], name="escalation_filed_idx"),
            models.Index(
                fields=["priority", "filed_at"],
                name="escalation_open_queue_idx",
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
            ),
            models.Index(
                fields=["next_sla_check_at"],
                name="escalation_sla_check_idx",
                condition=Q(next_sla_check_at__isnull=False),
            ),
            models.Index(
                fields=["sla_due_at"],
                name="escalation_sla_due_idx",
                condition=Q(sla_due_at__isnull=False),
            ),
            models.Index(
                fields=["resolved_at"],
                name="escalation_resolved_open_idx",
                condition=Q(status=Status.RESOLVED.value),
            ),
            # Scale (issue 9): the filtered queue (product area, priority) over open cases, and "recently resolved"
            # (resolved or closed since …) without reading every finished case.
            models.Index(
                fields=["category", "priority", "filed_at"],
                name="escalation_open_category_idx",
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
            ),
            models.Index(
                fields=["priority", "filed_at"],
                name="escalation_open_unassigned_idx",
                condition=Q(status__in=[s.value for s in OPEN_STATUSES], assignee__isnull=True),
            ),
            models.Index(
                fields=["sla_due_at"],
                name="escalation_open_sla_due_idx",
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
            ),
            models.Index(
                fields=["resolved_at"],
                name="escalation_finished_res_idx",
                condition=Q(status__in=[Status.RESOLVED.value, Status.CLOSED.value]),
            ),
            models.Index(
                fields=["closed_at"],
                name="escalation_finished_closed_idx",
                condition=Q(status__in=[Status.RESOLVED.value, Status.CLOSED.value]),
            ),
            # Reports: escalations per root cause around a remediation's shipping date.
            models.Index(
                fields=["root_cause", "filed_at"],
                name="escalation_root_cause_idx",
                condition=Q(root_cause__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.reference}: {self.title}"

    @property
    def lifecycle_status(self) -> Status:
        return Status(self.status)

    @property
    def is_open(self) -> bool:
        return self.lifecycle_status in OPEN_STATUSES


class EscalationWatcher(models.Model):
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="watcher_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watching_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["escalation", "user"], name="escalation_watcher_unique")]

    def __str__(self):
        return f"{self.user} watches {self.escalation.reference}"


class EventKind(models.TextChoices):
    FILED = "filed", "Filed"
    STATUS_CHANGED = "status_changed", "Status changed"
    ASSIGNED = "assigned", "Assigned"
    PRIORITY_CHANGED = "priority_changed", "Priority changed"
    CATEGORY_CHANGED = "category_changed", "Product area changed"
    COMMENT = "comment", "Comment"
    NOTE = "note", "Internal note"
    COMMUNICATION = "communication", "Customer communication"
    HANDOFF = "handoff", "Handoff"
    ATTACHMENT = "attachment", "Attachment"
    ROOT_CAUSE = "root_cause", "Root cause"
    WATCHER = "watcher", "Watcher"
    SLA = "sla", "Service level"


class EscalationEvent(models.Model):
    """One entry of a case's timeline and audit trail. Append-only: services never update or delete these."""

    Kind = EventKind

    class Visibility(models.TextChoices):
        INTERNAL = "internal", "Internal"
        SHARED = "shared", "Shared with requester"

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL)
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True, help_text="Structured details, e.g. before/after values.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["escalation", "created_at"], name="event_timeline_idx"),
            # Reports: status changes (resolutions, reopens) in a date range.
            models.Index(fields=["kind", "created_at"], name="event_kind_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="event_kind_valid"),
            models.CheckConstraint(condition=Q(visibility__in=["internal", "shared"]), name="event_visibility_valid"),
        ]

    def __str__(self):
        return f"{self.escalation_id} {self.kind} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_shared(self) -> bool:
        return self.visibility == self.Visibility.SHARED


class Handoff(models.Model):
    """A piece of a case handed to a partner team, with its own response clock."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        ANSWERED = "answered", "Answered"
        CANCELLED = "cancelled", "Cancelled"

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="handoffs")
    partner_team = models.ForeignKey("users.PartnerTeam", on_delete=models.PROTECT, related_name="handoffs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="requested_handoffs"
    )
    ask = models.TextField(help_text="What the partner team is asked to do or answer.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    response = models.TextField(blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True, help_text="First acknowledgement or answer.")
    answered_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["partner_team", "due_at"],
                name="handoff_open_idx",
                condition=Q(status__in=["requested", "acknowledged"]),
            ),
            # Reports: handoffs asked in a date range.
            models.Index(fields=["created_at"], name="handoff_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["requested", "acknowledged", "answered", "cancelled"]),
                name="handoff_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.escalation.reference} → {self.partner_team}"


class CommunicationTemplate(models.Model):
    """A message the team reuses when writing to a customer; Django template syntax over the case."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    subject = models.CharField(max_length=255)
    body = models.TextField(
        help_text="Available: {{ escalation }}, {{ account }}, {{ contact_name }}, {{ specialist }}, {{ reference }}."
    )
    is_active = models.BooleanField(default=True)
    order = models.PositiveIntegerField(default=100)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class Communication(models.Model):
    """One message to or from the customer: an email or a phone call, on the case's timeline."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone call"

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", "To the customer"
        INBOUND = "inbound", "From the customer"

    class CallOutcome(models.TextChoices):
        CONNECTED = "connected", "Connected"
        NO_ANSWER = "no_answer", "No answer"
        VOICEMAIL = "voicemail", "Left a voicemail"

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="communications")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.OUTBOUND)
    counterpart = models.CharField(max_length=255, blank=True, help_text="The customer's address or number.")
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True, help_text="The email text, or the call summary.")
    template = models.ForeignKey(
        CommunicationTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="communications"
    )
    call_outcome = models.CharField(max_length=12, choices=CallOutcome.choices, blank=True)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    outbox_message = models.OneToOneField(
        "OutboxMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="communication"
    )
    event = models.OneToOneField(
        EscalationEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="communication"
    )
    message_id = models.CharField(
        max_length=500, blank=True, help_text="The email's Message-ID: ours when sent, the sender's when received."
    )
    references = models.TextField(blank=True, help_text="The Message-IDs of the thread before this email.")
    is_automatic = models.BooleanField(
        default=False, help_text="An auto-reply or bounce: on the timeline, but not a reply from the customer."
    )
    bounced_at = models.DateTimeField(
        null=True, blank=True, help_text="When the recipient's mail server reported this email undeliverable."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["escalation", "created_at"], name="communication_case_idx"),
            models.Index(fields=["message_id"], name="communication_message_id_idx", condition=~Q(message_id="")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel="phone") | Q(call_outcome=""), name="communication_outcome_only_for_calls"
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.get_direction_display().lower()} on {self.escalation_id}"

    @property
    def reaches_the_customer(self) -> bool:
        """An email sent to the customer or a connected outbound call: what stops the first-response clock."""
        if self.direction != self.Direction.OUTBOUND:
            return False
        return self.channel == self.Channel.EMAIL or self.call_outcome == self.CallOutcome.CONNECTED


class SavedView(models.Model):
    """A named set of dashboard filters a specialist comes back to."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=2000, help_text="The dashboard's query string.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_view_name_unique_per_owner")]

    def __str__(self):
        return self.name


class Attachment(models.Model):
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        EscalationEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    file = models.FileField(upload_to="attachments/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return self.original_name


class OutboxMessage(models.Model):
    """An email waiting to be sent, or the record that it was. Written in the same transaction as its cause."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    recipient = models.EmailField()
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(
        default=dict, blank=True, help_text="Extra headers sent with it, e.g. Reply-To, Message-ID, References."
    )
    template = models.CharField(max_length=120, blank=True)
    escalation = models.ForeignKey(
        Escalation, null=True, blank=True, on_delete=models.SET_NULL, related_name="outbox_messages"
    )
    dedupe_key = models.CharField(
        max_length=200, null=True, blank=True, unique=True, help_text="Makes a notification happen at most once."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_due_idx",
                condition=Q(status__in=["pending", "sending"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "sent", "failed"]), name="outbox_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.subject} → {self.recipient} ({self.status})"


from escalations.mail.models import InboundEmail  # noqa: E402
from escalations.sla.models import (  # noqa: E402  (models of the same app, kept in their own module)
    BusinessCalendar,
    CalendarHoliday,
    SLAAlert,
    SLAClock,
    SLAPause,
    SLAPolicy,
    WorkingHours,
)
from escalations.webhooks.models import WebhookDelivery, WebhookEndpoint  # noqa: E402

__all__ = [
    "Account",
    "Attachment",
    "BusinessCalendar",
    "CalendarHoliday",
    "Category",
    "Communication",
    "CommunicationTemplate",
    "Escalation",
    "EscalationEvent",
    "EscalationWatcher",
    "Handoff",
    "InboundEmail",
    "OutboxMessage",
    "PriorityRule",
    "ReferenceCounter",
    "SavedView",
    "SLAAlert",
    "SLAClock",
    "SLAPause",
    "SLAPolicy",
    "WorkingHours",
    "WebhookDelivery",
    "WebhookEndpoint",
]
