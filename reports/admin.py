from django.contrib import admin

from reports.models import ManagerDigest, TierWeight


@admin.register(TierWeight)
class TierWeightAdmin(admin.ModelAdmin):
    list_display = ["tier", "weight"]
    list_editable = ["weight"]


@admin.register(ManagerDigest)
class ManagerDigestAdmin(admin.ModelAdmin):
    list_display = ["manager", "week_of", "created_at"]
    list_filter = ["week_of"]
    readonly_fields = ["manager", "week_of", "created_at"]

    def has_add_permission(self, request):
        return False
