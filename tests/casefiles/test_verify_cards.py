"""Public verification: signed token, masked name, no ID or phone digits, status messages, rate limit."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from casefiles.demo_cards import issue_card, prepare_schemes
from casefiles.masking import mask_name
from casefiles.models import Card, RevocationReason
from casefiles.pdf import unsign_token, verification_token
from casefiles.services import cards as svc

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


@pytest.fixture(scope="module")
def card_once(django_db_setup, django_db_blocker):
    """通化 with its demo users and one issued card, made once for the module: the card's primary key."""
    from tests.conftest import rolled_back

    with rolled_back(django_db_blocker):
        prepare_schemes(["tonghua"])
        yield issue_card("tonghua", applicant_name="张小明").pk


@pytest.fixture
def card(card_once, db):
    """The card, fresh from the database (each test in a savepoint: what it changes is gone for the next)."""
    return Card.objects.get(pk=card_once)


def test_token_is_signed_and_unguessable(card):
    token = verification_token(card)
    assert unsign_token(token) == card.verification_token and len(card.verification_token) >= 43
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert unsign_token(forged) is None
    assert unsign_token(card.verification_token) is None  # the bare stored token is not accepted


def test_api_shows_masked_name_and_nothing_personal(client, card):
    response = client.get(f"/api/v1/verify/{verification_token(card)}/")
    assert response.status_code == 200
    body = response.json()
    assert body["holder"] == "张*明" and body["valid"] is True and body["status"] == "active"
    assert body["scheme"] == card.scheme.name and body["tier"] == card.tier.name
    text = response.content.decode()
    assert card.dossier.id_number not in text and card.dossier.phone not in text and "张小明" not in text
    assert not re.search(r"\d{15,}", text)


def test_page_shows_masked_name(client, card):
    response = client.get(f"/verify/{verification_token(card)}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "张*明" in html and "张小明" not in html and card.dossier.id_number not in html
    assert 'data-status="active"' in html


def test_revoked_expired_and_replaced_say_so(client, card):
    staff = card.scheme.departments.get(code="service-center").group.user_set.first()
    svc.card_revoke(card=card, reason=RevocationReason.objects.get(scheme=card.scheme, ref="16.5"), user=staff, comment="转借他人。")
    body = client.get(f"/api/v1/verify/{verification_token(card)}/").json()
    assert body["status"] == "revoked" and body["valid"] is False and body["message"] != body["status"]
    assert body["ended_on"] == str(timezone.localdate())
    other = issue_card("tonghua")
    Card.objects.filter(pk=other.pk).update(valid_until=timezone.localdate() - datetime.timedelta(days=1))
    svc.cards_expire_due()
    html = client.get(f"/verify/{verification_token(other)}/").content.decode()
    assert 'data-status="expired"' in html
    third = issue_card("tonghua")
    svc.card_report_loss(card=third, user=third.holder)
    new = svc.card_reissue(card=third, user=staff, comment="证明材料齐全。")
    assert client.get(f"/api/v1/verify/{verification_token(third)}/").json()["status"] == "replaced"
    assert client.get(f"/api/v1/verify/{verification_token(new)}/").json()["status"] == "active"


def test_forged_token_is_404_in_chinese_error_body(client, card):
    response = client.get("/api/v1/verify/not-a-real-token.abc/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert client.get("/verify/not-a-real-token.abc/").status_code == 404


def test_rate_limited(client, card, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"verify": "3/min", "anon": "100/min"}}
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    api_settings.reload()
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        url = f"/api/v1/verify/{verification_token(card)}/"
        codes = [client.get(url).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert client.get(f"/verify/{verification_token(card)}/").status_code == 429
    finally:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"verify": "1000/min", "anon": "10000/min"}}
        api_settings.reload()
        SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        cache.clear()


def test_masking_rule_is_the_shared_one():
    assert mask_name("欧阳小明") == "欧**明" and mask_name("张三") == "张*"


def test_holder_api_lists_own_cards_and_reports_loss(client, card):
    client.force_login(card.holder)
    listed = client.get("/api/v1/cards/").json()["results"]
    assert [c["number"] for c in listed] == [card.number]
    response = client.post(f"/api/v1/cards/{card.pk}/report-loss/", {"comment": "遗失"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "suspended"
    assert response.json()["events"][-1]["article"] == "第十五条"
    again = client.post(f"/api/v1/cards/{card.pk}/report-loss/", {}, content_type="application/json")
    assert again.status_code == 409
    other = issue_card("tonghua")
    assert client.get(f"/api/v1/cards/{other.pk}/").status_code == 404


def test_holder_requests_revocation_through_api(client, card):
    client.force_login(card.holder)
    response = client.post(f"/api/v1/cards/{card.pk}/revocation-requests/", {"reason": "16.8", "comment": "已调离通化。"},
                           content_type="application/json")
    assert response.status_code == 201 and response.json()["status"] == "proposed"


def test_ecard_page_for_holder_only(client, card):
    client.force_login(card.holder)
    html = client.get(f"/cards/{card.pk}/").content.decode()
    assert card.number in html and "<svg" in html
    other = issue_card("tonghua")
    assert client.get(f"/cards/{other.pk}/").status_code == 404
