"""A sixth programme with no Python written for it (issue #17 item 7): 岱山县人才蓬莱卡, tests/schemes/daishan.yaml.

The file declares its own county, two routes in (through the sector's competent authority, or directly to the HR
bureau: 第五条第二款) and a production calendar (第五条第一款: cards made in batches in June and December). It is
loaded with ``scheme_files_load`` as any bureau's file would be, its demo accounts are made from the file alone
(``demo_users_for``), and both routes run end to end through the API: apply, attach every required material, submit,
each department's step by its own officer (a colleague where four eyes asks), public notice, a production batch in a
production month, issuance, the holder's card and its public verification. The calendar is swept over every month;
a batch outside it, and the production step fired outside a batch, are refused in Chinese; bad calendars in the
file are refused with their line; the five shipped schemes keep making cards whenever a batch is ready.
"""

import datetime
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from casefiles.demo import demo_usernames, demo_users_for
from casefiles.exceptions import CaseFileError
from casefiles.models import Card, Department, DepartmentKind, Dossier, ProductionItem, Scheme
from casefiles.pdf import verification_token
from casefiles.schemes.loader import (
    SCHEME_DIR,
    SCHEME_SLUGS,
    SchemeDataError,
    read_yaml,
    scheme_file_problems,
    scheme_files_load,
)
from casefiles.schemes.validate import card_rules_of
from casefiles.services import cards as card_services
from casefiles.testing import DEMO_PNG, resident_id, satisfy_controls

pytestmark = [pytest.mark.django_db]

FILE = Path(__file__).resolve().parent.parent / "schemes" / "daishan.yaml"
PASSWORD = "daishan-demo-2026"


@pytest.fixture
def daishan(db):
    """The programme, loaded from its file as a bureau loads it, with its demo accounts made from the file."""
    (scheme,) = scheme_files_load([FILE])
    demo_users_for(scheme, scheme.source_data, PASSWORD)
    return scheme


def person(username):
    return get_user_model().objects.get(username=username)


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def step(dossier_id, user, transition, comment=""):
    return api(user).post(f"/api/v1/dossiers/{dossier_id}/transitions/", {"transition": transition, "comment": comment},
                          format="json")


def apply(scheme, applicant, *, tier, criterion, facts, name, employer=None, authority=None):
    """The applicant applies over the API and attaches every material the answer lists as missing."""
    answer = api(applicant).post("/api/v1/dossiers/", {
        "scheme": scheme.slug, "tier": tier, "criteria": [criterion], "facts": facts, "applicant_name": name,
        "id_number": resident_id(birth="19860415", area="330921"), "phone": "13905800000",
        "employer": employer.pk if employer else None, "authority": authority.pk if authority else None,
    }, format="json")
    assert answer.status_code == 201, answer.content
    created = answer.json()
    missing = [m for m in created["materials"] if m["missing"]]
    assert {m["code"] for m in missing} == {"identity", "talent-qualification", "labour-contract"}
    assert all(m["article"] == "第五条第三款" for m in missing)
    assert [t["code"] for t in created["transitions"]] == ["withdraw"]  # no submission before the materials
    for material in missing:
        upload = SimpleUploadedFile(f"{material['name']}.png", DEMO_PNG, content_type="image/png")
        attached = api(applicant).post(f"/api/v1/dossiers/{created['id']}/attachments/",
                                       {"file": upload, "kind": material["code"]}, format="multipart")
        assert attached.status_code == 201, attached.content
    return created["id"]


SWEPT = []  # (transition, username) of every refused attempt by someone not entitled to the step


def only_by(dossier_id, department_code, transition, accounts):
    """Every account outside the department that acts now tries the step: each is refused (403, or 404 for one
    who may not even see the dossier) and the dossier does not move."""
    before = Dossier.objects.get(pk=dossier_id).state.code
    for user in accounts:
        if user.username.startswith(f"daishan.{department_code}"):
            continue
        answer = step(dossier_id, user, transition)
        assert answer.status_code in (403, 404), (transition, user.username, answer.status_code)
        SWEPT.append((transition, user.username))
    assert Dossier.objects.get(pk=dossier_id).state.code == before


def offered(dossier_id, user):
    return [t["code"] for t in api(user).get(f"/api/v1/dossiers/{dossier_id}/").json()["transitions"]]


def test_the_file_checks_clean_and_declares_its_county():
    data, problems = scheme_file_problems(FILE)
    assert problems == []
    assert data["jurisdiction"]["code"] == "daishan" and data["jurisdiction"]["code"] not in read_yaml(
        SCHEME_DIR / "jurisdictions.yaml")["jurisdictions"]
    assert card_rules_of(data)["production"] == {"windows": [{"month": 6}, {"month": 12}], "article": "第五条第一款"}


