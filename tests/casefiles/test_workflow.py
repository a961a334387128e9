"""Each scheme's application runs from submission to issuance through its real stages, as the real
department users; plus return-and-resubmit and rejection. The expected routes are written out here from
the policies (not read from the code under test)."""

import pytest

from casefiles.exceptions import CaseFileError, StateConflict, TransitionDenied
from casefiles.models import Card, JournalEntry, Opinion
from casefiles.services.dossiers import dossier_transition, dossier_update
from casefiles.services.journal import journal_verify
from casefiles.testing import satisfy_controls

from .factories import colleague_if_last, new_dossier, setup_schemes, user

pytestmark = [pytest.mark.django_db, pytest.mark.smoke, pytest.mark.usefixtures("schemes_once")]

# (transition, username, state after) — the main route of each policy.
ROUTES = {
    # 通化 第十二–十四条: 受理和资格审查 → 人社局核发 or 组织部、人社局集中审核 → 制卡 → 发卡
    "tonghua": [
        ("submit", "tonghua.applicant", "acceptance"),
        ("accept", "tonghua.service-center", "verification"),
        ("refer_joint_review", "tonghua.hr-bureau", "joint_review"),
        ("approve", "tonghua.org-dept", "card_production"),
        ("mark_produced", "tonghua.service-center", "issuance"),
        ("issue", "tonghua.service-center", "issued"),
    ],
    # 吉林 第六条: 申请(单位推荐) → 初审(上级人事管理部门) → 审定(省人社厅) → 制卡 → 发放
    "jilin": [
        ("submit", "jilin.applicant", "employer_recommendation"),
        ("recommend", "jilin.employer", "preliminary_review"),
        ("approve_preliminary", "jilin.changchun-hr", "final_approval"),
        ("approve_final", "jilin.hr-bureau", "card_production"),
        ("mark_produced", "jilin.hr-bureau", "issuance"),
        ("issue", "jilin.hr-bureau", "issued"),
    ],
    # 楚雄 第四条: 申报 → 评审认定 → 征求意见 → 公示 → 银行制卡、颁卡
    "chuxiong": [
        ("submit", "chuxiong.applicant", "assessment"),
        ("approve_assessment", "chuxiong.talent-office", "integrity_review"),
        ("open_public_notice", "chuxiong.talent-office", "public_notice"),
        ("close_public_notice", "chuxiong.talent-office", "card_production"),
        ("mark_produced", "chuxiong.bank", "issuance"),
        ("issue", "chuxiong.bank", "issued"),
    ],
    # 白云 第五条: 申报 → 预审 → 初审(行业主管部门) → 复审(人社局) → 审定(领导小组) → 制卡(银行) → 发卡
    "baiyun": [
        ("submit", "baiyun.applicant", "pre_review"),
        ("approve_pre_review", "baiyun.hr-bureau", "preliminary_review"),
        ("approve_preliminary", "baiyun.sti-bureau", "re_review"),
        ("approve_re_review", "baiyun.hr-bureau", "final_approval"),
        ("approve_final", "baiyun.leading-group", "card_production"),
        ("mark_produced", "baiyun.bank", "issuance"),
        ("issue", "baiyun.talent-office", "issued"),
    ],
    # 聊城 第三十二条: 平台申请 → 人社局审核 → 人才办同意 → 颁发
    "liaocheng": [
        ("submit", "liaocheng.applicant", "hr_review"),
        ("approve_review", "liaocheng.hr-bureau", "final_approval"),
        ("approve_final", "liaocheng.talent-office", "issuance"),
        ("issue", "liaocheng.hr-bureau", "issued"),
    ],
}

AUTHORITY = {"jilin": "changchun-hr", "baiyun": "sti-bureau"}
# 通化 第十四条: the joint review is for what the HR bureau cannot recognise directly (8.3: not a certified category).
CRITERION = {"tonghua": "8.3"}


@pytest.fixture
def schemes(db):
    return setup_schemes()


def _dossier(slug, schemes, criterion=None):
    authority = schemes[slug].departments.get(code=AUTHORITY[slug]) if slug in AUTHORITY else None
    return new_dossier(slug, authority=authority, criterion=criterion or CRITERION.get(slug))


@pytest.mark.parametrize("slug", sorted(ROUTES))
def test_submission_to_issuance_through_the_real_stages(slug, schemes):
    dossier = _dossier(slug, schemes)
    assert dossier.state.code == "draft"
    previous = None
    for transition, username, expected in ROUTES[slug]:
        # Someone else (the applicant of another scheme) may never fire it.
        with pytest.raises((TransitionDenied, StateConflict)):
            dossier_transition(dossier=dossier, transition=transition, user=user("liaocheng.employer" if slug != "liaocheng" else "tonghua.employer"))
        # Four eyes: the officer who made the previous decision hands the next one to a colleague.
        actor = colleague_if_last(dossier, username, previous)
        # The step's controls (opinions asked, experts, public notice) are met first, through the services.
        dossier = satisfy_controls(dossier, schemes[slug].transitions.get(code=transition))
        dossier = dossier_transition(dossier=dossier, transition=transition, user=actor, comment="同意")
        previous = actor
        assert dossier.state.code == expected, (slug, transition)
    card = Card.objects.get(dossier=dossier)
    assert card.status == "active" and card.holder == dossier.applicant
    assert card.number.startswith(schemes[slug].card_number_format.split("{")[0])
    assert Opinion.objects.filter(dossier=dossier).count() == len(ROUTES[slug])
    actions = list(JournalEntry.objects.filter(dossier=dossier, action__startswith="casefiles.dossier.").values_list("action", flat=True))
    assert [a.split(".")[-1] for a in actions if a != "casefiles.dossier.create"] == [t for t, _u, _s in ROUTES[slug]]
    assert journal_verify() is None


