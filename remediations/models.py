from django.conf import settings
from django.db import models
from django.db.models import Q


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

    class Meta:
        ordering = ["parent__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "slug"], name="root_cause_slug_unique_in_area"),
            models.UniqueConstraint(
                fields=["slug"], condition=Q(parent__isnull=True), name="root_cause_area_slug_unique"
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="root_cause_not_own_parent"),
        ]

    def __str__(self):
        return f"{self.parent.name} → {self.name}" if self.parent_id else self.name

    @property
    def is_area(self) -> bool:
        return self.parent_id is None


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
        indexes = [models.Index(fields=["owner_team", "status", "due_date"], name="remediation_team_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "accepted", "in_progress", "shipped", "verified", "declined"]),
                name="remediation_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""), name="remediation_declined_has_reason"
            ),
        ]

    def __str__(self):
        return self.title
