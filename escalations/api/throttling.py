"""Rate limits for the whole API: per signed-in user, and per address for anonymous callers.

The rates are read from settings (`API_THROTTLE_RATES`) on every request rather than when the class is
defined, as DRF's own classes do, so an environment variable or a test can change them.
"""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


class SettingsRateMixin:
    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)


class PerUserRateThrottle(SettingsRateMixin, UserRateThrottle):
    scope = "user"


class AnonymousRateThrottle(SettingsRateMixin, AnonRateThrottle):
    scope = "anon"


class FailedTokenThrottle(SettingsRateMixin, SimpleRateThrottle):
    """Calls with a wrong or revoked token, counted per address at the anonymous rate.

    DRF authenticates before it throttles, so a caller guessing tokens would never reach the anonymous throttle;
    the token authentication asks this one instead. Once an address is over the rate, its token calls are
    refused (429) without being checked until the window has passed.
    """

    scope = "anon"

    def get_cache_key(self, request, view=None):
        return f"throttle_failed_token_{self.get_ident(request)}"

    def is_blocked(self, request) -> bool:
        self.key = self.get_cache_key(request)
        self.now = self.timer()
        self.history = [moment for moment in self.cache.get(self.key, []) if moment > self.now - self.duration]
        return len(self.history) >= self.num_requests

    def record_failure(self, request) -> None:
        if not hasattr(self, "history"):
            self.is_blocked(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)
