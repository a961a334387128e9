"""The holder's own card over the API (issue #23 item 3): status, tier, the services usable now, the e-card's QR
payload and the verification links — for the holder only; anyone else who may see the card gets null."""

from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model

from casefiles.demo_cards import issue_card, prepare_schemes
from casefiles.pdf import verification_url
from casefiles.services import cards as svc

pytestmark = [pytest.mark.django_db]

HOLDER_ONLY = ("ecard_url", "qr_payload", "services_usable", "services", "verification_url", "verification_api_url")


def _results(data):
    return data["results"] if isinstance(data, dict) else data


def test_holder_fields_for_the_holder_only(client):
    prepare_schemes(["tonghua"])
    card = issue_card("tonghua", applicant_name="张小明")
    root = get_user_model().objects.create_superuser("card-root", "root@example.org", "x")
    employer = card.employer.group.user_set.order_by("pk").first()

    client.force_login(card.holder)
    mine = client.get(f"/api/v1/cards/{card.pk}/").json()
    assert (mine["status"], mine["tier"]) == ("active", card.tier.name)
    assert mine["services_usable"] is True
    ecard = client.get(f"/cards/{card.pk}/").content.decode()
    assert mine["services"] and all(s["title"] in ecard and s["article"] for s in mine["services"])
    assert mine["qr_payload"] == mine["verification_url"] == verification_url(card)
    checked = client.get(urlsplit(mine["verification_api_url"]).path)
    assert checked.status_code == 200 and checked.json()["number"] == card.number
    assert [c["verification_url"] for c in _results(client.get("/api/v1/cards/").json())] == [verification_url(card)]

    # reported lost: no service usable, the links remain
    svc.card_report_loss(card=card, user=card.holder, comment="遗失。")
    lost = client.get(f"/api/v1/cards/{card.pk}/").json()
    assert lost["services_usable"] is False and lost["services"] == []
    assert lost["verification_url"] == verification_url(card)

    # staff and the employer see the card but none of the holder's fields
    seen = 0
    for other in (root, employer):
        client.force_login(other)
        response = client.get(f"/api/v1/cards/{card.pk}/")
        if response.status_code == 404:
            continue
        seen += 1
        assert all(response.json()[field] is None for field in HOLDER_ONLY), other
        for listed in _results(client.get("/api/v1/cards/").json()):
            assert all(listed[field] is None for field in HOLDER_ONLY), other
    assert seen >= 1
