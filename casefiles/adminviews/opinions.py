"""Requests for opinions in the Wagtail admin (征求意见): the worklist of the requests waiting on the user's
departments (overdue first), the answer form on the dossier page and the state's actor naming experts.

Reads go through casefiles.selectors_opinions, changes through casefiles.services.opinions; the services'
typed errors become 400 / 403 / 409 with a message, as on the dossier page.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic.base import BaseListingView
from wagtail.admin.viewsets.base import ViewSet

from ..errors import CASE_FILE_ERRORS, http_status, user_message
from ..forms_opinions import OpinionAnswerForm
from ..masking import mask_name
from ..models import OpinionRequest
from ..permissions import acting_principal
from ..selectors import sees_dossier
from ..selectors_opinions import (
    expert_candidates,
    person_name,
    request_waiting_on,
    requests_of_dossier,
    requests_waiting_on,
)
from ..services.opinions import experts_request, opinion_answer
from .dossiers import NAMESPACE as DOSSIERS
from .dossiers import DossierDetailView, DueColumn, due_soon_limit, is_case_staff

NAMESPACE = "casefiles_opinions"


def opinion_panel(user, dossier):
    """What the dossier page shows about opinion requests: the current stage's requests with their answers,
    the ones waiting on ``user`` (with the answer form) and, for the stage's actor, the experts to choose from."""
    state = dossier.state
    requests = list(requests_of_dossier(dossier, state))
    for r in requests:
        r.expert_name = person_name(r.expert)
    waiting = {r.pk for r in requests_waiting_on(user, queryset=OpinionRequest.objects.filter(dossier=dossier))}
    may_name = False
    if state.experts and state.actor:
        principal, _refusal = acting_principal(user, dossier, [state.actor])
        may_name = principal is not None
    return {
        "requests": requests,
        "answerable": [r for r in requests if r.pk in waiting],
        "answer_form": OpinionAnswerForm(),
        "experts_wanted": state.experts or None,
        "may_name_experts": may_name,
        "expert_choices": [(u.pk, person_name(u)) for u in expert_candidates(dossier)[:200]] if may_name else [],
    }


class MaskedApplicantColumn(Column):
    def get_value(self, instance):
        return mask_name(instance.dossier.applicant_name)


class OpinionWorklistView(BaseListingView):
    """Open requests for an opinion waiting on the user's departments, overdue first, then by due date."""

    template_name = "casefiles/admin/opinion_worklist.html"
    results_template_name = "wagtailadmin/generic/listing_results.html"
    paginate_by = 25
    header_icon = "comment"
    page_title = gettext_lazy("Requests for opinions")
    verbose_name_plural = gettext_lazy("requests for opinions")

    def dispatch(self, request, *args, **kwargs):
        if not is_case_staff(request):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def today(self):
        return timezone.localdate()

    def get_index_url(self):
        return reverse(f"{NAMESPACE}:worklist")

    def get_index_results_url(self):
        return reverse(f"{NAMESPACE}:worklist_results")

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "reference",
                label=_("Reference"),
                accessor="dossier.reference",
                get_url=lambda r: reverse(f"{DOSSIERS}:detail", args=[r.dossier_id]),
            ),
            MaskedApplicantColumn("applicant", label=_("Applicant")),
            Column("stage", label=_("Stage"), accessor="state.name"),
            Column("department", label=_("Department asked"), accessor="department.name"),
            Column("topic", label=_("Topic")),
            DueColumn("due_date", label=_("Due"), today=self.today, soon=due_soon_limit(self.today)),
        ]

    def get_base_queryset(self):
        return requests_waiting_on(self.request.user, today=self.today).filter(expert__isnull=True)

    def order_queryset(self, queryset):
        return queryset  # the selector's order: overdue first, then by due date


class OpinionAnswerView(DossierDetailView):
    """POST the answer of the user's department to one request on this dossier."""

    http_method_names = ["post"]

    def dispatch(self, request, pk, request_pk):
        self.request_pk = request_pk
        return super().dispatch(request, pk)

    def post(self, request, pk):
        try:
            target = request_waiting_on(request.user, self.request_pk)
        except OpinionRequest.DoesNotExist:
            raise Http404 from None
        if target.dossier_id != self.dossier.pk:
            raise Http404
        form = OpinionAnswerForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
            return self.render_page(status=400)
        try:
            opinion_answer(
                request=target,
                user=request.user,
                agree=form.cleaned_data["answer"] == "agree",
                comment=form.cleaned_data["comment"],
            )
        except CASE_FILE_ERRORS as exc:  # one mapping to status and message: casefiles/errors.py
            messages.error(request, user_message(exc))
            return self.render_page(status=http_status(exc))
        messages.success(
            request, _("Your department's opinion on %(ref)s is recorded.") % {"ref": self.dossier.reference}
        )
        if sees_dossier(request.user, pk):
            return redirect(f"{DOSSIERS}:detail", pk)
        return redirect(f"{NAMESPACE}:worklist")


class ExpertsNameView(DossierDetailView):
    """POST the experts the stage's actor names (accounts chosen from the list on the dossier page)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        ids = [int(v) for v in request.POST.getlist("experts") if v.isdigit()]
        accounts = list(get_user_model().objects.filter(pk__in=ids))
        if not request.POST.get("confirm"):
            messages.error(request, _("Please confirm the experts you name."))
            return self.render_page(status=400)
        try:
            experts_request(dossier=self.dossier, experts=accounts, user=request.user)
        except CASE_FILE_ERRORS as exc:  # one mapping to status and message: casefiles/errors.py
            messages.error(request, user_message(exc))
            return self.render_page(status=http_status(exc))
        messages.success(request, _("The experts have been asked for their opinion."))
        return redirect(f"{DOSSIERS}:detail", pk)


class OpinionViewSet(ViewSet):
    name = NAMESPACE
    url_prefix = "opinion-requests"
    icon = "comment"

    def get_urlpatterns(self):
        return [
            path("", OpinionWorklistView.as_view(), name="worklist"),
            path("results/", OpinionWorklistView.as_view(results_only=True), name="worklist_results"),
            path("dossier/<int:pk>/answer/<int:request_pk>/", OpinionAnswerView.as_view(), name="answer"),
            path("dossier/<int:pk>/experts/", ExpertsNameView.as_view(), name="experts"),
        ]


@hooks.register("register_admin_viewset")
def register_opinion_worklist():
    return OpinionViewSet()
