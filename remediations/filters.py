"""FilterSets shared by the pages and the API: the board and lists of remediations, and the root-cause list."""

import django_filters
from django.db.models import Q
from django.utils import timezone

from remediations.lifecycle import OPEN_STATUSES, STATUS_CHOICES
from remediations.models import Remediation, RootCause
from users.models import PartnerTeam, User

ME = "me"
NOBODY = "nobody"


class RemediationFilter(django_filters.FilterSet):
    """Team, owner, overdue, priority, status and free text. Every value travels in the query string."""

    q = django_filters.CharFilter(label="Search", method="filter_text")
    team = django_filters.ModelChoiceFilter(
        label="Team",
        field_name="owner_team",
        queryset=PartnerTeam.objects.order_by("name"),
        to_field_name="slug",
        empty_label="Every team",
    )
    owner = django_filters.ChoiceFilter(label="Owner", method="filter_owner", empty_label="Anyone")
    priority = django_filters.ChoiceFilter(
        label="Priority", choices=Remediation.Priority.choices, empty_label="Any priority"
    )
    status = django_filters.ChoiceFilter(label="Status", choices=STATUS_CHOICES, empty_label="Any status")
    overdue = django_filters.BooleanFilter(
        label="Overdue only",
        method="filter_overdue",
        widget=django_filters.widgets.BooleanWidget(),
        help_text="true: open and past the due date; false: everything else.",
    )
    root_cause = django_filters.ModelChoiceFilter(
        label="Root cause", field_name="root_causes", queryset=RootCause.objects.all(), empty_label="Any root cause"
    )

    class Meta:
        model = Remediation
        fields = ["q", "team", "owner", "priority", "status", "overdue", "root_cause"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        people = User.objects.filter(owned_remediations__isnull=False)
        user = getattr(self.request, "user", None)
        if user is not None and user.is_authenticated and not user.works_cases:
            # Partners pick among their own teams and the people who own their teams' remediations.
            self.filters["team"].queryset = PartnerTeam.objects.filter(members=user).order_by("name")
            people = people.filter(owned_remediations__owner_team__members=user)
        people = people.distinct().order_by("display_name", "email")
        self.filters["owner"].extra["choices"] = [
            (ME, "Me"),
            (NOBODY, "Nobody yet"),
            *((str(person.pk), str(person)) for person in people),
        ]

    @property
    def active_filters(self) -> list[str]:
        data = self.form.cleaned_data if self.form.is_valid() else {}
        return [name for name, value in data.items() if value not in (None, "")]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def filter_owner(self, queryset, name, value):
        if value == ME:
            user = getattr(self.request, "user", None)
            return queryset.filter(owner=user) if user is not None and user.is_authenticated else queryset.none()
        if value == NOBODY:
            return queryset.filter(owner__isnull=True)
        return queryset.filter(owner_id=int(value))

    def filter_overdue(self, queryset, name, value):
        late = Q(status__in=[s.value for s in OPEN_STATUSES], due_date__lt=timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)


class RootCauseFilter(django_filters.FilterSet):
    KIND_CHOICES = [("area", "Areas"), ("driver", "Drivers")]

    kind = django_filters.ChoiceFilter(choices=KIND_CHOICES, method="filter_kind", empty_label="Areas and drivers")
    area = django_filters.ModelChoiceFilter(
        field_name="parent", queryset=RootCause.objects.filter(parent__isnull=True), to_field_name="slug"
    )
    is_active = django_filters.BooleanFilter(widget=django_filters.widgets.BooleanWidget())
    q = django_filters.CharFilter(method="filter_text")

    class Meta:
        model = RootCause
        fields = ["kind", "area", "is_active", "q"]

    def filter_kind(self, queryset, name, value):
        return queryset.filter(parent__isnull=value == "area")

    def filter_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(parent__name__icontains=value)) if value else queryset
