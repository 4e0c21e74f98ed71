"""FilterSets shared by pages and the API."""

import django_filters
from django.db.models import Q

from escalations.lifecycle import OPEN_STATUSES, STATUS_LABELS, Status
from escalations.models import Escalation


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
