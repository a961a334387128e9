"""Public pages: the home page and one section per scheme.

Policy documents, service guides, tier tables, notices and announcements live under a scheme section.
"""

from functools import partial

from django.db import models
from django.http import Http404
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from . import cache as page_cache
from .blocks import PolicyBodyBlock
from .routing import RememberedRouteMixin


class HomePage(RememberedRouteMixin, Page):
    intro = RichTextField(_("introduction"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["policypages.SchemeSectionPage", "policypages.NoticeIndexPage"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        from . import selectors

        # read only when the fragment is not kept (policypages.cache.fragment_key)
        sections = SimpleLazyObject(partial(selectors.home_sections, self))
        context["sections"] = sections
        context["sections_cache_key"] = page_cache.fragment_key(request, "home-sections", self.pk)
        context["notice_url"] = SimpleLazyObject(lambda: selectors.home_notice_url(self, sections))
        return context


class SchemeSectionPage(RememberedRouteMixin, Page):
    """The public section of one jurisdiction's scheme (e.g. /tonghua/)."""

    serve_select_related = ("scheme",)  # read on every view of the page (policypages.routing)

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
    subpage_types = [
        "policypages.PolicyPage",
        "policypages.TierTablePage",
        "policypages.ServiceGuidePage",
        "policypages.NoticeIndexPage",
        "policypages.ExitAnnouncementPage",
    ]

    class Meta:
        verbose_name = _("scheme section")
        verbose_name_plural = _("scheme sections")

    def get_context(self, request, *args, **kwargs):
        from . import selectors

        context = super().get_context(request, *args, **kwargs)
        # read only when the fragment is not kept (policypages.cache.fragment_key)
        context["listing"] = SimpleLazyObject(partial(selectors.section_context, self))
        context["listing_cache_key"] = page_cache.fragment_key(request, "section-listing", self.pk)
        return context


class PolicyStatus(models.TextChoices):
    IN_FORCE = "in_force", _("In force")
    EXPIRED = "expired", _("Expired")
    REPEALED = "repealed", _("Repealed")


class DocumentType(models.TextChoices):
    MEASURES = "measures", _("Measures (办法)")
    DETAILED_RULES = "detailed_rules", _("Detailed rules (细则)")
    PROVISIONS = "provisions", _("Provisions (规定)")
    OTHER = "other", _("Other")


class PolicyPage(RememberedRouteMixin, RoutablePageMixin, Page):
    """A policy document (办法 / 细则 / 规定) as citable articles and items.

    The body is a StreamField rather than ParentalKey orderables: a StreamField value is part of the
    page's own JSON and so of every revision without further work, it nests articles → items in one
    field that an editor sees in document order, and two revisions compare by loading their bodies
    (``Revision.as_object()``). Orderables would need a cluster per level (chapter → article → item
    → sub-item) and three extra tables for a text that is read and cited, never queried by column.
    Logic (import, comparison, citations) lives in ``policypages.services`` and ``selectors``.
    """

    serve_select_related = ("jurisdiction",)  # read by the page's meta block (policypages.routing)
    # The body (tens of kB of JSON) is read only when its fragment is not kept (policypages.cache.fragment_key).
    serve_defer = ("body", "import_problems")

    scheme = models.ForeignKey(
        "casefiles.Scheme",
        verbose_name=_("scheme"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="policy_pages",
    )
    jurisdiction = models.ForeignKey(
        "casefiles.Jurisdiction",
        verbose_name=_("jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="policy_pages",
    )
    document_type = models.CharField(
        _("document type"), max_length=20, choices=DocumentType.choices, default=DocumentType.MEASURES
    )
    is_trial = models.BooleanField(_("trial (试行)"), default=False)
    issuer = models.CharField(_("issuing authority"), max_length=200, blank=True)
    document_number = models.CharField(_("document number"), max_length=100, blank=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    effective_date = models.DateField(_("effective date"), null=True, blank=True)
    effective_clause = models.CharField(_("effective clause"), max_length=300, blank=True)
    validity_years = models.PositiveSmallIntegerField(_("validity (years)"), null=True, blank=True)
    expiry_date = models.DateField(
        _("expiry date"), null=True, blank=True, help_text=_("The first day on which the policy no longer applies.")
    )
    status = models.CharField(_("status"), max_length=20, choices=PolicyStatus.choices, default=PolicyStatus.IN_FORCE)
    notice_title = models.CharField(_("cover notice title"), max_length=300, blank=True)
    notice_text = models.TextField(_("cover notice"), blank=True)
    body = StreamField(PolicyBodyBlock(), verbose_name=_("body"), blank=True)
    import_problems = models.JSONField(
        _("import problems"), default=list, blank=True, help_text=_("What the importer could not parse.")
    )
    source_name = models.CharField(_("source file"), max_length=200, blank=True)

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [
                FieldPanel("scheme"),
                FieldPanel("jurisdiction"),
                FieldPanel("document_type"),
                FieldPanel("is_trial"),
                FieldPanel("issuer"),
                FieldPanel("document_number"),
                FieldPanel("issue_date"),
                FieldPanel("effective_date"),
                FieldPanel("effective_clause"),
                FieldPanel("validity_years"),
                FieldPanel("expiry_date"),
                FieldPanel("status"),
            ],
            heading=_("Document"),
        ),
        MultiFieldPanel([FieldPanel("notice_title"), FieldPanel("notice_text")], heading=_("Cover notice")),
        FieldPanel("body"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("document_number"),
        index.SearchField("issuer"),
        index.SearchField("body"),
        index.FilterField("status"),
    ]
    parent_page_types = ["policypages.SchemeSectionPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")

    def get_context(self, request, *args, **kwargs):
        from . import selectors

        context = super().get_context(request, *args, **kwargs)
        context.update(selectors.policy_page_context(self, request))
        return context

    def search_units(self):
        """One unit per article and per item for the search indexer (see ``selectors.policy_search_units``)."""
        from . import selectors

        return selectors.policy_search_units(self)

    @path("print/", name="print")
    def print_view(self, request):
        context = self.get_context(request)
        context["print_view"] = True
        return self.render(request, context_overrides=context, template="policypages/policy_page_print.html")

    @path("history/", name="history")
    def history_view(self, request):
        from . import selectors

        context = self.get_context(request)
        context.update(selectors.policy_history_context(self, request.user))
        return self.render(request, context_overrides=context, template="policypages/policy_history.html")

    @path("history/compare/<int:revision_a>/<int:revision_b>/", name="compare")
    def compare_view(self, request, revision_a, revision_b):
        from . import selectors, services

        visible = {rev.pk: rev for rev in selectors.policy_revisions_visible(self, request.user)}
        if revision_a not in visible or revision_b not in visible:
            raise Http404
        context = self.get_context(request)
        context["comparison"] = services.policy_revisions_compare(visible[revision_a], visible[revision_b])
        return self.render(request, context_overrides=context, template="policypages/policy_compare.html")


class ServiceGuidePage(RememberedRouteMixin, Page):
    """How to use one service item: generated from the scheme's ServiceItem row, then edited freely."""

    # read on every view of the page (policypages.routing): the source policy's URL, not its text
    serve_select_related = ("source_policy",)
    serve_defer = ("source_policy__body", "source_policy__import_problems", "source_policy__notice_text")

    service_item = models.ForeignKey(
        "casefiles.ServiceItem",
        verbose_name=_("service item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="guide_pages",
    )
    summary = models.TextField(_("what it is"), blank=True)
    tiers_text = models.CharField(_("tiers"), max_length=300, blank=True, help_text=_("Which card tiers get it."))
    family_text = models.CharField(
        _("eligible family members"), max_length=300, blank=True, help_text=_("e.g. 本人、配偶、子女")
    )
    responsible_units_text = models.CharField(_("responsible units"), max_length=500, blank=True)
    how_to_use = RichTextField(_("how to use it"), blank=True)
    time_limit_text = models.CharField(_("time limit"), max_length=100, blank=True, help_text=_("e.g. 10个工作日"))
    source_citation = models.CharField(_("source article"), max_length=300, blank=True)
    source_policy = models.ForeignKey(
        "policypages.PolicyPage",
        verbose_name=_("source policy"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_guides",
    )
    source_anchor = models.CharField(_("source anchor"), max_length=40, blank=True, help_text=_("e.g. art-9-2-1"))
    # The 办事指南 fields. Conditions come from the scheme data (tiers, family scope); what the policy does not
    # state (materials, steps, place, phone, fees) is the responsible unit's own administrative content, left
    # empty by the generator and shown as "ask the responsible unit" until that unit fills it in.
    conditions = models.TextField(_("conditions of acceptance"), blank=True)
    materials = models.TextField(_("materials to bring"), blank=True, help_text=_("One item per line."))
    procedure = models.TextField(_("procedure"), blank=True, help_text=_("One step per line."))
    location = models.CharField(_("place / window"), max_length=300, blank=True)
    phone = models.CharField(_("enquiry telephone"), max_length=100, blank=True)
    fees = models.CharField(_("fees"), max_length=300, blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("service_item"),
        FieldPanel("summary"),
        FieldPanel("tiers_text"),
        FieldPanel("family_text"),
        FieldPanel("responsible_units_text"),
        FieldPanel("time_limit_text"),
        MultiFieldPanel(
            [
                FieldPanel("conditions"),
                FieldPanel("materials"),
                FieldPanel("procedure"),
                FieldPanel("location"),
                FieldPanel("phone"),
                FieldPanel("fees"),
                FieldPanel("how_to_use"),
            ],
            heading=_("Service guide (办事指南)"),
        ),
        MultiFieldPanel(
            [FieldPanel("source_citation"), FieldPanel("source_policy"), FieldPanel("source_anchor")],
            heading=_("Source"),
        ),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("how_to_use"),
        index.SearchField("responsible_units_text"),
        index.SearchField("conditions"),
        index.SearchField("materials"),
        index.SearchField("procedure"),
    ]
    parent_page_types = ["policypages.SchemeSectionPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("service guide")
        verbose_name_plural = _("service guides")

    def get_context(self, request, *args, **kwargs):
        from . import selectors

        context = super().get_context(request, *args, **kwargs)
        context["source_url"] = selectors.guide_source_url(self)
        context["guide_rows"] = selectors.guide_rows(self, context["source_url"])
        return context

    def search_units(self):
        from . import selectors

        return selectors.guide_search_units(self)


class TierTablePage(RememberedRouteMixin, Page):
    """Which tier gets which service, read live from the scheme's Tier and ServiceItem rows."""

    serve_select_related = ("scheme",)  # read on every view of the page (policypages.routing)

    scheme = models.ForeignKey(
        "casefiles.Scheme",
        verbose_name=_("scheme"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tier_table_pages",
    )
    intro = RichTextField(_("introduction"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("scheme"), FieldPanel("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]
    parent_page_types = ["policypages.SchemeSectionPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("tier table")
        verbose_name_plural = _("tier tables")

    def get_context(self, request, *args, **kwargs):
        from . import selectors

        context = super().get_context(request, *args, **kwargs)
        # read only when the fragment is not kept (policypages.cache.fragment_key)
        context["table"] = SimpleLazyObject(partial(selectors.tier_table, self.scheme, request)) if self.scheme_id else None
        context["table_cache_key"] = page_cache.fragment_key(request, "tier-table", self.pk, self.scheme_id)
        return context


def short_slug(page, base: str) -> None:
    """Give a page a short, readable slug (2026-exits) instead of its percent-encoded Chinese title, unique among
    its siblings; a slug an editor typed in ASCII is kept."""
    if page.slug and page.slug.isascii():
        return
    parent = page.get_parent() if page.path else None
    siblings = parent.get_children().exclude(pk=page.pk) if parent is not None else Page.objects.none()
    slug, n = base, 2
    while siblings.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    page.slug = slug


class ShortSlugMixin:
    """Pages whose slug is made from their data, not their title (``short_slug_base``)."""

    def short_slug_base(self) -> str:
        raise NotImplementedError

    def _short_slug(self):
        base = self.short_slug_base()
        if base:
            short_slug(self, base)

    def full_clean(self, *args, **kwargs):
        self._short_slug()
        return super().full_clean(*args, **kwargs)

    def minimal_clean(self):
        self._short_slug()
        return super().minimal_clean()


class NoticeIndexPage(RememberedRouteMixin, Page):
    """Notices and announcements: under a scheme section, that scheme's; under the home page, every scheme's.

    Lists the notice pages and exit announcements (楚雄 第九条) below its parent and the 公示 lists of the scheme(s).
    """

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["policypages.SchemeSectionPage", "policypages.HomePage"]
    subpage_types = ["policypages.NoticePage", "policypages.ExitAnnouncementPage"]

    class Meta:
        verbose_name = _("notice index")
        verbose_name_plural = _("notice indexes")

    def get_context(self, request, *args, **kwargs):
        from . import selectors

        context = super().get_context(request, *args, **kwargs)
        # read only when the fragment is not kept (policypages.cache.fragment_key)
        context["notices"] = SimpleLazyObject(partial(selectors.notice_list, self))
        context["notices_cache_key"] = page_cache.fragment_key(request, "notice-list", self.pk)
        return context


class NoticePage(ShortSlugMixin, RememberedRouteMixin, Page):
    """One notice (a catalogue change, a call for applications …); exit announcements have their own type."""

    date = models.DateField(_("date"))
    body = RichTextField(_("body"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("date"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("body")]
    parent_page_types = ["policypages.NoticeIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-date"]

    def short_slug_base(self):
        return f"notice-{self.date:%Y-%m-%d}" if self.date else ""

from .announcements import ExitAnnouncementPage  # noqa: E402,F401
from .workflows import FourEyesApprovalTask  # noqa: E402,F401
