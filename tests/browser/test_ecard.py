"""The holder's e-card in Chromium at phone and desktop sizes: its QR code is read back by a real decoder
(ZXing) from a screenshot, and from the certificate PDF rasterised by pdftoppm; it opens offline once seen."""

import os

import pytest
from django.test import Client

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


def test_certificate_qr_decodes_from_the_rasterised_pdf(card, artifacts_dir):
    client = Client()
    client.force_login(card.holder)
    response = client.get(f"/cards/{card.pk}/certificate.pdf")
    assert response.status_code == 200
    pages = pdf_pages_png(response.content, artifacts_dir, f"certificate-{card.number}")
    assert pages
    for png in pages:
        assert decode_qr(png) == [verification_url(card)]
