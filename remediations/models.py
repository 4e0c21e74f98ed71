from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from remediations.lifecycle import OPEN_STATUSES, RemediationStatus


class RootCause(models.Model):
    """Two-level taxonomy: an area (no parent) groups drivers (parent is an area). Escalations name a driver."""

    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="drivers",
        limit_choices_to={"parent__isnull": True},
        help_text="Empty for an area; the area for a driver.",
    )
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True, help_text="Retired drivers stay on history but leave pickers.")
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        help_text="The driver this one was merged into; its cases moved there.",
    )

    class Meta:
        ordering = ["parent__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "slug"], name="root_cause_slug_unique_in_area"),
            models.UniqueConstraint(
                fields=["slug"], condition=Q(parent__isnull=True), name="root_cause_area_slug_unique"
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="root_cause_not_own_parent"),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | Q(is_active=False), name="root_cause_merged_is_retired"
            ),
            models.CheckConstraint(condition=~Q(merged_into=models.F("id")), name="root_cause_not_merged_into_self"),
        ]

    def __str__(self):
        return f"{self.parent.name} → {self.name}" if self.parent_id else self.name

    @property
    def is_area(self) -> bool:
        return self.parent_id is None

    @property
    def is_driver(self) -> bool:
        return self.parent_id is not None

    @property
    def is_retired(self) -> bool:
        return not self.is_active


class Remediation(models.Model):
    """A fix owned by a partner team that removes a root cause."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        IN_PROGRESS = "in_progress", "In progress"
        SHIPPED = "shipped", "Shipped"
        VERIFIED = "verified", "Verified"
        DECLINED = "declined", "Declined"

    class Priority(models.TextChoices):
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"
        LOW = "low", "Low"

    title = models.CharField(max_length=200)
    description = models.TextField("problem statement", blank=True)
    proposed_fix = models.TextField(blank=True)
    owner_team = models.ForeignKey("users.PartnerTeam", on_delete=models.PROTECT, related_name="remediations")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_remediations"
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    due_date = models.DateField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    tracker_url = models.URLField(blank=True)
    root_causes = models.ManyToManyField(RootCause, related_name="remediations", blank=True)
    escalations = models.ManyToManyField("escalations.Escalation", related_name="remediations", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="created_remediations"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "-created_at"]
        indexes = [
            models.Index(fields=["owner_team", "status", "due_date"], name="remediation_team_idx"),
            # What the daily reminders read: open remediations by due date.
            models.Index(
                fields=["due_date"],
                name="remediation_open_due_idx",
                condition=Q(status__in=[s.value for s in OPEN_STATUSES], due_date__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "accepted", "in_progress", "shipped", "verified", "declined"]),
                name="remediation_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""), name="remediation_declined_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["shipped", "verified"]) | Q(shipped_at__isnull=False),
                name="remediation_shipped_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="verified") | Q(verified_at__isnull=False), name="remediation_verified_has_date"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def lifecycle_status(self) -> RemediationStatus:
        return RemediationStatus(self.status)

    @property
    def is_open(self) -> bool:
        """The owner team still owes it: proposed, accepted or in progress."""
        return self.lifecycle_status in OPEN_STATUSES

    @property
    def days_to_due(self) -> int | None:
        """Days from today to the due date: negative when late, None without a due date."""
        return None if self.due_date is None else (self.due_date - timezone.localdate()).days

    @property
    def days_late(self) -> int:
        return max(0, -(self.days_to_due or 0))

    @property
    def is_overdue(self) -> bool:
        """Still owed and past its due date (in the server's time zone)."""
        return self.is_open and self.due_date is not None and self.due_date < timezone.localdate()


class RemediationUpdate(models.Model):
    """One entry of a remediation's timeline and audit trail. Append-only: services never update or delete these."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        STATUS_CHANGED = "status_changed", "Status changed"
        PROGRESS = "progress", "Progress update"
        EDITED = "edited", "Edited"
        LINKED = "linked", "Links changed"

    remediation = models.ForeignKey(Remediation, on_delete=models.CASCADE, related_name="updates")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True, help_text="Structured details, e.g. before/after values.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["remediation", "created_at"], name="remediation_update_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["created", "status_changed", "progress", "edited", "linked"]),
                name="remediation_update_kind_valid",
            ),
        ]

    def __str__(self):
        return f"{self.remediation_id} {self.kind} at {self.created_at:%Y-%m-%d %H:%M}"


class RemediationReminder(models.Model):
    """The record that a reminder or digest went out, written in the same transaction as its outbox mail.

    The unique constraints are the guarantee: one due-soon or overdue reminder per remediation per day, one
    digest per team per week (`for_date` is that week's Monday), however many workers run the task.
    """

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", "Due soon"
        OVERDUE = "overdue", "Overdue"
        DIGEST = "digest", "Weekly digest"

    remediation = models.ForeignKey(
        Remediation, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    team = models.ForeignKey("users.PartnerTeam", on_delete=models.CASCADE, related_name="remediation_reminders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    for_date = models.DateField(help_text="The day (for a digest: the Monday of the week) it was sent for.")
    recipients = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-for_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["remediation", "for_date"],
                condition=Q(kind__in=["due_soon", "overdue"]),
                name="remediation_reminder_once_a_day",
            ),
            models.UniqueConstraint(
                fields=["team", "for_date"], condition=Q(kind="digest"), name="remediation_digest_once_a_week"
            ),
            models.CheckConstraint(
                condition=Q(kind="digest", remediation__isnull=True)
                | Q(kind__in=["due_soon", "overdue"], remediation__isnull=False),
                name="remediation_reminder_kind_matches",
            ),
        ]

    def __str__(self):
        about = f"remediation {self.remediation_id}" if self.remediation_id else f"team {self.team_id}"
        return f"{self.get_kind_display()} for {about} on {self.for_date}"
