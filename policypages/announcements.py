"""The annual exit (revocation) announcement (楚雄 第九条: 按年度对退出情况予以公告), as a Wagtail page.

Staff create a draft for a scheme and a year; its rows are compiled from the card history (names masked)
when the draft is first saved and can be recompiled until it is published. It goes through Wagtail's
approval workflow like any page; once live, ``pdf/`` serves it in the red-header style of the seeds, rendered by the
task worker when the page is published (a request never waits for the renderer).
"""

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import models
from django.http import Http404, HttpResponse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.models import Page

from .routing import RememberedRouteMixin


class ExitAnnouncementPage(RememberedRouteMixin, RoutablePageMixin, Page):
    scheme = models.ForeignKey("casefiles.Scheme", verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    issuing_body = models.CharField(_("issuing body"), max_length=150)
    document_number = models.CharField(_("document number"), max_length=80)
    issued_on = models.DateField(_("date"))
    intro = models.TextField(_("introduction"), blank=True)
    rows = models.JSONField(_("exits"), default=list, blank=True, editable=False)
    recompile = models.BooleanField(_("recompile the list from the card history on save"), default=True)

    content_panels = Page.content_panels + [
        MultiFieldPanel([FieldPanel("scheme"), FieldPanel("year"), FieldPanel("recompile")], heading=_("Exits")),
        MultiFieldPanel([FieldPanel("issuing_body"), FieldPanel("document_number"), FieldPanel("issued_on")], heading=_("Header")),
        FieldPanel("intro"),
    ]
    parent_page_types = ["policypages.NoticeIndexPage", "policypages.SchemeSectionPage"]
    subpage_types = []
    template = "policypages/exit_announcement_page.html"

    class Meta:
        verbose_name = _("exit announcement")
        verbose_name_plural = _("exit announcements")

    def compile_rows(self):
        from casefiles.selectors_cards import exit_rows

        self.rows = exit_rows(self.scheme, self.year)
        self.recompile = False

    def _short_slug(self):
        """/chuxiong/notices/2026-exits/, not the percent-encoded title the admin would make of it."""
        from .models import short_slug

        if self.year:
            short_slug(self, f"{self.year}-exits")

    # Drafts get only ``minimal_clean`` from Wagtail, live saves and revisions ``full_clean``: compile in both.
    def full_clean(self, *args, **kwargs):
        self._short_slug()
        if self.scheme_id and self.recompile:
            self.compile_rows()
        return super().full_clean(*args, **kwargs)

    def minimal_clean(self):
        self._short_slug()
        if self.scheme_id and self.recompile:
            self.compile_rows()
        return super().minimal_clean()

    def signing_departments(self):
        """The scheme's department named as the issuing body, else the departments that issue its certificates
        (the first of them): it signs the PDF (casefiles/seals)."""
        from casefiles.pdf import issuing_departments

        departments = self.scheme.departments.select_related("jurisdiction")
        named = [d for d in departments if d.name == self.issuing_body.strip()]
        return named[:1] or issuing_departments(self.scheme)[:1]

    def pdf_bytes(self):
        from casefiles import pdf
        from casefiles.seals import signing

        departments = self.signing_departments()
        content = pdf.announcement_pdf(title=self.title, issuing_body_name=self.issuing_body,
                                       document_number=self.document_number, date=self.issued_on, intro=self.intro,
                                       rows=self.rows, scheme_name=self.scheme.name,
                                       seal_note=pdf.seal_note(departments))
        return signing.sign_pdf(content, departments=departments, kind=signing.EXIT_ANNOUNCEMENT)

    def pdf_name(self):
        return f"announcements/{self.pk}-{self.live_revision_id or 0}.pdf"

    def store_pdf(self):
        """Render the PDF of the live revision into private storage unless it is there (the worker calls this:
        casefiles/services/jobs.py; a long list takes the renderer minutes). Returns its name."""
        storage = storages["private"]
        name = self.pdf_name()
        if not storage.exists(name):
            storage.save(name, ContentFile(self.pdf_bytes()))
        return name

    def pdf_build(self, *, retry_after_seconds=600):
        """Ask the worker for the PDF of the live revision, unless it is stored already or a job for this revision
        is waiting or running, or failed less than ``retry_after_seconds`` ago (a visitor's reload asks again only
        then). Returns the job (the existing one when nothing was enqueued), or None when the file is stored."""
        import datetime

        from django.utils import timezone

        from casefiles.models import BackgroundJob, JobKind, JobStatus
        from casefiles.services.jobs import job_enqueue

        if storages["private"].exists(self.pdf_name()):
            return None
        key = str(self.live_revision_id or 0)
        jobs = BackgroundJob.objects.filter(kind=JobKind.EXIT_ANNOUNCEMENT, object_id=self.pk, key=key)
        recent_failure = timezone.now() - datetime.timedelta(seconds=retry_after_seconds)
        existing = (jobs.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).first()
                    or jobs.filter(status=JobStatus.FAILED, finished_at__gte=recent_failure).first())
        if existing is not None:
            return existing
        return job_enqueue(kind=JobKind.EXIT_ANNOUNCEMENT, scheme=self.scheme, object_id=self.pk, key=key,
                           label=self.title)

    @path("pdf/", name="pdf")
    def pdf_view(self, request):
        """The published announcement as PDF, made once per published revision by the worker (on publish:
        policypages/apps.py) and kept in private storage. Until it is there, a page that says so (202) and reloads."""
        from django.template.response import TemplateResponse

        if not self.live:
            raise Http404
        storage = storages["private"]
        name = self.pdf_name()
        if not storage.exists(name):
            job = self.pdf_build()
            if job is not None:
                response = TemplateResponse(request, "policypages/announcement_pdf_pending.html",
                                            {"page": self, "job": job}, status=202)
                response["Retry-After"] = "10"
                response["Cache-Control"] = "no-store"
                return response
        with storage.open(name, "rb") as handle:
            response = HttpResponse(handle.read(), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="exit-announcement-{self.scheme.slug}-{self.year}.pdf"'
        return response
