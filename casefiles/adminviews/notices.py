"""Wagtail admin for public notices (公示): open a notice for the candidates at a notice stage, and the objection
list where the notice department decides each objection with a reason.

Thin: every change is one service of ``casefiles.services.notices`` (which checks that the user works in the notice
department the scheme's data names); the services' errors become a message and a 400/403/409 page. The form's
default period is the notice state's minimum, labelled as an administrative setting where the data says so.
"""

from django import forms
from django.contrib import messages
from django.http import HttpResponseForbidden
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import include, path, reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from ..exceptions import CaseFileError, StateConflict, TransitionDenied
from ..models import Dossier, ObjectionStatus, PublicNotice
from ..selectors_notices import objections_for
from ..services import notices as services
from ..workflow.states import notice_minimum

NAMESPACE = "casefiles_notices"


def schemes_for(user):
    """Schemes with a notice state whose notice department ``user`` works in (every such scheme for a superuser);
    cached on the request's user object, as the menu asks on every admin page."""
    cached = getattr(user, "_casefiles_notice_schemes", None)
    if cached is None:
        cached = services.notice_schemes_for(user)
        try:
            user._casefiles_notice_schemes = cached
        except AttributeError:
            pass
    return cached


def _forbidden(message):
    return HttpResponseForbidden(escape(str(message)))


class OpenNoticeForm(forms.Form):
    dossiers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Candidates"), queryset=Dossier.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    working_days = forms.IntegerField(label=gettext_lazy("Notice period (working days)"), min_value=1, max_value=60)
    how_to_object = forms.CharField(label=gettext_lazy("How to object"), widget=forms.Textarea(attrs={"rows": 3}))
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200, required=False)

    def __init__(self, *args, scheme, **kwargs):
        super().__init__(*args, **kwargs)
        states = services.notice_states(scheme)
        self.fields["dossiers"].queryset = (
            Dossier.objects.filter(scheme=scheme, state__in=states).exclude(public_notices__isnull=False).order_by("pk")
        )
        self.fields["dossiers"].label_from_instance = lambda d: f"{d.reference} {d.applicant_name}"
        rule = states[0].notice if states else {}
        minimum = notice_minimum(states[0]) if states else 1
        self.fields["working_days"].initial = minimum
        self.fields["working_days"].help_text = _("At least %(days)s working days (%(basis)s).") % {
            "days": minimum,
            "basis": services.notice_period_basis(rule),
        }


class NoticeIndexView(WagtailAdminTemplateMixin, View):
    template_name = "casefiles/admin/notices.html"
    header_icon = "doc-full"
    page_title = gettext_lazy("Public notices")

    def dispatch(self, request, *args, **kwargs):
        self.schemes = schemes_for(request.user)
        if not self.schemes:
            return _forbidden(_("Only the department that runs a public notice may open one."))
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": _("Public notices")}]

    def render(self, forms_by_scheme=None, status=200):
        forms_by_scheme = forms_by_scheme or {}
        sections = []
        for scheme in self.schemes:
            sections.append(
                {
                    "scheme": scheme,
                    "form": forms_by_scheme.get(scheme.pk)
                    or OpenNoticeForm(
                        scheme=scheme,
                        prefix=f"s{scheme.pk}",
                        initial={
                            "how_to_object": _(
                                "Objections may be made in writing to %(department)s during the notice period."
                            )
                            % {"department": "、".join(d.name for d in services.notice_departments(scheme))},
                        },
                    ),
                    "notices": PublicNotice.objects.filter(scheme=scheme)
                    .prefetch_related("dossiers")
                    .order_by("-opens_on", "-pk")[:20],
                }
            )
        context = self.get_context_data(sections=sections, public_url=reverse("public-notice-list"))
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def get(self, request):
        return self.render()

    def post(self, request):
        scheme = next((s for s in self.schemes if str(s.pk) == request.POST.get("scheme")), None)
        if scheme is None:
            return _forbidden(_("Only the department that runs a public notice may open one."))
        form = OpenNoticeForm(request.POST, scheme=scheme, prefix=f"s{scheme.pk}")
        if not form.is_valid():
            return self.render({scheme.pk: form}, status=400)
        data = form.cleaned_data
        try:
            notice = services.public_notice_open(
                scheme=scheme,
                user=request.user,
                dossiers=list(data["dossiers"]),
                working_days=data["working_days"],
                how_to_object=data["how_to_object"],
                title=data["title"],
            )
        except TransitionDenied as exc:
            messages.error(request, str(exc))
            return self.render({scheme.pk: form}, status=403)
        except (CaseFileError, StateConflict) as exc:
            messages.error(request, exc.message)
            return self.render({scheme.pk: form}, status=400)
        messages.success(
            request,
            _("Public notice %(number)s is open until %(date)s.")
            % {"number": notice.number, "date": notice.closes_on.isoformat()},
        )
        return redirect(f"{NAMESPACE}:index")


class ResolveForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("dismiss", gettext_lazy("Dismiss the objection")), ("uphold", gettext_lazy("Uphold the objection"))],
        widget=forms.RadioSelect,
    )
    resolution = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ObjectionListView(WagtailAdminTemplateMixin, View):
    """Objections to the notices of the user's schemes, open ones first; each open one with its decision form."""

    template_name = "casefiles/admin/objections.html"
    header_icon = "warning"
    page_title = gettext_lazy("Objections")

    def dispatch(self, request, *args, **kwargs):
        if not schemes_for(request.user):
            return _forbidden(_("Only the department that runs a public notice handles its objections."))
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": _("Objections")}]

    def render(self, bound=None, status=200):
        rows = []
        for objection in objections_for(self.request.user)[:200]:
            form = None
            if objection.status == ObjectionStatus.OPEN:
                form = bound[1] if bound and bound[0] == objection.pk else ResolveForm(prefix=f"o{objection.pk}")
            rows.append({"objection": objection, "form": form})
        return TemplateResponse(self.request, self.template_name, self.get_context_data(rows=rows), status=status)

    def get(self, request):
        return self.render()

    def post(self, request):
        objection = objections_for(request.user).filter(pk=request.POST.get("objection") or 0).first()
        if objection is None:
            return _forbidden(_("Only the department that runs a public notice handles its objections."))
        form = ResolveForm(request.POST, prefix=f"o{objection.pk}")
        if not form.is_valid():
            messages.error(request, _("Choose a decision and give the reason."))
            return self.render((objection.pk, form), status=400)
        try:
            services.objection_resolve(
                objection=objection,
                user=request.user,
                upheld=form.cleaned_data["decision"] == "uphold",
                resolution=form.cleaned_data["resolution"],
            )
        except TransitionDenied as exc:
            messages.error(request, str(exc))
            return self.render((objection.pk, form), status=403)
        except (CaseFileError, StateConflict) as exc:
            messages.error(request, exc.message)
            return self.render((objection.pk, form), status=409 if isinstance(exc, StateConflict) else 400)
        messages.success(
            request, _("The objection to %(reference)s has been decided.") % {"reference": objection.dossier.reference}
        )
        return redirect(f"{NAMESPACE}:objections")


@hooks.register("register_admin_urls")
def register_notice_urls():
    patterns = [
        path("", NoticeIndexView.as_view(), name="index"),
        path("objections/", ObjectionListView.as_view(), name="objections"),
    ]
    return [path("public-notices/", include((patterns, NAMESPACE), namespace=NAMESPACE))]


class NoticeMenuItem(MenuItem):
    def is_shown(self, request):
        return bool(schemes_for(request.user))


@hooks.register("register_admin_menu_item")
def register_notice_menu_items():
    return NoticeMenuItem(
        gettext_lazy("Public notices"),
        reverse(f"{NAMESPACE}:index"),
        name="public-notices",
        icon_name="doc-full",
        order=270,
    )


@hooks.register("register_admin_menu_item")
def register_objection_menu_item():
    return NoticeMenuItem(
        gettext_lazy("Objections"),
        reverse(f"{NAMESPACE}:objections"),
        name="notice-objections",
        icon_name="warning",
        order=271,
    )
