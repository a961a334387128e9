"""The five schemes are complete against their policy texts.

The expected criteria, services and exit reasons are read from the seed texts themselves (regular
expressions over /work/shared/seeds, numbered with the id convention of docs/SCHEME_DATA.md), never copied
from the YAML: dropping or renumbering an article item in a data file makes these tests fail. Review
stages are not numbered items in most texts, so for them each scheme has a reading — the words of its
procedure article(s) that name a stage — and every word must occur in the seed.
"""

import re
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings

from casefiles.models import StateKind
from casefiles.schemes.loader import schemes_load
from casefiles.selectors_schemes import scheme_detail, tier_services, workflow_stages
from casefiles.schemes.citations import cited_article, cn_number

pytestmark = [pytest.mark.django_db, pytest.mark.smoke, pytest.mark.usefixtures("schemes_once")]

SEED_FILES = {
    "tonghua": "tonghua-yingcai-card.txt",
    "jilin": "jilin-talent-service-card.txt",
    "chuxiong": "chuxiong-xingchu-huicai-card.txt",
    "baiyun": "baiyun-yunju-yingcai-card.txt",
    "liaocheng": "liaocheng-talent-green-channel.txt",
}

HEADING_RE = re.compile(r"^第([一二三四五六七八九十百]+)条")
PAREN_RE = re.compile(r"[（(]([一二三四五六七八九十]+)[)）]")
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
ARABIC_LINE_RE = re.compile(r"^(\d+)[\.．]?")


def seeds_dir():
    configured = getattr(settings, "HUICAI_SEEDS_DIR", None)
    return Path(configured) if configured else Path(settings.BASE_DIR).parent / "shared" / "seeds"


@cache
def seed_articles(slug):
    """{article number: [lines]} of a seed: an article starts at a line beginning 第X条 whose number follows
    the previous one (wrapped lines that happen to begin with 第X条 are not headings)."""
    text = (seeds_dir() / SEED_FILES[slug]).read_text(encoding="utf-8")
    if slug == "baiyun":  # the OCR fixes DOMAIN.md lists
        text = text.replace("第—条", "第一条").replace("（／＼）", "（八）").replace("日云区", "白云区").replace("弓｜", "引")
        text = re.sub(r"l", "1", text)
    articles, current = {}, None
    for raw in text.splitlines():
        line = re.sub(r"\s+", "", raw).lstrip("-")
        if not line:
            continue
        match = HEADING_RE.match(line)
        if match and cn_number(match.group(1)) == (current or 0) + 1:
            current = cn_number(match.group(1))
            articles[current] = [line[match.end():]]
        elif re.match(r"^第[一二三四五六七八九十]+章", line):
            continue
        elif current is not None:
            articles[current].append(line)
    return articles


def article_text(slug, number):
    return "".join(seed_articles(slug)[number])


def paren_items(text):
    """Texts of the （一）（二）… items of a passage, in sequence (a number out of sequence is not an item)."""
    starts, expected = [], 1
    for match in PAREN_RE.finditer(text):
        if cn_number(match.group(1)) == expected:
            starts.append(match)
            expected += 1
    return [text[m.end() : (starts[i + 1].start() if i + 1 < len(starts) else len(text))] for i, m in enumerate(starts)]


def arabic_items(lines):
    """Texts of the 1. 2. … items that begin lines, in sequence."""
    items, expected = [], 1
    for line in lines:
        match = ARABIC_LINE_RE.match(line)
        if match and int(match.group(1)) == expected:
            items.append(line[match.end() :])
            expected += 1
        elif items:
            items[-1] += line
    return items


def circled_items(text):
    return [c for c in text if c in CIRCLED]


# --------------------------------------------------------------------------- readings of each seed


def tonghua():
    arts = seed_articles("tonghua")
    criteria = [f"{a}.{i}" for a in (6, 7, 8) for i in range(1, len(circled_items(article_text("tonghua", a))) + 1)]
    services = []
    for a in (9, 10, 11):
        for n, item in enumerate(arabic_items(arts[a][1:]), start=1):
            subs = circled_items(item)
            services += [f"{a}.{n}.{k}" for k in range(1, len(subs) + 1)] if subs else [f"{a}.{n}"]
    reasons = [f"16.{i}" for i in range(1, len(paren_items(article_text("tonghua", 16))) + 1)]
    tier_services_ = {"A": 9, "B": 10, "C": 11}
    return criteria, services, reasons, {t: [s for s in services if s.split(".")[0] == str(a)] for t, a in tier_services_.items()}


