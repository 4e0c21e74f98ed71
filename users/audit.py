"""The audit log as managers read it: django-auditlog's entries for the tracked models, filtered and paged."""

import contextlib

import django_filters
from auditlog.models import LogEntry
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q, QuerySet

ACTION_CHOICES = [(value, label.capitalize()) for value, label in LogEntry.Action.choices]


def tracked_models() -> list:
    """The models whose changes are logged (`AUDITLOG_INCLUDE_TRACKING_MODELS`), in settings order."""
    labels = [item if isinstance(item, str) else item["model"] for item in settings.AUDITLOG_INCLUDE_TRACKING_MODELS]
    return [apps.get_model(label) for label in labels]


def _record_type_choices():
    content_types = ContentType.objects.get_for_models(*tracked_models())
    return [(content_types[model].pk, model._meta.verbose_name.capitalize()) for model in tracked_models()]


class AuditLogFilter(django_filters.FilterSet):
    record_type = django_filters.ChoiceFilter(
        field_name="content_type_id", label="Record type", choices=_record_type_choices, empty_label="Any"
    )
    action = django_filters.ChoiceFilter(choices=ACTION_CHOICES, label="Action", empty_label="Any")
    actor = django_filters.CharFilter(method="filter_actor", label="Changed by (email or name)")
    record = django_filters.CharFilter(method="filter_record", label="Record (e.g. ESC-1042, or an id)")
    changed_after = django_filters.DateFilter(field_name="timestamp", lookup_expr="date__gte", label="From")
    changed_before = django_filters.DateFilter(field_name="timestamp", lookup_expr="date__lte", label="To")

    class Meta:
        model = LogEntry
        fields = []

    def filter_actor(self, queryset, name, value):
        value = value.strip()
        if value.lower() == "system":
            return queryset.filter(actor__isnull=True)
        return queryset.filter(
            Q(actor__email__icontains=value) | Q(actor__display_name__icontains=value) | Q(actor_email__icontains=value)
        )

    def filter_record(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(object_repr__icontains=value) | Q(object_pk=value))


def audit_entries() -> QuerySet[LogEntry]:
    """Every audit entry for the tracked models, newest first, with what each row shows loaded up front."""
    content_types = ContentType.objects.get_for_models(*tracked_models()).values()
    return (
        LogEntry.objects.filter(content_type__in=content_types)
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-pk")
    )


def entry_changes(entry: LogEntry) -> list[tuple[str, str, str]]:
    """(field label, before, after) for one entry, from what was stored; reads no other rows."""
    model = entry.content_type.model_class()
    rows = []
    for field_name, values in (entry.changes_dict or {}).items():
        before, after = (list(values) + ["", ""])[:2] if isinstance(values, list | tuple) else ("", values)
        label = field_name
        if model is not None:
            with contextlib.suppress(FieldDoesNotExist):
                field = model._meta.get_field(field_name)
                if field.auto_created and not field.concrete:
                    continue  # a reverse relation, which auditlog lists (empty) on creation
                label = str(field.verbose_name)
        before, after = _shown(before), _shown(after)
        if before or after:  # a record created with an empty field says nothing about it
            rows.append((label.capitalize(), before, after))
    return rows


def _shown(value) -> str:
    text = "" if value in (None, "None") else str(value)
    return text if len(text) <= 300 else text[:300] + "…"
