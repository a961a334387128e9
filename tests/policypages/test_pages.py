"""Policy pages from the five seeds: structure, anchors, citations, metadata, guides, tier tables, demo."""

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.test import Client

from casefiles.models import Scheme, ServiceItem
from policypages import selectors, services
from policypages.importer import parse_policy
from policypages.models import PolicyPage, PolicyStatus, SchemeSectionPage, ServiceGuidePage, TierTablePage
from policypages.paragraphs import paragraph_anchors
from policypages.testing import SEED_TITLES, published_policy, section_for, seed_text

pytestmark = [pytest.mark.django_db]

SLUGS = ["tonghua", "jilin", "chuxiong", "baiyun", "liaocheng"]

# Read off the seed texts (front matter, closing line and final provisions), not from the parser.
METADATA = {
    "tonghua": dict(issuer="", document_number="", issue_date=None, effective_date=None, expiry_date=None),
    "jilin": dict(
        issuer="吉林省人力资源和社会保障厅",
        document_number="吉人社规〔2023〕5号",
        issue_date=datetime.date(2023, 8, 7),
        effective_date=datetime.date(2023, 8, 7),
        expiry_date=None,
    ),
    "chuxiong": dict(
        issuer="中共楚雄州委人才工作领导小组办公室",
        document_number="楚才办〔2023〕6号",
        issue_date=datetime.date(2023, 7, 20),
        effective_date=None,  # the text ends inside 第九条
        expiry_date=None,
    ),
    "baiyun": dict(
        issuer="广州市白云区人才工作领导小组",
        document_number="云人才领字〔2019〕1号",
        issue_date=datetime.date(2019, 6, 5),
        effective_date=datetime.date(2019, 6, 5),
        expiry_date=datetime.date(2024, 6, 5),  # 有效期5年
    ),
    "liaocheng": dict(
        issuer="中共聊城市委人才工作领导小组办公室",
        document_number="聊委人组办发〔2022〕7号",
        issue_date=datetime.date(2022, 9, 13),
        effective_date=None,
        expiry_date=None,
    ),
}
# Counted by hand in the seeds: 第X条 headings and 第X章 lines.
ARTICLES = {"tonghua": 24, "jilin": 14, "chuxiong": 9, "baiyun": 7, "liaocheng": 41}
CHAPTERS = {"tonghua": 6, "jilin": 0, "chuxiong": 0, "baiyun": 0, "liaocheng": 7}


def get(url):
    response = Client().get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.smoke
@pytest.mark.parametrize("slug", SLUGS)
def test_every_article_and_item_of_the_seed_is_a_linkable_unit(slug):
    parsed = parse_policy(seed_text(slug))
    assert len(parsed.articles) == ARTICLES[slug]
    section, result = published_policy(slug)
    page = result.page
    assert page.live and page.title == SEED_TITLES[slug]
    html = get(page.url)

    article_ids = re.findall(r'<section class="article unit" id="([^"]+)"', html)
    assert article_ids == [f"art-{n}" for n in range(1, ARTICLES[slug] + 1)]
    assert f'data-article-count="{ARTICLES[slug]}"' in html
    assert len(re.findall(r'<h2 class="chapter" id="ch-\d+"', html)) == CHAPTERS[slug]
    item_ids = re.findall(r'<div class="item unit" id="([^"]+)"', html)
    assert item_ids == [item.anchor for item in parsed.iter_items()]
    # every id is unique, and every unit links to itself and carries its exact citation
    all_ids = re.findall(r' id="(art-[0-9-]+)"', html)
    assert len(all_ids) == len(set(all_ids)) == len(parsed.articles) + len(item_ids)
    for node in [*parsed.articles, *parsed.iter_items()]:
        assert f'href="#{node.anchor}"' in html
        assert f'data-citation="{node.citation}"' in html
        article_number = getattr(node, "article_number", None) or node.number
        assert node.citation.startswith(f"《{SEED_TITLES[slug]}》{parsed.article(article_number).label}")


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = []
        self.tags = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.append(attrs["id"])
            self.tags[attrs["id"]] = (tag, attrs.get("class") or "")


