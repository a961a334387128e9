"""The eligibility self-check page in a phone-sized Chromium: tick criteria, answer, submit, read the result."""

import re
import os

import pytest

from casefiles.schemes.loader import schemes_load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def schemes(transactional_db):
    return {s.slug: s for s in schemes_load(["tonghua", "baiyun"])}


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_tonghua_self_check_on_a_phone(live_server, phone, schemes, artifacts_dir):
    page = phone
    page.goto(f"{live_server.url}/schemes/tonghua/self-check/")
    assert page.locator("h1").inner_text().startswith("通化市“英才卡”")
    assert page.locator("script").count() == 0 or page.evaluate("document.querySelectorAll('main script').length") == 0
    # the criteria in the policy's words, grouped by tier with their articles
    assert page.locator("fieldset.sc-tier-group").count() == 3
    label = page.locator("label.sc-check", has_text="通化工匠")
    assert "第七条第②项" in label.inner_text()
    label.click()
    page.fill("input[name=contract_years]", "3")
    assert no_horizontal_scroll(page)
    page.screenshot(path=os.path.join(artifacts_dir, "self-check-tonghua-phone-form.png"), full_page=True)
    page.click("button.sc-submit")
    page.wait_for_selector("#result")
    assert page.locator(".sc-tier").inner_text() == "B卡"
    assert "第七条第②项" in page.locator(".sc-basis").inner_text()
    assert page.locator("#result").get_attribute("class").split()[-1] == "is-eligible"
    assert page.locator(".sc-services > li").count() == schemes["tonghua"].tiers.get(code="B").direct_services.count()
    assert "/applications/new/?scheme=tonghua&criteria=7.2" in page.locator("a.button", has_text=re.compile("Apply online|在线申领")).get_attribute("href")
    assert "通化市人才引进服务中心" in page.locator("#result").inner_text()
    # the answers stay ticked for another try
    # In <main>: the header's 长辈模式 form carries the page's query (criteria=7.2) as hidden inputs too.
    assert page.locator("main input[type=checkbox][name=criteria][value='7.2']").is_checked()
    assert no_horizontal_scroll(page)
    page.screenshot(path=os.path.join(artifacts_dir, "self-check-tonghua-phone-result.png"), full_page=True)


def test_baiyun_self_check_months_below_the_minimum(live_server, phone, schemes, artifacts_dir):
    page = phone
    page.goto(f"{live_server.url}/schemes/baiyun/self-check/")
    page.locator("label.sc-check", has_text="区产业领军人才").click()
    page.fill("input[name=months_per_year_in_jurisdiction]", "5")
    page.fill("input[name=employer_operating_years]", "3")
    page.click("button.sc-submit")
    page.wait_for_selector("#result")
    assert page.locator(".sc-tier").inner_text() == "云聚英才卡"
    assert "第三条第二款第5项" in page.locator(".sc-basis").inner_text()
    unmet = page.locator(".sc-unmet").inner_text()
    assert "第三条第二款" in unmet and "6个月" in unmet
    assert "is-blocked" in page.locator("#result").get_attribute("class")
    assert "一事一议" in page.locator(".sc-note").inner_text()
    assert no_horizontal_scroll(page)
    page.screenshot(path=os.path.join(artifacts_dir, "self-check-baiyun-phone-result.png"), full_page=True)
