"""The card page of the admin registry: lifecycle actions through the card services."""

import random

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils.formats import date_format

from casefiles.demo_dossiers import drive_to, make_dossier
from casefiles.models import Card, CardEvent, CardStatus, RevocationReason, Scheme
from tests.casefiles.factories import setup_schemes

pytestmark = [pytest.mark.django_db, pytest.mark.smoke, pytest.mark.usefixtures("schemes_once")]


def staff(username):
    user = get_user_model().objects.get(username=username)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return user


@pytest.fixture
def card(db):
    setup_schemes()
    scheme = Scheme.objects.get(slug="chuxiong")
    applicant = get_user_model().objects.create_user("cx-holder", password="x")
    dossier = drive_to(make_dossier(scheme, applicant, random.Random(3), with_attachment=False), "issued")
    return Card.objects.get(dossier=dossier)


def test_talent_office_revokes_with_reason_after_confirming(client, card):
    reason = RevocationReason.objects.get(scheme=card.scheme, ref="9.1")
    client.force_login(staff("chuxiong.talent-office"))
    page = client.get(f"/admin/card-registry/{card.pk}/").content.decode()
    url = f"/admin/card-registry/{card.pk}/revoke/"
    assert url in page and 'value="revoke"' not in page  # no one-click ending on the card page: its confirmation
    html = client.get(url).content.decode()
    assert "第九条第（一）项" in html
    response = client.post(url, {"reason": reason.pk, "comment": "经核查，申报材料弄虚作假。", "confirm": "on"})
    assert response.status_code == 302 and response["Location"] == f"/admin/card-registry/{card.pk}/"
    card.refresh_from_db()
    assert card.status == CardStatus.REVOKED and card.end_reason == reason
    event = CardEvent.objects.filter(card=card).latest("pk")
    assert event.kind == "revoke" and event.article == "第九条第（一）项" and event.reason == reason
    # the card's history names the officer and dates the step as people write them, never a login or ISO date
    history = client.get(f"/admin/card-registry/{card.pk}/").content.decode().split('id="cf-history"')[1]
    assert "chuxiong.talent-office" not in history and event.effective_on.isoformat() not in history
    assert date_format(event.effective_on, "DATE_FORMAT") in history


def test_missing_comment_is_a_message_not_a_change(client, card):
    reason = RevocationReason.objects.get(scheme=card.scheme, ref="9.1")
    client.force_login(staff("chuxiong.talent-office"))
    url = f"/admin/card-registry/{card.pk}/revoke/"
    response = client.post(url, {"reason": reason.pk, "comment": "", "confirm": "on"})
    assert response.status_code == 400
    card.refresh_from_db()
    assert card.status == CardStatus.ACTIVE


def test_outsiders_get_403(client, card):
    reason = RevocationReason.objects.get(scheme=card.scheme, ref="9.1")
    url = f"/admin/card-registry/{card.pk}/revoke/"
    data = {"reason": reason.pk, "comment": "无权操作。", "confirm": "on"}
    client.force_login(
        staff("tonghua.service-center")
    )  # another scheme's staff: cannot see the card (404, as if absent)
    assert client.get(url).status_code == 404
    assert client.post(url, data).status_code == 404
    client.force_login(staff("chuxiong.bank"))  # sees the card (production) but may not end it
    assert url not in client.get(f"/admin/card-registry/{card.pk}/").content.decode()
    assert client.get(url).status_code == 403
    assert client.post(url, data).status_code == 403
    card.refresh_from_db()
    assert card.status == CardStatus.ACTIVE


def test_baiyun_actions_offered_and_assessment_recorded(client, card):
    scheme = Scheme.objects.get(slug="baiyun")
    applicant = get_user_model().objects.create_user("by-holder", password="x")
    dossier = drive_to(make_dossier(scheme, applicant, random.Random(5), with_attachment=False), "issued")
    baiyun = Card.objects.get(dossier=dossier)
    url = f"/admin/card-registry/{baiyun.pk}/"
    client.force_login(staff("baiyun.hr-bureau"))
    html = client.get(url).content.decode()
    assert f"/admin/card-registry/{baiyun.pk}/revoke/" in html and 'value="assess"' not in html
    client.force_login(staff("baiyun.employer"))
    html = client.get(url).content.decode()
    assert 'value="assess"' in html and f"/admin/card-registry/{baiyun.pk}/revoke/" not in html
    response = client.post(url, {"action": "assess", "assess-result": "competent", "assess-summary": "履职良好。"})
    assert response.status_code == 302
    assert baiyun.assessments.get().result == "competent"
