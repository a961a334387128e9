"""Helpers for tests of the public pages: a site with one scheme's section, seeds by scheme."""

from pathlib import Path

from django.conf import settings

from casefiles.schemes.loader import SCHEME_DIR, read_yaml, schemes_load

from . import services
from .demo import ensure_home_page, ensure_scheme_section

SEED_TITLES = {
    "tonghua": "通化市“英才卡”管理服务办法",
    "jilin": "吉林省人才服务卡管理服务办法（试行）",
    "chuxiong": "楚雄州“兴楚惠才卡”实施细则（试行）",
    "baiyun": "白云区云聚英才卡实施细则（试行）",
    "liaocheng": "聊城市高层次人才服务绿色通道规定（试行）",
}


def seed_text(slug: str) -> str:
    data = read_yaml(SCHEME_DIR / f"{slug}.yaml")
    return (Path(settings.HUICAI_SEEDS_DIR) / data["policy"]["seed"]).read_text(encoding="utf-8")


def ensure_wagtail_root():
    """Wagtail's migrations make the default locale and the root page; a flushed test database
    (transactional tests without serialized rollback) has neither."""
    from django.utils.translation import get_supported_language_variant
    from wagtail.models import Locale, Page

    if not Locale.objects.exists():
        Locale.objects.create(language_code=get_supported_language_variant(settings.LANGUAGE_CODE))
    if Page.get_first_root_node() is None:
        Page.add_root(instance=Page(title="Root", slug="root", locale=Locale.get_default()))


def section_for(slug: str):
    """The scheme's rows (from its YAML) and its section page under the home page."""
    ensure_wagtail_root()
    (scheme,) = schemes_load([slug])
    return ensure_scheme_section(ensure_home_page(), scheme)


def published_policy(slug: str, **kwargs):
    section = section_for(slug)
    result = services.policy_import(section=section, text=seed_text(slug), publish=True, **kwargs)
    return section, result


def with_first_article_text(page, text):
    """Give the first article of a policy page's body ``text`` (in memory; save or preview it after)."""
    body = page.body
    for index, child in enumerate(body):
        if child.block_type == "article":
            value = child.value
            value["text"] = text
            body[index] = ("article", value)
            break
    page.body = body
    return page
