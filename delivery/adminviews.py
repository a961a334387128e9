"""Wagtail admin of service delivery: a responsible unit's queue of work orders, one work order with its steps,
the unit's list of card holders, and the programme office's overdue list (督办).

A unit sees only the requests for its own services, and of the holder only name, phone and masked ID. Every
step goes through ``services.StepAction``; its refusal becomes a message and the page again.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from casefiles.errors import CASE_FILE_ERRORS, user_message

from . import selectors
from .forms import StepForm
from .models import ServiceRequestState
from .services import STEP_LABELS, StepAction, steps_available

NAMESPACE = "delivery"


def sees_delivery(user):
    return user.is_authenticated and (
        user.is_superuser or selectors.units_of(user).exists() or selectors.supervised_schemes(user).exists()
    )


class AdminPage(WagtailAdminTemplateMixin, View):
    header_icon = "tasks"
    page_title = ""

    def dispatch(self, request, *args, **kwargs):
        if not sees_delivery(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return self.page_title

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def render(self, context):
        return TemplateResponse(self.request, self.template_name, self.get_context_data(**context))


class QueueView(AdminPage):
    template_name = "delivery/admin/queue.html"
    page_title = gettext_lazy("Service requests")

    def get(self, request):
        units = list(selectors.units_of(request.user))
        chosen = next((u for u in units if str(u.pk) == request.GET.get("unit")), units[0] if units else None)
        state = request.GET.get("state") or "open"
        rows, count, capped, next_key = [], 0, False, None
        if chosen is not None:
            rows, count, capped, next_key = selectors.queue(
                chosen, state=state, after=selectors.decode_key(request.GET.get("after"))
            )
        today = timezone.localdate()
        for row in rows:
            row.holder = selectors.holder_view(row)
            row.overdue = row.state == ServiceRequestState.ACCEPTED and row.due_on and row.due_on < today
        filters = [("open", _("Open"))] + [(s.value, s.label) for s in ServiceRequestState]
        return self.render(
            {
                "units": units,
                "unit": chosen,
                "state": state,
                "filters": filters,
                "rows": rows,
                "count": selectors.count_label(count, capped),
                "next": selectors.encode_key(next_key),
                "overdue_units": selectors.overdue_count(chosen) if chosen else 0,
                "office_overdue": list(selectors.overdue_for_office(request.user)[:100]),
            }
        )


class RequestDetailView(AdminPage):
    template_name = "delivery/admin/request_detail.html"
    page_title = gettext_lazy("Service request")

    def _request(self, pk):
        found = selectors.request_for(self.request.user, pk)
        if found is None or found.card.holder_id == self.request.user.pk and not self.request.user.is_superuser:
            raise Http404
        return found

    def get(self, request, pk):
        found = self._request(pk)
        steps = [(step, STEP_LABELS[step]) for step in steps_available(found, request.user)]
        return self.render(
            {
                "item": found,
                "holder": selectors.holder_view(found),
                "steps": steps,
                "overdue": bool(
                    found.state == ServiceRequestState.ACCEPTED and found.due_on and found.due_on < timezone.localdate()
                ),
            }
        )

    def post(self, request, pk):
        found = self._request(pk)
        form = StepForm(request.POST)
        if form.is_valid() and not form.cleaned_data["confirmed"]:
            # One more page before anything changes: what will happen, to whom, with the note and article given.
            data = form.cleaned_data
            try:
                StepAction(found, data["step"], request.user, note=data["note"], article=data["article"],
                           expected_state=data["expected_state"] or None).check()  # fmt: skip
            except CASE_FILE_ERRORS as exc:
                messages.error(request, user_message(exc))
                return redirect(f"{NAMESPACE}:request", pk=found.pk)
            return TemplateResponse(request, "delivery/admin/confirm_step.html", self.get_context_data(
                item=found, holder=selectors.holder_view(found), data=data, label=STEP_LABELS[data["step"]],
            ))  # fmt: skip
        if form.is_valid():
            data = form.cleaned_data
            try:
                StepAction(
                    found,
                    data["step"],
                    request.user,
                    note=data["note"],
                    article=data["article"],
                    expected_state=data["expected_state"] or None,
                ).execute()
            except CASE_FILE_ERRORS as exc:
                messages.error(request, user_message(exc))
            else:
                messages.success(request, _("Saved."))
        return redirect(f"{NAMESPACE}:request", pk=found.pk)


class HoldersView(AdminPage):
    template_name = "delivery/admin/holders.html"
    page_title = gettext_lazy("Card holders served")

    def get(self, request):
        units = selectors.units_of(request.user)
        listings = list(selectors.unit_holders(units)[:500])
        return self.render({"listings": listings})


class DeliveryViewSet(ViewSet):
    name = NAMESPACE
    url_prefix = "delivery"
    icon = "tasks"

    def get_urlpatterns(self):
        return [
            path("requests/", QueueView.as_view(), name="queue"),
            path("requests/<int:pk>/", RequestDetailView.as_view(), name="request"),
            path("holders/", HoldersView.as_view(), name="holders"),
        ]