# 款 per article where a seed has more than one (read off the seeds: a paragraph ending with a colon keeps its
# enumeration, a heading line printed alone belongs to the first paragraph)
PARAGRAPHS = {
    "baiyun": {3: 3, 6: 2},
    "chuxiong": {2: 2, 3: 2, 8: 2},  # 第三条第二款: the paragraph after the list, 楚雄州柔性引进的…
    "tonghua": {15: 3},
    "jilin": {},
    "liaocheng": {},
}


@pytest.mark.parametrize("slug", SLUGS)
def test_every_paragraph_of_the_seed_has_its_anchor_on_the_page(slug):
    """Each 款 of each article is rendered with its anchor (art-3-k2): parsed from the page's HTML ids, in order,
    unique, none lost among the article and item anchors, which stay as they were."""
    _section, result = published_policy(slug)
    page = PolicyPage.objects.get(pk=result.page.pk)
    html = get(page.url)
    parser = _Ids()
    parser.feed(html)
    expected = paragraph_anchors(selectors.raw_values(page, "article"))
    counts = {n: 1 for n in range(1, ARTICLES[slug] + 1)} | PARAGRAPHS[slug]
    assert expected == [f"art-{n}-k{k}" for n, total in counts.items() for k in range(1, total + 1)]
    on_page = [i for i in parser.ids if re.fullmatch(r"art-\d+-k\d+", i)]
    assert on_page == expected
    assert len(parser.ids) == len(set(parser.ids))
    assert all(parser.tags[a][0] == "p" and "paragraph" in parser.tags[a][1] for a in expected)
    # articles and items keep their anchors
    assert {i for i in parser.ids if re.fullmatch(r"art-[0-9-]+", i)} == selectors.policy_anchors(page)


def test_a_paragraph_anchor_holds_its_paragraph():
    _section, result = published_policy("baiyun")
    html = get(result.page.url)
    k1 = re.search(r'<p class="article-lead paragraph" id="art-3-k1">(.*?)</p>', html, re.S).group(1)
    k2 = re.search(r'<p class="paragraph" id="art-3-k2">(.*?)</p>', html, re.S).group(1)
    k3 = re.search(r'<p class="tail paragraph" id="art-3-k3">(.*?)</p>', html, re.S).group(1)
    assert "申领人所在单位应符合以下条件之一：<br>在本区注册" in k1 and "科研机构。" in k1
    assert k2.startswith("申领人每年在我区工作时间应不少于6个月")
    assert k3.startswith("新招商引资企业的高层次人才")
    # the items of 第二款 follow it, before 第三款
    assert (
        html.index('id="art-3-k2"')
        < html.index('id="art-3-1"')
        < html.index('id="art-3-9"')
        < html.index('id="art-3-k3"')
    )


@pytest.mark.smoke
def test_known_citations_are_exact():
    _section, result = published_policy("tonghua")
    units = {u["anchor"]: u for u in result.page.search_units()}
    assert units["art-16-6"]["citation"] == "《通化市“英才卡”管理服务办法》第十六条第（六）项"
    assert units["art-9-2-1"]["citation"] == "《通化市“英才卡”管理服务办法》第九条第2项第①目"
    assert units["art-7-2"]["citation"] == "《通化市“英才卡”管理服务办法》第七条第②项"
    assert units["art-16"]["citation"] == "《通化市“英才卡”管理服务办法》第十六条"
    assert units["art-16"]["chapter"] == "第四章 申领程序"


@pytest.mark.smoke
@pytest.mark.parametrize("slug", SLUGS)
def test_metadata_is_filled_from_the_text(slug):
    section, result = published_policy(slug)
    page = PolicyPage.objects.get(pk=result.page.pk)
    for name, value in METADATA[slug].items():
        assert getattr(page, name) == value, name
    assert page.scheme == section.scheme and page.jurisdiction == section.scheme.jurisdiction
    assert page.is_trial == ("试行" in page.title)
    assert page.search_description and SEED_TITLES[slug] in page.search_description
    html = get(page.url)
    assert f'<meta name="description" content="{page.search_description}">' in html
    if METADATA[slug]["document_number"]:
        assert METADATA[slug]["document_number"] in html
    else:
        assert "Not stated in the text" in html or "未注明" in html


@pytest.mark.smoke
def test_tonghua_title_is_inferred_and_the_inference_reported():
    parsed = parse_policy(seed_text("tonghua"))
    assert parsed.title == "通化市“英才卡”管理服务办法" and parsed.title_source == "inferred"
    _section, result = published_policy("tonghua")
    assert any("标题" in p for p in result.page.import_problems)
    assert result.page.document_type == "measures"


