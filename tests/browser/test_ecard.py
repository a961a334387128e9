"""The holder's e-card in Chromium at phone and desktop sizes: its QR code is read back by a real decoder
(ZXing) from a screenshot, and from the certificate PDF rasterised by pdftoppm; it opens offline once seen."""

import io
import os

import pytest
from django.test import Client
from pypdf import PdfReader

from casefiles.demo_cards import issue_card, prepare_schemes
from casefiles.pdf import verification_url

from .conftest import decode_qr, pdf_pages_png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def card():
    prepare_schemes(["chuxiong"])
    return issue_card("chuxiong", applicant_name="张小明")


@pytest.mark.parametrize("size", ["mobile", "desktop"])
def test_ecard_qr_decodes_from_a_screenshot(request, size, card, live_server, login_as, artifacts_dir):
    page = login_as(request.getfixturevalue(size), card.holder)
    page.goto(f"{live_server.url}/cards/{card.pk}/")
    qr = page.locator("[data-testid=ecard] .qr")
    qr.scroll_into_view_if_needed()
    shot = os.path.join(artifacts_dir, f"ecard-{size}.png")
    page.screenshot(path=shot, full_page=True)
    assert decode_qr(page.screenshot()) == [verification_url(card)]  # what a scanner sees on the screen
    assert decode_qr(shot) == [verification_url(card)]
    # Never drawn smaller than its own module grid: the SVG is shown at (at least) its natural size.
    box = qr.locator("svg").bounding_box()
    natural = qr.locator("svg").evaluate("s => s.viewBox.baseVal.width")
    assert natural and box["width"] >= natural


@pytest.mark.parametrize("revoked", [False, True], ids=["valid", "revoked"])
def test_certificate_qr_decodes_from_the_rasterised_pdf(revoked, card, artifacts_dir):
    if revoked:
        _revoke(card)
    client = Client()
    client.force_login(card.holder)
    response = client.get(f"/cards/{card.pk}/certificate.pdf")
    assert response.status_code == 200
    pages = pdf_pages_png(response.content, artifacts_dir, f"certificate-{'revoked' if revoked else 'valid'}")
    assert pages
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert ("作废" in text) is revoked  # the void mark (and the page still scans)
    for png in pages:  # the void stamp leaves the code readable
        assert decode_qr(png) == [verification_url(card)]


def _revoke(card):
    from casefiles.models import RevocationReason
    from casefiles.services import cards as svc

    office = card.scheme.departments.get(code="talent-office").group.user_set.first()
    reason = next(
        r
        for r in RevocationReason.objects.filter(scheme=card.scheme).order_by("order")
        if "department" in r.requested_by
    )
    svc.card_revoke(card=card, reason=reason, user=office, comment="弄虚作假骗取入选资格。")
    card.refresh_from_db()
    return reason


@pytest.mark.parametrize("size", ["mobile", "desktop"])
def test_revoked_ecard_shows_status_first_and_no_services(
    request, size, card, live_server, login_as, artifacts_dir, axe_violations
):
    reason = _revoke(card)
    page = login_as(request.getfixturevalue(size), card.holder)
    page.goto(f"{live_server.url}/cards/{card.pk}/")
    state = page.locator("[data-testid=card-state]")
    assert state.get_attribute("data-kind") == "ended"
    assert page.locator("[data-testid=mark]").inner_text() == "作废"
    assert reason.article in state.inner_text()
    # the status is the first thing on the screen, above the card
    assert state.bounding_box()["y"] < page.locator("[data-testid=ecard]").bounding_box()["y"]
    assert (
        page.locator("[data-testid=services]").count() == 0 and page.locator("[data-testid=no-services]").count() == 1
    )
    page.screenshot(path=os.path.join(artifacts_dir, f"ecard-revoked-{size}.png"), full_page=True)
    # its QR code still reads, and answers "revoked"
    [url] = decode_qr(page.screenshot(full_page=True))
    page.goto(live_server.url + "/verify/" + url.split("/verify/", 1)[1])
    assert page.locator("[data-testid=verify] .state").get_attribute("data-status") == card.status
    assert page.locator("[data-testid=mark]").inner_text() == "作废"
    assert page.locator("[data-testid=article]").inner_text() == reason.article


@pytest.mark.parametrize("size", ["mobile", "desktop"])
def test_ecard_has_no_serious_accessibility_violations(request, size, card, live_server, login_as, axe_violations):
    page = login_as(request.getfixturevalue(size), card.holder)
    page.goto(f"{live_server.url}/cards/{card.pk}/")
    assert axe_violations(page) == []
    _revoke(card)
    page.reload()
    assert axe_violations(page) == []


def test_ecard_opens_offline_once_seen(card, live_server, login_as, mobile, artifacts_dir):
    page = login_as(mobile, card.holder)
    url = f"{live_server.url}/cards/{card.pk}/"
    page.goto(url)
    page.wait_for_selector("html[data-offline-ready='1']", state="attached")  # (wait_for_function needs eval: CSP)
    page.context.set_offline(True)
    page.goto(url)  # the basement clinic: no network
    assert page.locator("[data-testid=ecard]").count() == 1
    assert card.number in page.locator("[data-testid=ecard]").inner_text()
    assert page.locator("[data-testid=offline-note]").is_visible()
    assert (
        page.evaluate("getComputedStyle(document.querySelector('[data-testid=ecard]')).borderRadius") == "16px"
    )  # styled
    page.screenshot(path=os.path.join(artifacts_dir, "ecard-offline-mobile.png"), full_page=True)
    assert decode_qr(page.screenshot(full_page=True)) == [verification_url(card)]
    # Back online and signed out: the server no longer gives the card to this browser, and the copy is dropped.
    page.context.set_offline(False)
    page.context.clear_cookies()
    page.goto(url)
    assert "/accounts/login/" in page.url
    cached = "path => caches.open('huicai-ecard-v1').then(c => c.match(location.origin + path)).then(r => !!r)"
    assert page.evaluate(cached, f"/cards/{card.pk}/") is False


def test_ecard_is_not_served_offline_after_logout(card, live_server, login_as, mobile):
    """Signing out ends the offline copy at once (Clear-Site-Data on the logout answer), not at the next online
    visit: whoever picks the browser up afterwards, offline, does not get the holder's name, number and QR code."""
    page = login_as(mobile, card.holder)
    url = f"{live_server.url}/cards/{card.pk}/"
    page.goto(url)
    page.wait_for_selector("html[data-offline-ready='1']", state="attached")
    cached = "path => caches.open('huicai-ecard-v1').then(c => c.match(location.origin + path)).then(r => !!r)"
    assert page.evaluate(cached, f"/cards/{card.pk}/") is True
    with page.expect_navigation():
        page.locator("header form[action='/accounts/logout/'] button").click()  # the site's own "Log out"
    assert page.evaluate(cached, f"/cards/{card.pk}/") is False
    page.context.set_offline(True)
    try:
        page.goto(url)
    except Exception:  # noqa: BLE001 - offline, and nothing answers from a cache: the navigation fails
        pass
    assert page.locator("[data-testid=ecard]").count() == 0
    assert card.number not in page.content()
