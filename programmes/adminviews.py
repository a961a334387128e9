"""Wagtail admin pages of programme operations: statistics, the feedback queue and its monthly report, joint
meetings (agenda, decisions, minutes PDF) and changes of the service catalogue.

Views are thin: reads through ``selectors``/``statistics``, every change through ``services``; service errors
become a message and the page again.
"""

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from casefiles.exceptions import CaseFileError, StateConflict
from casefiles.models import Department, DepartmentKind, Dossier, Membership, ServiceCategory, Tier, TransitionRole, WorkflowState
from casefiles.selectors import dossiers_visible_to
from casefiles.services.journal import journal_write
from huicai.admin_scope import scoped_object, scoped_queryset

from . import charts, selectors, services, statistics
from .models import (
    ChangeStatus,
    DecisionOutcome,
    Feedback,
    FeedbackStatus,
    JointMeeting,
    Meeting,
    MeetingStatus,
    ServiceChangeRequest,
)

NAMESPACE = "programmes"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def is_unit_staff(user):
    return user.is_authenticated and (
        user.is_superuser or Membership.objects.filter(user=user).exclude(department__kind=DepartmentKind.EMPLOYER).exists()
    )


def xlsx_response(content, filename):
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class ServiceErrors:
    """Turn a service's typed errors into a message; returns True when the call went through."""

    def run(self, request, call):
        try:
            call()
        except (CaseFileError, StateConflict) as exc:
            messages.error(request, exc.message)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("You may not do this."))
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        else:
            return True
        return False