def test_both_routes_end_to_end_through_the_api(daishan):
    scheme = daishan
    SWEPT.clear()
    assert scheme.jurisdiction.name == "岱山县"
    hr, hr2 = person("daishan.hr-bureau"), person("daishan.hr-bureau.2")
    office, office2 = person("daishan.talent-office"), person("daishan.talent-office.2")
    education = Department.objects.get(schemes=scheme, code="education-bureau")
    employers = Department.objects.filter(jurisdiction=scheme.jurisdiction, kind=DepartmentKind.EMPLOYER)
    employer = employers.order_by("pk").first()
    User = get_user_model()

    # Route 1 (第五条第二款): an employee of a county school, through the education bureau.
    teacher = User.objects.create_user("daishan.teacher", password=PASSWORD)
    first = apply(scheme, teacher, tier="B", criterion="4.2", name="王海燕", employer=employer, authority=education,
                  facts={"contract_years": 3, "self_employed": False, "flexible_introduction": False})
    assert offered(first, teacher) == ["submit_via_authority", "withdraw"]
    refused = step(first, teacher, "submit_direct")
    assert refused.status_code == 409, refused.content
    assert "须经行业主管部门申报" in refused.json()["error"]["message"]
    assert step(first, teacher, "submit_via_authority").json()["state"] == "authority_review"
    accounts = [person(name) for name in demo_usernames(scheme.source_data)] + [teacher]
    only_by(first, "education-bureau", "recommend", accounts)
    assert step(first, person("daishan.education-bureau"), "recommend").json()["state"] == "hr_review"

    # Route 2: a self-employed talent applies directly to the HR bureau, with no employer and no authority.
    founder = User.objects.create_user("daishan.founder", password=PASSWORD)
    second = apply(scheme, founder, tier="A", criterion="3.1", name="陈东海",
                   facts={"contract_years": 0, "self_employed": True, "flexible_introduction": False})
    assert set(offered(second, founder)) == {"submit_via_authority", "submit_direct", "withdraw"}
    assert step(second, founder, "submit_direct").json()["state"] == "hr_review"
    accounts.append(founder)

    for dossier_id in (first, second):
        # another authority's officer may not act (nor see the dossier); the HR bureau reviews, the office decides
        # each department's step by its own officer: every other account (applicants, the employer, the other
        # departments, the sector authorities) is refused
        only_by(dossier_id, "hr-bureau", "approve_review", accounts)
        assert step(dossier_id, hr, "approve_review").json()["state"] == "talent_office_approval"
        only_by(dossier_id, "talent-office", "approve", accounts)
        assert step(dossier_id, office, "approve").json()["state"] == "public_notice"
        dossier = Dossier.objects.get(pk=dossier_id)
        satisfy_controls(dossier, scheme.transitions.get(code="close_public_notice"))  # a 5-day notice, ended
        same = step(dossier_id, office, "close_public_notice")
        assert same.status_code == 403 and "同事" in same.json()["error"]["message"]  # four eyes
        only_by(dossier_id, "talent-office", "close_public_notice", accounts)
        assert step(dossier_id, office2, "close_public_notice").json()["state"] == "card_production"

    # 第五条第一款: the card is made only in a batch; the production step is not offered off a batch, and fired
    # by hand it is refused (the guard's 409) with nothing changed.
    from casefiles.actions.transition import transitions_available

    for officer in (hr, hr2):
        shown = {t.code for t in transitions_available(officer, Dossier.objects.get(pk=first))}
        assert "mark_produced" not in shown, shown
    by_hand = step(first, hr, "mark_produced")
    assert by_hand.status_code == 409, by_hand.content
    assert by_hand.json()["error"]["message"] == (
        "岱山县人才蓬莱卡仅在六月、十二月的集中制卡批次中制卡（第五条第一款），请将本申请列入制卡批次。")
    assert Dossier.objects.get(pk=first).state.code == "card_production"

    with pytest.raises(CaseFileError) as outside:
        card_services.production_batch_create(scheme=scheme, user=hr, today=datetime.date(2027, 3, 10))
    assert outside.value.code == "outside_production_window"
    assert outside.value.message == ("岱山县人才蓬莱卡每年仅于六月、十二月集中制卡（第五条第一款），"
                                     "下一批次为2027年6月。")
    batch = card_services.production_batch_create(scheme=scheme, user=hr, today=datetime.date(2027, 6, 15))
    assert sorted(batch.items.values_list("dossier_id", flat=True)) == sorted([first, second])
    for item in ProductionItem.objects.filter(batch=batch):
        card_services.card_mark_produced(item=item, user=hr2)

    for dossier_id, holder, name in ((first, teacher, "王海燕"), (second, founder, "陈东海")):
        assert Dossier.objects.get(pk=dossier_id).state.code == "issuance"
        only_by(dossier_id, "hr-bureau", "issue", accounts)
        assert step(dossier_id, hr, "issue").json()["state"] == "issued"
        card = Card.objects.get(dossier_id=dossier_id)
        assert card.number.startswith("DSPL") and card.scheme_id == scheme.pk
        assert (card.valid_until - card.valid_from).days in (1094, 1095)  # 第九条: three years
        mine = api(holder).get(f"/api/v1/cards/{card.pk}/").json()
        assert mine["status"] == "active" and mine["tier"] == card.tier.name
        # anyone verifies it publicly: from the certificate's code, or by number and name
        checked = api().get(f"/api/v1/verify/{verification_token(card)}/")
        assert checked.status_code == 200 and checked.json()["valid"] is True, checked.content
        assert checked.json()["scheme"] == scheme.name and checked.json()["number"] == card.number
        assert "岱山县人力资源和社会保障局" in checked.json()["issuing_body"]
        by_number = api().post("/api/v1/verify/", {"number": card.number, "holder": name}, format="json")
        assert by_number.status_code == 200 and by_number.json()["valid"] is True
        assert name not in by_number.content.decode()  # the holder's name comes back masked
    assert Card.objects.filter(scheme=scheme).count() == 2
    # 12 demo accounts and 2 applicants: 11 refused recommendations (the route through the authority, before the
    # founder applied), then 12 refusals for each of 4 steps of 2 dossiers
    assert len(SWEPT) == 11 + 12 * 4 * 2


