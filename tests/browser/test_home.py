import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(transactional_db):
    from casefiles.schemes.loader import schemes_load
    from policypages.demo import ensure_home_page, ensure_scheme_section

    schemes = schemes_load()
    home = ensure_home_page()
    for scheme in schemes:
        ensure_scheme_section(home, scheme)
    return home


def test_home_page_in_chinese_then_english(site, live_server, page, artifacts_dir):
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.locator("h1").first.inner_text() == "人才服务卡"
    # All five programmes are listed.
    for name in ("通化", "吉林", "楚雄", "白云", "聊城"):
        assert page.get_by_text(name, exact=False).first.is_visible()
    page.screenshot(path=f"{artifacts_dir}/home-zh.png", full_page=True)
    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").first.inner_text() == "Talent service cards"
    page.screenshot(path=f"{artifacts_dir}/home-en.png", full_page=True)
    with page.expect_navigation():
        page.get_by_role("link", name="简体中文").click()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"


def test_home_page_fits_a_phone(site, live_server, phone, artifacts_dir):
    phone.goto(live_server.url + "/")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page is {width}px wide on a 375px phone"
    phone.screenshot(path=f"{artifacts_dir}/home-phone.png", full_page=True)
