from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    """Delivering a card's services: a holder's request becomes a work order in the responsible unit,
    tracked against the policy's time limit in working days."""

    name = "delivery"
    label = "delivery"
    verbose_name = _("Service delivery")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from casefiles.services.cards import card_event_recorded

        from .services import card_event_recorded as on_card_event

        card_event_recorded.connect(on_card_event, dispatch_uid="delivery.card_event_recorded")
