"""Service-level policies, calendars, the clocks they run on each case, and the record of alerts sent."""

from datetime import time

from django.db import models
from django.db.models import Q
from django.utils import timezone

from escalations.sla.calendar import WorkingCalendar, public_holidays
from users.models import validate_time_zone


class BusinessCalendar(models.Model):
    """When the team works, in its own time zone: weekly hours, public holidays of a country, custom days off."""

    name = models.CharField(max_length=120, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    always_open = models.BooleanField(default=False, help_text="24×7: every minute counts, holidays included.")
    holiday_country = models.CharField(
        max_length=2, blank=True, help_text="ISO country code whose public holidays are days off, e.g. DE or US."
    )
    holiday_subdivision = models.CharField(max_length=10, blank=True, help_text="State or region, e.g. BY or CA.")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} (24×7)" if self.always_open else f"{self.name} ({self.time_zone})"

    def working_calendar(self, years) -> WorkingCalendar:
        """The pure calendar for arithmetic over `years` (public holidays are looked up per year)."""
        if self.always_open:
            return WorkingCalendar.twenty_four_seven(self.time_zone)
        weekly: dict[int, list[tuple[time, time]]] = {}
        for span in self.hours.all():
            weekly.setdefault(span.weekday, []).append((span.starts, span.ends))
        days_off = {holiday.date for holiday in self.holidays.all()}
        if self.holiday_country:
            days_off |= public_holidays(self.holiday_country, years, self.holiday_subdivision or None)
        return WorkingCalendar(
            time_zone=self.time_zone,
            weekly_hours={day: tuple(spans) for day, spans in weekly.items()},
            holidays=days_off,
        )


class WorkingHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField(help_text="00:00 means midnight at the end of the day.")

    class Meta:
        ordering = ["calendar", "weekday", "starts"]
        verbose_name_plural = "working hours"

    def __str__(self):
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


class CalendarHoliday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="calendar_holiday_unique")]

    def __str__(self):
        return f"{self.date} {self.name}"


def default_thresholds():
    return [50, 75]


class SLAPolicy(models.Model):
    """Targets for one priority (and optionally one account tier). Versioned: a case keeps the version it started on.

    Editing a policy in the admin saves a new version; open cases move to it only when an admin re-applies it.
    """

    name = models.CharField(max_length=120)
    key = models.SlugField(max_length=60, help_text="Stays the same across versions.")
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    priority = models.CharField(max_length=2, choices=[(p, p) for p in ("P1", "P2", "P3", "P4")])
    account_tier = models.CharField(max_length=20, blank=True, help_text="Blank: any tier. A tier match wins.")
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="policies")
    first_response_minutes = models.PositiveIntegerField(help_text="Business minutes from filing to first response.")
    next_update_minutes = models.PositiveIntegerField(help_text="Business minutes between customer updates.")
    resolution_minutes = models.PositiveIntegerField(help_text="Business minutes from filing to resolution.")
    warning_thresholds = models.JSONField(
        default=default_thresholds, help_text="Percent of the target at which to warn, e.g. [50, 75]."
    )
    pause_resolution_on_partner = models.BooleanField(
        default=False, help_text="Waiting on a partner team also pauses the resolution clock."
    )
    requester_update_counts = models.BooleanField(
        default=False, help_text="An update shared with the requester counts as a response to the customer."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["priority", "account_tier", "-version"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="sla_policy_version_unique"),
            models.UniqueConstraint(
                fields=["priority", "account_tier"], condition=Q(is_current=True), name="sla_policy_one_current"
            ),
        ]

    def __str__(self):
        tier = f", {self.account_tier}" if self.account_tier else ""
        return f"{self.name} ({self.priority}{tier}, v{self.version})"

    def target_minutes(self, kind: str) -> int:
        return {
            SLAClock.Kind.FIRST_RESPONSE: self.first_response_minutes,
            SLAClock.Kind.NEXT_UPDATE: self.next_update_minutes,
            SLAClock.Kind.RESOLUTION: self.resolution_minutes,
        }[kind]

    @property
    def ladder(self) -> list[int]:
        """The percentages that alert, ending with the breach at 100."""
        return sorted({int(p) for p in self.warning_thresholds if 0 < int(p) < 100}) + [100]


