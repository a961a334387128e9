"""Wagtail admin for cards: the cardholder registry (持卡人信息库) with filters and Excel export, production
batches, revocation requests, exit candidates, overdue assessments (白云 第六条).

Listings are read-only and scoped to the schemes whose cards the user's departments manage; every change
goes through ``casefiles.services.cards``.
"""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.views import generic
from wagtail.admin.views.generic import IndexView, history, usage
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from ..models import Card, ExitCandidate, ProductionBatch, RevocationRequest


class ViewOnlyPolicy(ModelPermissionPolicy):
    """Staff read these records here; changes go through the card services, never through model forms."""

    def user_has_permission(self, user, action):
        return action == "view" and (user.is_superuser or user.is_staff)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, a) for a in actions)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return self.user_has_any_permission(user, actions)


for _model in (Card, ExitCandidate, ProductionBatch, RevocationRequest):
    register_permission_policy(_model, ViewOnlyPolicy(_model), exact_class=True)


def in_scope(user, instance):
    """Is the record within the schemes whose cards the user's departments manage (as the listings are)?"""
    from ..selectors_cards import cards_managed_by

    if user.is_superuser:
        return True
    if isinstance(instance, ProductionBatch):
        return cards_managed_by(user, Card.objects.filter(scheme_id=instance.scheme_id)).exists()
    card_id = instance.pk if isinstance(instance, Card) else instance.card_id
    return cards_managed_by(user, Card.objects.filter(pk=card_id)).exists()


class ScopedObjectMixin:
    """A record outside the user's scope is not found (404), exactly like an id that does not exist."""

    def get_object(self, *args, **kwargs):
        instance = super().get_object(*args, **kwargs)
        if not in_scope(self.request.user, instance):
            raise Http404
        return instance


class ScopedInspectView(ScopedObjectMixin, generic.InspectView):
    pass


class ScopedEditView(ScopedObjectMixin, generic.EditView):
    pass


class ScopedDeleteView(ScopedObjectMixin, generic.DeleteView):
    pass


class ScopedHistoryView(ScopedObjectMixin, history.HistoryView):
    pass


class ScopedUsageView(ScopedObjectMixin, usage.UsageView):
    pass


class ReadOnlyViewSet(ModelViewSet):
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = ScopedInspectView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView


class ScopedIndexView(IndexView):
    """Only the cards (or card records) of schemes the user's departments manage."""

    card_path = ""

    def get_base_queryset(self):
        from ..selectors_cards import cards_managed_by

        queryset = super().get_base_queryset()
        if self.request.user.is_superuser:
            return queryset
        cards = cards_managed_by(self.request.user).values("pk")
        if self.card_path:
            return queryset.filter(**{f"{self.card_path}__in": cards})
        if queryset.model is ProductionBatch:
            return queryset.filter(scheme__in=cards_managed_by(self.request.user).values("scheme"))
        return queryset.filter(pk__in=cards)


class RegistryIndexView(ScopedIndexView):
    pass


class CardViewSet(ReadOnlyViewSet):
    model = Card
    icon = "user"
    menu_label = _("Cardholder registry")
    add_to_admin_menu = False
    index_view_class = RegistryIndexView
    list_display = ["number", "holder_name", "scheme", "tier", "employer", "status", "valid_until"]
    list_filter = ["scheme", "tier", "status", "employer"]
    search_fields = ["number", "holder_name"]
    list_export = ["number", "holder_name", "scheme", "tier", "employer", "status", "valid_from", "valid_until",
                   "produced_at", "handed_out_at"]
    export_filename = "cardholders"
    form_fields = ["holder_name"]
    inspect_view_fields = ["number", "holder_name", "scheme", "tier", "employer", "status", "valid_from", "valid_until",
                           "services_end_on", "bank_services", "retired_on", "produced_at", "handed_out_at", "end_reason"]


class RevocationRequestIndexView(ScopedIndexView):
    card_path = "card"


class RevocationRequestViewSet(ReadOnlyViewSet):
    model = RevocationRequest
    icon = "warning"
    menu_label = _("Revocation requests")
    index_view_class = RevocationRequestIndexView
    list_display = ["card", "reason", "requested_as", "status", "created_at"]
    list_filter = ["status"]
    form_fields = ["decision_comment"]


class ExitCandidateIndexView(ScopedIndexView):
    card_path = "card"


class ExitCandidateViewSet(ReadOnlyViewSet):
    model = ExitCandidate
    icon = "list-ul"
    menu_label = _("Exit candidates")
    index_view_class = ExitCandidateIndexView
    list_display = ["card", "reason", "detected_on", "status"]
    list_filter = ["status"]
    form_fields = ["status"]


class ProductionBatchViewSet(ReadOnlyViewSet):
    model = ProductionBatch
    icon = "download"
    menu_label = _("Production batches")
    index_view_class = ScopedIndexView
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
