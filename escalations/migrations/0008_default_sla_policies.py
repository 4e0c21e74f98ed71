from datetime import time

from django.db import migrations

# (key, priority, calendar, first response, next update, resolution) in business minutes.
# Business day = 8 working hours = 480 minutes.
DEFAULT_POLICIES = [
    ("p1-critical", "P1", "24×7", 60, 240, 24 * 60),
    ("p2-high", "P2", "Business hours", 240, 480, 3 * 480),
    ("p3-normal", "P3", "Business hours", 480, 2 * 480, 5 * 480),
    ("p4-low", "P4", "Business hours", 480, 3 * 480, 10 * 480),
]


def add_defaults(apps, schema_editor):
    BusinessCalendar = apps.get_model("escalations", "BusinessCalendar")
    WorkingHours = apps.get_model("escalations", "WorkingHours")
    SLAPolicy = apps.get_model("escalations", "SLAPolicy")
    if SLAPolicy.objects.exists():
        return
    always, _ = BusinessCalendar.objects.get_or_create(name="24×7", defaults={"time_zone": "UTC", "always_open": True})
    office, created = BusinessCalendar.objects.get_or_create(
        name="Business hours", defaults={"time_zone": "America/New_York", "holiday_country": "US"}
    )
    if created:
        WorkingHours.objects.bulk_create(
            WorkingHours(calendar=office, weekday=day, starts=time(9), ends=time(17)) for day in range(5)
        )
    calendars = {"24×7": always, "Business hours": office}
    for key, priority, calendar, first_response, next_update, resolution in DEFAULT_POLICIES:
        SLAPolicy.objects.create(
            key=key,
            name=f"{priority} default",
            priority=priority,
            calendar=calendars[calendar],
            first_response_minutes=first_response,
            next_update_minutes=next_update,
            resolution_minutes=resolution,
            warning_thresholds=[50, 75],
        )


class Migration(migrations.Migration):
    dependencies = [("escalations", "0007_sla")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
