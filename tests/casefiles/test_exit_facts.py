"""Exit rules have their facts (issue #17 item 5): 通化 第十六条（六）（七）（八） and 吉林 第十一条（六）（七）（八）.

A holder is on the exit list only when every fact the rule names (``automatic_when`` in the scheme file) is known
and met; when one is unknown the holder is on the "to confirm" list, never on the exit list. The facts come from the
application (age from the resident ID, the birth date for other documents, the declared talent category,
retirement) and are kept current on the card's particulars by the employer.
"""

import datetime
import random

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from casefiles.demo_cards import issue_card, prepare_schemes
from casefiles.exceptions import StateConflict
from casefiles.forms_portal import ApplicationForm
from casefiles.models import Card, CardStatus, ExitCandidate, ExitCandidateStatus, Scheme
from casefiles.schemes.loader import SCHEME_DIR, scheme_file_problems
from casefiles.services import cards as svc
from casefiles.testing import demo_facts, resident_id

pytestmark = [pytest.mark.django_db]
TODAY = timezone.localdate()
AGE_RULE = {"tonghua": "16.6", "jilin": "11.6"}
LEFT_RULE = {"tonghua": "16.8", "jilin": "11.8"}
# a criterion whose talent category covers C and another one (the old fallback flagged every such holder)
WIDE_CRITERION = {"tonghua": "7.1", "jilin": "4.1"}


def user(username):
    return get_user_model().objects.get(username=username)


def holder(slug, rng, *, category, age=65, retired=False, **overrides):
    scheme = Scheme.objects.get(slug=slug)
    criterion = scheme.criteria.get(ref=WIDE_CRITERION[slug])
    facts = {**demo_facts(), "retired": retired} if retired is not None else demo_facts()
    if category is not None:
        facts["talent_category"] = category
    if age is not None and "birth_date" not in overrides and "id_number" not in overrides:
        overrides["birth_date"] = svc.add_years(TODAY, -age)
    return issue_card(scheme, rng=rng, tier=criterion.tier, criteria=[criterion], facts=facts, **overrides)


def listed(card):
    """{reason ref: candidate status} of one card."""
    return {c.reason.ref: c.status for c in ExitCandidate.objects.filter(card=card).select_related("reason")}


@pytest.fixture(scope="module")
def two_schemes_once(django_db_setup, django_db_blocker):
    """通化 and 吉林 with their demo employers and users, loaded once for the module."""
    from tests.conftest import rolled_back

    with rolled_back(django_db_blocker):
        prepare_schemes(("tonghua", "jilin"))
        yield


@pytest.fixture
def two_schemes(two_schemes_once, db):
    return {s.slug: s for s in Scheme.objects.filter(slug__in=("tonghua", "jilin"))}


def test_sixty_five_year_old_category_a_and_c_of_jilin_and_tonghua(two_schemes):
    """The done-when of the issue: every scheme × category A, C and unknown, aged 65 (and 64)."""
    rng = random.Random(17)
    cards = {}
    for slug in ("tonghua", "jilin"):
        for category in ("A", "C", None):
            cards[slug, category, 65] = holder(slug, rng, category=category)
        cards[slug, "C", 64] = holder(slug, rng, category="C", age=64)
    svc.exit_candidates_detect()
    expected = {}
    for slug in ("tonghua", "jilin"):
        rule = AGE_RULE[slug]
        expected[slug, "C", 65] = {rule: ExitCandidateStatus.OPEN}  # known and met: on the exit list
        expected[slug, "A", 65] = {}  # category A: the rule does not apply
        expected[slug, None, 65] = {rule: ExitCandidateStatus.TO_CONFIRM}  # category unknown: to confirm
        expected[slug, "C", 64] = {}
    assert {key: listed(card) for key, card in cards.items()} == expected
    assert Card.objects.filter(status=CardStatus.ACTIVE).count() == len(cards)  # nothing revoked
    open_list = ExitCandidate.objects.filter(status=ExitCandidateStatus.OPEN)
    assert {c.card_id for c in open_list} == {cards["tonghua", "C", 65].pk, cards["jilin", "C", 65].pk}
    # a second run changes nothing
    assert svc.exit_candidates_detect() == []


