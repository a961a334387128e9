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


def section_for(slug: str):
    """The scheme's rows (from its YAML) and its section page under the home page."""
    (scheme,) = schemes_load([slug])
    return ensure_scheme_section(ensure_home_page(), scheme)


def published_policy(slug: str, **kwargs):
    section = section_for(slug)
    result = services.policy_import(section=section, text=seed_text(slug), publish=True, **kwargs)
    return section, result
