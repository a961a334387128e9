"""The officer's workbench (工作台, issue #19): 待办 and 已办 on one page, and on the admin home.

An officer who edits no pages has no use for Wagtail's CMS dashboard, so for them the home page's panels are
replaced by the workbench (``construct_homepage_panels``); editors and administrators keep the dashboard and
reach the workbench from the menu item "待办", which carries the count. (Wagtail routes ``/admin/`` to its own
HomeView before any app's URLs, so a hook cannot answer it with a redirect; the panels are what it offers.)

A department head also sees 督办: what is overdue in the departments they supervise, each with a button that sends
the responsible department a reminder (casefiles.services.supervision). The counts are computed once per request
(:func:`request_counts`): the menu item and the page of one request share them.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.sidebar import LinkMenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.permissions import page_permission_policy

from ..exceptions import CaseFileError, StateConflict
from ..models import Dossier, OpinionRequest
from ..selectors_workbench import WorkbenchCounts, workbench_for
from ..services.supervision import overdue_reminder_send
from .dossiers import count_label, is_case_staff

NAMESPACE = "casefiles_workbench"
PAGE_ACTIONS = ("add", "change", "publish", "bulk_delete", "lock", "unlock")


def edits_pages(user):
    """Whether the user may edit any page (then the CMS dashboard is theirs)."""
    return page_permission_policy.user_has_any_permission(user, PAGE_ACTIONS)


def officer_without_pages(request):
    """Case staff who edit no pages: their admin home is the workbench. Cached per request."""
    if not hasattr(request, "_casefiles_workbench_home"):
        request._casefiles_workbench_home = is_case_staff(request) and not edits_pages(request.user)
    return request._casefiles_workbench_home


def request_counts(request):
    """The workbench's counts of this request's user, computed at most once per request."""
    if not hasattr(request, "_casefiles_workbench_counts"):
        request._casefiles_workbench_counts = WorkbenchCounts(request.user)
    return request._casefiles_workbench_counts


def _context(request):
    bench = workbench_for(request.user, counts=request_counts(request))
    return {
        "bench": bench,
        "dossier_count_label": count_label(bench.dossier_count, cap=bench.count_cap),
        "request_count_label": count_label(bench.request_count, cap=bench.count_cap),
        "overdue_dossier_count_label": count_label(bench.overdue_dossier_count, cap=bench.count_cap),
        "overdue_request_count_label": count_label(bench.overdue_request_count, cap=bench.count_cap),
        "remind_url": reverse(f"{NAMESPACE}:remind"),
        "todo_url": reverse("casefiles_dossiers:todo"),
        "done_url": reverse("casefiles_dossiers:done"),
        "requests_url": reverse("casefiles_opinions:worklist"),
    }


class WorkbenchView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "casefiles/admin/workbench.html"
    page_title = gettext_lazy("Workbench")
    header_icon = "tasks"

    def dispatch(self, request, *args, **kwargs):
        if not is_case_staff(request):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **_context(self.request)}


@require_POST
def remind_view(request):
    """督办: send the reminder the button asks for, then back to the workbench with the outcome."""
    if not is_case_staff(request):
        raise Http404
    dossier = get_object_or_404(Dossier, pk=request.POST.get("dossier") or 0)
    opinion_request = None
    if request.POST.get("request"):
        opinion_request = get_object_or_404(OpinionRequest, pk=request.POST["request"], dossier=dossier)
    try:
        overdue_reminder_send(user=request.user, dossier=dossier, request=opinion_request)
    except (CaseFileError, StateConflict, PermissionDenied) as exc:
        messages.error(request, getattr(exc, "message", None) or str(exc))
    else:
        messages.success(request, _("The reminder about %(ref)s was sent.") % {"ref": dossier.reference})
    return redirect(
        request.POST.get("next") if request.POST.get("next") == "/admin/" else reverse(f"{NAMESPACE}:index")
    )


class WorkbenchPanel(Component):
    """The workbench as the admin home of an officer who edits no pages."""

    name = "casefiles_workbench"
    order = 10

    def render_html(self, parent_context=None):
        request = parent_context["request"]
        return render_to_string("casefiles/admin/workbench_panel.html", _context(request), request=request)


class WorkbenchViewSet(ViewSet):
    name = NAMESPACE
    url_prefix = "workbench"
    icon = "tasks"

    def get_urlpatterns(self):
        return [path("", WorkbenchView.as_view(), name="index"), path("remind/", remind_view, name="remind")]


class WorkbenchMenuItem(MenuItem):
    """待办 with the number of dossiers and requests waiting (counted up to the worklist cap)."""

    def is_shown(self, request):
        return is_case_staff(request)

    def render_component(self, request):
        count = request_counts(request).total
        label = _("%(label)s (%(count)s)") % {"label": _("To do"), "count": count_label(count)}
        return LinkMenuItem(
            self.name, label, self.url, icon_name=self.icon_name, classname=self.classname, attrs=self.attrs
        )


@hooks.register("register_admin_viewset")
def register_workbench():
    return WorkbenchViewSet()


@hooks.register("register_admin_menu_item")
def register_workbench_menu():
    return WorkbenchMenuItem(
        gettext_lazy("To do"), reverse(f"{NAMESPACE}:index"), name="workbench", icon_name="tasks", order=90
    )


@hooks.register("construct_homepage_panels")
def workbench_as_home(request, panels):
    if officer_without_pages(request):
        panels[:] = [WorkbenchPanel()]
