"""Sends an account that needs a second factor to its second step until the session has passed it."""

from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .policy import authenticator_of, is_verified, second_factor_required

# The steps themselves, signing out, and files every page loads.
EXEMPT_PREFIXES = (
    "/accounts/two-factor/",
    "/accounts/logout/",
    "/admin/logout/",
    "/django-admin/logout/",
    "/api/v1/auth/logout/",
    "/static/",
    "/i18n/",
)


class StaffSecondFactorMiddleware:
    """After django-otp's OTPMiddleware (which gives ``request.user`` its ``is_verified``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not request.path.startswith(EXEMPT_PREFIXES) and second_factor_required(user) and not is_verified(user):
            if request.path.startswith("/api/"):
                message = _("Confirm your sign-in with your second factor first.")
                return JsonResponse({"error": {"code": "second_factor_required", "message": message}}, status=403)
            step = "twofactor_verify" if authenticator_of(user) else "twofactor_enrol"
            return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
