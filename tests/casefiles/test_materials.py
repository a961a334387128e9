"""Required materials (申请材料, issue #16 item 3), swept over every scheme and tier.

一次告知: the apply page (and a public page per scheme) lists every material of the scheme before anything is filled
in. Submitting is confirmed on its own page, refused while a required material is missing (API 400 naming each one in
``error.missing``; the portal names each one), and passes once every one is attached or waived. A waiver needs a
reason, is journaled, is made once, and only by the department that receives or handles the dossier: never the
applicant, never a department not acting now.
"""

import random
import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from casefiles.demo_dossiers import drive_to, make_dossier
from casefiles.exceptions import SelfDealing
from casefiles.models import Dossier, JournalEntry, MaterialRequirement, MaterialWaiver, Opinion, Scheme, StateKind
from casefiles.selectors_materials import materials_for
from casefiles.services.materials import material_waive, waiver_principals
from casefiles.testing import attach_required_materials, demo_user_for
from casefiles.views_portal import needs_confirmation
from casefiles.workflow.states import is_returned_to_applicant
from tests.casefiles.factories import setup_schemes, user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("schemes_once")]

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def schemes(db):
    schemes = setup_schemes()
    for scheme in schemes.values():
        assert MaterialRequirement.objects.filter(scheme=scheme).exists(), f"{scheme.slug} names no materials"
    return schemes


def submitting(dossier):
    """The transitions that hand a draft over to the departments (read from the data, as the portal does)."""
    start = dossier.scheme.states.get(kind=StateKind.START)
    return [t for t in start.outgoing.select_related("target").order_by("order") if needs_confirmation(dossier, t)]


def drafts(schemes, seed):
    """One draft without attachments per scheme and tier (claiming the tier's first criterion)."""
    rng = random.Random(seed)
    for scheme in sorted(schemes.values(), key=lambda s: s.slug):
        applicant = user(f"{scheme.slug}.applicant")
        for tier in scheme.tiers.order_by("rank"):
            yield make_dossier(scheme, applicant, rng, tier=tier, with_attachment=False)


def api(person):
    client = APIClient()
    client.force_authenticate(person)
    return client


def portal(client, person):
    client.force_login(person)
    return client


def test_apply_page_lists_every_material_before_the_form(client, schemes):
    """一次告知: each material (name, article or 管理设置, note) is on the apply page above the form, and on the
    scheme's public materials page for anyone."""
    told = 0
    for scheme in schemes.values():
        portal(client, user(f"{scheme.slug}.applicant"))
        page = client.get(reverse("portal_application_new"), {"scheme": scheme.slug})
        assert page.status_code == 200
        html = page.content.decode()
        form_at = html.index('<form method="post"')
        public = client.__class__().get(reverse("portal_scheme_materials", args=[scheme.slug]))
        assert public.status_code == 200
        public_html = public.content.decode()
        for material in MaterialRequirement.objects.filter(scheme=scheme):
            assert 0 <= html.find(material.name) < form_at, (scheme.slug, material.code)
            label = "管理设置" if material.setting else material.article
            assert label and label in html[:form_at], (scheme.slug, material.code, label)
            if material.note:
                assert material.note in html[:form_at]
            assert material.name in public_html and label in public_html
            told += 1
        choose = client.get(reverse("portal_application_new")).content.decode()
        assert reverse("portal_scheme_materials", args=[scheme.slug]) in choose
    print(f"{told} materials of {len(schemes)} schemes told before the form")
    assert told >= len(schemes)