@pytest.mark.smoke
def test_baiyun_is_expired_five_years_after_issue_and_still_public():
    _section, result = published_policy("baiyun")
    page = result.page
    assert page.validity_years == 5
    assert selectors.policy_status(page, today=datetime.date(2024, 6, 4)) == PolicyStatus.IN_FORCE
    assert selectors.policy_status(page, today=datetime.date(2024, 6, 5)) == PolicyStatus.EXPIRED
    assert page.live
    assert 'class="status status-expired"' in get(page.url)


@pytest.mark.smoke
def test_cover_notice_is_kept_where_the_text_has_one():
    _section, result = published_policy("jilin")
    assert result.page.notice_title == "关于印发《吉林省人才服务卡管理服务办法（试行）》的通知"
    assert "省政府第15次常务会议审议通过" in result.page.notice_text
    assert "省政府第15次常务会议审议通过" in get(result.page.url)


@pytest.mark.smoke
def test_search_units_contract():
    _section, result = published_policy("liaocheng")
    page = result.page
    parsed = result.parsed
    units = page.search_units()
    assert len(units) == len(parsed.articles) + sum(1 for _ in parsed.iter_items())
    assert len({u["key"] for u in units}) == len(units)
    for unit in units:
        assert set(unit) == {"key", "title", "citation", "text", "anchor", "url", "chapter"}
        assert unit["url"] == f"{page.url}#{unit['anchor']}"
        assert unit["citation"].startswith("《聊城市高层次人才服务绿色通道规定（试行）》第")
        assert unit["text"]
    by_anchor = {u["anchor"]: u for u in units}
    assert by_anchor["art-5"]["chapter"] == "第二章 服务对象"
    assert by_anchor["art-5-1"]["text"] == "（一）持有“山东惠才卡”的高层次人才。"
    # an article's own text does not repeat its items' text
    assert "山东惠才卡" not in by_anchor["art-5"]["text"]


@pytest.mark.smoke
def test_print_view_and_sitemap():
    _section, result = published_policy("jilin")
    page = result.page
    html = get(page.url + "print/")
    assert "<header class=\"site-header\">" not in html
    assert html.count('class="article unit"') == 14
    assert "@media print" in open("static/css/policy.css", encoding="utf-8").read()
    sitemap = get("/sitemap.xml")
    assert f"{page.url}</loc>" in sitemap


@pytest.mark.smoke
def test_service_guides_come_from_service_items_and_stay_edited():
    section, result = published_policy("tonghua")
    policy = result.page
    guides = services.service_guides_generate(section=section, policy=policy)
    items = ServiceItem.objects.filter(scheme=section.scheme)
    assert len(guides) == items.count() > 0
    guide = ServiceGuidePage.objects.get(service_item__ref="9.2.1", service_item__scheme=section.scheme)
    assert guide.title == "落户服务（A卡）"  # 通化 lists 落户服务 for more than one tier
    assert guide.family_text == "本人、配偶、子女"
    assert guide.time_limit_text == "10个工作日"
    assert guide.tiers_text == "A卡"
    assert guide.responsible_units_text == "通化市公安局" or "公安" in guide.responsible_units_text
    assert guide.source_citation == "《通化市“英才卡”管理服务办法》第九条第2项第①目"
    html = get(guide.url)
    assert f'href="{policy.url}#art-9-2-1"' in html
    assert "10个工作日" in html
    assert guide.search_units()[0]["citation"] == guide.source_citation

    # an editor's change survives regeneration; overwrite=True restores the data's text
    guide.title = "落户服务（人才绿色通道）"
    guide.save_revision().publish()
    services.service_guides_generate(section=section, policy=policy)
    assert ServiceGuidePage.objects.get(pk=guide.pk).title == "落户服务（人才绿色通道）"
    assert ServiceGuidePage.objects.child_of(section).count() == items.count()
    services.service_guides_generate(section=section, policy=policy, overwrite=True)
    assert ServiceGuidePage.objects.get(pk=guide.pk).title == "落户服务（A卡）"