@pytest.mark.parametrize("slug", sorted(ROUTES))
def test_return_for_supplement_and_resubmit(slug, schemes):
    dossier = _dossier(slug, schemes)
    submit, first_reviewer = ROUTES[slug][0], ROUTES[slug][1]
    dossier = dossier_transition(dossier=dossier, transition="submit", user=user(submit[1]))
    with pytest.raises(CaseFileError):  # a return must say what is missing
        dossier_transition(dossier=dossier, transition="return", user=user(first_reviewer[1]), comment="")
    dossier = dossier_transition(dossier=dossier, transition="return", user=user(first_reviewer[1]), comment="请补充劳动合同")
    assert dossier.state.code == "returned"
    assert dossier.missing_items == "请补充劳动合同"
    dossier = dossier_update(dossier=dossier, user=user(submit[1]), facts={**dossier.facts, "contract_years": 4})
    dossier = dossier_transition(dossier=dossier, transition="submit", user=user(submit[1]))
    assert dossier.state.code == submit[2]


@pytest.mark.parametrize("slug", sorted(ROUTES))
def test_rejection_with_reason(slug, schemes):
    dossier = _dossier(slug, schemes)
    dossier = dossier_transition(dossier=dossier, transition="submit", user=user(ROUTES[slug][0][1]))
    reviewer = ROUTES[slug][1][1]
    if slug == "jilin":  # the unit declines to recommend; 初审 may reject
        dossier = dossier_transition(dossier=dossier, transition="recommend", user=user(reviewer))
        reviewer = ROUTES[slug][2][1]
    dossier = dossier_transition(dossier=dossier, transition="reject", user=user(reviewer), comment="不符合第四条所列条件")
    assert dossier.state.code == "rejected"
    assert dossier.opinions.last().comment == "不符合第四条所列条件"
    with pytest.raises(StateConflict):
        dossier_transition(dossier=dossier, transition="submit", user=user(ROUTES[slug][0][1]))


def test_stale_expected_state_is_a_conflict(schemes):
    dossier = _dossier("liaocheng", schemes)
    dossier = dossier_transition(dossier=dossier, transition="submit", user=user("liaocheng.applicant"))
    dossier_transition(dossier=dossier, transition="approve_review", user=user("liaocheng.hr-bureau"), expected_state="hr_review")
    with pytest.raises(StateConflict):
        dossier_transition(dossier=dossier, transition="approve_review", user=user("liaocheng.hr-bureau"), expected_state="hr_review")


def test_only_the_dossiers_own_authority_acts(schemes):
    dossier = _dossier("baiyun", schemes)
    for transition, username, _state in ROUTES["baiyun"][:2]:
        dossier = dossier_transition(dossier=dossier, transition=transition, user=user(username))
    with pytest.raises(TransitionDenied):  # the education bureau is not this dossier's authority
        dossier_transition(dossier=dossier, transition="approve_preliminary", user=user("baiyun.education-bureau"))


def test_case_by_case_route_records_minutes(schemes):
    dossier = _dossier("tonghua", schemes, criterion="8.4")  # 第八条第④项: 一事一议
    for transition, username, _state in ROUTES["tonghua"][:3]:
        dossier = dossier_transition(dossier=dossier, transition=transition, user=user(username))
    # 集中审核认定: the HR bureau agrees with the organisation department before the referral (第十四条)
    dossier = satisfy_controls(dossier, schemes["tonghua"].transitions.get(code="refer_case_by_case"))
    dossier = dossier_transition(dossier=dossier, transition="refer_case_by_case", user=user("tonghua.org-dept"), comment="特殊人才，提请一事一议")
    assert dossier.state.code == "case_by_case"
    dossier = dossier_transition(
        dossier=dossier, transition="decide_case_by_case_approve", user=user("tonghua.leading-group"),
        comment="同意", minutes="2026年第3次领导小组会议纪要：同意认定为A类。",
    )
    assert dossier.state.code == "card_production"
    assert dossier.opinions.last().minutes.startswith("2026年第3次")


def test_grants_follow_the_state(schemes):
    from casefiles.selectors import dossiers_actionable_by, dossiers_visible_to

    dossier = _dossier("baiyun", schemes)
    bank, hr = user("baiyun.bank"), user("baiyun.hr-bureau")
    assert not dossiers_visible_to(hr).filter(pk=dossier.pk).exists()  # a draft is the applicant's alone
    dossier = dossier_transition(dossier=dossier, transition="submit", user=user("baiyun.applicant"))
    assert dossiers_actionable_by(hr).filter(pk=dossier.pk).exists()
    assert not dossiers_visible_to(bank).filter(pk=dossier.pk).exists()
    for transition, username, _state in ROUTES["baiyun"][1:5]:
        dossier = dossier_transition(dossier=dossier, transition=transition, user=user(username))
    assert dossier.state.code == "card_production"
    assert dossiers_actionable_by(bank).filter(pk=dossier.pk).exists()
    assert not dossiers_actionable_by(hr).filter(pk=dossier.pk).exists()
    grant_changes = JournalEntry.objects.filter(dossier=dossier, action="casefiles.grants.change").count()
    assert grant_changes >= 5
