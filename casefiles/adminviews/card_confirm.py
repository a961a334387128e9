"""Wagtail admin: the card actions taken from the card list (issue #19 item 3), each through a page that says what
it will do and asks for confirmation, and the requests to end a card waiting for a (second) officer's decision.

GET shows the card, the consequences and the reasons (with their articles) as ``casefiles.selectors_card_actions``
reads them; POST with the confirmation ticked calls the one service. An action the user may not take now is a 403 on
GET and POST alike; a card the user may not see is a 404.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from ..exceptions import CaseFileError, StateConflict
from ..models import Card, RevocationRequest
from ..selectors_card_actions import (
    ACTIONS,
    card_action,
    day,
    exit_consequences,
    request_sentence,
    revocation_decision_open,
    revocation_requests_pending,
)
from ..selectors_cards import cards_visible_to
from ..selectors_opinions import person_name
from ..services import cards as card_services

NAMESPACE = "casefiles_card_actions"


def forbidden(message):
    """A plain 403 (raising PermissionDenied in the Wagtail admin redirects to the dashboard instead)."""
    return HttpResponseForbidden(escape(str(message)))


class ConfirmForm(forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), widget=forms.RadioSelect, required=True)
    comment = forms.CharField(
        label=gettext_lazy("Facts and proof"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I have read what this will do and confirm it."),
        required=True,
        error_messages={"required": gettext_lazy("Tick the confirmation to go ahead.")},
    )

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action
        if action.reasons:
            self.fields["reason"].choices = [(str(c.reason.pk), c.label) for c in action.reasons]
        else:
            del self.fields["reason"]
        self.fields["comment"].required = action.comment_required

    def choice(self):
        pk = self.cleaned_data.get("reason")
        return next((c for c in self.action.reasons if str(c.reason.pk) == pk), None)


def _run(action, choice, card, user, comment):
    """The one service of the action (for an exit, the way the reason's route allows)."""
    if choice is not None:
        if choice.mode == "decide":
            return card_services.card_revoke(card=card, reason=choice.reason, user=user, comment=comment)
        return card_services.card_request_revocation(card=card, reason=choice.reason, user=user, comment=comment)
    if action.name == "report_loss":
        return card_services.card_report_loss(card=card, user=user, comment=comment)
    if action.name == "reissue":
        return card_services.card_reissue(card=card, user=user, comment=comment)
    return card_services.card_renew(card=card, user=user, comment=comment)


class CardActionConfirmView(WagtailAdminTemplateMixin, View):
    template_name = "casefiles/admin/card_action_confirm.html"
    header_icon = "user"

    def dispatch(self, request, pk, action, *args, **kwargs):
        if action not in ACTIONS:
            raise Http404
        card = cards_visible_to(request.user, Card.objects.filter(pk=pk)).first()
        if card is None:
            raise Http404  # like an id that does not exist
        self.card = Card.objects.select_related("scheme", "tier", "dossier", "employer", "holder").get(pk=card.pk)
        self.action = card_action(self.card, request.user, action)
        if self.action is None:
            return forbidden(_("You may not do this on card %(number)s now.") % {"number": self.card.number})
        return super().dispatch(request, pk, action, *args, **kwargs)

    def get_page_title(self):
        return f"{self.action.label} · {self.card.number}"

    def get_page_subtitle(self):
        return self.card.holder_name

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("cards:index"), "label": _("Cardholder registry")},
            {"url": reverse(f"{NAMESPACE}:card", args=[self.card.pk]), "label": self.card.number},
            {"url": "", "label": self.action.label},
        ]

    def render(self, form, status=200):
        context = self.get_context_data(
            card=self.card, action=self.action, form=form, valid_until=day(self.card.valid_until)
        )
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def get(self, request, pk, action):
        return self.render(ConfirmForm(action=self.action))

    def post(self, request, pk, action):
        form = ConfirmForm(request.POST, action=self.action)
        if not form.is_valid():
            return self.render(form, status=400)
        choice = form.choice()
        try:
            result = _run(self.action, choice, self.card, request.user, form.cleaned_data.get("comment") or "")
        except PermissionDenied as exc:
            return forbidden(str(exc) or _("You may not do this."))
        except (StateConflict, CaseFileError) as exc:
            form.add_error(None, getattr(exc, "message", None) or str(exc))
            return self.render(form, status=400)
        if choice is not None and choice.mode == "request":
            messages.success(
                request, _("Request made: card %(number)s ends when it is approved.") % {"number": self.card.number}
            )
            return redirect(f"{NAMESPACE}:requests")
        if isinstance(result, Card):  # a reissue: the new card
            messages.success(
                request, _("Card %(old)s reissued as %(new)s.") % {"old": self.card.number, "new": result.number}
            )
            return redirect(f"{NAMESPACE}:card", result.pk)
        messages.success(request, _("%(action)s: done.") % {"action": self.action.label})
        return redirect(f"{NAMESPACE}:card", self.card.pk)