@pytest.mark.smoke
def test_guides_whose_data_splits_an_item_link_to_the_item():
    section, result = published_policy("chuxiong")
    services.service_guides_generate(section=section, policy=result.page)
    guide = ServiceGuidePage.objects.get(service_item__ref="5.12.1.2", service_item__scheme=section.scheme)
    assert guide.source_anchor == "art-5-12-1"
    assert guide.source_citation == "《楚雄州“兴楚惠才卡”实施细则（试行）》第五条第（十二）项第1目"


@pytest.mark.smoke
def test_liaocheng_tier_table_follows_article_31():
    section, result = published_policy("liaocheng")
    services.service_guides_generate(section=section, policy=result.page)
    table_page = services.tier_table_ensure(section=section)
    table = selectors.tier_table(section.scheme)
    summary = {s["tier"].code: s["articles"] for s in table["summaries"]}
    assert summary == {"A": "第六条至第三十条", "B": "第十一条至第二十二条", "C": "第十六条至第二十条"}
    assert table["headers"] == ["A卡", "B卡", "C卡"]
    rows = {row["service"].ref: row["cells"] for row in table["rows"]}
    assert rows["6"] == [True, False, False]
    assert rows["16"] == [True, True, True]
    assert rows["21"] == [True, True, False]
    html = get(table_page.url)
    assert "第六条至第三十条" in html and 'class="table-scroll tier-scroll"' in html
    assert html.count('class="tier-cell yes"') == sum(sum(cells) for cells in rows.values())
    assert f'href="{result.page.url}#art-24-1"' in html


@pytest.mark.smoke
def test_jilin_jixiang_card_includes_the_jijian_services():
    section, _result = published_policy("jilin")
    table = selectors.tier_table(section.scheme)
    codes = [t.code for t in table["tiers"]]
    assert codes == ["jixiang", "jijian"]
    for row in table["rows"]:
        if row["cells"][1]:
            assert row["cells"][0], f"吉享卡 includes 吉健卡's {row['service'].ref}"


@pytest.mark.smoke
def test_a_policy_that_takes_effect_later_is_scheduled():
    section = section_for("jilin")
    future = datetime.date.today() + datetime.timedelta(days=30)
    text = seed_text("jilin").replace("本办法自印发之日起实施。", f"本办法自{future.year}年{future.month}月{future.day}日起实施。")
    result = services.policy_import(section=section, text=text, publish=True)
    page = PolicyPage.objects.get(pk=result.page.pk)
    assert result.scheduled and not page.live
    assert page.effective_date == future
    revision = page.get_latest_revision()
    assert revision.approved_go_live_at is not None
    assert timezone_local_date(revision.approved_go_live_at) == future
    # when the day comes, Wagtail's scheduler publishes it (moved back in time here, in the revision too)
    past = revision.approved_go_live_at - datetime.timedelta(days=31)
    revision.approved_go_live_at = past
    revision.content["go_live_at"] = past.isoformat()
    revision.save()
    call_command("publish_scheduled")
    assert PolicyPage.objects.get(pk=page.pk).live


def timezone_local_date(value):
    from django.utils import timezone

    return timezone.localtime(value).date()


def test_load_demo_pages_publishes_all_five_and_is_idempotent():
    from casefiles.demo import load_schemes_and_users
    from policypages.demo import load_pages

    load_schemes_and_users(password="demo-pass-123")
    load_pages()
    counts = {}
    for scheme in Scheme.objects.all():
        section = SchemeSectionPage.objects.get(scheme=scheme)
        policy = PolicyPage.objects.child_of(section).live().get()
        counts[scheme.slug] = selectors.policy_counts(policy)["articles"]
        assert ServiceGuidePage.objects.child_of(section).live().count() == ServiceItem.objects.filter(scheme=scheme).count()
        assert TierTablePage.objects.child_of(section).live().count() == 1
        assert section.get_workflow().name == f"政策审核 · {scheme.name}"
    assert counts == ARTICLES
    jilin = PolicyPage.objects.get(scheme__slug="jilin")
    assert len(selectors.published_revision_ids(jilin)) == 2
    revisions_before = {p.pk: p.revisions.count() for p in PolicyPage.objects.all()}
    pages_before = SchemeSectionPage.objects.count(), ServiceGuidePage.objects.count()

    load_pages()  # again: nothing new
    assert {p.pk: p.revisions.count() for p in PolicyPage.objects.all()} == revisions_before
    assert (SchemeSectionPage.objects.count(), ServiceGuidePage.objects.count()) == pages_before
