import functools
import zoneinfo

from django import forms


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Token name",
        max_length=80,
        help_text="What it is for, e.g. “CI” or “weekly report script”.",
    )


@functools.cache
def _time_zone_choices():
    # available_timezones() walks the tzdata files: once per process, not once per page.
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=_time_zone_choices,
        help_text="Pages show dates and times in this zone. Service-level clocks keep their own calendars.",
    )
