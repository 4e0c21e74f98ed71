"""Input serializers check the shape of a request; output serializers render. Neither saves anything:
the views hand validated data to one service (`escalation_file`, `escalation_comment`, …).

Field shapes match the web form (`escalations.forms.EscalationFileForm`); the rules both share (needed-by
date, links, attachments, new accounts) live in `escalations.services.escalation_file` and come back as 400s.
"""

from decimal import Decimal

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from escalations.errors import InvalidInput
from escalations.models import (
    ACCOUNT_EXTERNAL_ID_PATTERN,
    Account,
    Attachment,
    Category,
    Escalation,
    EscalationEvent,
)
from escalations.services import MAX_LINKS
from escalations.uploads import validate_uploads

ACCOUNT_ID_MESSAGE = "Use the account id as acct_ followed by 4–40 letters or digits."


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    detail = serializers.CharField(help_text="What went wrong, for people.")
    code = serializers.CharField(help_text="A stable code: invalid, permission_denied, not_found, stale_version, …")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Problems per input field (nested fields as dotted names, e.g. new_account.name).",
    )


# Filing


class NewAccountInputSerializer(serializers.Serializer):
    external_id = serializers.RegexField(
        ACCOUNT_EXTERNAL_ID_PATTERN, max_length=45, error_messages={"invalid": ACCOUNT_ID_MESSAGE}
    )
    name = serializers.CharField(max_length=200)
    tier = serializers.ChoiceField(choices=Account.Tier.choices, default=Account.Tier.BUSINESS)

    def validate_external_id(self, value):
        if Account.objects.filter(external_id__iexact=value).exists():
            raise serializers.ValidationError(f"{value} already exists; send it as `account` instead.")
        return value


class EscalationFileInputSerializer(serializers.Serializer):
    account = serializers.CharField(
        max_length=45,
        required=False,
        allow_null=True,
        help_text="The acct_ id of an existing customer account. Give this or `new_account`.",
    )
    new_account = NewAccountInputSerializer(
        required=False, allow_null=True, help_text="A customer account we don't know yet, added with the case."
    )
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20000, help_text="Markdown.")
    category = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Category.objects.filter(is_active=True),
        error_messages={"does_not_exist": "There is no product area “{value}”."},
        help_text="The slug of an active category.",
    )
    customer_need = serializers.CharField(max_length=2000, help_text="What the customer needs.")
    needed_by = serializers.DateField(required=False, allow_null=True, default=None)
    customers_affected = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=10**9
    )
    revenue_at_risk = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal(0), required=False, allow_null=True, default=None
    )
    has_regulatory_exposure = serializers.BooleanField(default=False)
    preferred_contact_channel = serializers.ChoiceField(
        choices=Escalation.ContactChannel.choices, default=Escalation.ContactChannel.EMAIL
    )
    requesting_org = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    links = serializers.ListField(
        child=serializers.CharField(max_length=2048),
        required=False,
        default=list,
        help_text=f"Internal tickets, dashboards: at most {MAX_LINKS} http(s) URLs.",
    )

    def validate_account(self, value):
        if value is None or not value.strip():
            return None
        account = Account.objects.filter(external_id__iexact=value.strip()).first()
        if account is None:
            raise serializers.ValidationError(f"There is no account {value}; to add it, send `new_account` instead.")
        return account

    def validate(self, attrs):
        attrs.setdefault("account", None)
        attrs["new_account"] = dict(attrs["new_account"]) if attrs.get("new_account") else None
        if attrs["account"] is None and attrs["new_account"] is None:
            raise serializers.ValidationError(
                {"account": "Choose the customer account: its acct_ id, or `new_account` to add one."}
            )
        if attrs["account"] is not None and attrs["new_account"] is not None:
            raise serializers.ValidationError({"account": "Give `account` or `new_account`, not both."})
        return attrs


class CommentInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10000, help_text="Markdown.")
    visibility = serializers.ChoiceField(
        choices=EscalationEvent.Visibility.choices,
        default=EscalationEvent.Visibility.SHARED,
        help_text="`internal` notes are for specialists and managers only.",
    )


class AttachmentInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="One file; the allowed types and the size limit are those of the web form.")

    def validate_file(self, value):
        try:
            validate_uploads([value])
        except InvalidInput as error:
            raise serializers.ValidationError(error.message) from None
        return value


# Output


class AccountSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["external_id", "name", "tier"]
        read_only_fields = fields


class CategorySummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["slug", "name"]
        read_only_fields = fields


