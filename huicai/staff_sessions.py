"""Officers' session lifetime: a session of an account that may enter the admin ends ``HUICAI_STAFF_SESSION_AGE``
seconds after its sign-in, however busy it was (0: no limit beyond ``SESSION_COOKIE_AGE``). Applicants' sessions keep
Django's own lifetime.

The sign-in time is written into the session at login (``user_logged_in``); the middleware compares it on every
request of such a session only, so an applicant's request costs nothing. An ended session is flushed as if it had
expired — not a logout, so the account's API tokens, which have their own lifetime, are not revoked.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import user_logged_in
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _

SIGNED_IN_AT = "huicai_staff_signed_in_at"


def _stamp_sign_in(sender, request, user, **kwargs):
    from .twofactor.policy import may_enter_admin

    session = getattr(request, "session", None)
    if session is not None and may_enter_admin(user):
        session[SIGNED_IN_AT] = int(time.time())


class StaffSessionLifetimeMiddleware:
    """After the authentication and message middleware."""

    def __init__(self, get_response):
        self.get_response = get_response
        user_logged_in.connect(_stamp_sign_in, dispatch_uid="huicai.staff_sessions.stamp_sign_in")

    def __call__(self, request):
        age = settings.HUICAI_STAFF_SESSION_AGE
        signed_in_at = request.session.get(SIGNED_IN_AT) if hasattr(request, "session") else None
        if age and signed_in_at is not None and time.time() - signed_in_at > age:
            request.session.flush()
            request.user = AnonymousUser()
            messages.info(request, _("Your session has ended. Please sign in again."))
        return self.get_response(request)
