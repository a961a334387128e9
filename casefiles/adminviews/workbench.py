"""The officer's workbench (工作台, issue #19): 待办 and 已办 on one page, and on the admin home.

An officer who edits no pages has no use for Wagtail's CMS dashboard, so for them the home page's panels are
replaced by the workbench (``construct_homepage_panels``); editors and administrators keep the dashboard and
reach the workbench from the menu item "待办", which carries the count. (Wagtail routes ``/admin/`` to its own
HomeView before any app's URLs, so a hook cannot answer it with a redirect; the panels are what it offers.)
"""

from django.http import Http404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.sidebar import LinkMenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.permissions import page_permission_policy

from ..selectors_workbench import workbench_count, workbench_for
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


def _context(request):
    bench = workbench_for(request.user)
    return {
        "bench": bench,
        "dossier_count_label": count_label(bench.dossier_count, cap=bench.count_cap),
        "request_count_label": count_label(bench.request_count, cap=bench.count_cap),
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
        return [path("", WorkbenchView.as_view(), name="index")]


class WorkbenchMenuItem(MenuItem):
    """待办 with the number of dossiers and requests waiting (counted up to the worklist cap)."""

    def is_shown(self, request):
        return is_case_staff(request)

    def render_component(self, request):
        count = workbench_count(request.user)
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
