"""A card's status agrees wherever the card shows (issue #18, items 1 and 3): the certificate PDF (its mark on
every page, and what its QR code answers), the holder's e-card, the verification page and API by code, and the
verification by number — for every way a card can end that the scheme files and the card models define:
every exit effect of every scheme's revocation reasons, expiry, loss, reissue (the old number), and the contact
list before and after its talent services end."""

import datetime
import io
import re
import tempfile

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone
from pypdf import PdfReader

from casefiles.demo_cards import issue_card, prepare_schemes
from casefiles.models import Card, CardStatus, RevocationReason, RevocationRequest, Scheme
from casefiles.models.schemes import ExitEffect
from casefiles.pdf import certificates_pdf, verification_token, verification_url
from casefiles.schemes.loader import SCHEME_SLUGS
from casefiles.services import cards as svc

pytestmark = [pytest.mark.django_db]

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
SLUGS = sorted(SCHEME_SLUGS)
# What each mark must say (zh-Hans), by status: the words of issue #18 (作废 / 已失效 / 已挂失).
EXPECTED_MARK = {
    CardStatus.REVOKED: "作废",
    CardStatus.REPLACED: "作废",
    CardStatus.EXPIRED: "已失效",
    CardStatus.CONTACT_LIST: "已失效",
    CardStatus.SUSPENDED: "已挂失",
    CardStatus.ACTIVE: None,
}


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser("sweep-root", "root@example.org", "x")


def _employer_user(card):
    return card.employer.group.user_set.order_by("pk").first()


def _end(card, reason, root):
    """Apply ``reason`` the way its article allows: by the department, or proposed by the employer and agreed."""
    if "department" in reason.requested_by and svc.exit_approval_rule(card.scheme):
        # the scheme's exits need a second officer (cards.exit_approval): one requests, another approves
        svc.card_request_revocation(card=card, reason=reason, user=root, comment="核实情况属实。")
        svc.card_agree_revocation(request=RevocationRequest.objects.get(card=card, status="proposed"),
                                  user=get_user_model().objects.create_superuser(f"second-{card.pk}", "", "x"))
    elif "department" in reason.requested_by:
        svc.card_revoke(card=card, reason=reason, user=root, comment="核实情况属实。")
    else:
        svc.card_request_revocation(card=card, reason=reason, user=_employer_user(card), comment="单位提出。")
        svc.card_agree_revocation(request=RevocationRequest.objects.get(card=card), user=root, comment="同意。")


def _cases(root):
    """(label, card, expected article) for every ending the data defines; the replacing cards too."""
    prepare_schemes(SLUGS)
    cases = []
    for scheme in Scheme.objects.filter(slug__in=SLUGS).order_by("slug"):
        for effect in ExitEffect.values:
            reason = RevocationReason.objects.filter(scheme=scheme, effect=effect).order_by("order").first()
            if reason is None:
                continue
            card = issue_card(scheme, applicant_name="欧阳文华")
            _end(card, reason, root)
            cases.append((f"{scheme.slug}:{effect}", card, reason.article))
            if effect == ExitEffect.CONTACT_LIST:  # the same card once its talent services have ended
                ended = issue_card(scheme, applicant_name="欧阳文华")
                _end(ended, reason, root)
                Card.objects.filter(pk=ended.pk).update(services_end_on=timezone.localdate())
                cases.append((f"{scheme.slug}:{effect}:services-ended", ended, reason.article))
        lapsed = issue_card(scheme, applicant_name="张小明")
        Card.objects.filter(pk=lapsed.pk).update(valid_until=timezone.localdate() - datetime.timedelta(days=1))
        cases.append((f"{scheme.slug}:expire", lapsed, scheme.validity_article))
        if scheme.loss_article:
            lost = issue_card(scheme, applicant_name="李四")
            svc.card_report_loss(card=lost, user=lost.holder)
            cases.append((f"{scheme.slug}:report_loss", lost, scheme.loss_article))
            old = issue_card(scheme, applicant_name="王五")
            svc.card_report_loss(card=old, user=old.holder)
            new = svc.card_reissue(card=old, user=root, comment="证明材料齐全。")
            cases.append((f"{scheme.slug}:reissue:old", old, scheme.loss_article))
            cases.append((f"{scheme.slug}:reissue:new", new, ""))
    svc.cards_expire_due()
    return [
        (label, Card.objects.select_related("scheme", "tier", "dossier", "end_reason").get(pk=c.pk), article)
        for label, c, article in cases
    ]