class RevocationRequestsView(WagtailAdminTemplateMixin, View):
    """The requests to end a card waiting for a decision, on the cards the user's departments manage."""

    template_name = "casefiles/admin/card_requests.html"
    header_icon = "warning"
    page_title = gettext_lazy("Requests to end a card")

    def dispatch(self, request, *args, **kwargs):
        if not manages_cards(request.user):
            return forbidden(_("Only the departments that manage cards decide requests to end one."))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        rows = []
        for item in revocation_requests_pending(request.user):
            rows.append(
                {
                    "request": item,
                    "requested_by": person_name(item.requested_by) or _("A staff member"),
                    "requested_on": day(item.created_at.date()),
                    "may_decide": revocation_decision_open(item, request.user),
                    "own": item.requested_by_id == request.user.pk,
                }
            )
        context = self.get_context_data(rows=rows)
        return TemplateResponse(request, self.template_name, context)


class DecisionForm(forms.Form):
    comment = forms.CharField(label=gettext_lazy("Comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    confirm = forms.BooleanField(
        label=gettext_lazy("I have read what this will do and confirm it."),
        required=True,
        error_messages={"required": gettext_lazy("Tick the confirmation to go ahead.")},
    )


DECISIONS = {"approve": gettext_lazy("Approve the request"), "decline": gettext_lazy("Decline the request")}


class RevocationDecisionView(WagtailAdminTemplateMixin, View):
    """Approve or decline one request to end a card: what approving will do, then the service."""

    template_name = "casefiles/admin/card_request_decide.html"
    header_icon = "warning"

    def dispatch(self, request, pk, decision, *args, **kwargs):
        if decision not in DECISIONS:
            raise Http404
        item = (
            RevocationRequest.objects.select_related("card__scheme", "card__tier", "reason", "requested_by")
            .filter(pk=pk, card__in=cards_visible_to(request.user))
            .first()
        )
        if item is None:
            raise Http404
        if not revocation_decision_open(item, request.user):
            if item.requested_by_id == request.user.pk:
                return forbidden(_("You made this request; a colleague decides it."))
            return forbidden(_("You may not decide this request."))
        self.item, self.decision = item, decision
        return super().dispatch(request, pk, decision, *args, **kwargs)

    def get_page_title(self):
        return f"{DECISIONS[self.decision]} · {self.item.card.number}"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(f"{NAMESPACE}:requests"), "label": _("Requests to end a card")},
            {"url": "", "label": self.item.card.number},
        ]

    def render(self, form, status=200):
        card = self.item.card
        lines, irreversible = exit_consequences(card, self.item.reason)
        if self.decision == "decline":
            lines, irreversible = [_("The card stays as it is; the request is closed as declined.")], False
        context = self.get_context_data(
            item=self.item,
            card=card,
            form=form,
            decision=self.decision,
            label=DECISIONS[self.decision],
            consequences=lines,
            irreversible=irreversible,
            note=request_sentence(card, "request"),
            requested_by=person_name(self.item.requested_by) or _("A staff member"),
            requested_on=day(self.item.created_at.date()),
        )
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def get(self, request, pk, decision):
        return self.render(DecisionForm())

    def post(self, request, pk, decision):
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return self.render(form, status=400)
        comment = form.cleaned_data.get("comment") or ""
        try:
            if decision == "approve":
                card_services.card_agree_revocation(request=self.item, user=request.user, comment=comment)
            else:
                card_services.card_decline_revocation(request=self.item, user=request.user, comment=comment)
        except PermissionDenied as exc:
            return forbidden(str(exc) or _("You may not do this."))
        except (StateConflict, CaseFileError) as exc:
            form.add_error(None, getattr(exc, "message", None) or str(exc))
            return self.render(form, status=400)
        messages.success(request, _("%(action)s: done.") % {"action": DECISIONS[decision]})
        return redirect(f"{NAMESPACE}:requests")


def manages_cards(user):
    """Whether ``user``'s departments manage the cards of any scheme (the requests page is theirs)."""
    return card_services.manages_cards_of_any_scheme(user)


class RequestsMenuItem(MenuItem):
    def is_shown(self, request):
        return manages_cards(request.user)


@hooks.register("register_admin_menu_item")
def register_requests_menu_item():
    return RequestsMenuItem(
        gettext_lazy("Requests to end a card"),
        reverse(f"{NAMESPACE}:requests"),
        name="card-requests",
        icon_name="warning",
        order=261,
    )


urlpatterns = [
    path("requests/", RevocationRequestsView.as_view(), name="requests"),
    path("requests/<int:pk>/<str:decision>/", RevocationDecisionView.as_view(), name="decide"),
    path("<int:pk>/<str:action>/", CardActionConfirmView.as_view(), name="confirm"),
]