def jilin():
    criteria = [f"{a}.{i}" for a in (4, 5) for i in range(1, len(paren_items(article_text("jilin", a))) + 1)]
    services = {}
    for a in (7, 8):
        for i, item in enumerate(paren_items(article_text("jilin", a)), start=1):
            # “享受吉林省人才‘吉健卡’服务项目” is the inclusion of the other tier, not a service of its own
            if not re.search(r"享受.*卡”?服务项目", item):
                services.setdefault(a, []).append(f"{a}.{i}")
    reasons = [f"11.{i}" for i in range(1, len(paren_items(article_text("jilin", 11))) + 1)]
    # 第七条（四）: 吉享卡 brings the 吉健卡 services too
    return criteria, services[7] + services[8], reasons, {"jixiang": services[7] + services[8], "jijian": services[8]}


def line_sections(lines):
    """[lines] of each （一）（二）… section of an article whose sections begin lines, in sequence."""
    sections, expected = [], 1
    for line in lines:
        match = PAREN_RE.match(line)
        if match and cn_number(match.group(1)) == expected:
            sections.append([line[match.end() :]])
            expected += 1
        elif sections:
            sections[-1].append(line)
    return sections


def chuxiong():
    arts = seed_articles("chuxiong")
    sections = line_sections(arts[3])
    criteria = [f"3.{s}.{n}" for s, lines in enumerate(sections, start=1) for n in range(1, len(arabic_items(lines)) + 1)]
    # the closing paragraph (柔性引进…可按相应层次发放) applies to every tier: one row per tier, 3.3.<tier>
    if "按相应层次" in article_text("chuxiong", 3):
        criteria += [f"3.3.{t}" for t in range(1, len(sections) + 1)]
    services, per_tier = [], {"A": [], "B": []}
    for area_no, lines in enumerate(line_sections(arts[5]), start=1):
        body = []
        for line in lines:
            if line.startswith("服务事项责任单位"):
                break
            body.append(line)
        items = arabic_items(body)
        units = [(f"5.{area_no}.{n}", item) for n, item in enumerate(items, start=1)] or [(f"5.{area_no}", "".join(body))]
        for ref, item in units:
            tiers = sorted(set(re.findall(r"持(?:“兴楚惠才卡”)?([AB])卡", item)))
            if len(tiers) > 1:  # different terms per tier: one row per tier
                for k, tier in enumerate(tiers, start=1):
                    services.append(f"{ref}.{k}")
                    per_tier[tier].append(f"{ref}.{k}")
            else:
                services.append(ref)
                for tier in tiers or ["A", "B"]:
                    per_tier[tier].append(ref)
    reasons = [f"9.{i}" for i in range(1, len(paren_items(article_text("chuxiong", 9))) + 1)]
    return criteria, services, reasons, per_tier


def baiyun():
    arts = seed_articles("baiyun")
    criteria = [f"3.{n}" for n in range(1, len(arabic_items(arts[3])) + 1)]
    if "一事一议" in article_text("baiyun", 3):  # 第三条第三款, numbered 3.0.3
        criteria.append("3.0.3")
    services = [f"4.{i}" for i in range(1, len(paren_items(article_text("baiyun", 4))) + 1)]
    reasons = [f"6.{i}" for i in range(1, len(paren_items(article_text("baiyun", 6))) + 1)]
    return criteria, services, reasons, {"card": services}


def liaocheng():
    criteria = [f"5.{i}" for i in range(1, len(paren_items(article_text("liaocheng", 5))) + 1)]
    # 第三十一条 names the service articles of each tier: 第六条至第三十条, 第十一条至第二十二条, 第十六条至第二十条
    ranges = [(cn_number(a), cn_number(b)) for a, b in re.findall(r"第(\S{1,3}?)条至第(\S{1,3}?)条", article_text("liaocheng", 31))]

    def services_of(first, last):
        refs = []
        for a in range(first, last + 1):
            items = paren_items(article_text("liaocheng", a))
            refs += [f"{a}.{i}" for i in range(1, len(items) + 1)] if items else [str(a)]
        return refs

    per_tier = dict(zip(["A", "B", "C"], [services_of(*r) for r in ranges], strict=True))
    services = per_tier["A"]
    reasons = [f"34.{i}" for i in range(1, len(paren_items(article_text("liaocheng", 34))) + 1)] or ["34"]
    return criteria, services, reasons, per_tier


READINGS = {"tonghua": tonghua, "jilin": jilin, "chuxiong": chuxiong, "baiyun": baiyun, "liaocheng": liaocheng}

#: The words of each scheme's procedure article(s) that name a review stage a person passes through.
STAGE_WORDS = {
    "tonghua": {12: ["受理", "制发"], 14: ["直接核发", "集中审核认定", "发放"]},
    "jilin": {6: ["推荐意见", "初审", "审定", "制卡", "发放"]},
    "chuxiong": {4: ["评审认定", "征求有关部门", "公示", "制作", "发放"]},
    "baiyun": {5: ["预审", "初审", "复审", "审定", "制卡", "发卡"]},
    "liaocheng": {32: ["审核", "同意", "颁发"]},
}


@pytest.fixture
def schemes(db):
    return {s.slug: s for s in schemes_load()}