class AdminPage(ServiceErrors, WagtailAdminTemplateMixin, View):
    header_icon = "clipboard-list"
    page_title = ""

    def allowed(self, user):
        return selectors.is_programme_office(user)

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated or not self.allowed(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return self.page_title

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def render(self, context, status=200):
        return TemplateResponse(self.request, self.template_name, self.get_context_data(**context), status=status)


class ObjectPage(AdminPage):
    """A page of one record, fetched through the model's scoped policy (``programmes.permissions``): a record
    outside the user's scope is not found, like a missing id."""

    model = None

    def get_object(self, pk):
        return scoped_object(self.request.user, self.model, pk)


# --------------------------------------------------------------------------- statistics


class StatisticsView(AdminPage):
    template_name = "programmes/admin/statistics.html"
    page_title = gettext_lazy("Statistics")
    header_icon = "table"

    def get(self, request):
        schemes = selectors.office_schemes(request.user).order_by("slug")
        chosen = request.GET.get("scheme")
        scope = schemes.filter(slug=chosen) if chosen else schemes
        tables = statistics.all_tables(scope)
        if request.GET.get("export") == "xlsx":
            journal_write(action="programmes.statistics.export", actor=request.user,
                          data={"schemes": list(scope.values_list("slug", flat=True))})
            return xlsx_response(statistics.statistics_workbook(tables), f"statistics-{timezone.localdate():%Y%m%d}.xlsx")
        for table in tables:
            table["chart"] = charts.chart_for(table)
        query = f"?scheme={chosen}&export=xlsx" if chosen else "?export=xlsx"
        return self.render({"tables": tables, "schemes": schemes, "chosen": chosen or "", "export_url": query})


# --------------------------------------------------------------------------- feedback


class FeedbackQueueView(AdminPage):
    template_name = "programmes/admin/feedback_queue.html"
    page_title = gettext_lazy("Feedback queue")
    header_icon = "mail"

    def allowed(self, user):
        return is_unit_staff(user)

    def get(self, request):
        status = request.GET.get("status", FeedbackStatus.OPEN)
        queryset = selectors.feedback_queue_for(request.user)
        if status in FeedbackStatus.values:
            queryset = queryset.filter(status=status)
        return self.render({"items": queryset.order_by("due_date", "pk")[:500], "status": status,
                            "statuses": FeedbackStatus.choices, "today": timezone.localdate()})


class AnswerForm(forms.Form):
    answer = forms.CharField(label=gettext_lazy("Answer"), widget=forms.Textarea(attrs={"rows": 5}))


class FeedbackDetailView(ObjectPage):
    model = Feedback
    template_name = "programmes/admin/feedback_detail.html"
    header_icon = "mail"

    def allowed(self, user):
        return is_unit_staff(user)

    def get_page_title(self):
        return _("Feedback")

    def get(self, request, pk, form=None, status=200):
        feedback = self.get_object(pk)
        return self.render({"feedback": feedback, "form": form or AnswerForm(), "today": timezone.localdate()}, status)

    def post(self, request, pk):
        feedback = self.get_object(pk)
        if request.POST.get("action") == "close":
            if self.run(request, lambda: services.feedback_close(feedback=feedback, user=request.user)):
                messages.success(request, _("Feedback closed."))
            return redirect(f"{NAMESPACE}:feedback_detail", pk)
        form = AnswerForm(request.POST)
        if form.is_valid() and self.run(
            request, lambda: services.feedback_answer(feedback=feedback, user=request.user, answer=form.cleaned_data["answer"])
        ):
            messages.success(request, _("Answer sent."))
            return redirect(f"{NAMESPACE}:feedback_detail", pk)
        return self.get(request, pk, form=form, status=400)


class FeedbackReportView(AdminPage):
    template_name = "programmes/admin/feedback_report.html"
    page_title = gettext_lazy("Feedback monthly report")
    header_icon = "doc-full"

    def allowed(self, user):
        return is_unit_staff(user)

    def get(self, request):
        today = timezone.localdate()
        try:
            year, month = (int(x) for x in request.GET.get("month", "").split("-"))
            datetime.date(year, month, 1)
        except ValueError:
            year, month = today.year, today.month
        if selectors.is_programme_office(request.user):
            queryset = Feedback.objects.filter(scheme__in=selectors.office_schemes(request.user))
        else:
            queryset = selectors.feedback_queue_for(request.user)
        report = selectors.feedback_monthly_report(year=year, month=month, queryset=queryset, today=today)
        if request.GET.get("export") == "xlsx":
            return xlsx_response(feedback_report_workbook(report), f"feedback-{year}-{month:02d}.xlsx")
        previous = (datetime.date(year, month, 1) - datetime.timedelta(days=1))
        following = (datetime.date(year, month, 28) + datetime.timedelta(days=4))
        return self.render({"report": report, "month_value": f"{year}-{month:02d}",
                            "previous": f"{previous:%Y-%m}", "following": f"{following:%Y-%m}"})


REPORT_COLUMNS = ("total", "questions", "complaints", "suggestions", "open", "answered", "closed", "overdue")


def report_headers():
    return [_("Responsible unit"), _("Total"), _("Questions"), _("Complaints"), _("Suggestions"), _("Open"), _("Answered"),
            _("Closed"), _("Overdue")]


def feedback_report_workbook(report):
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    from casefiles.exports import xlsx_row  # every cell through the one sanitiser (no formulas)

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{report['year']}-{report['month']:02d}"
    xlsx_row(sheet, [_("Feedback monthly report") + f" {report['year']}-{report['month']:02d}"])
    xlsx_row(sheet, [str(h) for h in report_headers()], font=Font(bold=True))
    for row in report["rows"]:
        xlsx_row(sheet, [str(row["unit"])] + [row[k] for k in REPORT_COLUMNS])
    xlsx_row(sheet, [_("Total")] + [report["totals"][k] for k in REPORT_COLUMNS])
    sheet.column_dimensions["A"].width = 32
    overdue = workbook.create_sheet(_("Overdue")[:31])
    xlsx_row(overdue, [_("Responsible unit"), _("Service item"), _("Kind"), _("Received"), _("Answer due")])
    for item in report["overdue_items"]:
        xlsx_row(overdue, [item.unit.name, item.service_item.title, str(item.get_kind_display()),
                           timezone.localtime(item.created_at).strftime("%Y-%m-%d"), item.due_date])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- joint meetings


class MeetingForm(forms.Form):
    joint_meeting = forms.ModelChoiceField(label=gettext_lazy("Joint meeting"), queryset=JointMeeting.objects.none())
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    location = forms.CharField(label=gettext_lazy("Location"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["joint_meeting"].queryset = JointMeeting.objects.filter(scheme__in=selectors.office_schemes(user))


class MeetingListView(AdminPage):
    template_name = "programmes/admin/meetings.html"
    page_title = gettext_lazy("Joint meetings")
    header_icon = "group"

    def get(self, request, form=None, status=200):
        bodies = (JointMeeting.objects.filter(scheme__in=selectors.office_schemes(request.user))
                  .select_related("scheme", "lead_department").prefetch_related("members__department"))
        return self.render({"bodies": bodies, "meetings": selectors.meetings_visible_to(request.user)[:100],
                            "form": form or MeetingForm(user=request.user)}, status)

    def post(self, request):
        form = MeetingForm(request.POST, user=request.user)
        result = {}
        if form.is_valid() and self.run(request, lambda: result.setdefault("m", services.meeting_schedule(user=request.user, **form.cleaned_data))):
            return redirect(f"{NAMESPACE}:meeting_detail", result["m"].pk)
        return self.get(request, form=form, status=400)


class MeetingDetailView(ObjectPage):
    model = Meeting
    template_name = "programmes/admin/meeting_detail.html"
    header_icon = "group"

    def get_page_title(self):
        return self.meeting.title

    def get(self, request, pk, status=200):
        self.meeting = meeting = self.get_object(pk)
        scheme = meeting.joint_meeting.scheme
        items = list(meeting.items.select_related("dossier__state", "service_change"))
        # an agenda item names its dossier (reference, applicant) only to those whose grants let them see it
        visible = set(dossiers_visible_to(request.user, Dossier.objects.filter(
            pk__in=[i.dossier_id for i in items if i.dossier_id])).values_list("pk", flat=True))
        for item in items:
            item.transitions = []
            item.hidden = bool(item.dossier_id) and item.dossier_id not in visible
            if item.dossier_id and not item.transition and not item.hidden:
                item.transitions = list(item.dossier.state.outgoing.filter(scheme=scheme).order_by("order"))
        return self.render({
            "meeting": meeting,
            "items": items,
            "outcomes": DecisionOutcome.choices,
            # only those this user's grants let them see (the meeting's office may not see every dossier)
            "case_dossiers": dossiers_visible_to(
                request.user, Dossier.objects.filter(scheme=scheme, state__in=WorkflowState.objects.filter(
                    scheme=scheme, outgoing__role=TransitionRole.MEETING_DECISION))
            ).order_by("pk")[:100],
            "changes": ServiceChangeRequest.objects.filter(scheme=scheme).order_by("-pk")[:100],
            "members": meeting.joint_meeting.members.select_related("department"),
            "attending": set(meeting.attendees.values_list("pk", flat=True)),
            "planned": meeting.status == MeetingStatus.PLANNED,
        }, status)

    def post(self, request, pk):
        meeting = self.get_object(pk)
        action = request.POST.get("action")
        post = request.POST
        if action == "add_item":
            kind = post.get("kind")
            dossier = dossiers_visible_to(request.user).filter(pk=post.get("dossier") or 0).first()
            change = scoped_queryset(request.user, ServiceChangeRequest).filter(pk=post.get("service_change") or 0).first()
            ok = self.run(request, lambda: services.agenda_item_add(meeting=meeting, user=request.user, kind=kind,
                                                                    title=post.get("title", ""), dossier=dossier,
                                                                    service_change=change))
        elif action == "decide":
            item = meeting.items.filter(pk=post.get("item") or 0).first()
            if item is None:
                raise Http404
            ok = self.run(request, lambda: services.agenda_item_decide(item=item, user=request.user, outcome=post.get("outcome", ""),
                                                                       decision_text=post.get("decision_text", ""),
                                                                       transition=post.get("transition", "")))
        elif action == "minutes":
            attendees = meeting.joint_meeting.members.filter(pk__in=post.getlist("attendees"))
            ok = self.run(request, lambda: services.meeting_minutes_record(meeting=meeting, user=request.user,
                                                                           minutes=post.get("minutes", ""), attendees=list(attendees)))
        else:
            ok = False
            messages.error(request, _("Choose an action."))
        if ok:
            messages.success(request, _("Saved."))
        return redirect(f"{NAMESPACE}:meeting_detail", pk)


class MinutesPdfView(MeetingDetailView):
    def get(self, request, pk):
        meeting = self.get_object(pk)
        if not meeting.minutes_pdf:
            raise Http404
        journal_write(action="programmes.meeting.minutes_download", actor=request.user, obj=meeting)
        with meeting.minutes_pdf.open("rb") as handle:
            response = HttpResponse(handle.read(), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="meeting-{meeting.pk}-minutes.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response


# --------------------------------------------------------------------------- service catalogue changes


class ChangeForm(forms.Form):
    scheme = forms.ModelChoiceField(label=gettext_lazy("Programme"), queryset=None)
    ref = forms.CharField(label=gettext_lazy("Id"), max_length=20, help_text=gettext_lazy("e.g. 40 or 24.4"))
    article = forms.CharField(label=gettext_lazy("Article"), max_length=100, initial="第三十九条")
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    text = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 4}))
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=ServiceCategory.choices)
    time_limit_working_days = forms.IntegerField(label=gettext_lazy("Time limit (working days)"), required=False, min_value=1)
    tiers = forms.ModelMultipleChoiceField(label=gettext_lazy("Tiers"), queryset=None, widget=forms.CheckboxSelectMultiple)
    responsible_units = forms.ModelMultipleChoiceField(label=gettext_lazy("Responsible units"), queryset=None)
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        schemes = selectors.office_schemes(user)
        self.fields["scheme"].queryset = schemes.order_by("slug")
        self.fields["tiers"].queryset = Tier.objects.filter(scheme__in=schemes).select_related("scheme").order_by("scheme__slug", "-rank")
        self.fields["responsible_units"].queryset = (
            Department.objects.filter(schemes__in=schemes).exclude(kind=DepartmentKind.EMPLOYER).distinct().order_by("jurisdiction__code", "code")
        )


