"""Account views of the project around Wagtail's and Django's own."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.utils.translation import gettext as _
from wagtail.admin.views import account

from .ratelimit import client_address, hit


class ThrottledPasswordResetView(account.PasswordResetView):
    """Wagtail's "forgot password" form, limited per address and per e-mail address (django-axes counts logins
    only). Every request counts, whether or not an account has that address, and the refusal reads the same
    either way: the limit reveals nothing about which addresses exist."""

    def post(self, request, *args, **kwargs):
        limit, window = settings.HUICAI_PASSWORD_RESET_LIMIT, settings.HUICAI_PASSWORD_RESET_WINDOW
        email = (request.POST.get("email") or "").strip().lower()
        allowed = hit("password-reset-address", client_address(request), limit, window)
        allowed = hit("password-reset-email", email, limit, window) and allowed
        if not allowed:
            message = _("Too many password reset requests. Please try again later.")
            response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
            response["Retry-After"] = str(window)
            return response
        return super().post(request, *args, **kwargs)


# Sent with every logout answer (site, Wagtail admin, API): the browser forgets its HTTP cache and the site's
# storage, which includes the offline e-card in Cache Storage and the service worker that serves it, so a signed-out
# browser cannot show a holder's card offline afterwards.
CLEAR_SITE_DATA = '"cache", "storage"'


def clear_site_data(response):
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


class LogoutView(auth_views.LogoutView):
    """Django's logout, plus Clear-Site-Data."""

    def dispatch(self, request, *args, **kwargs):
        return clear_site_data(super().dispatch(request, *args, **kwargs))


class AdminLogoutView(account.LogoutView):
    """Wagtail's admin logout, plus Clear-Site-Data."""

    def dispatch(self, request, *args, **kwargs):
        return clear_site_data(super().dispatch(request, *args, **kwargs))


def django_admin_logout(request, extra_context=None):
    """The Django admin's logout, plus Clear-Site-Data."""
    from django.contrib import admin

    return clear_site_data(admin.site.logout(request, extra_context))
