"""Rate limits for the whole API: per signed-in user, and per address for anonymous callers.

The rates are read from settings (`API_THROTTLE_RATES`) on every request rather than when the class is
defined, as DRF's own classes do, so an environment variable or a test can change them.
"""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class SettingsRateMixin:
    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)


class PerUserRateThrottle(SettingsRateMixin, UserRateThrottle):
    scope = "user"


class AnonymousRateThrottle(SettingsRateMixin, AnonRateThrottle):
    scope = "anon"
