from django.contrib import admin, messages
from django.db import models

from escalations.errors import DomainError
from remediations import services
from remediations.models import Remediation, RemediationReminder, RemediationUpdate, RootCause


class DriverInline(admin.TabularInline):
    model = RootCause
    fk_name = "parent"
    fields = ["name", "slug", "is_active", "merged_into"]
    readonly_fields = ["is_active", "merged_into"]
    extra = 1
    prepopulated_fields = {"slug": ["name"]}


def _each(modeladmin, request, queryset, service, done: str):
    """Run a service on each selected row, reporting refusals one by one (the services keep the audit fields)."""
    changed = 0
    for root_cause in queryset:
        try:
            service(acting_user=request.user, root_cause=root_cause)
        except DomainError as error:
            modeladmin.message_user(request, f"{root_cause}: {error.message}", messages.WARNING)
        else:
            changed += 1
    if changed:
        modeladmin.message_user(request, done.format(count=changed), messages.SUCCESS)


@admin.register(RootCause)
class RootCauseAdmin(admin.ModelAdmin):
    list_display = ["__str__", "slug", "is_active", "merged_into", "retired_at", "created_at"]
    list_filter = ["is_active", "parent"]
    search_fields = ["name", "parent__name"]
    list_select_related = ["parent", "merged_into__parent"]
    prepopulated_fields = {"slug": ["name"]}
    # Retiring, restoring and merging go through the services (actions here, or the Root causes page), so each
    # keeps who did it and when, and a merge moves the cases with an event on each.
    readonly_fields = ["is_active", "retired_at", "retired_by", "merged_into"]
    actions = ["retire", "restore"]

    def get_inlines(self, request, obj):
        return [DriverInline] if obj is not None and obj.is_area else []

    @admin.action(description="Retire: keep on history, hide from pickers")
    def retire(self, request, queryset):
        _each(self, request, queryset, services.root_cause_retire, "Retired {count}.")

    @admin.action(description="Restore to the pickers")
    def restore(self, request, queryset):
        _each(self, request, queryset, services.root_cause_restore, "Restored {count}.")


class RemediationUpdateInline(admin.TabularInline):
    """The timeline, read-only: entries are written by the services."""

    model = RemediationUpdate
    fields = ["created_at", "actor", "kind", "body"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["created_at", "pk"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Remediation)
class RemediationAdmin(admin.ModelAdmin):
    list_display = ["title", "owner_team", "owner", "priority", "status", "due_date", "updated_at"]
    list_filter = ["status", "priority", "owner_team"]
    search_fields = ["title", "description"]
    list_select_related = ["owner_team", "owner"]
    autocomplete_fields = ["owner", "created_by", "escalations", "root_causes"]
    date_hierarchy = "due_date"
    # The status moves only through the lifecycle service (the remediation's page or the API), with its timeline.
    readonly_fields = ["status", "decline_reason", "shipped_at", "verified_at", "created_at", "updated_at"]
    inlines = [RemediationUpdateInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(RemediationReminder)
class RemediationReminderAdmin(admin.ModelAdmin):
    list_display = ["for_date", "kind", "team", "remediation", "created_at"]
    list_filter = ["kind", "team"]
    list_select_related = ["team", "remediation"]
    date_hierarchy = "for_date"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
