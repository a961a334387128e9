"""The applicant portal and the employer's list, driven through the Django test client."""

import random

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from casefiles.models import Department, Dossier, JournalEntry, Scheme
from casefiles.testing import attach_required_materials, identity
from tests.casefiles import factories
from tests.casefiles.factories import setup_schemes

pytestmark = [pytest.mark.django_db, pytest.mark.smoke, pytest.mark.usefixtures("schemes_once")]

PASSWORD = factories.PASSWORD  # the schemes' users, loaded once for the module (schemes_once)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def zh(message):
    """What a visitor sees for ``message``: the site speaks zh-Hans by default."""
    with translation.override("zh-hans"):
        return gettext(message)


@pytest.fixture
def people(db):
    setup_schemes()
    return get_user_model().objects


def login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


def application_data(scheme_slug="jilin", **overrides):
    scheme = Scheme.objects.get(slug=scheme_slug)
    person = identity(random.Random(7))
    data = {
        "scheme": scheme.slug,
        "requested_tier": scheme.tiers.get(code="jixiang").pk if scheme_slug == "jilin" else scheme.tiers.first().pk,
        "criteria": [scheme.criteria.get(ref="4.1").pk] if scheme_slug == "jilin" else [],
        "applicant_name": person["applicant_name"],
        "id_type": "resident_id",
        "id_number": person["id_number"],
        "nationality": "中国",
        "phone": person["phone"],
        "email": "talent@example.org",
        "employer": Department.objects.get(code="jilin-university-demo").pk if scheme_slug == "jilin" else "",
    }
    if scheme.authority_kind:
        data["authority"] = scheme.departments.filter(kind=scheme.authority_kind).order_by("code").first().pk
        data["sector"] = "高校"
    data.update(overrides)
    return data


def start_application(client, materials=True, **overrides):
    """A draft made through the form; with ``materials`` every required material of it is attached (through the
    attachment service), so that it can be submitted."""
    response = client.post(reverse("portal_application_new"), application_data(**overrides))
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier = Dossier.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    if materials:
        attach_required_materials(dossier)
    return dossier


def fire(client, dossier, code, comment="", expected_state=None, **extra):
    return client.post(
        reverse("portal_application_transition", args=[dossier.pk]),
        {"transition": code, "comment": comment, "expected_state": expected_state or dossier.state.code, "confirm": "1",
         **extra},
    )


def test_register_validates_the_password_and_signs_in(client, db):
    url = reverse("portal_register")
    weak = client.post(url, {"username": "talent1", "email": "t@example.org", "password1": "12345", "password2": "12345"})
    assert weak.status_code == 200
    assert weak.context["form"].errors["password2"]
    assert not get_user_model().objects.filter(username="talent1").exists()
    good = client.post(
        url, {"username": "talent1", "email": "t@example.org", "password1": "Long-enough-pass-9", "password2": "Long-enough-pass-9"}
    )
    assert good.status_code == 302 and good["Location"] == reverse("portal_applications")
    assert client.get(reverse("portal_applications")).status_code == 200


