"""Staff worklists in the Wagtail admin (档案办理: 待办, 已办, 逾期) and the dossier detail page.

Lists are the selectors' querysets, filtered and paginated in the database with the related rows joined,
so a page costs the same few queries however many dossiers there are; nothing is permission-checked row by
row in Python. The detail page journals every staff view; its buttons fire transitions through
``dossier_transition`` only, and the service's errors become 400 / 403 / 409 responses with a message.
"""

import datetime

import django_filters
from django.contrib import messages
from django.db.models import F, prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic.base import BaseListingView, WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.widgets.button import HeaderButton

from ..errors import CASE_FILE_ERRORS, http_status, user_message
from ..exceptions import CaseFileError, StateConflict, TransitionDenied
from ..exports import dossiers_workbook
from ..forms_portal import TransitionForm
from ..journal_text import journal_lines
from ..models import DepartmentKind, Dossier, Membership, Scheme, StateKind, Tier, TransitionRole, WorkflowState
from ..permissions import standings_shared
from ..selectors import (
    WORKLIST_COUNT_CAP,
    WorklistCursor,
    dossier_for,
    dossiers_actionable_by,
    dossiers_actionable_page,
    dossiers_handled_by,
    dossiers_visible_to,
    sees_dossier,
    transitions_available,
)
from ..selectors_casefile import stage_progress
from ..services.calendar import CalendarDataMissing, WorkingCalendar
from ..services.dossiers import dossier_transition
from ..services.journal import journal_write

NAMESPACE = "casefiles_dossiers"
DUE_SOON_WORKING_DAYS = 3
LIST_RELATED = ("scheme", "state", "requested_tier", "employer")


def is_case_staff(request):
    """Staff of a reviewing department (not an employer contact), or an administrator. Cached per request."""
    if not hasattr(request, "_casefiles_case_staff"):
        user = request.user
        request._casefiles_case_staff = user.is_authenticated and (
            user.is_superuser
            or Membership.objects.filter(user=user).exclude(department__kind=DepartmentKind.EMPLOYER).exists()
        )
    return request._casefiles_case_staff


def due_soon_limit(today):
    """Last day counted as "due soon"; None when the working calendar has no data for the period."""
    try:
        return WorkingCalendar().add_working_days(today, DUE_SOON_WORKING_DAYS)
    except CalendarDataMissing:
        return None


class DossierFilterSet(WagtailFilterSet):
    scheme = django_filters.ModelChoiceFilter(label=gettext_lazy("Programme"), queryset=Scheme.objects.order_by("slug"))
    state = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Stage"), queryset=WorkflowState.objects.select_related("scheme").order_by("scheme__slug", "order")
    )
    requested_tier = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Tier"), queryset=Tier.objects.select_related("scheme").order_by("scheme__slug", "-rank")
    )
    year = django_filters.NumberFilter(label=gettext_lazy("Year"))

    class Meta:
        model = Dossier
        fields = ["scheme", "state", "requested_tier", "year"]


class DueColumn(Column):
    cell_template_name = "casefiles/admin/due_cell.html"

    def __init__(self, name, *, today, soon, **kwargs):
        super().__init__(name, **kwargs)
        self.today, self.soon = today, soon

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        due = instance.due_date
        context["overdue"] = bool(due and due < self.today)
        context["due_soon"] = bool(due and not context["overdue"] and self.soon and due <= self.soon)
        return context


def count_label(count, cap=WORKLIST_COUNT_CAP):
    """A capped count for people: "1,234", or "1,000+" (1,000 件以上) when counting stopped at the cap."""
    # Grouped with commas in both languages (zh-Hans locale formats would print 1000).
    if count > cap:
        return _("%(count)s+") % {"count": f"{cap:,}"}
    return f"{count:,}"


