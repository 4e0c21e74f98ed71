from django.contrib import admin

from remediations.models import Remediation, RootCause


class DriverInline(admin.TabularInline):
    model = RootCause
    fk_name = "parent"
    fields = ["name", "slug", "is_active"]
    extra = 1
    prepopulated_fields = {"slug": ["name"]}


@admin.register(RootCause)
class RootCauseAdmin(admin.ModelAdmin):
    list_display = ["__str__", "slug", "is_active", "created_at"]
    list_filter = ["is_active", "parent"]
    search_fields = ["name", "parent__name"]
    list_select_related = ["parent"]
    prepopulated_fields = {"slug": ["name"]}

    def get_inlines(self, request, obj):
        return [DriverInline] if obj is not None and obj.is_area else []


@admin.register(Remediation)
class RemediationAdmin(admin.ModelAdmin):
    list_display = ["title", "owner_team", "owner", "priority", "status", "due_date", "updated_at"]
    list_filter = ["status", "priority", "owner_team"]
    search_fields = ["title", "description"]
    list_select_related = ["owner_team", "owner"]
    autocomplete_fields = ["owner", "created_by", "escalations", "root_causes"]
    date_hierarchy = "due_date"
