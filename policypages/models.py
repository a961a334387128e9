"""Public pages: the home page and one section per scheme.

Policy documents, service guides, tier tables, notices and announcements live under a scheme section.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index


class HomePage(Page):
    intro = RichTextField(_("introduction"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["policypages.SchemeSectionPage"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["sections"] = SchemeSectionPage.objects.child_of(self).live().specific()
        return context


class SchemeSectionPage(Page):
    """The public section of one jurisdiction's scheme (e.g. /tonghua/)."""

    scheme = models.OneToOneField(
        "casefiles.Scheme",
        verbose_name=_("scheme"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="section_page",
    )
    intro = RichTextField(_("introduction"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("scheme"), FieldPanel("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]
    parent_page_types = ["policypages.HomePage"]

    class Meta:
        verbose_name = _("scheme section")
        verbose_name_plural = _("scheme sections")
