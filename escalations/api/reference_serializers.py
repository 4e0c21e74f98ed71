"""Read shapes for what a case refers to: accounts, categories, partner teams, service-level policies and
calendars; and a specialist's saved dashboard views."""

from django.http import QueryDict
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from escalations.dashboard import dashboard_query
from escalations.models import Account, BusinessCalendar, CalendarHoliday, Category, SavedView, SLAPolicy, WorkingHours
from remediations.api.schema import NamedChoiceField
from users.models import PartnerTeam


class AccountSerializer(serializers.ModelSerializer):
    tier = NamedChoiceField(choices=Account.Tier.choices, enum_name="AccountTierEnum")
    open_escalation_count = serializers.IntegerField(read_only=True, help_text="Escalations on it not finished yet.")

    class Meta:
        model = Account
        fields = [
            "external_id",
            "name",
            "tier",
            "revenue_band",
            "region",
            "contact_name",
            "contact_email",
            "contact_phone",
            "open_escalation_count",
            "created_at",
        ]
        read_only_fields = fields


CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone")


class AccountWithoutContactSerializer(AccountSerializer):
    """An account as requesters and partners read it: the customer's contact is for case workers only (the case
    page shows it to nobody else), so those fields come back empty. Same shape, so clients need no second schema."""

    def to_representation(self, instance):
        return super().to_representation(instance) | dict.fromkeys(CONTACT_FIELDS, "")


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["slug", "name", "description", "is_active"]
        read_only_fields = fields


class PartnerTeamSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = PartnerTeam
        fields = ["slug", "name", "description", "contact_email", "handoff_response_target_minutes", "member_count"]
        read_only_fields = fields


@extend_schema_field({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "example": "09:00"})
class WallClockTimeField(serializers.TimeField):
    """A time of day as HH:MM in the calendar's zone (OpenAPI's `time` format would demand a UTC offset)."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", read_only=True, **kwargs)


class WorkingHoursSerializer(serializers.ModelSerializer):
    starts = WallClockTimeField()
    ends = WallClockTimeField(help_text="00:00 means midnight at the end of the day.")

    class Meta:
        model = WorkingHours
        fields = ["weekday", "starts", "ends"]
        read_only_fields = fields


class CalendarHolidaySerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarHoliday
        fields = ["date", "name"]
        read_only_fields = fields


class BusinessCalendarSerializer(serializers.ModelSerializer):
    hours = WorkingHoursSerializer(many=True, read_only=True, help_text="Weekday 0 is Monday; 00:00 ends at midnight.")
    holidays = CalendarHolidaySerializer(many=True, read_only=True, help_text="Custom days off.")

    class Meta:
        model = BusinessCalendar
        fields = [
            "id",
            "name",
            "time_zone",
            "always_open",
            "holiday_country",
            "holiday_subdivision",
            "hours",
            "holidays",
        ]
        read_only_fields = fields


class CalendarSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = BusinessCalendar
        fields = ["id", "name", "time_zone", "always_open"]
        read_only_fields = fields


class SLAPolicySerializer(serializers.ModelSerializer):
    priority = NamedChoiceField(choices=[(p, p) for p in ("P1", "P2", "P3", "P4")], enum_name="SLAPriorityEnum")
    calendar = CalendarSummarySerializer(read_only=True)
    warning_thresholds = serializers.ListField(
        child=serializers.IntegerField(), read_only=True, help_text="Percent of the target at which to warn."
    )

    class Meta:
        model = SLAPolicy
        fields = [
            "id",
            "key",
            "name",
            "version",
            "is_current",
            "priority",
            "account_tier",
            "calendar",
            "first_response_minutes",
            "next_update_minutes",
            "resolution_minutes",
            "warning_thresholds",
            "pause_resolution_on_partner",
            "requester_update_counts",
            "created_at",
        ]
        read_only_fields = fields


class SavedViewInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    query = serializers.CharField(
        max_length=2000,
        allow_blank=True,
        default="",
        help_text="The dashboard's query string, e.g. `queue=new&priority=P1`; unknown parameters are dropped.",
    )

    def validate_query(self, value):
        return dashboard_query(QueryDict(value.lstrip("?")))


class SavedViewSerializer(serializers.ModelSerializer):
    dashboard_url = serializers.SerializerMethodField(help_text="The triage dashboard with these filters.")

    class Meta:
        model = SavedView
        fields = ["id", "name", "query", "dashboard_url", "created_at"]
        read_only_fields = fields

    def get_dashboard_url(self, saved_view) -> str:
        path = reverse("escalations:triage")
        return f"{path}?{saved_view.query}" if saved_view.query else path
