"""An applicant applies for a card on a phone: log in, fill in the form, submit."""

import os
import random
from urllib.parse import quote

import pytest

from casefiles.models import Department, Dossier
from casefiles.testing import identity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-pass-123"


def test_applicant_applies_on_a_phone(live_server, phone, artifacts_dir):
    from casefiles.demo import load_schemes_and_users

    load_schemes_and_users(password=PASSWORD)
    person = identity(random.Random(3), applicant_name="李晓明")
    employer = Department.objects.get(code="jilin-university-demo")
    page = phone

    target = "/applications/new/?scheme=jilin&criteria=4.1"
    page.goto(f"{live_server.url}/accounts/login/?next={quote(target)}")
    page.fill("#id_username", "jilin.applicant")
    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"**{target.split('?')[0]}**")

    # Tier and criterion come from the self-check link.
    assert page.is_checked("input[name=criteria]:checked")
    page.fill("#id_applicant_name", person["applicant_name"])
    page.fill("#id_id_number", "220501198506120000")  # wrong check digit first
    page.fill("#id_phone", person["phone"])
    page.select_option("#id_employer", str(employer.pk))
    page.select_option("#id_authority", index=1)
    with page.expect_navigation():  # the refused form comes back from the server
        page.click("form.portal-form button[type=submit]")
    assert page.locator(".has-error #id_id_number").count() == 1
    assert page.input_value("#id_applicant_name") == person["applicant_name"]  # nothing lost
    page.screenshot(path=os.path.join(artifacts_dir, "portal-phone-error.png"), full_page=True)

    page.fill("#id_id_number", person["id_number"])
    page.click("form.portal-form button[type=submit]")
    page.wait_for_url("**/applications/*/")
    dossier = Dossier.objects.get(applicant__username="jilin.applicant")
    assert dossier.state.code == "draft"

    # 一次告知: the checklist names what to upload; upload every required material of the dossier.
    from casefiles.demo_dossiers import DEMO_PNG
    from casefiles.selectors_materials import materials_for

    for material in [m for m in materials_for(dossier) if not m.optional]:
        assert material.name in page.inner_text("#documents")
        page.select_option("#id_kind", material.code)
        page.set_input_files("#id_file", files=[{"name": f"{material.name}.png", "mimeType": "image/png", "buffer": DEMO_PNG}])
        with page.expect_navigation():
            page.click("form.upload button[type=submit]")
    page.click("button[value=submit]")  # the confirmation page: summary and materials checklist
    page.wait_for_url(f"**/applications/{dossier.pk}/confirm/submit/**")
    assert dossier.reference in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # the checklist fits a phone
    page.screenshot(path=os.path.join(artifacts_dir, "portal-phone-confirm.png"), full_page=True)
    with page.expect_navigation():
        page.click("button[name=confirm]")
    dossier.refresh_from_db()
    assert dossier.state.code == "employer_recommendation"
    assert "单位审核推荐" in page.inner_text(".status-panel .badge")
    # Phone width: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=os.path.join(artifacts_dir, "portal-phone-submitted.png"), full_page=True)

    page.goto(f"{live_server.url}/applications/")
    assert dossier.reference in page.inner_text("main")
    page.screenshot(path=os.path.join(artifacts_dir, "portal-phone-list.png"), full_page=True)


def test_staff_worklist_and_dossier_page(live_server, page, artifacts_dir):
    """The admin side of the same flow, for a person to look at: 待办 list and the dossier page."""
    from django.contrib.auth.models import Permission

    from casefiles.demo import load_schemes_and_users
    from casefiles.models import DepartmentKind, Scheme
    from casefiles.services.dossiers import dossier_create
    from casefiles.testing import fire, path_to

    load_schemes_and_users(password=PASSWORD)
    access = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    for department in Department.objects.exclude(kind=DepartmentKind.EMPLOYER):
        department.group.permissions.add(access)
    scheme = Scheme.objects.get(slug="jilin")
    tier = scheme.tiers.get(code="jixiang")
    rng = random.Random(9)
    for _ in range(3):
        dossier = dossier_create(
            applicant=Dossier._meta.get_field("applicant").related_model.objects.get(username="jilin.applicant"),
            scheme=scheme,
            requested_tier=tier,
            criteria=[tier.criteria.first()],
            employer=Department.objects.get(code="jilin-university-demo"),
            authority=scheme.departments.get(code="changchun-hr"),
            **identity(rng),
        )
        for transition in path_to(scheme, "final_approval"):
            dossier = fire(dossier, transition, comment="材料齐全。")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "jilin.hr-bureau")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")
    page.goto(f"{live_server.url}/admin/dossiers/")
    assert page.locator("table.listing tbody tr").count() == 3
    page.screenshot(path=os.path.join(artifacts_dir, "admin-worklist.png"), full_page=True)
    page.click("table.listing tbody tr:first-child a")
    page.wait_for_url("**/admin/dossiers/*/")
    page.screenshot(path=os.path.join(artifacts_dir, "admin-dossier.png"), full_page=True)
    page.fill("#comment-approve_final", "同意。")
    with page.expect_navigation():
        page.click("form:has(#comment-approve_final) button[type=submit]")
    assert "制卡" in page.inner_text("main")
