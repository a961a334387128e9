from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammesConfig(AppConfig):
    """Running a programme day to day: joint meetings, service commissioners, catalogue changes, feedback,
    notification preferences and statistics."""

    name = "programmes"
    label = "programmes"
    verbose_name = _("Programme operations")
    default_auto_field = "django.db.models.BigAutoField"
