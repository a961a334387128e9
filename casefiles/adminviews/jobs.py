"""Background jobs in the admin: the jobs the signed-in user asked for (an administrator sees everyone's), with
status, progress and the error of a failed one; a finished print file downloads through its batch's page."""

from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy
from django.views import View
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from ..models import BackgroundJob, JobKind, JobStatus

SHOWN = 50


class BackgroundJobsView(WagtailAdminTemplateMixin, View):
    template_name = "casefiles/admin/jobs.html"
    header_icon = "time"
    page_title = gettext_lazy("Background jobs")

    def get(self, request):
        jobs = BackgroundJob.objects.select_related("scheme")
        if not request.user.is_superuser:
            jobs = jobs.filter(requested_by=request.user)
        jobs = list(jobs[:SHOWN])
        for job in jobs:
            mine = job.requested_by_id == request.user.pk
            job.download_url = (
                reverse("card-batch-certificates", args=[job.object_id]) + f"?job={job.pk}"
                if job.kind == JobKind.BATCH_CERTIFICATES and job.status == JobStatus.DONE and mine
                else ""
            )
        context = self.get_context_data(jobs=jobs, pending=any(j.pending for j in jobs))
        return TemplateResponse(request, self.template_name, context)


class JobsMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_superuser or BackgroundJob.objects.filter(requested_by=request.user).exists()


@hooks.register("register_admin_urls")
def register_job_urls():
    return [path("background-jobs/", BackgroundJobsView.as_view(), name="casefiles_background_jobs")]


@hooks.register("register_admin_menu_item")
def register_job_menu_item():
    return JobsMenuItem(gettext_lazy("Background jobs"), reverse("casefiles_background_jobs"), name="background-jobs",
                        icon_name="time", order=212)