class ChangeListView(AdminPage):
    template_name = "programmes/admin/changes.html"
    page_title = gettext_lazy("Service catalogue changes")
    header_icon = "list-ul"

    def get(self, request, form=None, status=200):
        return self.render({"changes": selectors.changes_visible_to(request.user)[:200],
                            "form": form or ChangeForm(user=request.user)}, status)

    def post(self, request):
        form = ChangeForm(request.POST, user=request.user)
        result = {}
        if form.is_valid():
            data = dict(form.cleaned_data)
            if self.run(request, lambda: result.setdefault("c", services.service_change_submit(user=request.user, **data))):
                messages.success(request, _("Submitted to the talent office for approval."))
                return redirect(f"{NAMESPACE}:change_detail", result["c"].pk)
        return self.get(request, form=form, status=400)


class ChangeDetailView(ObjectPage):
    model = ServiceChangeRequest
    template_name = "programmes/admin/change_detail.html"
    header_icon = "list-ul"

    def get_page_title(self):
        return self.change.title

    def get(self, request, pk):
        self.change = change = self.get_object(pk)
        return self.render({"change": change, "can_decide": change.status == ChangeStatus.SUBMITTED
                            and selectors.can_approve_changes(request.user, change.scheme)})

    def post(self, request, pk):
        change = self.get_object(pk)
        comment = request.POST.get("comment", "")
        if request.POST.get("action") == "approve":
            ok = self.run(request, lambda: services.service_change_approve(change=change, user=request.user, comment=comment))
        else:
            ok = self.run(request, lambda: services.service_change_reject(change=change, user=request.user, comment=comment))
        if ok:
            messages.success(request, _("Decision recorded."))
        return redirect(f"{NAMESPACE}:change_detail", pk)


class ProgrammesViewSet(ViewSet):
    name = NAMESPACE
    url_prefix = "programmes"
    icon = "clipboard-list"

    def get_urlpatterns(self):
        return [
            path("statistics/", StatisticsView.as_view(), name="statistics"),
            path("feedback/", FeedbackQueueView.as_view(), name="feedback"),
            path("feedback/report/", FeedbackReportView.as_view(), name="feedback_report"),
            path("feedback/<int:pk>/", FeedbackDetailView.as_view(), name="feedback_detail"),
            path("meetings/", MeetingListView.as_view(), name="meetings"),
            path("meetings/<int:pk>/", MeetingDetailView.as_view(), name="meeting_detail"),
            path("meetings/<int:pk>/minutes.pdf", MinutesPdfView.as_view(), name="meeting_minutes_pdf"),
            path("catalogue/", ChangeListView.as_view(), name="changes"),
            path("catalogue/<int:pk>/", ChangeDetailView.as_view(), name="change_detail"),
        ]

