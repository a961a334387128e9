"""The public delivery report (issue #20 item 5) on a phone: a visitor opens it, chooses a programme, and reads
three charts that name and describe themselves, beside tables with the same figures; the page fits the phone's
width, passes axe-core, and shows no personal data. Schemes only (no demo): a card and a few requests are made
with the model."""

import os

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _requests():
    from casefiles.demo import load_schemes_and_users
    from casefiles.models import Scheme
    from delivery import report
    from tests.casefiles.factories import PASSWORD
    from tests.delivery.report_rows import card_of, served_items, service_request

    load_schemes_and_users(password=PASSWORD)
    scheme = Scheme.objects.order_by("slug").first()
    card = card_of(scheme.slug)
    (item, unit), (other, other_unit) = served_items(scheme)
    months = report.months_back(3)
    day = {m: m.replace(day=6) for m in months}
    for month in months[:2]:
        service_request(
            card,
            item,
            unit,
            requested_on=day[month],
            completed_on=day[month].replace(day=13),
            days=5,
            limit=10,
            rating=5,
        )
        service_request(
            card,
            other,
            other_unit,
            requested_on=day[month],
            completed_on=day[month].replace(day=27),
            days=14,
            limit=10,
            rating=2,
        )
    service_request(card, item, unit, requested_on=day[months[-1]])
    return scheme, card, (unit, other_unit)


def test_the_public_delivery_report_on_a_phone(live_server, mobile, artifacts_dir, axe_violations):
    scheme, card, units = _requests()
    page = mobile
    response = page.goto(f"{live_server.url}/delivery-report/")
    assert response.status == 200
    page.select_option("#dr-scheme", scheme.slug)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert f"scheme={scheme.slug}" in page.url

    charts = page.locator("svg.chart[role=img]")
    assert charts.count() == 3
    for i in range(3):
        chart = charts.nth(i)
        title_id, desc_id = chart.get_attribute("aria-labelledby").split()
        assert page.locator(f"[id='{title_id}']").text_content().strip()
        desc = page.locator(f"[id='{desc_id}']").text_content()
        assert any(c.isdigit() for c in desc), desc  # the description says the figures in words
        drawn = chart.locator("rect").evaluate_all(
            "els => els.filter(e => parseFloat(e.getAttribute('width')) > 0 "
            "&& parseFloat(e.getAttribute('height')) > 0).length"
        )
        assert drawn > 0, title_id
        box = chart.bounding_box()
        view_width = float(chart.get_attribute("viewBox").split()[2])
        assert box["width"] <= 390, box  # scaled to the phone…
        assert 13 * box["width"] / view_width >= 11, box  # …with its text still about 12 pixels high
    # the accessible name of a chart is its title, read from the page as a screen reader would
    assert page.get_by_role("img", name=page.locator("svg.chart title").first.text_content()).count() == 1

    units_table = page.locator("[data-testid=unit-table]")
    for unit in units:
        assert unit.name in units_table.inner_text()
    body = page.inner_text("body")
    for private in (card.holder_name, card.number, "13800138000", "110101199003076578", "服务很好"):
        assert private not in body, private
    # nothing wider than the phone but the tables' own scrolling regions
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert axe_violations(page) == []
    page.screenshot(path=os.path.join(artifacts_dir, "delivery-report-phone.png"), full_page=True)