class WorklistView(BaseListingView):
    """One of the three lists; ``kind`` is todo, done or overdue.

    待办 in its default order is paged by key (``?after=``, see ``dossiers_actionable_page``) and counted up to
    a cap, so its pages cost the same at 90,000 dossiers as at 90; the other orders and lists page by number.
    """

    cursor_kwarg = "after"
    count_cap = WORKLIST_COUNT_CAP

    kind = "todo"
    template_name = "casefiles/admin/worklist.html"
    results_template_name = "casefiles/admin/worklist_results.html"
    filterset_class = DossierFilterSet
    paginate_by = 25
    header_icon = "folder-open-inverse"
    verbose_name_plural = gettext_lazy("dossiers")
    default_ordering = "due_date"
    titles = {
        "todo": gettext_lazy("To do"),
        "done": gettext_lazy("Done"),
        "overdue": gettext_lazy("Overdue and due soon"),
    }

    def dispatch(self, request, *args, **kwargs):
        if not is_case_staff(request):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx":
            return self.export()
        return super().get(request, *args, **kwargs)

    def get_page_title(self):
        return self.titles[self.kind]

    @cached_property
    def today(self):
        return timezone.localdate()

    @cached_property
    def soon(self):
        return due_soon_limit(self.today)

    def get_index_url(self):
        return reverse(f"{NAMESPACE}:{self.kind}")

    def get_index_results_url(self):
        return reverse(f"{NAMESPACE}:{self.kind}_results")

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "reference",
                label=_("Reference"),
                get_url=lambda d: reverse(f"{NAMESPACE}:detail", args=[d.pk]),
                sort_key="reference",
            ),
            Column("applicant_name", label=_("Applicant")),
            Column("scheme", label=_("Programme"), accessor="scheme.name"),
            Column("requested_tier", label=_("Tier"), accessor="requested_tier.name"),
            Column("state", label=_("Stage"), accessor="state.name"),
            Column("employer", label=_("Employer"), accessor="employer.name"),
            DateColumn("submitted_at", label=_("Submitted"), sort_key="submitted_at"),
            DueColumn("due_date", label=_("Due"), sort_key="due_date", today=self.today, soon=self.soon),
        ]

    def get_base_queryset(self):
        user = self.request.user
        base = Dossier.objects.select_related(*LIST_RELATED)
        if self.kind == "todo":
            return dossiers_actionable_by(user, base)
        if self.kind == "done":
            return dossiers_handled_by(user, base)
        limit = self.soon or (self.today - datetime.timedelta(days=1))
        return dossiers_visible_to(user, base).filter(due_date__lte=limit).exclude(state__kind=StateKind.END)

    @cached_property
    def keyset(self):
        return self.kind == "todo" and self.ordering == self.default_ordering

    def paginate_queryset(self, queryset, page_size):
        if not self.keyset:
            return super().paginate_queryset(queryset, page_size)
        self.cursor = WorklistCursor.decode(self.request.GET.get(self.cursor_kwarg))
        narrowed = self.filter_queryset(Dossier.objects.select_related(*LIST_RELATED))
        rows, self.next_cursor, self.capped_total = dossiers_actionable_page(
            self.request.user, narrowed, after=self.cursor, size=page_size, count_cap=self.count_cap
        )
        return (None, None, rows, self.next_cursor is not None)

    def _page_url(self, cursor):
        query = self.request.GET.copy()
        for name in (self.cursor_kwarg, self.page_kwarg, "_w_filter_fragment"):
            query.pop(name, None)
        if cursor is not None:
            query[self.cursor_kwarg] = cursor.encode()
        return f"{self.index_url}?{query.urlencode()}" if query else self.index_url

    def order_queryset(self, queryset):
        if self.ordering == "due_date":  # open steps first, undated ones last on every database
            return queryset.order_by(F("due_date").asc(nulls_last=True), "-created_at")
        return super().order_queryset(queryset)

    def get_header_buttons(self):
        query = self.request.GET.copy()
        query.pop(self.page_kwarg, None)
        query.pop("_w_filter_fragment", None)
        query["export"] = "xlsx"
        return [
            HeaderButton(
                label=_("Download Excel"), url=f"{self.index_url}?{query.urlencode()}", icon_name="download", priority=10
            )
        ]

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context["soon"] = self.soon
        context["calendar_missing"] = self.soon is None
        context["kind"] = self.kind
        context["keyset"] = self.keyset
        if self.keyset:
            context["items_count"] = min(self.capped_total, self.count_cap)
            context["count_capped"] = self.capped_total > self.count_cap
            context["count_label"] = count_label(self.capped_total, cap=self.count_cap)
            context["next_url"] = self._page_url(self.next_cursor) if self.next_cursor else None
            context["first_url"] = self._page_url(None) if self.cursor else None
        return context

    def export(self):
        queryset = self.get_queryset()
        count = queryset.count()
        journal_write(
            action="casefiles.dossier.export",
            actor=self.request.user,
            data={"list": self.kind, "count": count, "filters": {k: v for k, v in self.request.GET.items() if k != "export"}},
        )
        content = dossiers_workbook(queryset, title=str(self.get_page_title()))
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        filename = f"dossiers-{self.kind}-{self.today:%Y%m%d}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        return response


