"""The two ends of sign-in through the identity provider: start (redirect to the provider) and callback.

Both answer 404 while the provider is not configured, so that the routes can stay in the URLconf."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from casefiles.permissions import is_staff_account

from .backends import REFUSAL_ATTRIBUTE
from .selectors import provider_sign_in_enabled


class EnabledOnlyMixin:
    def dispatch(self, request, *args, **kwargs):
        if not provider_sign_in_enabled():
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class ProviderSignInStart(EnabledOnlyMixin, OIDCAuthenticationRequestView):
    def __init__(self, *args, **kwargs):
        if provider_sign_in_enabled():
            super().__init__(*args, **kwargs)


class ProviderSignInCallback(EnabledOnlyMixin, OIDCAuthenticationCallbackView):
    @property
    def success_url(self):
        # An officer without a page to return to lands on their work in the admin, an applicant on the portal.
        next_url = self.request.session.get("oidc_login_next")
        if next_url:
            return next_url
        if is_staff_account(self.user):
            return reverse("wagtailadmin_home")
        return resolve_url(self.get_settings("LOGIN_REDIRECT_URL", "/"))

    def login_failure(self):
        reason = getattr(self.request, REFUSAL_ATTRIBUTE, "") or _(
            "Signing in through the identity provider did not succeed. Please try again, or sign in with your account "
            "and password."
        )
        messages.error(self.request, reason)
        return super().login_failure()