class EventAttachmentSerializer(serializers.ModelSerializer):
    """A file attached to a timeline entry."""

    # The views put the case in the context (`escalation`): the download URL names it.

    name = serializers.CharField(source="original_name", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "download_url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, attachment) -> str:
        path = reverse(
            "escalations_api:attachment-detail",
            kwargs={"reference": self.context["escalation"].reference, "attachment_id": attachment.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class AttachmentSerializer(EventAttachmentSerializer):
    """A file on the case, with who added it and when."""

    uploaded_by = serializers.StringRelatedField(allow_null=True)

    class Meta(EventAttachmentSerializer.Meta):
        fields = [*EventAttachmentSerializer.Meta.fields, "uploaded_by", "created_at"]
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField(allow_null=True, help_text="Who did it; null for the system.")
    attachments = EventAttachmentSerializer(many=True, read_only=True)
    data = serializers.DictField(read_only=True, help_text='What changed, e.g. `{"from": "new", "to": "triaged"}`.')

    class Meta:
        model = EscalationEvent
        fields = ["id", "kind", "visibility", "actor", "body", "data", "created_at", "attachments"]
        read_only_fields = fields


class EscalationSummarySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="escalations_api:escalation-detail", lookup_field="reference", read_only=True
    )
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    account = AccountSummarySerializer(read_only=True)
    category = CategorySummarySerializer(read_only=True, allow_null=True)
    requester = serializers.StringRelatedField()
    assignee = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = Escalation
        fields = [
            "url",
            "reference",
            "title",
            "status",
            "status_display",
            "priority",
            "account",
            "category",
            "requester",
            "assignee",
            "filed_at",
            "updated_at",
        ]
        read_only_fields = fields


class EscalationSerializer(EscalationSummarySerializer):
    links = serializers.ListField(child=serializers.CharField(), read_only=True)
    root_cause = serializers.StringRelatedField(allow_null=True)
    duplicate_of = serializers.SlugRelatedField(slug_field="reference", read_only=True, allow_null=True)

    class Meta(EscalationSummarySerializer.Meta):
        fields = [
            *EscalationSummarySerializer.Meta.fields,
            "description",
            "customer_need",
            "needed_by",
            "customers_affected",
            "revenue_at_risk",
            "has_regulatory_exposure",
            "preferred_contact_channel",
            "requesting_org",
            "links",
            "version",
            "triaged_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "resolution_summary",
            "root_cause",
            "rejection_reason",
            "duplicate_of",
        ]
        read_only_fields = fields


class PossibleDuplicateSerializer(serializers.ModelSerializer):
    account = AccountSummarySerializer(read_only=True)

    class Meta:
        model = Escalation
        fields = ["reference", "title", "status", "account"]
        read_only_fields = fields


class EscalationFiledSerializer(EscalationSerializer):
    """The new case, plus the open cases that looked like it when it was filed."""

    # The view looks the duplicates up before filing and puts them in the context (`possible_duplicates`).

    possible_duplicates = serializers.SerializerMethodField(
        help_text="Open escalations on the same account or with a similar title: consider following one instead."
    )

    class Meta(EscalationSerializer.Meta):
        fields = [*EscalationSerializer.Meta.fields, "possible_duplicates"]
        read_only_fields = fields

    @extend_schema_field(PossibleDuplicateSerializer(many=True))
    def get_possible_duplicates(self, escalation):
        return PossibleDuplicateSerializer(self.context["possible_duplicates"], many=True).data


class EscalationDetailSerializer(EscalationSerializer):
    """The case with the timeline entries and files you may see."""

    # The view reads `timeline`, `attachments` and `is_watching` through the selectors that apply the
    # caller's rights and puts them in the context; this serializer only renders them.

    is_watching = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()

    class Meta(EscalationSerializer.Meta):
        fields = [*EscalationSerializer.Meta.fields, "is_watching", "timeline", "attachments"]
        read_only_fields = fields

    def get_is_watching(self, escalation) -> bool:
        return self.context["is_watching"]

    @extend_schema_field(EventSerializer(many=True))
    def get_timeline(self, escalation):
        return EventSerializer(self.context["timeline"], many=True, context=self.context).data

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, escalation):
        return AttachmentSerializer(self.context["attachments"], many=True, context=self.context).data


class WatchSerializer(serializers.Serializer):
    watching = serializers.BooleanField(help_text="Whether you watch the escalation now.")
    changed = serializers.BooleanField(help_text="False when you already were (or were not) watching.")


class FollowInputSerializer(serializers.Serializer):
    context = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default="", help_text="What you know that they don't."
    )
