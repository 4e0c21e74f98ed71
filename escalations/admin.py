from django.contrib import admin
from django.utils import timezone

from escalations.models import (
    Account,
    Attachment,
    BusinessCalendar,
    CalendarHoliday,
    Category,
    CommunicationTemplate,
    Escalation,
    EscalationEvent,
    EscalationWatcher,
    Handoff,
    OutboxMessage,
    PriorityRule,
    SLAAlert,
    SLAClock,
    SLAPolicy,
    WorkingHours,
)
from escalations.sla import engine
from escalations.webhooks import admin as webhooks_admin  # noqa: F401  (registers the webhook admin)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "external_id", "tier", "revenue_band", "region", "contact_email"]
    list_filter = ["tier", "revenue_band", "region"]
    search_fields = ["name", "external_id", "contact_email"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EventInline(ReadOnlyInline):
    model = EscalationEvent
    fields = ["created_at", "kind", "visibility", "actor", "body"]
    readonly_fields = fields


class HandoffInline(ReadOnlyInline):
    model = Handoff
    fields = ["partner_team", "status", "ask", "due_at", "responded_at"]
    readonly_fields = fields


class WatcherInline(admin.TabularInline):
    model = EscalationWatcher
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    """Escalations change status only through the lifecycle service, so status and dates are read-only here."""

    list_display = ["reference", "title", "account", "priority", "status", "assignee", "filed_at", "updated_at"]
    list_filter = ["status", "priority", "category", "account__tier"]
    search_fields = ["reference", "title", "account__name", "account__external_id", "requester__email"]
    list_select_related = ["account", "assignee"]
    autocomplete_fields = ["account", "requester", "assignee", "duplicate_of"]
    date_hierarchy = "filed_at"
    readonly_fields = [
        "reference",
        "status",
        "version",
        "filed_at",
        "triaged_at",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "updated_at",
        "reopen_count",
        "resolution_summary",
        "root_cause",
        "rejection_reason",
        "duplicate_of",
    ]
    inlines = [WatcherInline, HandoffInline, EventInline]

    def has_add_permission(self, request):
        return False  # file through the product so the reference, event and acknowledgement are written


@admin.register(EscalationEvent)
class EscalationEventAdmin(admin.ModelAdmin):
    """The audit trail: viewable, never editable."""

    list_display = ["escalation", "kind", "visibility", "actor", "created_at"]
    list_filter = ["kind", "visibility"]
    search_fields = ["escalation__reference", "body"]
    list_select_related = ["escalation", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin):
    list_display = ["escalation", "partner_team", "status", "due_at", "responded_at", "created_at"]
    list_filter = ["status", "partner_team"]
    search_fields = ["escalation__reference", "ask"]
    list_select_related = ["escalation", "partner_team"]
    autocomplete_fields = ["escalation", "requested_by"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "escalation", "content_type", "size", "uploaded_by", "created_at"]
    search_fields = ["original_name", "escalation__reference"]
    list_select_related = ["escalation", "uploaded_by"]
    autocomplete_fields = ["escalation"]
    raw_id_fields = ["event"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "template"]
    search_fields = ["recipient", "subject"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

    def has_add_permission(self, request):
        return False


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 1


class CalendarHolidayInline(admin.TabularInline):
    model = CalendarHoliday
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "always_open", "holiday_country", "holiday_subdivision"]
    inlines = [WorkingHoursInline, CalendarHolidayInline]


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    """Saving an edited policy creates its next version; open cases keep theirs until re-applied."""

    list_display = [
        "name", "priority", "account_tier", "version", "is_current", "calendar", "first_response_minutes",
        "next_update_minutes", "resolution_minutes",
    ]  # fmt: skip
    list_filter = ["is_current", "priority", "calendar"]
    readonly_fields = ["version", "is_current", "created_at"]
    actions = ["reapply_to_open_cases"]

    def save_model(self, request, obj, form, change):
        engine.policy_save_new_version(policy=obj)
        if change:
            self.message_user(
                request, f"Saved as version {obj.version}. Open cases keep their version until re-applied."
            )

    @admin.action(description="Re-apply to open cases still on an older version")
    def reapply_to_open_cases(self, request, queryset):
        moved = sum(
            engine.policy_reapply(acting_user=request.user, policy=policy, now=timezone.now())
            for policy in queryset.filter(is_current=True)
        )
        self.message_user(request, f"Re-applied to {moved} open case{'s' if moved != 1 else ''}.")


@admin.register(SLAClock)
class SLAClockAdmin(admin.ModelAdmin):
    list_display = ["escalation", "kind", "policy", "started_at", "due_at", "stopped_at", "outcome", "breached_at"]
    list_filter = ["kind", "outcome"]
    search_fields = ["escalation__reference"]
    list_select_related = ["escalation", "policy"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SLAAlert)
class SLAAlertAdmin(admin.ModelAdmin):
    list_display = ["clock", "threshold", "fired_at"]
    list_select_related = ["clock__escalation"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CommunicationTemplate)
class CommunicationTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "subject", "is_active", "order"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(PriorityRule)
class PriorityRuleAdmin(admin.ModelAdmin):
    list_display = ["order", "name", "tier", "min_customers_affected", "min_revenue_at_risk",
                    "requires_regulatory_exposure", "priority", "is_active"]  # fmt: skip
    list_editable = ["is_active"]
    ordering = ["order"]