class DossierDetailView(WagtailAdminTemplateMixin, View):
    """A dossier as staff see it: identity, timeline, attachments, journal and the actions they may take."""

    template_name = "casefiles/admin/dossier_detail.html"
    header_icon = "folder-open-inverse"

    def dispatch(self, request, pk):
        try:
            self.dossier = dossier_for(request.user, pk)
        except Dossier.DoesNotExist:
            raise Http404 from None
        return super().dispatch(request, pk)

    def get_page_title(self):
        return self.dossier.reference

    def get_page_subtitle(self):
        return self.dossier.applicant_name

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(f"{NAMESPACE}:todo"), "label": _("Dossier handling")},
            {"url": "", "label": self.dossier.reference},
        ]

    def get(self, request, pk):
        return self.render_page(journal=True)

    def render_page(self, *, status=200, form=None, journal=False, waive_form=None):
        # Its panels (buttons, materials, documents, opinion requests) each ask who the user is and what the
        # scheme's departments are: read once for the page (nothing below changes either).
        with standings_shared():
            prefetch_related_objects([self.dossier.scheme], "departments")
            return self._render_page(status=status, form=form, journal=journal, waive_form=waive_form)

    def _render_page(self, *, status, form, journal, waive_form):
        dossier = self.dossier
        if journal:
            journal_write(action="casefiles.dossier.view", actor=self.request.user, dossier=dossier, obj=dossier)
        transitions = transitions_available(self.request.user, dossier)
        # a stage decided at a meeting records the minutes with each of its steps
        at_meeting = any(t.role == TransitionRole.MEETING_DECISION for t in transitions)
        documents = documents_of(dossier)
        context = self.get_context_data(
            dossier=dossier,
            criteria=dossier.criteria.select_related("tier"),
            opinions=dossier.opinions.select_related("actor", "department", "from_state", "to_state"),
            attachments=_attachments_named(dossier),
            documents=documents,
            document_actions=_documents_panel(self.request.user, dossier, documents),
            journal=journal_lines(dossier, dossier.journal.select_related("actor", "department").order_by("-pk")[:200]),
            transitions=[
                {"transition": t, "minutes": at_meeting}
                for t in transitions
            ],
            form=form,
            posted_transition=form.data.get("transition") if form is not None else None,
            today=timezone.localdate(),
            materials=_materials_panel(self.request.user, dossier),
            progress=stage_progress(dossier),
            waive_form=waive_form,
            opinion_panel=_opinion_panel(self.request.user, dossier),
        )
        return TemplateResponse(self.request, self.template_name, context, status=status)


def _opinion_panel(user, dossier):
    from .opinions import opinion_panel  # the opinion requests' own admin module (imports this one)

    return opinion_panel(user, dossier)


def _documents_panel(user, dossier, documents):
    from .documents import documents_panel  # the documents' own admin module (imports this one)

    return documents_panel(user, dossier, documents)


def documents_of(dossier):
    from ..selectors_documents import documents_of

    return documents_of(dossier)


def _attachments_named(dossier):
    """The dossier's attachments, each with the name of its material kind (``kind_name``)."""
    from ..selectors_materials import material_kinds

    names = dict(material_kinds(dossier.scheme))
    attachments = list(dossier.attachments.select_related("uploaded_by"))
    for attachment in attachments:
        attachment.kind_name = names.get(attachment.kind, attachment.kind)
    return attachments


def _materials_panel(user, dossier):
    """The dossier's materials checklist and whether the user may waive an item now (免于提交)."""
    from ..selectors_materials import materials_status
    from ..services.materials import may_waive_materials

    rows = materials_status(dossier)
    return {"rows": rows, "may_waive": may_waive_materials(user, dossier) and any(r["missing"] for r in rows)}