def check_rows(scheme, slug):
    criteria, services, reasons, _per_tier = READINGS[slug]()
    assert criteria and services and reasons, "the seed reading found nothing: check the seed path"
    assert sorted(scheme.criteria.values_list("ref", flat=True)) == sorted(criteria)
    assert sorted(scheme.services.values_list("ref", flat=True)) == sorted(services)
    assert sorted(scheme.revocation_reasons.values_list("ref", flat=True)) == sorted(reasons)


def check_tier_services(scheme, slug):
    *_rest, per_tier = READINGS[slug]()
    assert sorted(per_tier) == sorted(scheme.tiers.values_list("code", flat=True))
    for tier in scheme.tiers.all():
        assert sorted(s.ref for s in tier_services(tier)) == sorted(per_tier[tier.code]), tier.code


def check_citations(scheme, slug):
    articles = set(seed_articles(slug))
    rows = list(scheme.criteria.all()) + list(scheme.services.all()) + list(scheme.revocation_reasons.all())
    rows += list(scheme.preconditions.all())
    for row in rows:
        assert cited_article(row.article) in articles, (row.ref, row.article)
        # the id's first number is the cited article (docs/SCHEME_DATA.md)
        assert int(row.ref.split(".")[0]) == cited_article(row.article), (row.ref, row.article)
    for state in scheme.states.exclude(article=""):
        assert cited_article(state.article) in articles, (state.code, state.article)


def check_stages(scheme, slug):
    words = STAGE_WORDS[slug]
    for article, terms in words.items():
        text = article_text(slug, article)
        for term in terms:
            assert term in text, f"{slug} 第{article}条 has no “{term}”"
    stages = workflow_stages(scheme)
    assert len(stages) == sum(len(t) for t in words.values())
    assert all(s["department"] for s in stages)
    kinds = dict(scheme.states.values_list("code", "kind"))
    assert all(kinds[s["code"]] in (StateKind.STAGE, StateKind.WAITING) for s in stages)


@pytest.mark.parametrize("slug", list(READINGS))
def test_scheme_is_complete_against_its_seed(db, slug):
    (scheme,) = schemes_load([slug])
    check_rows(scheme, slug)  # criteria, services, exit reasons: the same ids as the seed's items
    check_tier_services(scheme, slug)  # each tier brings the services its article lists
    check_citations(scheme, slug)  # every citation names an article of the seed, ids match articles
    check_stages(scheme, slug)  # review stages: one per stage word of the procedure article


def test_count_table(schemes, capsys):
    """The per-scheme table of the note; the API detail agrees with the seed counts."""
    rows = []
    for slug, reading in READINGS.items():
        criteria, services, reasons, _per_tier = reading()
        detail = scheme_detail(schemes[slug])
        api_criteria = sum(len(t["criteria"]) for t in detail["tiers"])
        api_services = len({s["id"] for t in detail["tiers"] for s in t["services"]})
        assert (api_criteria, api_services, len(detail["revocation_reasons"])) == (len(criteria), len(services), len(reasons))
        stages = sum(len(t) for t in STAGE_WORDS[slug].values())
        assert len(detail["workflow"]["stages"]) == stages
        rows.append(f"| {slug} | {len(criteria)} | {len(services)} | {len(reasons)} | {stages} |")
    with capsys.disabled():
        print("\n| scheme | criteria | services | exit reasons | stages |\n|---|---|---|---|---|\n" + "\n".join(rows))


def test_dropping_or_moving_a_rule_is_caught(db):
    """The checks above fail when an item of the policy goes missing from the data."""
    from django.db import transaction

    from casefiles.models import Criterion, RevocationReason, ServiceItem

    schemes = {s.slug: s for s in schemes_load(["tonghua", "liaocheng", "baiyun"])}
    mutations = [
        (lambda: Criterion.objects.filter(scheme=schemes["tonghua"], ref="6.2").delete(), check_rows, "tonghua"),
        (lambda: ServiceItem.objects.filter(scheme=schemes["liaocheng"], ref="24.2").delete(), check_rows, "liaocheng"),
        (lambda: RevocationReason.objects.filter(scheme=schemes["tonghua"], ref="16.7").delete(), check_rows, "tonghua"),
        (
            lambda: schemes["liaocheng"].tiers.get(code="C").direct_services.remove(
                ServiceItem.objects.get(scheme=schemes["liaocheng"], ref="20")
            ),
            check_tier_services,
            "liaocheng",
        ),
        (lambda: schemes["baiyun"].states.filter(code="re_review").update(kind="waiting"), check_stages, "baiyun"),
    ]
    for mutate, check, slug in mutations:
        with transaction.atomic():
            check(schemes[slug], slug)  # sound before
            mutate()
            with pytest.raises(AssertionError):
                check(schemes[slug], slug)
            transaction.set_rollback(True)
