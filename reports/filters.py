"""The filters every report shares, for the pages, the CSV downloads and the API alike.

A date range (default: the last 90 days, ending today, UTC days), and who or what the escalations are about:
priority, product area, account tier, requesting org, specialist (the case owner) and partner team (cases
handed off to it; on Partner accountability, the team itself).
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django import forms
from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from escalations.models import Account, Category, Escalation, Handoff
from users.models import PartnerTeam, User, UserRole

DEFAULT_DAYS = 90
MAX_DAYS = 731
# Far enough for any real history, and far from the calendar's ends (the previous period reaches back further).
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
WEEK_CHOICES = [(4, "4 weeks"), (8, "8 weeks"), (12, "12 weeks")]


@dataclass(frozen=True)
class ReportFilters:
    start: date
    end: date  # inclusive
    priority: str = ""
    category: Category | None = None
    tier: str = ""
    org: str = ""
    specialist: User | None = None
    team: PartnerTeam | None = None
    weeks: int = 8

    @property
    def period_start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min), timezone.get_default_timezone())

    @property
    def period_end(self) -> datetime:
        """The first moment after the range (ranges are half-open: start ≤ t < end)."""
        return self.period_start + timedelta(days=self.days)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "ReportFilters":
        """The period of equal length just before this one, with the same filters."""
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))

    def escalation_q(self, prefix: str = "", *, with_team: bool = True) -> Q:
        """The filters as a condition on escalations reached through `prefix` (e.g. "escalation__")."""
        q = Q()
        if self.priority:
            q &= Q(**{f"{prefix}priority": self.priority})
        if self.category:
            q &= Q(**{f"{prefix}category": self.category})
        if self.tier:
            q &= Q(**{f"{prefix}account__tier": self.tier})
        if self.org:
            q &= Q(**{f"{prefix}requesting_org": self.org})
        if self.specialist:
            q &= Q(**{f"{prefix}assignee": self.specialist})
        if self.team and with_team:
            outer = f"{prefix}pk" if prefix else "pk"
            q &= Exists(Handoff.objects.filter(escalation=OuterRef(outer), partner_team=self.team))
        return q

    def as_query(self) -> dict[str, str]:
        """The filters as URL parameters (for links from emails and between reports)."""
        query = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        for name, value in (
            ("priority", self.priority),
            ("category", self.category.slug if self.category else ""),
            ("tier", self.tier),
            ("org", self.org),
            ("specialist", self.specialist.pk if self.specialist else ""),
            ("team", self.team.slug if self.team else ""),
        ):
            if value:
                query[name] = str(value)
        return query

    def describe(self) -> str:
        parts = [f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"]
        for label, value in (
            ("priority", self.priority),
            ("area", self.category),
            ("tier", self.tier),
            ("org", self.org),
            ("specialist", self.specialist),
            ("team", self.team),
        ):
            if value:
                parts.append(f"{label} {value}")
        return " · ".join(parts)


def default_range(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate(timezone=timezone.get_default_timezone())
    return today - timedelta(days=DEFAULT_DAYS - 1), today


class ReportFilterForm(forms.Form):
    start = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    priority = forms.ChoiceField(required=False, choices=[("", "Any priority"), *Escalation.Priority.choices])
    category = forms.ModelChoiceField(
        required=False,
        label="Product area",
        queryset=Category.objects.order_by("name"),
        to_field_name="slug",
        empty_label="Any area",
    )
    tier = forms.ChoiceField(required=False, label="Account tier", choices=[("", "Any tier"), *Account.Tier.choices])
    org = forms.CharField(required=False, label="Requesting org", max_length=120)
    specialist = forms.ModelChoiceField(
        required=False,
        queryset=User.objects.filter(role__in=[UserRole.SPECIALIST, UserRole.MANAGER, UserRole.ADMIN]).order_by(
            "display_name", "email"
        ),
        empty_label="Any specialist",
    )
    team = forms.ModelChoiceField(
        required=False,
        label="Partner team",
        queryset=PartnerTeam.objects.order_by("name"),
        to_field_name="slug",
        empty_label="Any team",
    )
    weeks = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Weeks before/after", choices=WEEK_CHOICES
    )

    def __init__(self, data=None, *, teams=None, today: date | None = None, **kwargs):
        self.today = today or timezone.localdate(timezone=timezone.get_default_timezone())
        if data is not None:
            # Show the defaults in the fields (the range, the weeks compared) rather than empty or first choices.
            data = data.copy()
            if not (data.get("start") or data.get("end")):
                start, end = default_range(self.today)
                data["start"], data["end"] = start.isoformat(), end.isoformat()
            default_weeks = settings.REMEDIATION_EFFECTIVENESS_WEEKS
            if not data.get("weeks") and default_weeks in dict(WEEK_CHOICES):
                data["weeks"] = str(default_weeks)
        super().__init__(data, **kwargs)
        if teams is not None:
            self.fields["team"].queryset = teams

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        given = [cleaned.get("start"), cleaned.get("end")]
        if any(day and not EARLIEST <= day <= LATEST for day in given):
            self.add_error("start", f"Choose dates between {EARLIEST:%d %b %Y} and {LATEST:%d %b %Y}.")
            return cleaned
        end = given[1] or (given[0] + timedelta(days=DEFAULT_DAYS - 1) if given[0] else default_range(self.today)[1])
        start = given[0] or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            self.add_error("end", "The end of the range must be on or after its start.")
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error("start", f"Choose a range of at most {MAX_DAYS} days.")
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def report_filters(self) -> ReportFilters:
        """The validated filters; call after `is_valid()`."""
        data = self.cleaned_data
        return ReportFilters(
            start=data["start"],
            end=data["end"],
            priority=data.get("priority") or "",
            category=data.get("category"),
            tier=data.get("tier") or "",
            org=(data.get("org") or "").strip(),
            specialist=data.get("specialist"),
            team=data.get("team"),
            weeks=data.get("weeks") or settings.REMEDIATION_EFFECTIVENESS_WEEKS,
        )
