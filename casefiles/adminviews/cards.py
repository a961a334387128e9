"""Wagtail admin for cards: the cardholder registry (持卡人信息库) with filters and Excel export, production
batches, revocation requests, exit candidates, overdue assessments (白云 第六条).

Listings and records are read-only and scoped (every view, through ``huicai.admin_scope``) to the schemes whose
cards the user's departments manage; every change goes through ``casefiles.services.cards``.
"""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.menus import MenuItem as RowMenuItem
from wagtail.admin.views.generic.models import IndexView
from wagtail.admin.viewsets.model import ModelViewSetGroup
from wagtail.permissions import register_permission_policy

from huicai.admin_scope import ScopedModelViewSet, ScopedPolicy

from ..models import Card, ExitCandidate, ExitCandidateStatus, ProductionBatch, RevocationRequest


class CardRecordPolicy(ScopedPolicy):
    """Staff read these records here, within the schemes whose cards their departments manage (as the registry
    lists them); changes go through the card services, never through model forms."""

    read_only = True

    def model_actions(self, user):
        return {"view"} if user.is_authenticated and user.is_active and (user.is_superuser or user.is_staff) else set()

    def scope(self, user, queryset):
        from ..selectors_cards import cards_managed_by

        if user.is_superuser:
            return queryset
        cards = cards_managed_by(user)
        if self.model is Card:
            return queryset.filter(pk__in=cards.values("pk"))
        if self.model is ProductionBatch:
            return queryset.filter(scheme__in=cards.values("scheme"))
        return queryset.filter(card__in=cards.values("pk"))


for _model in (Card, ExitCandidate, ProductionBatch, RevocationRequest):
    register_permission_policy(_model, CardRecordPolicy(_model), exact_class=True)


class ReadOnlyViewSet(ScopedModelViewSet):
    copy_view_enabled = False
    inspect_view_enabled = True


class CardIndexView(IndexView):
    """The registry's rows offer, beside inspecting the card, the actions the user may take on it now (as the card
    services' checks answer, ``casefiles.selectors_card_actions``), each leading to its confirmation page."""

    def get_list_more_buttons(self, instance):
        from django.urls import reverse

        from ..selectors_card_actions import card_actions_open

        buttons = list(super().get_list_more_buttons(instance))
        buttons.append(RowMenuItem(_("Card page"), url=reverse("casefiles_card_actions:card", args=[instance.pk]),
                                   icon_name="user", priority=25))
        for order, action in enumerate(card_actions_open(instance, self.request.user)):
            url = reverse("casefiles_card_actions:confirm", args=[instance.pk, action.name])
            buttons.append(RowMenuItem(action.label, url=url, icon_name="warning" if action.irreversible else "edit",
                                       priority=40 + order))
        return buttons


class CardViewSet(ReadOnlyViewSet):
    model = Card
    index_view_class = CardIndexView
    icon = "user"
    menu_label = _("Cardholder registry")
    add_to_admin_menu = False
    list_display = ["number", "holder_name", "scheme", "tier", "employer", "status", "valid_until"]
    list_filter = ["scheme", "tier", "status", "employer"]
    search_fields = ["number", "holder_name"]
    list_export = ["number", "holder_name", "scheme", "tier", "employer", "status", "valid_from", "valid_until",
                   "produced_at", "handed_out_at"]
    export_filename = "cardholders"
    form_fields = ["holder_name"]
    inspect_view_fields = ["number", "holder_name", "scheme", "tier", "employer", "status", "valid_from", "valid_until",
                           "services_end_on", "bank_services", "retired_on", "produced_at", "handed_out_at", "end_reason"]


class RevocationRequestViewSet(ReadOnlyViewSet):
    model = RevocationRequest
    icon = "warning"
    menu_label = _("Revocation requests")
    list_display = ["card", "reason", "requested_as", "status", "created_at"]
    list_filter = ["status"]
    form_fields = ["decision_comment"]


class ExitCandidateViewSet(ReadOnlyViewSet):
    model = ExitCandidate
    icon = "list-ul"
    menu_label = _("Exit candidates")
    list_display = ["card", "reason", "detected_on", "status"]
    list_filter = ["status"]
    form_fields = ["status"]


class ProductionBatchViewSet(ReadOnlyViewSet):
    model = ProductionBatch
    icon = "download"
    menu_label = _("Production batches")
    list_display = ["number", "scheme", "created_at", "exported_at"]
    form_fields = ["scheme"]


class CardAdminGroup(ModelViewSetGroup):
    menu_label = _("Cards")
    menu_icon = "user"
    items = (CardViewSet("cards"), RevocationRequestViewSet("card_revocation_requests"),
             ExitCandidateViewSet("card_exit_candidates"), ProductionBatchViewSet("card_production_batches"))


@hooks.register("register_admin_viewset")
def register_card_viewsets():
    return CardAdminGroup()


class ToConfirmMenuItem(MenuItem):
    """The holders an automatic exit rule may concern but for whom a fact it needs is unknown: a list of their own
    (the exit candidates filtered on “to confirm”), apart from the exit list a reviewer confirms or dismisses."""

    def is_shown(self, request):
        return CardRecordPolicy(ExitCandidate).user_has_permission(request.user, "view")


@hooks.register("register_admin_menu_item")
def register_to_confirm_menu_item():
    from django.urls import reverse

    return ToConfirmMenuItem(_("Exit rules: facts to confirm"),
                             reverse("card_exit_candidates:index") + f"?status={ExitCandidateStatus.TO_CONFIRM}",
                             name="exit-candidates-to-confirm", icon_name="help", order=262)