def _pdf_pages_text(content):
    return [re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(io.BytesIO(content)).pages]


def _qr_of_pdf(content):
    from tests.browser.conftest import decode_qr, pdf_pages_png

    with tempfile.TemporaryDirectory() as directory:
        return [decode_qr(png) for png in pdf_pages_png(content, directory, "certificate", dpi=100)]


def _cn_date(value):
    return f"{value.year}年{value.month}月{value.day}日"


def test_status_agrees_on_certificate_ecard_and_verification(client, root):
    cache.clear()
    cases = _cases(root)
    statuses = {card.status for _label, card, _article in cases}
    assert statuses == set(CardStatus.values), (
        f"the sweep reaches every status: missing {set(CardStatus.values) - statuses}"
    )
    checked = 0
    for label, card, article in cases:
        cache.clear()  # the by-number checks are limited per address (10 a minute): each card starts afresh
        today = timezone.localdate()
        mark = EXPECTED_MARK[card.status]
        # --- verification by code (what the QR code holds) and by number: one and the same answer
        api = client.get(f"/api/v1/verify/{verification_token(card)}/", **ZH).json()
        by_name = client.post(
            "/api/v1/verify/",
            {"number": card.number, "holder": card.holder_name},
            content_type="application/json",
            **ZH,
        )
        by_id = client.post(
            "/api/v1/verify/",
            {"number": card.number.lower(), "holder": card.dossier.id_number[-4:]},
            content_type="application/json",
            **ZH,
        )
        assert by_name.status_code == by_id.status_code == 200, label
        assert by_name.json() == by_id.json() == api, label
        assert api["status"] == card.status and api["mark"] == mark, label
        assert api["valid"] is (mark is None), label
        if mark:
            assert api["article"] == article and article, label
            expected_since = card.services_end_on or card.ended_at or timezone.localdate(card.lost_reported_at)
            assert api["status_since"] == expected_since.isoformat(), label
        assert api["holder"] != card.holder_name and card.dossier.id_number not in str(api), label
        if card.status == CardStatus.REPLACED:  # the old number names no new number
            new_number = card.replaced_by.number
            assert new_number not in by_name.content.decode() + str(api), label
        page = client.get(f"/verify/{verification_token(card)}/", **ZH).content.decode()
        form = client.post("/verify/", {"number": card.number, "holder": card.holder_name}, **ZH).content.decode()
        for html in (page, form):
            assert f'data-status="{card.status}"' in html, label
            assert (f'data-testid="mark">{mark}<' in html) if mark else 'data-testid="mark"' not in html, label
            if mark:
                assert f'data-testid="article">{article}<' in html, label
            assert api["issuing_body"] and api["issuing_body"] in html and card.holder_name not in html, label
        # --- the holder's e-card: the status first, services only while they may be used
        client.force_login(card.holder)
        ecard = client.get(f"/cards/{card.pk}/", **ZH).content.decode()
        assert ecard.index('data-testid="card-state"') < ecard.index('data-testid="ecard"'), label
        assert f'data-status="{card.status}"' in ecard, label
        assert (f'data-testid="mark">{mark}<' in ecard) if mark else 'data-testid="mark"' not in ecard, label
        usable = card.status == CardStatus.ACTIVE or bool(card.services_end_on and today < card.services_end_on)
        assert ('data-testid="services"' in ecard) is usable and ('data-testid="no-services"' in ecard) is (
            not usable
        ), label
        if mark and article:
            assert article in ecard, label
        # --- the holder's API: the e-card link and the QR payload an app draws
        mine = client.get(f"/api/v1/cards/{card.pk}/").json()
        assert mine["qr_payload"] == verification_url(card) and mine["ecard_url"].endswith(f"/cards/{card.pk}/"), label
        # --- the certificate: the mark, its date and article on every page; its QR code answers the same status
        response = client.get(f"/cards/{card.pk}/certificate.pdf", **ZH)
        assert response.status_code == 200, label
        client.logout()
        pages = _pdf_pages_text(response.content)
        for text in pages:
            if mark:
                assert mark in text and article in text, (label, text)
                assert (
                    _cn_date(card.services_end_on or card.ended_at or timezone.localdate(card.lost_reported_at)) in text
                ), label
            else:
                assert not any(m and m in text for m in EXPECTED_MARK.values()), (label, text)
        for codes in _qr_of_pdf(response.content):
            assert codes == [verification_url(card)], label
            path = codes[0].split("://", 1)[1].split("/", 1)[1]
            assert client.get(f"/{path}".replace("/verify/", "/api/v1/verify/", 1)).json() == api, label
        checked += 1
    # A print file of several cards: each page carries its own card's mark.
    batch = [card for _label, card, _article in cases[:4]]
    for card, text in zip(batch, _pdf_pages_text(certificates_pdf(batch)), strict=True):
        assert card.number in text and (EXPECTED_MARK[card.status] or "") in text
    assert checked == len(cases) >= 2 * len(SLUGS)
    print(f"status sweep: {len(cases)} cards, statuses {sorted(statuses)}")