def test_submit_is_confirmed_and_refused_until_every_required_material_is_there(client, schemes):
    """Per scheme × tier: the API answers 400 naming every missing material; the portal's confirmation page names
    them with its button disabled and its POST is refused naming them; a POST without ``confirm`` fires nothing;
    once every required material is attached, the confirmation POST submits."""
    cases = named = 0
    for dossier in drafts(schemes, seed=1601):
        applicant = dossier.applicant
        required = [m for m in materials_for(dossier) if not m.optional]
        assert required, (dossier.scheme.slug, dossier.requested_tier.code)
        transitions = submitting(dossier)
        assert transitions, dossier.scheme.slug
        submit = transitions[0]
        label = (dossier.scheme.slug, dossier.requested_tier.code)

        detail = api(applicant).get(f"/api/v1/dossiers/{dossier.pk}/").json()
        assert {m["code"] for m in detail["materials"] if m["missing"]} == {m.code for m in required}, label
        assert set(detail["materials"][0]) >= {
            "code",
            "name",
            "article",
            "setting",
            "optional",
            "attached",
            "waived",
            "missing",
        }
        answer = api(applicant).post(
            f"/api/v1/dossiers/{dossier.pk}/transitions/",
            {"transition": submit.code, "expected_state": dossier.state.code},
            format="json",
        )
        assert answer.status_code == 400, (label, answer.content)
        error = answer.json()["error"]
        assert error["code"] == "materials_missing" and CJK.search(error["message"])
        assert [m["code"] for m in error["missing"]] == [m.code for m in required], label
        assert all(m["name"] in error["message"] for m in error["missing"])
        named += len(error["missing"])

        portal(client, applicant)
        detail_page = client.get(reverse("portal_application_detail", args=[dossier.pk])).content.decode()
        confirm_url = reverse("portal_application_confirm", args=[dossier.pk, submit.code])
        assert confirm_url in detail_page  # the submit button leads to the confirmation page, though blocked
        page = client.get(confirm_url)
        assert page.status_code == 200
        html = page.content.decode()
        for material in required:
            assert material.name in html
        assert re.search(r'name="confirm" value="1" disabled', html), label
        refused = client.post(
            reverse("portal_application_transition", args=[dossier.pk]),
            {"transition": submit.code, "expected_state": dossier.state.code, "confirm": "1"},
        )
        assert refused.status_code == 400
        assert all(m.name in refused.content.decode() for m in required)
        assert Dossier.objects.get(pk=dossier.pk).state_id == dossier.state_id

        attach_required_materials(dossier)
        page = client.get(confirm_url).content.decode()
        assert dossier.reference in page and dossier.requested_tier.name in page
        assert 'name="confirm" value="1">' in page  # enabled now
        unconfirmed = client.post(
            reverse("portal_application_transition", args=[dossier.pk]),
            {"transition": submit.code, "expected_state": dossier.state.code},
        )
        assert unconfirmed.status_code == 302 and unconfirmed["Location"] == confirm_url
        assert not Opinion.objects.filter(dossier=dossier).exists()
        assert Dossier.objects.get(pk=dossier.pk).state_id == dossier.state_id
        confirmed = client.post(
            reverse("portal_application_transition", args=[dossier.pk]),
            {"transition": submit.code, "expected_state": dossier.state.code, "confirm": "1"},
        )
        assert confirmed.status_code == 302, (label, confirmed.content[:500])
        assert Dossier.objects.get(pk=dossier.pk).state_id == submit.target_id, label
        cases += 1
    print(f"{cases} drafts (every scheme × tier) refused naming {named} missing materials, then submitted")
    assert cases >= len(schemes)


def _other_department_user(dossier, principals):
    """A demo officer of the scheme who does not stand for any principal that may waive now."""
    acting = {demo_user_for(dossier, p) for p in principals} - {None}
    acting_groups = set()
    for person in acting:
        acting_groups |= set(person.groups.values_list("pk", flat=True))
    for department in dossier.scheme.departments.order_by("code"):
        if department.code in principals:
            continue
        person = demo_user_for(dossier, department.code)
        if person is not None and not set(person.groups.values_list("pk", flat=True)) & acting_groups:
            return person
    return None


def returned_dossier(scheme, seed):
    """A dossier submitted with every material, then returned for supplement (through the scheme's own steps)."""
    dossier = make_dossier(scheme, user(f"{scheme.slug}.applicant"), random.Random(seed))
    returned = next(s for s in scheme.states.order_by("order") if is_returned_to_applicant(s))
    return drive_to(dossier, returned.code)


