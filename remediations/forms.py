"""Forms check the shape of what was typed; the rules (who may, which team, which moves) live in the services."""

import re

from django import forms
from django.core.exceptions import ValidationError

from remediations import selectors
from remediations.lifecycle import STATUS_CHOICES
from remediations.models import Remediation, RootCause
from users.models import PartnerTeam, User

REFERENCE_SPLIT = re.compile(r"[\s,;]+")


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DriverCheckboxesField(forms.ModelMultipleChoiceField):
    """Drivers as checkboxes; the template groups them under their area, so each shows its own name."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return obj.name + ("" if obj.is_active else " (retired)")


class RemediationForm(forms.Form):
    """Create or edit a remediation. Linked escalations are typed as references (ESC-1042, ESC-1050)."""

    title = forms.CharField(max_length=200, help_text="The fix in a few words, e.g. “Idempotent renewal job”.")
    description = forms.CharField(
        label="Problem statement",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10000,
        help_text="What keeps producing escalations, and for whom.",
    )
    proposed_fix = forms.CharField(
        label="Proposed fix", widget=forms.Textarea(attrs={"rows": 4}), max_length=10000, required=False
    )
    owner_team = forms.ModelChoiceField(
        label="Owner team", queryset=PartnerTeam.objects.none(), empty_label="Choose the team that delivers it"
    )
    owner = forms.TypedChoiceField(
        label="Owner", required=False, coerce=int, empty_value=None, help_text="Someone on the owner team."
    )
    priority = forms.ChoiceField(choices=Remediation.Priority.choices, initial=Remediation.Priority.MEDIUM)
    due_date = forms.DateField(label="Due date", required=False, widget=_date_input())
    tracker_url = forms.URLField(
        label="Tracker link",
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text="The ticket in the team's tracker.",
    )
    root_causes = DriverCheckboxesField(
        label="Root causes",
        queryset=RootCause.objects.none(),
        required=False,
        help_text="The drivers this fix removes; their escalations measure whether it worked.",
    )
    escalations = forms.CharField(
        label="Linked escalations",
        required=False,
        max_length=2000,
        help_text="References separated by commas or spaces, e.g. ESC-1042, ESC-1050.",
    )

    def __init__(self, *args, user, teams=None, linked_root_causes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["owner_team"].queryset = teams if teams is not None else PartnerTeam.objects.order_by("name")
        people = selectors.team_owner_choices()
        self.fields["owner"].choices = [
            ("", "Nobody yet"),
            *((team.name, [(person.pk, str(person)) for person in members]) for team, members in people if members),
        ]
        self._people = {person.pk: person for _team, members in people for person in members}
        drivers = RootCause.objects.filter(
            pk__in=[*selectors.active_drivers().values_list("pk", flat=True), *(rc.pk for rc in linked_root_causes)]
        ).select_related("parent")
        self.fields["root_causes"].queryset = drivers.order_by("parent__name", "name")
        self._areas = {driver.pk: driver.parent.name for driver in drivers}

    @property
    def root_cause_groups(self) -> list[tuple[str, list]]:
        """The root-cause checkboxes grouped by area, for the template."""
        groups: dict[str, list] = {}
        for checkbox in self["root_causes"]:
            groups.setdefault(self._areas.get(int(str(checkbox.data["value"])), ""), []).append(checkbox)
        return list(groups.items())

    def clean_owner(self):
        owner_id = self.cleaned_data.get("owner")
        if owner_id is None:
            return None
        owner = self._people.get(owner_id) or User.objects.filter(pk=owner_id, is_active=True).first()
        if owner is None:
            raise ValidationError("Choose someone who is still here.")
        return owner

    def clean_escalations(self):
        references = [ref for ref in REFERENCE_SPLIT.split(self.cleaned_data.get("escalations", "")) if ref]
        found, missing = selectors.escalations_by_reference(user=self.user, references=references)
        if missing:
            raise ValidationError(f"No escalation {', '.join(missing)} that you can see.")
        return found


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label="Move to", choices=STATUS_CHOICES)
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required to decline; whoever proposed it reads it.",
    )
    note = forms.CharField(label="Note (optional)", required=False, max_length=2000)


class UpdateForm(forms.Form):
    body = forms.CharField(
        label="Progress update",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text="What changed, what is next, what is blocking.",
    )


class RootCauseCreateForm(forms.Form):
    parent = forms.ModelChoiceField(
        label="Area",
        queryset=RootCause.objects.none(),
        required=False,
        empty_label="None: this is a new area",
        help_text="Choose an area to add a driver under it.",
    )
    name = forms.CharField(max_length=120)
    description = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = RootCause.objects.filter(parent__isnull=True, is_active=True).order_by("name")


class DriverChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.parent.name} → {obj.name}" + ("" if obj.is_active else " (retired)")


class RootCauseMergeForm(forms.Form):
    source = DriverChoiceField(label="Merge this driver", queryset=RootCause.objects.none(), empty_label="Choose")
    target = DriverChoiceField(label="into", queryset=RootCause.objects.none(), empty_label="Choose")
    reason = forms.CharField(label="Why (optional)", required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        drivers = RootCause.objects.filter(parent__isnull=False, merged_into__isnull=True).select_related("parent")
        self.fields["source"].queryset = drivers.order_by("parent__name", "name")
        self.fields["target"].queryset = selectors.active_drivers()


class RootCauseChangeForm(forms.Form):
    """Change the root cause of a resolved case (carries the case version the page showed)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    root_cause = DriverChoiceField(label="Root cause", queryset=RootCause.objects.none(), empty_label="Choose")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["root_cause"].queryset = selectors.active_drivers()
