"""An applicant signed in through the identity provider: the dossier's name, ID type and ID number are the verified
ones, read-only on the form, taken by the API, and refused by the services when changed."""

import random

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.test import APIClient

from casefiles.exceptions import CaseFileError
from casefiles.models import Department, Dossier, Scheme
from casefiles.services.dossiers import dossier_create, dossier_update
from casefiles.testing import identity, resident_id
from identity.models import ProviderAccount
from identity.selectors import VERIFIED_FIELDS, verified_identity
from identity.services import provider_sign_in
from tests.casefiles.test_portal import application_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("schemes_once")]

ISSUER = "https://idp.example.gov.cn"
VERIFIED = {"applicant_name": "李明", "id_type": "resident_id", "id_number": resident_id(birth="19880214")}


@pytest.fixture
def verified_applicant():
    return provider_sign_in(
        issuer=ISSUER,
        subject="sub-1",
        claims={"name": VERIFIED["applicant_name"], "id_type": VERIFIED["id_type"], "id_number": VERIFIED["id_number"]},
    )


def _other_value(field):
    return {"applicant_name": "王小明", "id_type": "passport", "id_number": resident_id(birth="19900101")}[field]


def _create(applicant, **identity_values):
    scheme = Scheme.objects.get(slug="jilin")
    data = application_data()
    return dossier_create(
        applicant=applicant,
        scheme=scheme,
        requested_tier=scheme.tiers.get(pk=data["requested_tier"]),
        criteria=list(scheme.criteria.filter(pk__in=data["criteria"])),
        employer=Department.objects.get(pk=data["employer"]),
        authority=Department.objects.get(pk=data["authority"]),
        phone=data["phone"],
        **identity_values,
    )


def test_the_account_carries_the_verified_identity(verified_applicant):
    assert verified_identity(verified_applicant) == {**VERIFIED, "source": ISSUER}
    account = ProviderAccount.objects.get(user=verified_applicant)
    assert str(account) == f"李明 {VERIFIED['id_number'][:3]}{'*' * 11}{VERIFIED['id_number'][-4:]}"
    assert verified_applicant.first_name == "李明" and not verified_applicant.has_usable_password()
    assert not verified_applicant.is_staff and not verified_applicant.is_superuser


def test_a_dossier_takes_the_verified_identity(verified_applicant):
    dossier = _create(verified_applicant)  # nothing given: the verified values are taken
    assert {f: getattr(dossier, f) for f in VERIFIED_FIELDS} == VERIFIED
    same = _create(verified_applicant, **{**VERIFIED, "id_number": VERIFIED["id_number"].lower()})
    assert same.id_number == VERIFIED["id_number"]


@pytest.mark.parametrize("field", VERIFIED_FIELDS)
def test_the_services_refuse_another_value(verified_applicant, field):
    with pytest.raises(CaseFileError) as refused:
        _create(verified_applicant, **{field: _other_value(field)})
    assert refused.value.code == field and "统一身份认证平台核验" in str(refused.value.message)
    assert not Dossier.objects.filter(applicant=verified_applicant).exists()

    dossier = _create(verified_applicant)
    with pytest.raises(CaseFileError) as refused:
        dossier_update(dossier=dossier, user=verified_applicant, **{field: _other_value(field)})
    assert refused.value.code == field
    dossier.refresh_from_db()
    assert getattr(dossier, field) == VERIFIED[field]
    # Other fields stay the applicant's to change.
    dossier_update(dossier=dossier, user=verified_applicant, phone="13912345678")
    dossier.refresh_from_db()
    assert dossier.phone == "13912345678"


def test_an_account_without_a_verified_identity_still_types_it():
    person = get_user_model().objects.get(username="jilin.applicant")
    typed = identity(random.Random(3))
    dossier = _create(
        person, applicant_name=typed["applicant_name"], id_number=typed["id_number"], id_type="resident_id"
    )
    dossier_update(dossier=dossier, user=person, applicant_name="王小明")
    dossier.refresh_from_db()
    assert dossier.applicant_name == "王小明" and verified_identity(person) is None


def test_the_form_shows_them_read_only_and_ignores_posted_values(client, verified_applicant):
    client.force_login(verified_applicant)
    page = client.get(reverse("portal_application_new"), {"scheme": "jilin"})
    form = page.context["form"]
    for field in VERIFIED_FIELDS:
        assert form.fields[field].disabled
        assert form[field].value() == VERIFIED[field]
    html = page.content.decode()
    assert f'value="{VERIFIED["id_number"]}"' in html and 'name="id_number"' in html and "disabled" in html

    posted = client.post(
        reverse("portal_application_new"), application_data(**{field: _other_value(field) for field in VERIFIED_FIELDS})
    )
    assert posted.status_code == 302, posted.content.decode()[:2000]
    dossier = Dossier.objects.get(applicant=verified_applicant)
    assert {f: getattr(dossier, f) for f in VERIFIED_FIELDS} == VERIFIED

    edit = client.get(reverse("portal_application_edit", args=[dossier.pk]))
    assert all(edit.context["form"].fields[f].disabled for f in VERIFIED_FIELDS)
    changed = client.post(
        reverse("portal_application_edit", args=[dossier.pk]),
        application_data(applicant_name="王小明", phone="13912345678"),
    )
    assert changed.status_code == 302
    dossier.refresh_from_db()
    assert dossier.applicant_name == "李明" and dossier.phone == "13912345678"


def _api_body(**overrides):
    data = application_data()
    scheme = Scheme.objects.get(slug="jilin")
    body = {
        "scheme": "jilin",
        "tier": scheme.tiers.get(pk=data["requested_tier"]).code,
        "criteria": ["4.1"],
        "phone": data["phone"],
        "employer": data["employer"],
        "authority": data["authority"],
    }
    return {**body, **overrides}


def test_the_api_takes_them_and_refuses_others(verified_applicant):
    api = APIClient()
    api.force_authenticate(verified_applicant)
    refused = api.post("/api/v1/dossiers/", _api_body(id_number=_other_value("id_number")), format="json")
    assert refused.status_code == 400 and "id_number" in refused.content.decode()
    created = api.post("/api/v1/dossiers/", _api_body(), format="json")
    assert created.status_code == 201, created.content
    assert created.json()["id_number"] == VERIFIED["id_number"]
    assert Dossier.objects.get(pk=created.json()["id"]).applicant_name == "李明"

    unverified = APIClient()
    unverified.force_authenticate(get_user_model().objects.get(username="jilin.applicant"))
    missing = unverified.post("/api/v1/dossiers/", _api_body(), format="json")
    assert missing.status_code == 400
    assert {"applicant_name", "id_number"} <= set(str(missing.content.decode()).replace('"', " ").split())