def test_a_waiver_needs_a_reason_and_the_department_receiving_the_dossier(client, schemes):
    """Per scheme: a returned dossier lacks two materials added to the scheme since it was submitted. Resubmitting
    is refused naming them; a waiver is refused without a reason, by the applicant, by a department not acting now,
    in the admin without the confirmation tick, and on a never-submitted draft (no department sees it). With a reason,
    the department receiving the dossier waives each once (journaled, shown in the portal and the admin; a second
    waiver 409), and the resubmission passes."""
    refused = waived = 0
    for scheme in sorted(schemes.values(), key=lambda s: s.slug):
        draft = make_dossier(scheme, user(f"{scheme.slug}.applicant"), random.Random(5), with_attachment=False)
        dossier = returned_dossier(scheme, seed=6)
        principals = waiver_principals(dossier)
        assert principals, scheme.slug  # the department the resubmission goes to
        officer = demo_user_for(dossier, principals[0])
        added = [
            MaterialRequirement.objects.create(
                scheme=scheme,
                code=f"supplement-{n}",
                name=f"补充证明材料{n}",
                setting=True,
                note="数据更新后新增",
                order=90 + n,
            )
            for n in (1, 2)
        ]
        submit = next(t for t in dossier.state.outgoing.select_related("target") if needs_confirmation(dossier, t))
        answer = api(dossier.applicant).post(
            f"/api/v1/dossiers/{dossier.pk}/transitions/",
            {"transition": submit.code, "expected_state": dossier.state.code},
            format="json",
        )
        assert answer.status_code == 400 and [m["code"] for m in answer.json()["error"]["missing"]] == [
            m.code for m in added
        ], answer.content

        code = added[0].code
        url = f"/api/v1/dossiers/{dossier.pk}/materials/{code}/waive/"
        answer = api(dossier.applicant).post(url, {"reason": "原件遗失"}, format="json")
        assert answer.status_code == 403, (scheme.slug, answer.status_code)
        other = _other_department_user(dossier, principals)
        if other is not None:
            answer = api(other).post(url, {"reason": "原件遗失"}, format="json")
            assert answer.status_code in (403, 404), (scheme.slug, other.username, answer.status_code)
            refused += 1
        answer = api(officer).post(
            f"/api/v1/dossiers/{draft.pk}/materials/{code}/waive/", {"reason": "原件遗失"}, format="json"
        )
        assert answer.status_code == 404
        answer = api(officer).post(url, {"reason": "   "}, format="json")
        assert answer.status_code == 400 and CJK.search(answer.json()["error"]["message"]), answer.content
        portal(client, officer)
        in_admin = officer.has_perm("wagtailadmin.access_admin")  # an employer's contact works in the portal
        admin_url = reverse("casefiles_dossiers:waive_material", args=[dossier.pk])
        if in_admin:
            assert client.post(admin_url, {"code": code, "reason": "原件遗失"}).status_code == 400
        else:
            page = client.get(reverse("portal_application_detail", args=[dossier.pk])).content.decode()
            assert reverse("portal_material_waive", args=[dossier.pk]) in page
            client.post(reverse("portal_material_waive", args=[dossier.pk]), {"code": code, "reason": "原件遗失"})
        refused += 1
        assert not MaterialWaiver.objects.filter(dossier=dossier).exists()
        refused += 3

        for index, material in enumerate(added):
            reason = f"原件遗失，已核验单位证明（{material.name}）"
            if index == 0:  # the form of the admin, or of the portal for an employer's contact
                form_url = admin_url if in_admin else reverse("portal_material_waive", args=[dossier.pk])
                response = client.post(form_url, {"code": material.code, "reason": reason, "confirm": "1"})
                assert response.status_code == 302, response.content[:500]
            else:
                answer = api(officer).post(
                    f"/api/v1/dossiers/{dossier.pk}/materials/{material.code}/waive/", {"reason": reason}, format="json"
                )
                assert answer.status_code == 201, answer.content
            entry = (
                JournalEntry.objects.filter(dossier=dossier, action="casefiles.material.waive").order_by("-pk").first()
            )
            assert entry.data["material"] == material.code and entry.data["reason"] == reason and entry.actor == officer
            waived += 1
        again = api(officer).post(url, {"reason": "再次免于提交"}, format="json")
        assert again.status_code == 409, again.content
        assert MaterialWaiver.objects.filter(dossier=dossier).count() == len(added)

        staff_page = reverse(
            "casefiles_dossiers:detail" if in_admin else "portal_application_detail", args=[dossier.pk]
        )
        admin_page = client.get(staff_page).content.decode()
        portal(client, dossier.applicant)
        portal_page = client.get(reverse("portal_application_detail", args=[dossier.pk])).content.decode()
        assert reverse("portal_material_waive", args=[dossier.pk]) not in portal_page  # never offered to the applicant
        for material in added:
            reason = f"原件遗失，已核验单位证明（{material.name}）"
            assert reason in admin_page and reason in portal_page
        answer = api(dossier.applicant).post(
            f"/api/v1/dossiers/{dossier.pk}/transitions/",
            {"transition": submit.code, "expected_state": dossier.state.code},
            format="json",
        )
        assert answer.status_code == 200, (scheme.slug, answer.content)
        MaterialRequirement.objects.filter(pk__in=[m.pk for m in added]).delete()
    print(f"{waived} materials waived with a reason across {len(schemes)} schemes; {refused} waivers refused")


def test_nobody_waives_on_their_own_application_and_unknown_codes_are_refused(schemes):
    scheme = Scheme.objects.get(slug="liaocheng")
    dossier = returned_dossier(scheme, seed=9)
    officer = demo_user_for(dossier, waiver_principals(dossier)[0])
    # An officer's own application: the self-dealing floor refuses, and the refusal is journaled.
    own = returned_dossier(scheme, seed=10)
    Dossier.objects.filter(pk=own.pk).update(applicant=officer)
    MaterialRequirement.objects.create(scheme=scheme, code="supplement-1", name="补充证明材料", setting=True)
    own.refresh_from_db()
    code = "supplement-1"
    with pytest.raises(SelfDealing):
        material_waive(dossier=own, code=code, reason="理由", user=officer)
    assert not MaterialWaiver.objects.filter(dossier=own).exists()
    assert JournalEntry.objects.filter(
        dossier=own, action="casefiles.dossier.refused", data__attempt="material_waive"
    ).exists()
    answer = api(officer).post(
        f"/api/v1/dossiers/{dossier.pk}/materials/no-such-thing/waive/", {"reason": "理由"}, format="json"
    )
    assert answer.status_code == 400
