from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail import hooks

from .policy import authenticator_of


@hooks.register("register_account_menu_item")
def two_step_verification(request):
    """The admin's account page: set up (or replace) the authenticator app and get new recovery codes."""
    has_one = authenticator_of(request.user) is not None
    return {
        "url": reverse("twofactor_enrol"),
        "label": _("Replace the authenticator app") if has_one else _("Set up two-step verification"),
        "help_text": _("Confirm each sign-in with a code from an authenticator app on your phone."),
    }
