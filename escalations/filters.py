"""FilterSets shared by pages and the API."""

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from escalations import selectors
from escalations.lifecycle import OPEN_STATUSES, STATUS_LABELS, Status
from escalations.models import Account, Category, Escalation, Handoff, SLAPolicy
from users.models import PartnerTeam


class MyEscalationsFilter(django_filters.FilterSet):
    """Filters for the requester's own list: open or finished, filed or watched, free text."""

    STATE_CHOICES = [("open", "Open"), ("finished", "Resolved, closed or rejected")]
    RELATION_CHOICES = [("filed", "Filed by me"), ("watching", "Watching")]

    state = django_filters.ChoiceFilter(label="State", choices=STATE_CHOICES, method="filter_state", empty_label="All")
    relation = django_filters.ChoiceFilter(
        label="Relation", choices=RELATION_CHOICES, method="filter_relation", empty_label="Filed or watching"
    )
    status = django_filters.ChoiceFilter(
        choices=[(s.value, STATUS_LABELS[s]) for s in Status], empty_label="Any status"
    )
    q = django_filters.CharFilter(label="Search", method="filter_text")

    class Meta:
        model = Escalation
        fields = ["state", "relation", "status", "priority", "q"]

    def filter_state(self, queryset, name, value):
        open_values = [s.value for s in OPEN_STATUSES]
        return queryset.filter(status__in=open_values) if value == "open" else queryset.exclude(status__in=open_values)

    def filter_relation(self, queryset, name, value):
        user = self.request.user
        return queryset.filter(requester=user) if value == "filed" else queryset.exclude(requester=user)

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__iexact=value) | Q(title__icontains=value) | Q(account__name__icontains=value)
        )


# The dashboard's sorts: value in the URL -> (label, ordering). The first one is the default.
TRIAGE_SORTS = {
    "priority": ("Most urgent first", ("priority", "filed_at", "pk")),
    "sla": ("Service level due soonest", (F("sla_due_at").asc(nulls_last=True), "priority", "pk")),
    "-priority": ("Least urgent first", ("-priority", "filed_at", "pk")),
    "age": ("Oldest first", ("filed_at", "pk")),
    "-age": ("Newest first", ("-filed_at", "-pk")),
    "-updated": ("Recently updated first", ("-updated_at", "-pk")),
    "updated": ("Least recently updated first", ("updated_at", "pk")),
}
UNASSIGNED = "unassigned"


