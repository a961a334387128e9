"""Service guides and search in Chromium (issue #18 items 5 and 6), on a 390×844 phone and a desktop: the 办事指南
fields with "请咨询责任单位" where the policy says nothing, 吉林's twin guides told apart by tier, and search results
that show and open public URLs with facets that count every result."""

import os

import pytest

from policypages import services
from policypages.models import ServiceGuidePage
from policypages.testing import published_policy
from search import service as search_service

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LABELS = ["事项名称", "设定依据", "服务对象", "服务内容", "受理条件", "申请材料", "办理流程", "办理时限", "办理地点/窗口",
          "咨询电话", "收费标准", "责任单位"]


def shot(page, artifacts_dir, name):
    path = os.path.join(artifacts_dir, f"guides-{name}.png")
    page.screenshot(path=path, full_page=True)
    assert os.path.getsize(path) > 10_000
    return path


@pytest.fixture
def jilin(settings, tmp_path):
    settings.ELASTICSEARCH_URL = ""
    settings.HUICAI_SEARCH_SQLITE_PATH = tmp_path / "search.sqlite3"
    search_service.reset_backends()
    section, result = published_policy("jilin")
    services.service_guides_generate(section=section, policy=result.page)
    services.policy_workflow_ensure(section=section)
    services.guide_permissions_ensure(section=section)
    from search.documents import page_content_documents

    search_service.get_backend().drop()
    search_service.index_content(page_content_documents())
    yield section
    search_service.reset_backends()


@pytest.mark.parametrize("device", ["mobile", "desktop"])
def test_guide_and_its_twin(live_server, request, artifacts_dir, jilin, axe_violations, device):
    page = request.getfixturevalue(device)
    twins = list(ServiceGuidePage.objects.child_of(jilin).filter(service_item__title="旅游服务：国有景区免费门票")
                 .order_by("service_item__ref"))
    assert [g.title for g in twins] == ["旅游服务：国有景区免费门票（吉享卡）", "旅游服务：国有景区免费门票（吉健卡）"]
    page.goto(live_server.url + jilin.url)
    listed = page.locator("ul.guides a").all_inner_texts()
    assert len(listed) == len(set(listed)) and {g.title for g in twins} <= set(listed)
    with page.expect_navigation():
        page.get_by_role("link", name=twins[0].title).click()
    assert page.locator("h1").inner_text() == twins[0].title
    assert page.locator(".guide-table dt").all_inner_texts() == LABELS
    facts = dict(zip(LABELS, page.locator(".guide-table dd").all_inner_texts(), strict=True))
    assert facts["服务对象"].startswith("吉享卡") and "吉健卡" not in facts["服务对象"]
    assert facts["受理条件"].startswith("持有在有效期内的吉享卡")
    for label in ("申请材料", "办理流程", "办理时限", "办理地点/窗口", "咨询电话", "收费标准"):
        assert facts[label] == "请咨询责任单位", label
    assert "第七条第（三）项" in facts["设定依据"]
    with page.expect_navigation():
        page.locator(".guide-table a.source-link").click()
    assert page.evaluate("document.querySelector(':target').id") == "art-7-3"
    page.go_back()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert axe_violations(page) == []
    shot(page, artifacts_dir, f"jilin-guide-{device}")


@pytest.mark.parametrize("device", ["mobile", "desktop"])
def test_search_shows_public_urls_and_counts_every_result(live_server, request, artifacts_dir, jilin, axe_violations,
                                                          device):
    page = request.getfixturevalue(device)
    page.goto(live_server.url + "/search/?q=" + "门票")
    hits = page.locator("li.hit")
    total = hits.count()
    assert total >= 4  # two articles, two guides
    urls = page.locator("li.hit .hit-url").all_inner_texts()
    assert len(urls) == total and all("/jilin/" in u and "home-huicai" not in u for u in urls)
    facet_totals = page.evaluate("""() => [...document.querySelectorAll('.facets ul')].map(
        ul => [...ul.querySelectorAll('.count')].reduce((s, c) => s + Number(c.textContent), 0))""")
    assert facet_totals and all(t == total for t in facet_totals), facet_totals
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert axe_violations(page) == []
    shot(page, artifacts_dir, f"search-{device}")
    href = hits.first.locator("h2 a").get_attribute("href")
    page.goto(live_server.url + href)
    assert page.locator("h1").count() == 1 and "404" not in page.title()
