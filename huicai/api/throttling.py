"""The API's default throttle: anonymous callers, per client address, at ``DEFAULT_THROTTLE_RATES["anon"]``.

DRF reads the rates once, when its throttle classes are defined; this one reads them at each request, so that a
changed setting (a test, a deployment's override) applies. Signed-in callers are not limited here."""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle


class AnonymousThrottle(AnonRateThrottle):
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


def allow_anonymous(request):
    """Whether an anonymous caller may have one more answer now, counted as the API's throttle counts it (used by
    the page cache for public API answers it serves without reaching the API: policypages/cache.py)."""
    return AnonymousThrottle().allow_request(request, None)