class DossierMaterialWaiveView(DossierDetailView):
    """POST: waive one missing required material with a reason, after ticking the confirmation."""

    http_method_names = ["post"]

    def post(self, request, pk):
        from ..services.materials import material_waive

        data = request.POST
        if data.get("confirm") != "1":
            messages.error(request, _("Please confirm that the material need not be submitted."))
            return self.render_page(status=400, waive_form=data)
        try:
            waiver = material_waive(dossier=self.dossier, code=data.get("code", ""), reason=data.get("reason", ""), user=request.user)
        except TransitionDenied as exc:
            messages.error(request, str(exc))
            return self.render_page(status=403, waive_form=data)
        except StateConflict as exc:
            messages.error(request, exc.message)
            return self.render_page(status=409)
        except CaseFileError as exc:
            messages.error(request, exc.message)
            return self.render_page(status=400, waive_form=data)
        name = self.dossier.scheme.materials.filter(code=waiver.code).values_list("name", flat=True).first() or waiver.code
        messages.success(request, _("“%(name)s” need not be submitted; the reason is on record.") % {"name": name})
        return redirect(f"{NAMESPACE}:detail", pk)


class DossierTransitionView(DossierDetailView):
    http_method_names = ["post"]

    def post(self, request, pk):
        form = TransitionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose an action."))
            return self.render_page(status=400, form=form)
        data = form.cleaned_data
        try:
            updated = dossier_transition(
                dossier=self.dossier,
                transition=data["transition"],
                user=request.user,
                comment=data["comment"],
                expected_state=data["expected_state"] or None,
                minutes=data["minutes"],
            )
        except CASE_FILE_ERRORS as exc:  # one mapping to status and message: casefiles/errors.py
            messages.error(request, user_message(exc, "admin"))
            status = http_status(exc)
            if status == 409:  # show the dossier as it is now
                try:
                    self.dossier = dossier_for(request.user, pk)
                except Dossier.DoesNotExist:
                    return redirect(f"{NAMESPACE}:todo")
            return self.render_page(status=status, form=form)
        messages.success(
            request,
            _("%(decision)s: %(reference)s is now “%(state)s”.")
            % {"decision": updated.last_opinion.decision, "reference": updated.reference, "state": updated.state.name},
        )
        if self._still_visible(pk):
            return redirect(f"{NAMESPACE}:detail", pk)
        return redirect(f"{NAMESPACE}:todo")

    def _still_visible(self, pk):
        return sees_dossier(self.request.user, pk)


class DossierWorklistViewSet(ViewSet):
    name = NAMESPACE
    url_prefix = "dossiers"
    icon = "folder-open-inverse"

    def get_urlpatterns(self):
        patterns = []
        for kind, prefix in (("todo", ""), ("done", "done/"), ("overdue", "overdue/")):
            patterns += [
                path(prefix, WorklistView.as_view(kind=kind), name=kind),
                path(f"{prefix}results/", WorklistView.as_view(kind=kind, results_only=True), name=f"{kind}_results"),
            ]
        patterns += [
            path("<int:pk>/", DossierDetailView.as_view(), name="detail"),
            path("<int:pk>/transition/", DossierTransitionView.as_view(), name="transition"),
            path("<int:pk>/materials/waive/", DossierMaterialWaiveView.as_view(), name="waive_material"),
        ]
        return patterns


class CaseStaffMenuItem(MenuItem):
    def is_shown(self, request):
        return is_case_staff(request)


@hooks.register("register_admin_viewset")
def register_dossier_worklists():
    return DossierWorklistViewSet()


@hooks.register("register_admin_menu_item")
def register_dossier_menu():
    items = [
        CaseStaffMenuItem(gettext_lazy("To do"), reverse(f"{NAMESPACE}:todo"), name="dossiers-todo", icon_name="tasks", order=100),
        CaseStaffMenuItem(gettext_lazy("Done"), reverse(f"{NAMESPACE}:done"), name="dossiers-done", icon_name="check", order=200),
        CaseStaffMenuItem(
            gettext_lazy("Overdue"), reverse(f"{NAMESPACE}:overdue"), name="dossiers-overdue", icon_name="warning", order=300
        ),
        CaseStaffMenuItem(
            gettext_lazy("Requests for opinions"), reverse("casefiles_opinions:worklist"), name="opinion-requests",
            icon_name="comment", order=400,
        ),
    ]
    return SubmenuMenuItem(
        gettext_lazy("Dossier handling"), Menu(items=items), name="dossier-handling", icon_name="folder-open-inverse", order=150
    )
