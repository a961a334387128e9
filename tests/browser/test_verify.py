"""Scan-free check of the public verification page for an active, an expired and a revoked card."""

import datetime
import os

import pytest
from django.utils import timezone

from casefiles.demo_cards import issue_card, prepare_schemes
from casefiles.models import Card, RevocationReason
from casefiles.pdf import verification_token
from casefiles.services import cards as svc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_verify_page_active_expired_revoked(live_server, phone, artifacts_dir):
    prepare_schemes(["chuxiong"])
    active = issue_card("chuxiong", applicant_name="张小明")
    expired = issue_card("chuxiong", applicant_name="李四")
    revoked = issue_card("chuxiong", applicant_name="欧阳文华")
    # 楚雄 cards have no fixed end; give one a past end date to show the expired state.
    Card.objects.filter(pk=expired.pk).update(valid_until=timezone.localdate() - datetime.timedelta(days=1))
    svc.cards_expire_due()
    office = revoked.scheme.departments.get(code="talent-office").group.user_set.first()
    svc.card_revoke(card=revoked, reason=RevocationReason.objects.get(scheme=revoked.scheme, ref="9.1"), user=office,
                    comment="弄虚作假骗取入选资格。")
    for card, status, masked, full in ((active, "active", "张*明", "张小明"), (expired, "expired", "李*", "李四"),
                                       (revoked, "revoked", "欧**华", "欧阳文华")):
        phone.goto(f"{live_server.url}/verify/{verification_token(card)}/")
        state = phone.locator("[data-testid=verify] .state")
        assert state.get_attribute("data-status") == status
        assert phone.locator("[data-testid=holder]").inner_text() == masked
        body = phone.locator("body").inner_text()
        assert full not in body and card.dossier.id_number not in body and card.dossier.phone not in body
        assert card.number in body and card.scheme.name in body
        phone.screenshot(path=os.path.join(artifacts_dir, f"verify-{status}.png"), full_page=True)
    phone.goto(f"{live_server.url}/verify/forged.value/")
    assert phone.locator("[data-testid=verify] .state").get_attribute("data-status") == "unknown"
