"""Request and response shapes for working a case: lifecycle actions, communications and handoffs.

Input serializers only check shapes and look rows up; the views pass what they validated to one service, which
holds every business rule (who may act, which transitions exist, stale versions).
"""

from rest_framework import serializers

from escalations import selectors
from escalations.api.serializers import EscalationSummarySerializer
from escalations.lifecycle import STATUS_LABELS, Status
from escalations.mail.addresses import reply_address
from escalations.models import Category, Communication, CommunicationTemplate, Escalation, Handoff
from remediations.api.schema import NamedChoiceField
from remediations.models import RootCause
from users.models import PartnerTeam

VERSION_HELP = (
    "The case's `version` as you last read it. If someone changed the case since, the change is refused with 409 "
    "`stale_version` and nothing is written: read the case again and retry."
)


def _version_field():
    return serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text=VERSION_HELP)


def _case_worker_field(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="email",
        queryset=selectors.case_workers(),
        error_messages={"does_not_exist": "{value} is not an active specialist, manager or admin."},
        **kwargs,
    )


class VersionedInputSerializer(serializers.Serializer):
    version = _version_field()


class TriageInputSerializer(VersionedInputSerializer):
    priority = NamedChoiceField(choices=Escalation.Priority.choices, enum_name="EscalationPriorityEnum")
    category = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Category.objects.filter(is_active=True),
        error_messages={"does_not_exist": "There is no active product area “{value}”."},
        help_text="The slug of an active category (see `/api/v1/categories/`).",
    )
    assignee = _case_worker_field(help_text="The owner's email: an active specialist, manager or admin.")


class AssignInputSerializer(VersionedInputSerializer):
    assignee = _case_worker_field(allow_null=True, help_text="The new owner's email, or null for nobody.")


class PriorityInputSerializer(VersionedInputSerializer):
    priority = NamedChoiceField(choices=Escalation.Priority.choices, enum_name="EscalationPriorityEnum")
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class EscalationTransitionInputSerializer(VersionedInputSerializer):
    to_status = NamedChoiceField(
        choices=[(status.value, STATUS_LABELS[status]) for status in Status],
        enum_name="EscalationStatusEnum",
        help_text="Resolving, rejecting and marking a duplicate need more: use `resolve/`, `reject/`, `duplicate/`.",
    )
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReasonInputSerializer(VersionedInputSerializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RejectInputSerializer(VersionedInputSerializer):
    reason = serializers.CharField(max_length=2000, help_text="Why; the requester sees it.")


class ResolveInputSerializer(VersionedInputSerializer):
    resolution_summary = serializers.CharField(max_length=5000, help_text="The requester sees this summary.")
    root_cause = serializers.PrimaryKeyRelatedField(
        queryset=RootCause.objects.filter(is_active=True, parent__isnull=False, parent__is_active=True),
        error_messages={"does_not_exist": "{pk_value} is not an active root-cause driver."},
        help_text="The id of an active driver (`/api/v1/root-causes/?kind=driver&is_active=true`).",
    )


class DuplicateInputSerializer(VersionedInputSerializer):
    duplicate_of = serializers.CharField(max_length=20, help_text="The reference of the original, e.g. ESC-1042.")

    def validate_duplicate_of(self, value):
        original = Escalation.objects.filter(reference=value.strip().upper()).first()
        if original is None:
            raise serializers.ValidationError(f"There is no escalation {value.strip().upper()}.")
        return original


# Communications


class EmailInputSerializer(serializers.Serializer):
    template = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=CommunicationTemplate.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
        error_messages={"does_not_exist": "There is no active template “{value}”."},
        help_text="A template's slug (`/api/v1/communication-templates/`): fills `subject` and `body` you leave out.",
    )
    to = serializers.EmailField(
        required=False, allow_blank=True, default="", help_text="Defaults to the account's contact email."
    )
    subject = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    body = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")


class CallInputSerializer(serializers.Serializer):
    direction = NamedChoiceField(
        choices=Communication.Direction.choices,
        enum_name="CallDirectionEnum",
        default=Communication.Direction.OUTBOUND,
    )
    outcome = NamedChoiceField(choices=Communication.CallOutcome.choices, enum_name="CallOutcomeEnum")
    summary = serializers.CharField(max_length=5000)
    duration_minutes = serializers.IntegerField(min_value=0, max_value=1440, required=False, allow_null=True)
    number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class CommunicationSerializer(serializers.ModelSerializer):
    channel = NamedChoiceField(choices=Communication.Channel.choices, enum_name="CommunicationChannelEnum")
    direction = NamedChoiceField(choices=Communication.Direction.choices, enum_name="CallDirectionEnum")
    call_outcome = NamedChoiceField(
        choices=[("", "Not a call"), *Communication.CallOutcome.choices], enum_name="CommunicationOutcomeEnum"
    )
    template = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    created_by = serializers.StringRelatedField(allow_null=True)
    delivery_status = serializers.SerializerMethodField(
        help_text="For an email: pending, sending, sent or failed (the outbox). Null for a call."
    )
    reply_to = serializers.SerializerMethodField(
        help_text="For an email we sent: the address the customer's replies come back to (it identifies the case)."
    )

    class Meta:
        model = Communication
        fields = [
            "id",
            "channel",
            "direction",
            "counterpart",
            "subject",
            "body",
            "template",
            "call_outcome",
            "duration_minutes",
            "delivery_status",
            "message_id",
            "reply_to",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_reply_to(self, communication) -> str | None:
        outbound_email = (Communication.Channel.EMAIL, Communication.Direction.OUTBOUND)
        if (communication.channel, communication.direction) != outbound_email:
            return None
        return reply_address(communication.escalation.reference)

    def get_delivery_status(self, communication) -> str | None:
        message = communication.outbox_message
        return message.status if message else None


class CommunicationTemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = CommunicationTemplate
        fields = ["slug", "name", "subject", "body"]
        read_only_fields = fields


# Handoffs


class HandoffInputSerializer(serializers.Serializer):
    partner_team = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=PartnerTeam.objects.all(),
        error_messages={"does_not_exist": "There is no partner team “{value}”."},
        help_text="The team's slug (`/api/v1/partner-teams/`).",
    )
    ask = serializers.CharField(max_length=5000, help_text="What the team needs to do or answer.")
    due_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Defaults to the team's response target."
    )
    wait_on_partner = serializers.BooleanField(
        default=False, help_text="Move an in-progress case to waiting on partner in the same step."
    )


class HandoffAnswerInputSerializer(serializers.Serializer):
    response = serializers.CharField(max_length=5000)


class PartnerTeamSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = PartnerTeam
        fields = ["slug", "name"]
        read_only_fields = fields


class HandoffSerializer(serializers.ModelSerializer):
    escalation = EscalationSummarySerializer(read_only=True)
    partner_team = PartnerTeamSummarySerializer(read_only=True)
    status = NamedChoiceField(choices=Handoff.Status.choices, enum_name="HandoffStatusEnum")
    requested_by = serializers.StringRelatedField(allow_null=True)
    responded_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = Handoff
        fields = [
            "id",
            "escalation",
            "partner_team",
            "status",
            "ask",
            "response",
            "due_at",
            "requested_by",
            "created_at",
            "acknowledged_at",
            "answered_at",
            "responded_by",
        ]
        read_only_fields = fields
