"""The statistics page on demo data: charts people would rather look at than read, drawn as SVG."""

import os

import pytest

from tests.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = DEMO_PASSWORD  # the demo_committed fixture's users'


def test_statistics_page_shows_non_empty_charts(live_server, demo_committed, page, artifacts_dir):
    from casefiles.management.commands.load_demo import DEMO_STEPS
    from programmes.demo import load_programmes

    if "programmes.demo.load_programmes" not in DEMO_STEPS:
        load_programmes(password=PASSWORD)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/?next=/admin/programmes/statistics/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/programmes/statistics/")

    charts = page.locator("svg.chart")
    assert charts.count() == 9  # the eight tables and service delivery (delivery.report)
    for key in ("by_scheme", "by_stage", "by_tier", "by_month", "stage_times", "active_cards"):
        chart = page.locator(f"#chart-{key} svg.chart")
        marks = chart.locator("rect.bar, path.trend").count()
        assert marks > 0, key
        widths = chart.locator("rect.bar").evaluate_all("els => els.map(e => parseFloat(e.getAttribute('width')))")
        assert any(w > 0 for w in widths), key  # at least one bar is actually drawn
    assert "聊城市人才服务金卡" in page.inner_text("#chart-by_scheme")
    # The admin scrolls inside its own container, so a tall window shows every chart in one picture.
    page.set_viewport_size({"width": 1280, "height": 4200})
    page.screenshot(path=os.path.join(artifacts_dir, "statistics.png"))
    page.set_viewport_size({"width": 1280, "height": 900})

    # The same page filtered to one programme, and the Excel download link is there.
    page.select_option("#pg-scheme", "liaocheng")
    page.click("form.pg-inline button[type=submit]")
    page.wait_for_url("**scheme=liaocheng**")
    assert "通化" not in page.inner_text("#chart-by_scheme")
    assert page.locator("#pg-export").get_attribute("href").endswith("export=xlsx")
    page.screenshot(path=os.path.join(artifacts_dir, "statistics-liaocheng.png"), full_page=True)
