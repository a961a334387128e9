"""Verification by number in Chromium, on a phone and a desktop: the public form, a replaced card's old number,
a wrong name, the per-address limit with its Chinese message, and no serious axe-core violation."""

import os

import pytest
from django.core.cache import cache

from casefiles.demo_cards import issue_card, prepare_schemes
from casefiles.masking import mask_name
from casefiles.services import cards as svc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _check(page, number, holder):
    page.fill("#id_number", number)
    page.fill("#id_holder", holder)
    with page.expect_navigation():
        page.click("[data-testid=verify-form] button[type=submit]")
    return page.locator("[data-testid=verify] .state")


@pytest.mark.parametrize("size", ["mobile", "desktop"])
def test_verify_by_number(request, size, live_server, artifacts_dir, axe_violations, settings):
    page = request.getfixturevalue(size)
    prepare_schemes(["tonghua"])
    card = issue_card("tonghua", applicant_name="张小明")
    old = issue_card("tonghua", applicant_name="欧阳文华")
    svc.card_report_loss(card=old, user=old.holder)
    office = old.scheme.departments.get(code="service-center").group.user_set.first()
    new = svc.card_reissue(card=old, user=office, comment="证明材料齐全。")
    old.refresh_from_db()
    cache.clear()

    page.goto(f"{live_server.url}/verify/")
    assert axe_violations(page) == []
    state = _check(page, card.number, "张小明")
    assert state.get_attribute("data-kind") == "valid"
    for testid, expected in (("holder", mask_name("张小明")), ("tier", card.tier.name), ("number", card.number)):
        assert page.locator(f"[data-testid={testid}]").inner_text() == expected
    assert page.locator("[data-testid=issuer]").inner_text()
    body = page.locator("body").inner_text()
    assert "张小明" not in body and card.dossier.id_number not in body and "张小明" not in page.url
    assert axe_violations(page) == []
    page.screenshot(path=os.path.join(artifacts_dir, f"verify-number-valid-{size}.png"), full_page=True)

    # The old number of a reissued card, checked with the ID number's last four characters.
    state = _check(page, old.number, old.dossier.id_number[-4:])
    assert state.get_attribute("data-status") == old.status and state.get_attribute("data-kind") == "replaced"
    assert page.locator("[data-testid=mark]").inner_text() == "作废"
    assert page.locator("[data-testid=article]").inner_text() == old.scheme.loss_article
    assert new.number not in page.content()
    page.screenshot(path=os.path.join(artifacts_dir, f"verify-number-replaced-{size}.png"), full_page=True)

    state = _check(page, card.number, "张大明")
    assert state.get_attribute("data-status") == "unknown"
    assert "相符" in state.inner_text()
    assert axe_violations(page) == []

    # A few checks a minute per address (page and API together: 10 unless the settings say otherwise), then a
    # Chinese message.
    from casefiles.views_cards import VerifyNumberThrottle

    cache.clear()
    for _ in range(VerifyNumberThrottle().num_requests + 1):
        state = _check(page, card.number, "张小明")
    assert state.get_attribute("data-status") == "throttled"
    assert "核验次数过多" in state.inner_text()
    page.screenshot(path=os.path.join(artifacts_dir, f"verify-number-throttled-{size}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    cache.clear()
