"""The annual exit (revocation) announcement (楚雄 第九条: 按年度对退出情况予以公告), as a Wagtail page.

Staff create a draft for a scheme and a year; its rows are compiled from the card history (names masked)
when the draft is first saved and can be recompiled until it is published. It goes through Wagtail's
approval workflow like any page; once live, ``pdf/`` serves it in the red-header style of the seeds.
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

    def pdf_bytes(self):
        from casefiles import pdf

        return pdf.announcement_pdf(title=self.title, issuing_body_name=self.issuing_body, document_number=self.document_number,
                                    date=self.issued_on, intro=self.intro, rows=self.rows, scheme_name=self.scheme.name)

    @path("pdf/", name="pdf")
    def pdf_view(self, request):
        """The published announcement as PDF, made once per published revision and kept in private storage."""
        if not self.live:
            raise Http404
        storage = storages["private"]
        name = f"announcements/{self.pk}-{self.live_revision_id or 0}.pdf"
        if not storage.exists(name):
            storage.save(name, ContentFile(self.pdf_bytes()))
        with storage.open(name, "rb") as handle:
            response = HttpResponse(handle.read(), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="exit-announcement-{self.scheme.slug}-{self.year}.pdf"'
        return response
