from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicypagesConfig(AppConfig):
    name = "policypages"
    verbose_name = _("Policy pages")
    default_auto_field = "django.db.models.BigAutoField"