def test_age_comes_from_the_resident_id_or_the_birth_date_and_is_unknown_without_either(two_schemes):
    rng = random.Random(5)
    born = svc.add_years(TODAY, -66)
    by_id = holder("jilin", rng, category="C", age=None, id_number=resident_id(rng, birth=born.strftime("%Y%m%d")))
    passport = holder("jilin", rng, category="C", age=None, id_type="passport", id_number="E12345678", nationality="德国")
    svc.exit_candidates_detect()
    assert listed(by_id) == {"11.6": ExitCandidateStatus.OPEN}
    assert listed(passport) == {"11.6": ExitCandidateStatus.TO_CONFIRM}
    candidate = ExitCandidate.objects.get(card=passport)
    with pytest.raises(StateConflict):  # never confirmed while a fact is unknown
        svc.exit_candidate_confirm(candidate=candidate, user=user("jilin.hr-bureau"), comment="核实")
    # the employer reports the birth date (吉林 第十二条: 信息审核更新): the holder moves to the exit list
    event = svc.card_report_particulars(card=passport, user=user("jilin.employer"), changes={"birth_date": born})
    assert event.article == "第十二条"
    svc.exit_candidates_detect()
    assert listed(passport) == {"11.6": ExitCandidateStatus.OPEN}


def test_reported_category_clears_or_lists_a_holder_to_confirm(two_schemes):
    rng = random.Random(9)
    first, second = (holder("tonghua", rng, category=None) for _ in range(2))
    svc.exit_candidates_detect()
    assert listed(first) == listed(second) == {"16.6": ExitCandidateStatus.TO_CONFIRM}
    svc.card_report_particulars(card=first, user=user("tonghua.employer"), changes={"talent_category": "A"})
    svc.card_report_particulars(card=second, user=user("tonghua.employer"), changes={"talent_category": "c"})
    svc.exit_candidates_detect()
    assert listed(first) == {}  # known now, and the rule does not apply
    assert listed(second) == {"16.6": ExitCandidateStatus.OPEN}


def test_retired_and_left_region_facts(two_schemes):
    rng = random.Random(3)
    retired_d = holder("jilin", rng, category="D", age=60, retired=True)
    d_unknown = holder("jilin", rng, category="D", age=60, retired=None)
    moved = holder("jilin", rng, category="B", age=40)
    svc.exit_candidates_detect()
    assert listed(retired_d) == {"11.7": ExitCandidateStatus.OPEN}
    assert listed(d_unknown) == {"11.7": ExitCandidateStatus.TO_CONFIRM}  # retirement not stated
    assert listed(moved) == {}  # issued to someone working in the province
    svc.card_report_particulars(card=moved, user=user("jilin.employer"), changes={"left_region": True})
    svc.card_report_particulars(card=d_unknown, user=user("jilin.employer"), changes={"retired": False})
    svc.exit_candidates_detect()
    assert listed(moved) == {LEFT_RULE["jilin"]: ExitCandidateStatus.OPEN}
    assert listed(d_unknown) == {}


def test_application_asks_the_exit_facts_the_scheme_needs(two_schemes):
    prepare_schemes(("chuxiong",))
    for slug, asked in (("tonghua", True), ("jilin", True), ("chuxiong", False)):
        form = ApplicationForm(scheme=Scheme.objects.get(slug=slug))
        assert ("fact_talent_category" in form.fields) is asked
        assert ("fact_retired" in form.fields) is asked
    scheme = Scheme.objects.get(slug="tonghua")
    tier = scheme.tiers.first()
    data = {"requested_tier": tier.pk, "applicant_name": "Anna Weber", "id_type": "passport", "id_number": "C01X00T47",
            "nationality": "德国", "phone": "13912345678", "fact_talent_category": "C", "fact_retired": "false"}
    form = ApplicationForm(data=data, scheme=scheme)
    assert not form.is_valid() and "birth_date" in form.errors  # a passport does not carry the birth date
    form = ApplicationForm(data={**data, "birth_date": "1970-03-01"}, scheme=scheme)
    form.is_valid()
    assert "birth_date" not in form.errors
    assert {"talent_category": "C", "retired": False}.items() <= form.service_arguments()["facts"].items()