def test_pages_need_a_login(client, people):
    response = client.get(reverse("portal_applications"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_applicant_starts_edits_uploads_and_submits(client, people):
    login(client, "jilin.applicant")
    scheme = Scheme.objects.get(slug="jilin")
    criterion = scheme.criteria.get(ref="4.1")
    # The self-check page's query string carries the scheme and the criteria; the tier follows.
    form_page = client.get(reverse("portal_application_new"), {"scheme": "jilin", "criteria": "4.1"})
    assert form_page.status_code == 200
    form = form_page.context["form"]
    assert form.initial["criteria"] == [criterion.pk]
    assert form.initial["requested_tier"] == criterion.tier_id
    assert "authority" in form.fields and form.fields["employer"].required

    dossier = start_application(client, materials=False)
    assert dossier.applicant.username == "jilin.applicant"
    assert dossier.state.code == "draft"
    assert list(dossier.criteria.all()) == [criterion]
    assert dossier.authority.kind == "supervising_hr"

    listing = client.get(reverse("portal_applications"))
    assert dossier.reference in listing.content.decode() and "填写申请表" in listing.content.decode()

    edit = client.post(reverse("portal_application_edit", args=[dossier.pk]), application_data(phone="13912345678"))
    assert edit.status_code == 302
    dossier.refresh_from_db()
    assert dossier.phone == "13912345678"
    assert JournalEntry.objects.filter(dossier=dossier, action="casefiles.dossier.update").exists()

    upload = client.post(
        reverse("portal_attachment_upload", args=[dossier.pk]),
        {"kind": "other", "file": SimpleUploadedFile("证书.png", PNG, content_type="image/png")},
    )
    assert upload.status_code == 302
    attachment = dossier.attachments.get()
    assert attachment.kind == "other" and attachment.content_type == "image/png"
    download = client.get(reverse("portal_attachment_download", args=[attachment.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert download["Content-Disposition"].startswith("attachment")  # never inline: uploaded content

    bad = client.post(
        reverse("portal_attachment_upload", args=[dossier.pk]),
        {"kind": "other", "file": SimpleUploadedFile("virus.exe", b"MZ\x90\x00", content_type="application/pdf")},
        follow=True,
    )
    assert zh("Only PDF, JPEG, PNG and OFD files are accepted.") in bad.content.decode()
    assert dossier.attachments.count() == 1

    detail = client.get(reverse("portal_application_detail", args=[dossier.pk]))
    assert [t.code for t in detail.context["transitions"]] == ["withdraw"]  # required materials still missing
    attach_required_materials(dossier)
    detail = client.get(reverse("portal_application_detail", args=[dossier.pk]))
    assert [t.code for t in detail.context["transitions"]] == ["submit", "withdraw"]
    submitted = fire(client, dossier, "submit")
    assert submitted.status_code == 302
    dossier.refresh_from_db()
    assert dossier.state.code == "employer_recommendation" and dossier.submitted_at
    # Submitted: no more editing or uploading.
    detail = client.get(reverse("portal_application_detail", args=[dossier.pk]))
    assert detail.context["editable"] is False
    assert [t.code for t in detail.context["transitions"]] == ["withdraw"]
    assert client.get(reverse("portal_application_edit", args=[dossier.pk])).status_code == 302


def test_another_applicant_gets_404(client, people):
    login(client, "jilin.applicant")
    dossier = start_application(client, materials=False)
    client.post(
        reverse("portal_attachment_upload", args=[dossier.pk]),
        {"kind": "other", "file": SimpleUploadedFile("a.png", PNG, content_type="image/png")},
    )
    attachment = dossier.attachments.get()
    client.logout()
    login(client, "tonghua.applicant")
    assert client.get(reverse("portal_application_detail", args=[dossier.pk])).status_code == 404
    assert client.get(reverse("portal_application_edit", args=[dossier.pk])).status_code == 404
    assert fire(client, dossier, "withdraw").status_code == 404
    assert client.get(reverse("portal_attachment_download", args=[attachment.pk])).status_code == 404
    assert dossier.reference not in client.get(reverse("portal_applications")).content.decode()
    dossier.refresh_from_db()
    assert dossier.state.code == "draft"


def test_invalid_resident_id_shows_the_error_and_keeps_the_input(client, people):
    login(client, "jilin.applicant")
    bad_id = "220501198506120000"
    data = application_data(id_number=bad_id, applicant_name="王小明")
    response = client.post(reverse("portal_application_new"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert zh("The resident ID number is not valid (18 digits with a correct check digit).") in page
    assert response.context["form"].errors["id_number"]
    assert f'value="{bad_id}"' in page and 'value="王小明"' in page
    assert f'value="{data["phone"]}"' in page
    assert response.context["form"]["criteria"].value() == [str(data["criteria"][0])]
    assert page.count("checked") == 1
    assert not Dossier.objects.exists()


def test_criteria_of_another_tier_are_refused(client, people):
    login(client, "jilin.applicant")
    scheme = Scheme.objects.get(slug="jilin")
    response = client.post(
        reverse("portal_application_new"),
        application_data(requested_tier=scheme.tiers.get(code="jijian").pk),
    )
    assert response.status_code == 200 and response.context["form"].errors["criteria"]


def test_employer_sees_and_recommends_a_jilin_dossier(client, people):
    login(client, "jilin.applicant")
    dossier = start_application(client)
    fire(client, dossier, "submit")
    client.logout()

    login(client, "jilin.employer")
    listing = client.get(reverse("portal_employer_applications"))
    assert listing.status_code == 200
    rows = listing.context["rows"]
    assert [row["dossier"].pk for row in rows] == [dossier.pk]
    assert {t.code for t in rows[0]["transitions"]} == {"recommend", "decline", "return"}
    dossier.refresh_from_db()
    response = fire(client, dossier, "recommend", next=reverse("portal_employer_applications"))
    assert response.status_code == 302 and response["Location"] == reverse("portal_employer_applications")
    dossier.refresh_from_db()
    assert dossier.state.code == "preliminary_review"
    opinion = dossier.opinions.get(transition="recommend")
    assert opinion.department.code == "jilin-university-demo"
    # Still listed (the employer keeps its view), without buttons.
    rows = client.get(reverse("portal_employer_applications")).context["rows"]
    assert rows[0]["transitions"] == []

    # Another employer's contact sees nothing; an applicant is not an employer.
    client.logout()
    login(client, "tonghua.employer")
    assert client.get(reverse("portal_employer_applications")).context["rows"] == []
    client.logout()
    login(client, "jilin.applicant")
    assert client.get(reverse("portal_employer_applications")).status_code == 403


def test_decline_needs_a_reason_and_the_applicant_cannot_recommend(client, people):
    login(client, "jilin.applicant")
    dossier = start_application(client)
    fire(client, dossier, "submit")
    dossier.refresh_from_db()
    assert fire(client, dossier, "recommend").status_code == 403
    client.logout()
    login(client, "jilin.employer")
    response = fire(client, dossier, "decline", comment="  ")
    assert response.status_code == 400
    assert zh("Please give a reason or say what is missing.") in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.state.code == "employer_recommendation"


def test_withdraw_and_stale_state_conflict(client, people):
    login(client, "jilin.applicant")
    dossier = start_application(client)
    fire(client, dossier, "submit")
    # A second tab still shows the draft: its withdraw names the old state.
    stale = fire(client, dossier, "withdraw", expected_state="draft")
    assert stale.status_code == 302
    page = client.get(stale["Location"]).content.decode()
    assert zh("Already handled by someone else. The page shows the application as it is now.") in page
    dossier.refresh_from_db()
    assert dossier.state.code == "employer_recommendation"

    assert fire(client, dossier, "withdraw").status_code == 302
    dossier.refresh_from_db()
    assert dossier.state.code == "withdrawn"
    detail = client.get(reverse("portal_application_detail", args=[dossier.pk]))
    assert detail.context["transitions"] == []
    assert [o.transition for o in detail.context["opinions"]] == ["submit", "withdraw"]


def test_new_application_without_scheme_lists_the_schemes(client, people):
    login(client, "jilin.applicant")
    page = client.get(reverse("portal_application_new")).content.decode()
    for scheme in Scheme.objects.all():
        assert f"?scheme={scheme.slug}" in page


def test_scheme_with_preconditions_asks_for_the_facts(client, people):
    login(client, "tonghua.applicant")
    scheme = Scheme.objects.get(slug="tonghua")
    form = client.get(reverse("portal_application_new"), {"scheme": "tonghua"}).context["form"]
    assert {"fact_contract_years", "fact_self_employed", "fact_flexible_introduction"} <= set(form.fields)
    assert "authority" not in form.fields
    tier = scheme.tiers.order_by("rank").first()
    data = application_data(
        "tonghua",
        requested_tier=tier.pk,
        criteria=[tier.criteria.first().pk],
        employer=Department.objects.get(code="tonghua-pharma").pk,
        fact_contract_years="3",
        fact_self_employed="false",
    )
    dossier = start_application(client, **{k: v for k, v in data.items()})
    assert dossier.facts == {"contract_years": 3, "self_employed": False}
