"""Demo data of the public side: the home page as the default site's root and a section per scheme,
each with its policy imported from the seed text, a service guide per service item and a tier table."""

from pathlib import Path

from django.conf import settings
from django.db import transaction
from wagtail.models import Page, Site

from casefiles.models import Scheme
from casefiles.schemes.loader import SCHEME_DIR, read_yaml

from . import services
from .importer import parse_policy
from .models import HomePage, PolicyPage, SchemeSectionPage

# The demo's second revision: an earlier draft of 吉林 第十四条 that named a fixed date. The published
# text (the seed) replaces it, so the policy's history has a real article-level change to show.
EARLIER_DRAFT = {"jilin": ("本办法自印发之日起实施。", "本办法自2023年9月1日起实施，由各地人社部门组织落实。")}
# The demo's later revision: 白云's 细则 ran five years from 2019-06-05 (第七条) and so takes no applications today
# (issue #17 item 6). The demo publishes a made-up revision that extends 第七条 to ten years, the way a bureau that
# keeps its programme running would publish one; the page's history shows both, and the demo's 白云 dossiers and
# cards can be made. Without it 白云 is closed, as it should be.
LATER_REVISION = {"baiyun": ("有效期5年", "有效期10年")}


@transaction.atomic
def ensure_home_page():
    home = HomePage.objects.first()
    if home is None:
        from .testing import ensure_wagtail_root

        ensure_wagtail_root()
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


def seed_path(scheme) -> Path:
    data = read_yaml(SCHEME_DIR / f"{scheme.slug}.yaml")
    return Path(settings.HUICAI_SEEDS_DIR) / data["policy"]["seed"]


@transaction.atomic
def ensure_policy(section, scheme, stdout=None):
    """Import and publish the scheme's seed once; a section that already has its policy is left as it is."""
    existing = PolicyPage.objects.child_of(section).first()
    if existing is not None:
        return existing
    text = seed_path(scheme).read_text(encoding="utf-8")
    # The texts name their own titles, except 通化's, which the parser infers from the body; the scheme
    # data has the official title, used only where the text disagrees with it.
    parsed_title = parse_policy(text).title
    title = scheme.policy_title if parsed_title != scheme.policy_title else None
    if scheme.slug in EARLIER_DRAFT:
        current, earlier = EARLIER_DRAFT[scheme.slug]
        services.policy_import(
            section=section, text=text.replace(current, earlier), title=title, publish=True, source_name="demo draft"
        )
    result = services.policy_import(
        section=section, text=text, title=title, publish=True, source_name=seed_path(scheme).name
    )
    if scheme.slug in LATER_REVISION:
        current, later = LATER_REVISION[scheme.slug]
        result = services.policy_import(
            section=section, text=text.replace(current, later), title=title, publish=True,
            source_name="demo revision (made up: period extended)",
        )
    if stdout is not None:
        stdout.write(
            f"  {scheme.slug}: 《{result.page.title}》 {result.article_count} articles, "
            f"{result.item_count} items, {len(result.problems)} problems"
        )
    return result.page


def load_pages(password=None, stdout=None):
    home = ensure_home_page()
    services.notice_index_ensure(section=home)
    for scheme in Scheme.objects.order_by("pk"):
        section = ensure_scheme_section(home, scheme)
        policy = ensure_policy(section, scheme, stdout=stdout)
        services.service_guides_generate(section=section, policy=policy)
        services.tier_table_ensure(section=section)
        services.policy_workflow_ensure(section=section)
        services.guide_permissions_ensure(section=section)
        services.notice_index_ensure(section=section)
    return home
