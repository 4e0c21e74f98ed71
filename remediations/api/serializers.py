"""Input serializers check the shape of a request; output serializers render. Neither saves anything: the views
hand validated data to one service (`remediation_create`, `remediation_transition`, `root_cause_merge`, …).
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from remediations import selectors
from remediations.api.schema import NamedChoiceField
from remediations.lifecycle import STATUS_CHOICES, allowed_targets
from remediations.models import Remediation, RemediationUpdate, RootCause
from users.models import PartnerTeam, User

# Input


class RemediationInputSerializer(serializers.Serializer):
    """Create a remediation (POST), or change some of it (PATCH: send only what changes)."""

    title = serializers.CharField(max_length=200)
    problem_statement = serializers.CharField(max_length=10000, allow_blank=True, default="")
    proposed_fix = serializers.CharField(max_length=10000, allow_blank=True, default="")
    owner_team = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=PartnerTeam.objects.all(),
        error_messages={"does_not_exist": "There is no partner team “{value}”."},
        help_text="The slug of the partner team that delivers it.",
    )
    owner = serializers.SlugRelatedField(
        slug_field="email",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
        error_messages={"does_not_exist": "There is no active user {value}."},
        help_text="The email of someone on the owner team, or null.",
    )
    priority = NamedChoiceField(
        choices=Remediation.Priority.choices, default=Remediation.Priority.MEDIUM, enum_name="RemediationPriorityEnum"
    )
    due_date = serializers.DateField(required=False, allow_null=True, default=None)
    tracker_url = serializers.URLField(max_length=200, required=False, allow_blank=True, default="")
    root_causes = serializers.PrimaryKeyRelatedField(
        queryset=RootCause.objects.select_related("parent"),
        many=True,
        required=False,
        default=list,
        help_text="Ids of drivers (see /api/v1/root-causes/?kind=driver).",
    )
    escalations = serializers.ListField(
        child=serializers.CharField(max_length=20),
        required=False,
        default=list,
        max_length=500,
        help_text="References of the escalations that justify it, e.g. ESC-1042.",
    )

    def validate_escalations(self, value):
        found, missing = selectors.escalations_by_reference(user=self.context["request"].user, references=value)
        if missing:
            raise serializers.ValidationError(f"No escalation {', '.join(missing)} that you can see.")
        return found

    def service_arguments(self) -> dict:
        """The validated data named as the services name them."""
        data = dict(self.validated_data)
        if "problem_statement" in data:
            data["description"] = data.pop("problem_statement")
        return data


class TransitionInputSerializer(serializers.Serializer):
    to_status = NamedChoiceField(choices=STATUS_CHOICES, enum_name="RemediationStatusEnum")
    reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", help_text="Required to decline."
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ProgressUpdateInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)


class RootCauseInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    parent = serializers.PrimaryKeyRelatedField(
        queryset=RootCause.objects.filter(parent__isnull=True),
        required=False,
        allow_null=True,
        default=None,
        help_text="The id of the area a driver goes under; null (or left out) for a new area.",
    )
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RootCauseEditInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class RootCauseMergeInputSerializer(serializers.Serializer):
    into = serializers.PrimaryKeyRelatedField(
        queryset=RootCause.objects.filter(parent__isnull=False), help_text="The id of the driver that survives."
    )
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RootCauseMergedSerializer(serializers.Serializer):
    moved = serializers.IntegerField(help_text="How many escalations moved to the surviving driver.")
    into = serializers.IntegerField()


# Output


class RootCauseSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="remediations_api:root-cause-detail", read_only=True)
    kind = serializers.SerializerMethodField()
    parent_name = serializers.CharField(source="parent.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = RootCause
        fields = [
            "id",
            "url",
            "kind",
            "name",
            "slug",
            "parent",
            "parent_name",
            "description",
            "is_active",
            "merged_into",
            "retired_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_kind(self, root_cause) -> str:
        return "area" if root_cause.is_area else "driver"


class RemediationSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="remediations_api:remediation-detail", read_only=True)
    problem_statement = serializers.CharField(source="description", read_only=True)
    status = NamedChoiceField(choices=STATUS_CHOICES, enum_name="RemediationStatusEnum", read_only=True)
    priority = NamedChoiceField(
        choices=Remediation.Priority.choices, enum_name="RemediationPriorityEnum", read_only=True
    )
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    owner_team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    owner_team_name = serializers.CharField(source="owner_team.name", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="email", read_only=True, allow_null=True)
    owner_name = serializers.StringRelatedField(source="owner", allow_null=True)
    created_by = serializers.StringRelatedField(allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)
    # A plain string: the link is optional, and an empty one is not a valid `uri`.
    tracker_url = serializers.CharField(read_only=True, help_text="The link to the team's tracker; empty when none.")
    root_causes = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    escalations = serializers.SlugRelatedField(slug_field="reference", many=True, read_only=True)
    escalation_count = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField(
        help_text="Statuses it may move to next (whether you may move it is a matter of team and role)."
    )

    class Meta:
        model = Remediation
        fields = [
            "id",
            "url",
            "title",
            "problem_statement",
            "proposed_fix",
            "owner_team",
            "owner_team_name",
            "owner",
            "owner_name",
            "priority",
            "status",
            "status_display",
            "allowed_transitions",
            "due_date",
            "is_overdue",
            "decline_reason",
            "tracker_url",
            "root_causes",
            "escalations",
            "escalation_count",
            "created_by",
            "created_at",
            "updated_at",
            "shipped_at",
            "verified_at",
        ]
        read_only_fields = fields

    def get_escalation_count(self, remediation) -> int:
        annotated = getattr(remediation, "escalation_count", None)
        return annotated if annotated is not None else len(remediation.escalations.all())

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_transitions(self, remediation):
        return [status.value for status in allowed_targets(remediation.lifecycle_status)]


class RemediationUpdateSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField(allow_null=True, help_text="Who did it; null for the system.")

    class Meta:
        model = RemediationUpdate
        fields = ["id", "kind", "actor", "body", "data", "created_at"]
        read_only_fields = fields


class EffectivenessWeekSerializer(serializers.Serializer):
    week = serializers.IntegerField(source="index", help_text="-N … -1 before shipping, 0 … N-1 after.")
    starts = serializers.DateTimeField()
    count = serializers.IntegerField()


class EffectivenessSerializer(serializers.Serializer):
    weeks = serializers.IntegerField()
    shipped_at = serializers.DateTimeField(allow_null=True)
    ready_at = serializers.DateTimeField(allow_null=True, help_text="When enough weeks after shipping have passed.")
    has_data = serializers.BooleanField()
    before_count = serializers.SerializerMethodField()
    after_count = serializers.SerializerMethodField()
    before_rate = serializers.SerializerMethodField()
    after_rate = serializers.SerializerMethodField()
    change_percent = serializers.SerializerMethodField()
    series = EffectivenessWeekSerializer(many=True)

    def get_before_count(self, effectiveness) -> int | None:
        return effectiveness.before_count if effectiveness.has_data else None

    def get_after_count(self, effectiveness) -> int | None:
        return effectiveness.after_count if effectiveness.has_data else None

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_before_rate(self, effectiveness):
        return round(effectiveness.before_rate, 4) if effectiveness.has_data else None

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_after_rate(self, effectiveness):
        return round(effectiveness.after_rate, 4) if effectiveness.has_data else None

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_change_percent(self, effectiveness):
        change = effectiveness.change_percent if effectiveness.has_data else None
        return round(change, 2) if change is not None else None
