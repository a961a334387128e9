from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TwoFactorConfig(AppConfig):
    """Officers' second factor (pages, middleware and the admin's account menu item); the devices are django-otp's."""

    name = "huicai.twofactor"
    label = "twofactor"
    verbose_name = _("Two-step verification")
