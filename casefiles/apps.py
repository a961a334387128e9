from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasefilesConfig(AppConfig):
    name = "casefiles"
    verbose_name = _("Case files")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .exports import neutralise_wagtail_exports

        neutralise_wagtail_exports()  # Wagtail's CSV/XLSX exports write cells through casefiles.exports

        from .adminviews.people import name_people_family_first

        name_people_family_first()  # 李明远, not "明远 李": Django's and Wagtail's names of people

        from .services.cards import card_issue_on_transition
        from .workflow.signals import dossier_transitioned

        # The card service listens to the workflow (no import from the transition action into cards).
        dossier_transitioned.connect(card_issue_on_transition, dispatch_uid="casefiles.card_issue_on_transition")
