"""The admin's document forms on a phone (issue #24): an officer acting on a dossier adds a document, uploads a new
version and withdraws it after confirming, by taps in Chromium at 390 px; the form pages fit the screen and have
no serious axe violations."""

import io
import os
import random

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (120, 60), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def test_an_officer_adds_versions_and_withdraws_a_document_on_a_phone(live_server, mobile, login_as, axe_violations,
                                                                       artifacts_dir, tmp_path):
    from django.contrib.auth import get_user_model

    from casefiles.demo import load_schemes_and_users
    from casefiles.demo_dossiers import drive_to, make_dossier
    from casefiles.models import Document, Scheme, StateKind
    from casefiles.testing import demo_user_for

    load_schemes_and_users(password="browser-pass-123")
    for scheme in Scheme.objects.order_by("slug"):
        applicant = get_user_model().objects.get(username=f"{scheme.slug}.applicant")
        dossier = make_dossier(scheme, applicant, random.Random(25))
        stage = scheme.states.filter(kind=StateKind.STAGE).order_by("order").first()
        dossier = drive_to(dossier, stage.code)
        officer = demo_user_for(dossier, dossier.state.actor)
        if officer is not None and officer.has_perm("wagtailadmin.access_admin"):
            break
    else:
        raise AssertionError("no scheme whose first stage is acted on in the admin")
    scan = tmp_path / "评审纪要.png"
    scan.write_bytes(png())

    page = login_as(mobile, officer)
    page.goto(f"{live_server.url}/admin/dossiers/{dossier.pk}/documents/add/")
    assert fits(page)
    assert axe_violations(page, context=".cf-form") == []
    page.set_input_files("#id_file", str(scan))
    page.select_option("#id_kind", "other")
    page.fill("#id_title", "专家评审会议纪要")
    page.fill("#id_issuing_body", "专家评审委员会")
    page.fill("#id_issue_date", "2026-11-30")
    page.screenshot(path=os.path.join(artifacts_dir, "document-add-phone.png"), full_page=True)
    page.click(".cf-form button[type=submit]")
    page.wait_for_url(f"**/admin/dossiers/{dossier.pk}/**")
    document = Document.objects.get(dossier=dossier, title="专家评审会议纪要")

    page.goto(f"{live_server.url}/admin/dossiers/{dossier.pk}/documents/{document.pk}/version/")
    assert fits(page)
    page.set_input_files("#id_file", str(scan))
    page.fill("#id_note", "补充签名页")
    page.click(".cf-form button[type=submit]")
    page.wait_for_url(f"**/admin/dossiers/{dossier.pk}/**")
    assert document.versions.count() == 2

    page.goto(f"{live_server.url}/admin/dossiers/{dossier.pk}/documents/{document.pk}/withdraw/")
    assert fits(page)
    assert axe_violations(page, context=".cf-form") == []
    page.fill("#id_reason", "误传")
    with page.expect_navigation():  # the refusal comes back on the same address: wait for it
        page.click(".cf-form button[type=submit]")  # without the tick: refused, nothing withdrawn
    assert page.locator(".help-critical").count() >= 1
    document.refresh_from_db()
    assert document.withdrawn_at is None
    page.check("#id_confirm")
    page.screenshot(path=os.path.join(artifacts_dir, "document-withdraw-phone.png"), full_page=True)
    page.click(".cf-form button[type=submit]")
    page.wait_for_url(f"**/admin/dossiers/{dossier.pk}/**")
    document.refresh_from_db()
    assert document.withdrawn_by == officer and document.withdrawal_reason == "误传"