def test_verification_by_number_refuses_wrong_holder_alike_and_is_rate_limited(client, root, monkeypatch):
    prepare_schemes(["tonghua"])
    card = issue_card("tonghua", applicant_name="张小明")
    cache.clear()
    wrong = [
        ("/api/v1/verify/", {"number": card.number, "holder": "张大明"}),
        (
            "/api/v1/verify/",
            {"number": card.number, "holder": "0000" if card.dossier.id_number[-4:] != "0000" else "1111"},
        ),
        ("/api/v1/verify/", {"number": "XX000000", "holder": card.holder_name}),
    ]
    bodies = []
    for url, data in wrong:
        response = client.post(url, data, content_type="application/json", **ZH)
        assert response.status_code == 404
        bodies.append(response.json())
    assert bodies[0] == bodies[1] == bodies[2]  # an unknown number and a wrong name look the same
    # in the caller's language (gettext), by number and by code: no English error in a Chinese answer
    forged = client.get("/api/v1/verify/not-a-real-code/", **ZH)
    assert forged.status_code == 404
    for body in (bodies[0], forged.json()):
        assert re.search(r"[\u4e00-\u9fff]", body["error"]["message"]), body
    html = client.post("/verify/", {"number": card.number, "holder": "张大明"}, **ZH)
    assert html.status_code == 404 and "没有与该卡号和姓名相符的人才卡" in html.content.decode()
    assert client.get("/verify/", **ZH).status_code == 200
    # the name never reaches a URL: the form posts
    assert 'method="post"' in client.get("/verify/").content.decode()
    # per address, page and API together, with a Chinese message. The tighter rate is patched on the class
    # attribute the throttles read (page and API alike), and monkeypatch puts the very same object back.
    from rest_framework.throttling import SimpleRateThrottle

    cache.clear()
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "verify_number": "3/min"}
    )
    try:
        data = {"number": card.number, "holder": card.holder_name}
        codes = [
            client.post("/api/v1/verify/", data, content_type="application/json", **ZH).status_code for _ in range(2)
        ]
        codes.append(client.post("/verify/", data, **ZH).status_code)
        limited_page = client.post("/verify/", data, **ZH)
        limited_api = client.post("/api/v1/verify/", data, content_type="application/json", **ZH)
        assert codes == [200, 200, 200] and limited_page.status_code == limited_api.status_code == 429
        assert "请" in limited_page.content.decode() and re.search(
            r"[\u4e00-\u9fff]", limited_api.json()["error"]["message"]
        )
        assert limited_page["Retry-After"]
    finally:
        cache.clear()  # the counts live in the default cache, which outlives a test


def test_the_tighter_rate_does_not_outlive_its_test(client, root):
    """Runs after the rate-limit test: the class attribute and the settings agree again (3/min once leaked to the
    rest of the session, and later tests got 429s from /api/v1/verify/), and the counts were cleared."""
    from django.conf import settings
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    assert SimpleRateThrottle.THROTTLE_RATES == api_settings.DEFAULT_THROTTLE_RATES
    assert SimpleRateThrottle.THROTTLE_RATES == settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    prepare_schemes(["tonghua"])
    card = issue_card("tonghua", applicant_name="张小明")
    data = {"number": card.number, "holder": card.holder_name}
    codes = [client.post("/api/v1/verify/", data, content_type="application/json").status_code for _ in range(4)]
    assert codes == [200] * 4
    cache.clear()


def test_holder_api_gives_ecard_and_qr_payload_to_the_holder_only(client, root):
    prepare_schemes(["tonghua"])
    card = issue_card("tonghua", applicant_name="张小明")
    client.force_login(card.holder)
    listed = client.get("/api/v1/cards/").json()["results"]
    assert [c["qr_payload"] for c in listed] == [verification_url(card)]
    client.force_login(root)
    seen = client.get(f"/api/v1/cards/{card.pk}/").json()
    assert seen["qr_payload"] is None and seen["ecard_url"] is None
