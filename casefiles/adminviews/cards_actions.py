"""Wagtail admin: importing a list of holders into the cardholder registry (楚雄 第四条) and the card detail
page with the lifecycle actions the user may take (ending a card, loss, reissue and renewal lead to their
confirmation pages, casefiles/adminviews/card_confirm.py).

Both stay thin: the import calls ``services.registry_import``, every card action calls one service of
``services.cards``; the services check permission and state. Denials become 403 pages, other service
errors a message and a redirect back.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import include, path, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from ..exceptions import CaseFileError, StateConflict
from ..forms_portal import exit_fact_field
from ..models import AssessmentResult, Card, CardStatus, RevocationRequest, RevocationRequestStatus
from ..selectors_cards import cards_visible_to
from ..services import cards as card_services
from ..services import registry_import as importer
from .card_confirm import urlpatterns as confirm_urlpatterns

NAMESPACE = "casefiles_card_actions"


def forbidden(message):
    """A plain 403 (raising PermissionDenied in the Wagtail admin redirects to the dashboard instead)."""
    return HttpResponseForbidden(escape(str(message)))
SESSION_KEY = "casefiles_registry_import"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- import --------------------------------------------------------------------------------------------


class ImportForm(forms.Form):
    scheme = forms.ModelChoiceField(label=gettext_lazy("Programme"), queryset=None)
    file = forms.FileField(label=gettext_lazy("Spreadsheet (.xlsx)"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = importer.schemes_importable_by(user)


class RegistryImportView(WagtailAdminTemplateMixin, View):
    """Step 1 (POST with a file): parse, validate, preview; nothing is written. Step 2 (POST confirm with the
    file's hash): import the rows kept in the session, only when there were no errors."""

    template_name = "casefiles/admin/registry_import.html"
    header_icon = "upload"
    page_title = gettext_lazy("Import holders")

    def dispatch(self, request, *args, **kwargs):
        if not importer.schemes_importable_by(request.user).exists():
            return forbidden(_("Only the talent office, organisation department or HR bureau may import holders."))
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": _("Import holders")}]

    def render(self, form, status=200, **extra):
        context = self.get_context_data(form=form, **extra)
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def get(self, request):
        request.session.pop(SESSION_KEY, None)
        return self.render(ImportForm(user=request.user))

    def post(self, request):
        if "confirm" in request.POST:
            return self.confirm(request)
        form = ImportForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return self.render(form, status=400)
        scheme = form.cleaned_data["scheme"]
        content = form.cleaned_data["file"].read()
        try:
            rows, errors, total = importer.registry_parse(scheme=scheme, content=content)
        except CaseFileError as exc:
            messages.error(request, exc.message)
            return self.render(form, status=400)
        digest = importer.file_hash(content)
        if errors:
            request.session.pop(SESSION_KEY, None)
        else:
            request.session[SESSION_KEY] = {"scheme": scheme.pk, "hash": digest, "rows": rows}
        return self.render(form, scheme=scheme, rows=rows, errors=errors, total=total, digest=digest,
                           can_confirm=not errors, status=200)

    def confirm(self, request):
        kept = request.session.get(SESSION_KEY)
        if not kept or kept.get("hash") != request.POST.get("hash") or str(kept.get("scheme")) != request.POST.get("scheme"):
            messages.error(request, _("The checked file is no longer available; please upload it again."))
            return redirect(f"{NAMESPACE}:import")
        scheme = importer.schemes_importable_by(request.user).filter(pk=kept["scheme"]).first()
        if scheme is None:
            return forbidden(_("Only the talent office, organisation department or HR bureau may import holders."))
        try:
            cards = importer.registry_import(scheme=scheme, user=request.user, rows=kept["rows"])
        except PermissionDenied as exc:
            return forbidden(exc)
        except CaseFileError as exc:
            messages.error(request, _("Nothing was imported: %(detail)s") % {"detail": exc.message})
            request.session.pop(SESSION_KEY, None)
            return redirect(f"{NAMESPACE}:import")
        request.session.pop(SESSION_KEY, None)
        messages.success(request, _("%(count)s holders imported; their cards are active.") % {"count": len(cards)})
        return redirect(f"{NAMESPACE}:import")


class RegistryTemplateView(View):
    def get(self, request):
        if not importer.schemes_importable_by(request.user).exists():
            return forbidden(_("Only the talent office, organisation department or HR bureau may import holders."))
        response = HttpResponse(importer.template_workbook(), content_type=XLSX)
        response["Content-Disposition"] = 'attachment; filename="holders-template.xlsx"'
        return response


# --- card actions ---------------------------------------------------------------------------------------


def _pending_request(card):
    return RevocationRequest.objects.filter(card=card, status=RevocationRequestStatus.PROPOSED).select_related("reason").first()


def _may(user, card, principals):
    return card_services.acting_as(user, card, principals) is not None


def _who(spec, card):
    """The principals who may take the action on ``card``: a list, or read from the scheme's rules."""
    return spec["who"](card) if callable(spec["who"]) else spec["who"]


# name -> label, who (principals, or card -> principals from the scheme's rules), when (card -> bool), fields, call(card, user, data)
ACTIONS = {
    "reinstate": {
        "label": gettext_lazy("Reinstate"),
        "who": ["department"],
        "when": lambda c: c.status == CardStatus.CONTACT_LIST,
        "fields": ["comment"],
        "call": lambda c, u, d: card_services.card_reinstate(card=c, user=u, comment=d["comment"]),
    },
    "exit_facts": {
        "label": gettext_lazy("Report the facts the exit rules need"),
        "who": ["employer", "department"],
        "when": lambda c: c.status in card_services.LIVE_STATUSES and bool(card_services.exit_facts_needed(c.scheme)),
        "fields": ["talent_category", "retired", "left_region", "birth_date", "comment"],
        "call": lambda c, u, d: card_services.card_report_particulars(card=c, user=u, comment=d["comment"], changes={
            k: d[k] for k in ("talent_category", "retired", "left_region", "birth_date") if d.get(k) not in (None, "")}),
    },
    "assess": {
        "label": gettext_lazy("Record the assessment"),
        "who": ["employer"],
        "when": lambda c: bool(card_services.assessment_rule(c.scheme)) and c.status in card_services.LIVE_STATUSES,
        "fields": ["result", "assessed_on", "summary"],
        "call": lambda c, u, d: card_services.card_record_assessment(
            card=c, user=u, result=d["result"], assessed_on=d["assessed_on"], summary=d["summary"]
        ),
    },
}


class CardActionForm(forms.Form):
    comment = forms.CharField(label=gettext_lazy("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    result = forms.ChoiceField(label=gettext_lazy("Result"), choices=AssessmentResult.choices)
    assessed_on = forms.DateField(label=gettext_lazy("Assessed on"), required=False)
    summary = forms.CharField(label=gettext_lazy("Performance and ability"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    talent_category = exit_fact_field("talent_category")
    retired = exit_fact_field("retired")
    left_region = exit_fact_field("left_region")
    birth_date = forms.DateField(label=gettext_lazy("Date of birth (if the ID is not a resident ID)"), required=False)

    def __init__(self, *args, card, action, **kwargs):
        kwargs["prefix"] = action
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in ACTIONS[action]["fields"]:
                del self.fields[name]
        self.action = action


class CardActionsView(WagtailAdminTemplateMixin, View):
    """The card, its history and one form per action the user may take; POST runs one action."""

    template_name = "casefiles/admin/card_actions.html"
    header_icon = "user"

    def dispatch(self, request, pk, *args, **kwargs):
        try:
            card = Card.objects.select_related("scheme", "tier", "dossier", "employer", "holder").get(pk=pk)
        except Card.DoesNotExist:
            raise Http404 from None
        if not cards_visible_to(request.user, Card.objects.filter(pk=pk)).exists():
            raise Http404  # like an id that does not exist: guessing ids reveals nothing
        self.card = card
        return super().dispatch(request, pk, *args, **kwargs)

    def get_page_title(self):
        return self.card.number

    def get_page_subtitle(self):
        return self.card.holder_name

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("cards:index"), "label": _("Cardholder registry")},
            {"url": "", "label": self.card.number},
        ]

    def available(self):
        user, card = self.request.user, self.card
        return [name for name, spec in ACTIONS.items() if spec["when"](card) and _may(user, card, _who(spec, card))]

    def render_page(self, status=200, bound=None):
        forms_ = []
        for name in self.available():
            form = bound if bound is not None and bound.action == name else CardActionForm(card=self.card, action=name)
            forms_.append({"name": name, "label": ACTIONS[name]["label"], "form": form})
        from ..selectors_card_actions import card_actions_open

        context = self.get_context_data(
            card=self.card,
            actions=forms_,
            confirm_actions=card_actions_open(self.card, self.request.user),
            pending=_pending_request(self.card),
            events=self.card.events.select_related("actor", "department", "reason").order_by("-pk")[:100],
            today=timezone.localdate(),
        )
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def get(self, request, pk):
        return self.render_page()

    def post(self, request, pk):
        action = request.POST.get("action", "")
        if action not in ACTIONS:
            messages.error(request, _("Choose an action."))
            return redirect(f"{NAMESPACE}:card", pk)
        form = CardActionForm(request.POST, card=self.card, action=action)
        if not form.is_valid():
            messages.error(request, _("Please correct the form: %(errors)s")
                           % {"errors": "; ".join(str(e) for errs in form.errors.values() for e in errs)})
            return redirect(f"{NAMESPACE}:card", pk)
        try:
            ACTIONS[action]["call"](self.card, request.user, form.cleaned_data)
        except PermissionDenied as exc:  # TransitionDenied included
            messages.error(request, str(exc) or _("You may not do this."))
            return self.render_page(status=403, bound=form)
        except (StateConflict, CaseFileError) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
            return redirect(f"{NAMESPACE}:card", pk)
        except (AttributeError, TypeError):
            # e.g. the pending request was decided meanwhile (no request left to act on)
            messages.error(request, _("This is not possible now; reload and try again."))
            return redirect(f"{NAMESPACE}:card", pk)
        messages.success(request, _("%(action)s: done.") % {"action": ACTIONS[action]["label"]})
        return redirect(f"{NAMESPACE}:card", pk)


@hooks.register("register_admin_urls")
def register_card_action_urls():
    patterns = [
        path("import/", RegistryImportView.as_view(), name="import"),
        path("import/template/", RegistryTemplateView.as_view(), name="template"),
        path("<int:pk>/", CardActionsView.as_view(), name="card"),
        *confirm_urlpatterns,  # the confirmation pages of the card list's actions and the requests to decide
    ]
    return [path("card-registry/", include((patterns, NAMESPACE), namespace=NAMESPACE))]


class ImportMenuItem(MenuItem):
    def is_shown(self, request):
        return importer.schemes_importable_by(request.user).exists()


@hooks.register("register_admin_menu_item")
def register_import_menu_item():
    return ImportMenuItem(gettext_lazy("Import holders"), reverse(f"{NAMESPACE}:import"), name="cards-import",
                          icon_name="upload", order=260)
