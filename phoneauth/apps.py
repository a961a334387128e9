from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PhoneAuthConfig(AppConfig):
    """Applicants' sign-up and sign-in by mobile number with SMS one-time codes."""

    name = "phoneauth"
    verbose_name = _("Sign-in by mobile phone")
    default_auto_field = "django.db.models.BigAutoField"