@extend_schema_field(OpenApiTypes.STR)
class SlugChoiceFilter(django_filters.ModelChoiceFilter):
    """A choice of a row by its slug (the API documents it as a string)."""


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TriageFilter(django_filters.FilterSet):
    """The triage dashboard's filters and sorts, for any queryset of escalations (a dashboard queue, an API list).

    Every value travels in the query string, so a filtered list can be bookmarked, shared and saved.
    """

    q = django_filters.CharFilter(label="Search", method="filter_text")
    status = django_filters.ChoiceFilter(
        label="Status", choices=[(s.value, STATUS_LABELS[s]) for s in Status], empty_label="Any status"
    )
    priority = django_filters.ChoiceFilter(
        label="Priority", choices=Escalation.Priority.choices, empty_label="Any priority"
    )
    assignee = django_filters.ChoiceFilter(label="Owner", method="filter_assignee", empty_label="Anyone")
    category = django_filters.ModelChoiceFilter(
        label="Product area",
        queryset=Category.objects.order_by("name"),
        to_field_name="slug",
        empty_label="Any product area",
    )
    partner_team = SlugChoiceFilter(
        label="Handed off to",
        queryset=PartnerTeam.objects.order_by("name"),
        to_field_name="slug",
        method="filter_partner_team",
        empty_label="Any partner team",
    )
    tier = django_filters.ChoiceFilter(
        label="Account tier", field_name="account__tier", choices=Account.Tier.choices, empty_label="Any tier"
    )
    sla = django_filters.ChoiceFilter(
        label="Service level", choices=list(selectors.SLA_STATES.items()), method="filter_sla", empty_label="Any"
    )
    org = django_filters.CharFilter(label="Requesting org", field_name="requesting_org", lookup_expr="icontains")
    filed_after = django_filters.DateFilter(
        label="Filed from", field_name="filed_at", lookup_expr="date__gte", widget=_date_input()
    )
    filed_before = django_filters.DateFilter(
        label="Filed until", field_name="filed_at", lookup_expr="date__lte", widget=_date_input()
    )
    updated_after = django_filters.DateFilter(
        label="Updated from", field_name="updated_at", lookup_expr="date__gte", widget=_date_input()
    )
    updated_before = django_filters.DateFilter(
        label="Updated until", field_name="updated_at", lookup_expr="date__lte", widget=_date_input()
    )
    sort = django_filters.ChoiceFilter(
        label="Sort by",
        choices=[(value, label) for value, (label, _ordering) in TRIAGE_SORTS.items()],
        method="filter_sort",
        empty_label=None,
    )

    # Filters that narrow the list (everything but the sort), shown together as "more filters" below the first row.
    MORE_FILTERS = ("category", "partner_team", "tier", "sla", "org", "filed_after", "filed_before", "updated_after",
                    "updated_before")  # fmt: skip

    class Meta:
        model = Escalation
        fields = []

    def __init__(self, *args, open_only: bool = False, search_reads_all: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.open_only = open_only  # the queryset holds open cases only (a dashboard queue): search can use that
        # The caller reads every match (the dashboard's capped list of ids), not a LIMITed page of rows: search may
        # find the matching ids first, once (see `selectors.escalation_text_condition`).
        self.search_reads_all = search_reads_all
        # One query for the people who may own a case; the page reuses it for the bulk "assign" choices.
        self.case_workers = list(selectors.case_workers())
        self.filters["assignee"].extra["choices"] = [
            (UNASSIGNED, "Unassigned"),
            *((str(person.pk), str(person)) for person in self.case_workers),
        ]

    @property
    def active_filters(self) -> list[str]:
        """The names of the filters narrowing the list (not the sort)."""
        data = self.form.cleaned_data if self.form.is_valid() else {}
        return [name for name, value in data.items() if name != "sort" and value not in (None, "")]

    @property
    def more_filters_active(self) -> bool:
        return any(name in self.MORE_FILTERS for name in self.active_filters)

    def filter_text(self, queryset, name, value):
        condition = selectors.escalation_text_condition(value, open_only=self.open_only, id_array=self.search_reads_all)
        return queryset.filter(condition)

    def filter_assignee(self, queryset, name, value):
        return queryset.filter(assignee=None) if value == UNASSIGNED else queryset.filter(assignee_id=int(value))

    def filter_partner_team(self, queryset, name, value):
        handed_off = Handoff.objects.filter(escalation=OuterRef("pk"), partner_team=value)
        return queryset.filter(Exists(handed_off))

    def filter_sla(self, queryset, name, value):
        return queryset.filter(selectors.sla_state_condition(value, timezone.now()))

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*TRIAGE_SORTS[value][1])


class HandoffFilter(django_filters.FilterSet):
    """Handoffs by state, team and case (the API's handoff list)."""

    STATE_CHOICES = [("open", "Requested or acknowledged"), ("closed", "Answered or cancelled")]

    state = django_filters.ChoiceFilter(label="State", choices=STATE_CHOICES, method="filter_state", empty_label="All")
    status = django_filters.ChoiceFilter(label="Status", choices=Handoff.Status.choices, empty_label="Any status")
    partner_team = SlugChoiceFilter(
        label="Partner team", queryset=PartnerTeam.objects.order_by("name"), to_field_name="slug", empty_label="Any"
    )
    escalation = django_filters.CharFilter(label="Escalation", method="filter_escalation")

    class Meta:
        model = Handoff
        fields = []

    def filter_state(self, queryset, name, value):
        open_statuses = [Handoff.Status.REQUESTED, Handoff.Status.ACKNOWLEDGED]
        if value == "open":
            return queryset.filter(status__in=open_statuses)
        return queryset.exclude(status__in=open_statuses)

    def filter_escalation(self, queryset, name, value):
        return queryset.filter(escalation__reference=value.strip().upper())


class AccountFilter(django_filters.FilterSet):
    """Customer accounts by name or id and tier."""

    q = django_filters.CharFilter(label="Search", method="filter_text")
    tier = django_filters.ChoiceFilter(label="Tier", choices=Account.Tier.choices, empty_label="Any tier")

    class Meta:
        model = Account
        fields = []

    def filter_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(external_id__istartswith=value) | Q(name__icontains=value)) if value else queryset


class SLAPolicyFilter(django_filters.FilterSet):
    """Service-level policy versions: the ones in force, or one priority's."""

    current = django_filters.BooleanFilter(label="In force", field_name="is_current")
    priority = django_filters.ChoiceFilter(
        label="Priority", choices=Escalation.Priority.choices, empty_label="Any priority"
    )

    class Meta:
        model = SLAPolicy
        fields = []