class SLAClock(models.Model):
    """One promise on one case: when it started, when it is due, pauses, and how it ended."""

    class Kind(models.TextChoices):
        FIRST_RESPONSE = "first_response", "First response"
        NEXT_UPDATE = "next_update", "Next update"
        RESOLUTION = "resolution", "Resolution"
        HANDOFF = "handoff", "Handoff response"

    class Outcome(models.TextChoices):
        MET = "met", "Met"
        BREACHED = "breached", "Breached"
        CANCELLED = "cancelled", "No longer applies"

    escalation = models.ForeignKey("escalations.Escalation", on_delete=models.CASCADE, related_name="sla_clocks")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    handoff = models.ForeignKey(
        "escalations.Handoff", null=True, blank=True, on_delete=models.CASCADE, related_name="sla_clocks"
    )
    policy = models.ForeignKey(SLAPolicy, null=True, blank=True, on_delete=models.PROTECT, related_name="clocks")
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="clocks")
    target_minutes = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    used_minutes_before_pause = models.FloatField(
        default=0, help_text="Business minutes used up to the last pause (running time since resuming is extra)."
    )
    running_since = models.DateTimeField(null=True, blank=True, help_text="Empty while paused or stopped.")
    due_at = models.DateTimeField(null=True, blank=True, help_text="Empty while paused or stopped.")
    breached_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    business_minutes_used = models.FloatField(null=True, blank=True)
    wall_minutes_used = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]
        indexes = [
            models.Index(fields=["escalation", "kind"], name="sla_clock_case_idx"),
            models.Index(fields=["kind", "outcome", "stopped_at"], name="sla_clock_outcome_idx"),
            # Reports: clocks decided in a date range (met when they stopped, breached when they passed due), and
            # handoff clocks started in one.
            models.Index(
                fields=["stopped_at"],
                name="sla_clock_stopped_idx",
                condition=Q(stopped_at__isnull=False),
                include=["kind", "outcome", "escalation", "business_minutes_used", "breached_at"],
            ),
            models.Index(
                fields=["breached_at"],
                name="sla_clock_breached_idx",
                condition=Q(breached_at__isnull=False),
                include=["kind", "outcome", "escalation", "stopped_at"],
            ),
            models.Index(fields=["kind", "started_at"], name="sla_clock_started_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["escalation", "kind"],
                condition=Q(stopped_at__isnull=True, handoff__isnull=True),
                name="sla_clock_one_open_per_kind",
            ),
            models.UniqueConstraint(
                fields=["handoff"], condition=Q(stopped_at__isnull=True), name="sla_clock_one_open_per_handoff"
            ),
            models.CheckConstraint(
                condition=Q(stopped_at__isnull=True, outcome="") | Q(stopped_at__isnull=False) & ~Q(outcome=""),
                name="sla_clock_outcome_when_stopped",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.escalation_id}"

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None and self.running_since is not None

    @property
    def is_paused(self) -> bool:
        return self.stopped_at is None and self.running_since is None


class SLAPause(models.Model):
    clock = models.ForeignKey(SLAClock, on_delete=models.CASCADE, related_name="pauses")
    reason = models.CharField(max_length=40)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    business_minutes = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["started_at"]

    def __str__(self):
        return f"{self.reason} from {self.started_at:%Y-%m-%d %H:%M}"


class SLAAlert(models.Model):
    """The record that one threshold of one clock was announced. The unique constraint makes it happen once."""

    clock = models.ForeignKey(SLAClock, on_delete=models.CASCADE, related_name="alerts")
    threshold = models.PositiveSmallIntegerField(help_text="Percent of the target; 100 is the breach.")
    fired_at = models.DateTimeField(default=timezone.now)
    recipients = models.JSONField(default=list)

    class Meta:
        ordering = ["fired_at"]
        constraints = [models.UniqueConstraint(fields=["clock", "threshold"], name="sla_alert_once")]

    def __str__(self):
        return f"{self.threshold}% of {self.clock}"


__all__ = ["BusinessCalendar", "CalendarHoliday", "SLAAlert", "SLAClock", "SLAPause", "SLAPolicy", "WorkingHours"]
