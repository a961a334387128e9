from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicypagesConfig(AppConfig):
    name = "policypages"
    verbose_name = _("Policy pages")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import cache

        cache.connect_signals()  # publishing, moving or deleting pages clears the public page cache