def test_production_calendar_swept_over_every_month(daishan):
    """June and December take a batch; every other month is refused naming the months, the article and the next
    batch (July–November → December of the year, January–May → June)."""
    refused = 0
    for year in (2026, 2027):
        for month in range(1, 13):
            for day in (1, 28):
                today = datetime.date(year, month, day)
                refusal = card_services.production_window_refusal(daishan, today)
                following = card_services.production_next_month(daishan, today)
                expected = datetime.date(year, 6 if month <= 6 else 12, 1)
                assert following == expected, today
                if month in (6, 12):
                    assert refusal is None, today
                    continue
                refused += 1
                assert refusal == (f"岱山县人才蓬莱卡每年仅于六月、十二月集中制卡（第五条第一款），"
                                   f"下一批次为{expected.year}年{expected.month}月。"), refusal
    assert refused == 40


def test_no_batch_outside_the_calendar_and_no_dossier_left_behind(daishan):
    """A batch refused in March takes nothing; the December batch then takes the dossier."""
    import random

    from casefiles.demo_dossiers import dossier_in_state

    dossier = dossier_in_state(daishan, person("daishan.applicant"), random.Random(17), "card_production")
    hr = person("daishan.hr-bureau")
    with pytest.raises(CaseFileError):
        card_services.production_batch_create(scheme=daishan, user=hr, today=datetime.date(2026, 3, 2))
    assert not ProductionItem.objects.filter(dossier=dossier).exists()
    batch = card_services.production_batch_create(scheme=daishan, user=hr, today=datetime.date(2026, 12, 1))
    assert list(batch.items.values_list("dossier_id", flat=True)) == [dossier.pk]


@pytest.mark.parametrize("slug", SCHEME_SLUGS)
def test_shipped_schemes_keep_making_cards_whenever_a_batch_is_ready(slug):
    """No shipped file declares a production calendar: every month takes a batch, as before."""
    data = read_yaml(SCHEME_DIR / f"{slug}.yaml")
    assert card_rules_of(data)["production"] is None
    scheme = Scheme(slug=slug, name=data["name"], card_rules=card_rules_of(data))
    assert card_services.production_months(scheme) is None
    assert all(card_services.production_window_refusal(scheme, datetime.date(2026, m, 1)) is None for m in range(1, 13))


BAD_CALENDARS = {
    "windows: [{month: 6}, {month: 13}]": "1 至 12",
    "windows: [{month: 6}, {month: 6}]": "重复",
    "windows: []": "非空列表",
    "windows: [{month: 6, day: 1}]": "{month: 6}",
    "windows: [{month: 6}], every: 2": "未知字段",
}


@pytest.mark.parametrize("bad", sorted(BAD_CALENDARS))
def test_a_bad_calendar_is_refused_with_its_line(bad, tmp_path):
    text = FILE.read_text(encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.strip().startswith("production:"))
    changed = text.replace("windows: [{month: 6}, {month: 12}]", bad)
    assert changed != text
    path = tmp_path / "daishan.yaml"
    path.write_text(changed, encoding="utf-8")
    _data, problems = scheme_file_problems(path)
    assert problems and all(p.startswith(f"daishan.yaml:{line}: ") for p in problems), problems
    assert any(BAD_CALENDARS[bad] in p for p in problems), problems
    with pytest.raises(SchemeDataError):
        scheme_files_load([path])
    assert not Scheme.objects.filter(slug="daishan").exists()


def test_the_documented_check_command_reads_a_declared_county(tmp_path, capsys):
    """docs/NEW_SCHEME.md step 1: ``python -m casefiles.schemes.validate FILE`` passes the file as it is (it once
    failed with a TypeError on a declared jurisdiction) and names the line of a declaration missing its level."""
    from casefiles.schemes.validate import main

    assert main([str(FILE)]) == 0
    assert capsys.readouterr().out.strip().endswith("daishan.yaml: ok")
    text = FILE.read_text(encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith("jurisdiction:"))
    path = tmp_path / "daishan.yaml"
    path.write_text(text.replace(", level: district}", "}"), encoding="utf-8")
    assert main([str(path)]) == 1
    out = capsys.readouterr().out
    assert f"daishan.yaml:{line}: " in out and "level" in out, out