@pytest.mark.parametrize("slug", ["tonghua", "jilin", "chuxiong", "baiyun", "liaocheng"])
def test_bad_card_rules_are_refused_with_their_line(slug, tmp_path):
    """Every scheme file: an unknown department, a bad period, an unknown exit fact → file:line and Chinese."""
    text = (SCHEME_DIR / f"{slug}.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    reason = next(i for i, line in enumerate(lines) if line.startswith("    automatic_rule: null"))
    lines[reason:reason + 1] = ["    automatic_rule: shoe_size", '    automatic_when: [{fact: shoe_size, test: ">= 40"}]']
    managed = next(i for i, line in enumerate(lines) if line.startswith("  managed_by:"))
    lines[managed] = "  managed_by: {departments: [no-such-office], article: 第一条}"
    certificate = next(i for i, line in enumerate(lines) if line.startswith("  certificate:"))
    lines[certificate] = "  certificate: {issuing_bodies: [hr-bureau]}"
    assessment = next(i for i, line in enumerate(lines) if line.startswith("  assessment:"))
    lines[assessment] = "  assessment: {every_years: 0, by: employer, article: 第六条}"
    path = tmp_path / f"{slug}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _data, problems = scheme_file_problems(path)
    found = {p.split(": ", 1)[0]: p.split(": ", 1)[1] for p in problems}
    assert "引用了本方案没有的部门：'no-such-office'" in found[f"{slug}.yaml:{managed + 1}"]
    assert "须注明政策条款" in found[f"{slug}.yaml:{certificate + 1}"]
    assert "every_years" in found[f"{slug}.yaml:{assessment + 1}"]
    assert "未知的事实：'shoe_size'" in found[f"{slug}.yaml:{reason + 2}"]


def test_bad_loss_renewal_reminder_and_certificate_rules_are_refused_with_their_line(tmp_path):
    lines = (SCHEME_DIR / "tonghua.yaml").read_text(encoding="utf-8").splitlines()
    cards = lines.index("cards:")
    at = {key: next(i for i, line in enumerate(lines) if i > cards and line.startswith(f"  {key}:"))
          for key in ("renewal", "loss", "reminders")}
    lines[at["renewal"]] = "  renewal: {by: [department], window_days: 0, setting: true}"
    lines[at["loss"]] = "  loss: {reported_by: [holder], reissued_by: [bank], article: 第十五条}"
    lines[at["reminders"]] = "  reminders: {days_before: [30, 30], setting: true}"
    at["certificate"] = next(i for i, line in enumerate(lines) if i > cards and line.startswith("  certificate:"))
    lines[at["certificate"]] = "  certificate: {issuing_bodies: [hr-bureau], text: '{name}同志：特颁发{tier}。', article: 第十四条}"
    path = tmp_path / "tonghua.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _data, problems = scheme_file_problems(path)
    found = {}
    for problem in problems:
        where, message = problem.split(": ", 1)
        found.setdefault(where, []).append(message)
    assert any("window_days" in m and "1 至 366" in m for m in found[f"tonghua.yaml:{at['renewal'] + 1}"])
    assert any("reissued_by" in m and "'bank'" in m for m in found[f"tonghua.yaml:{at['loss'] + 1}"])
    assert any("days_before" in m and "互不相同" in m for m in found[f"tonghua.yaml:{at['reminders'] + 1}"])
    assert any("占位符：name" in m for m in found[f"tonghua.yaml:{at['certificate'] + 1}"])


@pytest.mark.parametrize("slug", ["tonghua", "jilin", "chuxiong", "baiyun", "liaocheng"])
def test_shipped_files_have_valid_card_rules(slug):
    _data, problems = scheme_file_problems(SCHEME_DIR / f"{slug}.yaml")
    assert problems == []


def test_unknown_fact_never_reaches_the_exit_list_after_the_card_ends(two_schemes):
    rng = random.Random(11)
    card = holder("tonghua", rng, category=None)
    svc.exit_candidates_detect()
    assert listed(card) == {"16.6": ExitCandidateStatus.TO_CONFIRM}
    Card.objects.filter(pk=card.pk).update(status=CardStatus.EXPIRED, ended_at=TODAY - datetime.timedelta(days=1))
    svc.exit_candidates_detect()
    assert listed(card) == {}
