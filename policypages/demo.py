"""Demo data of the public side: the home page as the default site's root and a section per scheme."""

from django.db import transaction
from wagtail.models import Page, Site

from casefiles.models import Scheme

from .models import HomePage, SchemeSectionPage


@transaction.atomic
def ensure_home_page():
    home = HomePage.objects.first()
    if home is None:
        root = Page.get_first_root_node()
        home = HomePage(title="惠才 · 人才服务卡", slug="home-huicai", intro="")
        root.add_child(instance=home)
        home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True, site_name="惠才")
    elif site.root_page_id != home.pk:
        old_root = site.root_page
        site.root_page = home
        site.site_name = "惠才"
        site.save()
        # Wagtail's welcome page is not ours; remove it once the site no longer points at it.
        if old_root.pk != home.pk and old_root.depth == 2 and not isinstance(old_root.specific, HomePage):
            old_root.delete()
    return home


@transaction.atomic
def ensure_scheme_section(home, scheme):
    section = SchemeSectionPage.objects.filter(scheme=scheme).first()
    if section is None:
        section = SchemeSectionPage(title=scheme.name, slug=scheme.slug, scheme=scheme)
        home.add_child(instance=section)
        section.save_revision().publish()
    return section


def load_pages(password=None, stdout=None):
    home = ensure_home_page()
    for scheme in Scheme.objects.order_by("pk"):
        ensure_scheme_section(home, scheme)
    return home
