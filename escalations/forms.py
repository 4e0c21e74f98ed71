import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from escalations.errors import InvalidInput
from escalations.models import (
    ACCOUNT_EXTERNAL_ID_PATTERN,
    Account,
    Category,
    Communication,
    CommunicationTemplate,
    Escalation,
)
from escalations.uploads import validate_uploads
from remediations.models import RootCause
from users.models import PartnerTeam, User, UserRole


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


def _validate_uploads(files):
    try:
        validate_uploads(files)
    except InvalidInput as error:
        raise ValidationError(error.message) from None
    return files


class EscalationFileForm(forms.Form):
    """What a requester tells us when filing. Rules beyond field shape live in `escalation_file`."""

    account = forms.CharField(
        label="Customer account",
        max_length=200,
        help_text="Type the account name or its acct_ id and pick a suggestion.",
        widget=forms.TextInput(attrs={"list": "account-suggestions", "autocomplete": "off"}),
    )
    new_account_name = forms.CharField(
        label="New account name", max_length=200, required=False, help_text="Only for an acct_ id we don’t know yet."
    )
    new_account_tier = forms.ChoiceField(
        label="New account tier", choices=Account.Tier.choices, initial=Account.Tier.BUSINESS, required=False
    )
    title = forms.CharField(max_length=200, help_text="One line a specialist understands at a glance.")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20000,
        help_text="What is happening, since when, what was tried. Markdown works.",
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(is_active=True), empty_label="Choose a product area"
    )
    customer_need = forms.CharField(
        label="What the customer needs", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    needed_by = forms.DateField(
        label="Needed by", required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Optional."
    )
    customers_affected = forms.IntegerField(label="Customers affected", required=False, min_value=0, max_value=10**9)
    revenue_at_risk = forms.DecimalField(
        label="Revenue at risk (USD)", required=False, min_value=0, max_digits=14, decimal_places=2
    )
    has_regulatory_exposure = forms.BooleanField(label="Regulatory or legal exposure", required=False)
    preferred_contact_channel = forms.ChoiceField(
        label="Customer’s preferred contact channel",
        choices=Escalation.ContactChannel.choices,
        initial=Escalation.ContactChannel.EMAIL,
    )
    requesting_org = forms.CharField(label="Your organisation", max_length=120, required=False)
    links = forms.CharField(
        label="Links",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "https://tickets.example.com/T-123"}),
        help_text="Internal tickets, dashboards: one URL per line.",
    )
    attachments = MultipleFileField(
        required=False,
        help_text=(
            f"Up to {settings.ATTACHMENT_MAX_FILES} files, "
            f"{settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB each: "
            + ", ".join(settings.ATTACHMENT_ALLOWED_EXTENSIONS)
        ),
    )
    confirm_not_duplicate = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_account(self):
        value = self.cleaned_data["account"].strip()
        external_id = value.split()[0] if value else ""
        account = Account.objects.filter(external_id__iexact=external_id).first()
        if account is None:
            account = Account.objects.filter(name__iexact=value).first()
        if account is not None:
            return account
        if re.fullmatch(ACCOUNT_EXTERNAL_ID_PATTERN, external_id):
            return external_id  # a new account, added with the name below
        raise ValidationError(
            "Choose an account from the suggestions, or enter its id as acct_ followed by 4–40 letters or digits."
        )

    def clean_links(self):
        return [line.strip() for line in self.cleaned_data.get("links", "").splitlines() if line.strip()]

    def clean_attachments(self):
        return _validate_uploads(self.cleaned_data.get("attachments") or [])

    def clean(self):
        cleaned = super().clean()
        if isinstance(cleaned.get("account"), str) and not (cleaned.get("new_account_name") or "").strip():
            self.add_error(
                "new_account_name",
                f"{cleaned['account']} is not an account we know yet: give its name to add it.",
            )
        return cleaned


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Add a comment",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10000,
        help_text="Shared with the team working the case. Markdown works.",
    )
    attachments = MultipleFileField(required=False, label="Attach files")

    def clean_attachments(self):
        return _validate_uploads(self.cleaned_data.get("attachments") or [])


class FollowForm(forms.Form):
    context = forms.CharField(
        label="What you know that they don’t (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class VersionedForm(forms.Form):
    """Carries the case version the page showed, so a change made meanwhile by someone else is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def _case_workers():
    return User.objects.filter(
        is_active=True, role__in=[UserRole.SPECIALIST, UserRole.MANAGER, UserRole.ADMIN]
    ).order_by("display_name", "email")


def _active_drivers():
    return RootCause.objects.filter(is_active=True, parent__isnull=False, parent__is_active=True).select_related(
        "parent"
    )


class TriageForm(VersionedForm):
    priority = forms.ChoiceField(choices=Escalation.Priority.choices)
    category = forms.ModelChoiceField(queryset=Category.objects.filter(is_active=True), label="Product area")
    assignee = forms.ModelChoiceField(queryset=_case_workers(), label="Owner")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = _case_workers()


class RejectForm(VersionedForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, help_text="The requester sees this reason."
    )


class DuplicateForm(VersionedForm):
    duplicate_of = forms.CharField(label="Duplicate of", max_length=20, help_text="The reference, e.g. ESC-1042.")

    def clean_duplicate_of(self):
        reference = self.cleaned_data["duplicate_of"].strip().upper()
        original = Escalation.objects.filter(reference=reference).first()
        if original is None:
            raise ValidationError(f"There is no escalation {reference}.")
        return original


class AssignForm(VersionedForm):
    assignee = forms.ModelChoiceField(queryset=_case_workers(), required=False, label="Owner", empty_label="Nobody")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = _case_workers()


class PriorityForm(VersionedForm):
    priority = forms.ChoiceField(choices=Escalation.Priority.choices)
    reason = forms.CharField(required=False, max_length=500, label="Why (optional)")


class StatusForm(VersionedForm):
    """Moves along the lifecycle edges that need nothing but a reason (resolve, reject, duplicate have their own)."""

    to_status = forms.ChoiceField(label="Move to")
    reason = forms.CharField(required=False, max_length=2000, label="Note (optional)")

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [(status.value, status.label) for status in targets]


class ResolveForm(VersionedForm):
    resolution_summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, help_text="The requester sees this summary."
    )
    root_cause = forms.ModelChoiceField(queryset=_active_drivers(), empty_label="Choose the root cause")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["root_cause"].queryset = _active_drivers()


class EmailCustomerForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=CommunicationTemplate.objects.filter(is_active=True), required=False, empty_label="No template"
    )
    to = forms.EmailField(label="To", help_text="The account's contact unless you change it.")
    subject = forms.CharField(max_length=255)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), max_length=20000, label="Message")


class LogCallForm(forms.Form):
    direction = forms.ChoiceField(choices=Communication.Direction.choices, initial=Communication.Direction.OUTBOUND)
    outcome = forms.ChoiceField(choices=Communication.CallOutcome.choices, label="How it went")
    duration_minutes = forms.IntegerField(required=False, min_value=0, max_value=1440, label="Minutes")
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class HandoffForm(forms.Form):
    partner_team = forms.ModelChoiceField(queryset=None, label="Partner team")
    ask = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, label="What is needed")
    due_at = forms.DateTimeField(
        required=False,
        label="Due",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty for the team's response target.",
    )
    wait_on_partner = forms.BooleanField(required=False, label="Move the case to waiting on partner", initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner_team"].queryset = PartnerTeam.objects.order_by("name")


class HandoffAnswerForm(forms.Form):
    response = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, label="Your answer")
