"""Policy pages in Chromium: a policy and its anchors, the tier table on a phone, two revisions compared."""

import os
import re

import pytest

from casefiles.models import ServiceItem
from policypages import services
from policypages.importer import parse_policy
from policypages.testing import published_policy, seed_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def shot(page, artifacts_dir, name, full_page=True):
    path = os.path.join(artifacts_dir, f"policy-{name}.png")
    page.screenshot(path=path, full_page=full_page)
    assert os.path.getsize(path) > 10_000
    return path


def test_policy_page_lists_every_article_and_follows_an_item_anchor(live_server, page, artifacts_dir):
    _section, result = published_policy("tonghua")
    parsed = parse_policy(seed_text("tonghua"))
    page.goto(live_server.url + result.page.url)
    assert page.locator("h1").first.inner_text() == "通化市“英才卡”管理服务办法"
    articles = page.locator("section.article.unit")
    assert articles.count() == len(parsed.articles) == 24
    assert page.locator("div.item.unit").count() == sum(1 for _ in parsed.iter_items())
    # the count is visible to the reader, not only in the markup
    assert re.search(rf"(?<!\d){len(parsed.articles)}(?!\d)", page.locator(".policy-meta [data-article-count]").inner_text())
    shot(page, artifacts_dir, "tonghua-top", full_page=False)

    # follow an item's own link: the URL carries the fragment and the item is the :target, in view
    item = page.locator("#art-16-6")
    item.locator("a.item-label").first.click()
    page.wait_for_url("**#art-16-6")
    assert page.evaluate("document.querySelector(':target').id") == "art-16-6"
    box = item.bounding_box()
    assert box is not None and 0 <= box["y"] < page.viewport_size["height"]
    assert item.locator(".cite-copy").first.get_attribute("data-citation") == "《通化市“英才卡”管理服务办法》第十六条第（六）项"
    item.locator(".cite-copy").first.click()
    status = page.locator(".copied-msg")
    status.wait_for(state="visible")
    assert "第十六条第（六）项" in status.inner_text()
    shot(page, artifacts_dir, "tonghua-art-16-6", full_page=False)

    # a direct link to an article opens at that article
    page.goto(live_server.url + result.page.url + "#art-9")
    assert page.evaluate("document.querySelector(':target').id") == "art-9"
    assert page.locator("#art-9 .article-label").inner_text() == "第九条"


def test_tier_table_fits_a_phone(live_server, phone, artifacts_dir):
    section, result = published_policy("liaocheng")
    services.service_guides_generate(section=section, policy=result.page)
    table = services.tier_table_ensure(section=section)
    phone.goto(live_server.url + table.url)
    assert phone.locator("h1").inner_text() == table.title
    summary = phone.locator(".tier-summary").inner_text()
    assert "第六条至第三十条" in summary and "第十一条至第二十二条" in summary and "第十六条至第二十条" in summary
    # the page itself does not scroll sideways; the table scrolls inside its own box
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= phone.viewport_size["width"]
    rows = phone.locator("table.tier-grid tbody tr")
    assert rows.count() == ServiceItem.objects.filter(scheme=section.scheme).count() == 31
    headers = phone.locator("table.tier-grid thead th").all_inner_texts()
    assert headers[1:] == ["A卡", "B卡", "C卡"]
    first_cell = phone.locator("table.tier-grid tbody tr").first.locator("th").bounding_box()
    assert first_cell["width"] < phone.viewport_size["width"] * 0.7
    shot(phone, artifacts_dir, "liaocheng-tiers-phone")
    # a row links to its service guide
    with phone.expect_navigation():
        phone.locator('tr[data-ref="13"] th a').first.click()
    assert "配偶" in phone.locator(".guide-facts").inner_text()
    shot(phone, artifacts_dir, "liaocheng-guide-phone")


def test_compare_two_revisions(live_server, page, artifacts_dir):
    section, result = published_policy("jilin")
    amended = seed_text("jilin").replace("本办法由省人社厅负责解释。", "本办法由省人力资源和社会保障厅负责解释。")
    services.policy_import(section=section, text=amended, publish=True)
    page.goto(live_server.url + result.page.url)
    with page.expect_navigation():
        page.locator("a.history-link").click()
    assert page.locator("tr.revision").count() == 2
    with page.expect_navigation():
        page.locator("a.compare-link").first.click()
    assert "/history/compare/" in page.url
    changed = page.locator("section.diff-changed")
    assert changed.count() == 1
    assert changed.get_attribute("data-article") == "13"
    assert changed.locator("h3").inner_text() == "第十三条"
    assert changed.locator("del").all_inner_texts() == ["社"]
    assert changed.locator("ins").all_inner_texts() == ["力资源和社会保障"]
    assert changed.locator(".diff-text").inner_text() == "本办法由省人社力资源和社会保障厅负责解释。"
    shot(page, artifacts_dir, "jilin-compare")
    # the changed article links back to its place in the current text
    changed.locator("h3 a").click()  # to the current text: another page
    page.wait_for_url("**#art-13")
    assert "省人力资源和社会保障厅负责解释" in page.locator("#art-13").inner_text()


def test_print_view(live_server, page, artifacts_dir):
    _section, result = published_policy("baiyun")
    page.goto(live_server.url + result.page.url + "print/")
    assert page.locator("section.article.unit").count() == 7
    page.emulate_media(media="print")
    assert page.locator(".cite-copy").first.is_hidden()
    shot(page, artifacts_dir, "baiyun-print")
