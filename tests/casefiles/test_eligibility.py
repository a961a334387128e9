"""The eligibility self-check over the loaded scheme rows (casefiles.eligibility)."""

import pytest

from casefiles.eligibility import FAILED, MET, UNKNOWN, UnknownCriterion, evaluate, rule_status, scheme_facts
from casefiles.models import Criterion, Recognition
from casefiles.schemes.loader import schemes_load
from casefiles.selectors_schemes import tier_services

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def load(*slugs):
    schemes = {s.slug: s for s in schemes_load(slugs)}
    return schemes if len(slugs) > 1 else schemes[slugs[0]]


def refs(preconditions):
    return [p.ref for p in preconditions]


def precondition_with_fact(scheme, fact):
    for precondition in scheme.preconditions.all():
        if fact in str(precondition.rule):
            return precondition
    raise AssertionError(f"{scheme.slug} has no precondition on {fact}")


# --------------------------------------------------------------------------- the rule format


@pytest.mark.parametrize(
    "rule,facts,expected",
    [
        ({"fact": "contract_years", "test": ">= 1"}, {"contract_years": 2}, MET),
        ({"fact": "contract_years", "test": ">= 1"}, {"contract_years": 0.5}, FAILED),
        ({"fact": "contract_years", "test": ">= 1"}, {}, UNKNOWN),
        ({"fact": "self_employed", "test": "== true"}, {"self_employed": False}, FAILED),
        ({"any": [{"fact": "contract_years", "test": ">= 1"}, {"fact": "self_employed", "test": "== true"}]}, {"self_employed": True}, MET),
        ({"any": [{"fact": "contract_years", "test": ">= 1"}, {"fact": "self_employed", "test": "== true"}]}, {"contract_years": 0.5}, UNKNOWN),
        (
            {"any": [{"fact": "contract_years", "test": ">= 1"}, {"fact": "self_employed", "test": "== true"}]},
            {"contract_years": 0.5, "self_employed": False},
            FAILED,
        ),
        ({"all": [{"fact": "contract_years", "test": ">= 1"}, {"fact": "months_per_year_in_jurisdiction", "test": ">= 6"}]}, {"contract_years": 3}, UNKNOWN),
        ({"all": [{"fact": "contract_years", "test": ">= 1"}, {"fact": "months_per_year_in_jurisdiction", "test": ">= 6"}]}, {"months_per_year_in_jurisdiction": 2}, FAILED),
        ({}, {"contract_years": 3}, UNKNOWN),
    ],
)
def test_rule_status(rule, facts, expected):
    assert rule_status(rule, facts) == expected


# --------------------------------------------------------------------------- 通化


def test_tonghua_half_year_contract_fails_the_precondition():
    tonghua = load("tonghua")
    contract = precondition_with_fact(tonghua, "contract_years")
    b_criterion = tonghua.criteria.filter(tier__code="B").first()
    result = evaluate(
        tonghua,
        [b_criterion.ref],
        {"contract_years": 0.5, "self_employed": False, "flexible_introduction": False},
    )
    assert refs(result.unmet) == [contract.ref]
    assert result.tier.code == "B"
    assert result.eligible is False


def test_tonghua_half_year_contract_alone_leaves_the_alternatives_open():
    """第四条 also admits the self-employed and flexibly introduced: not answered → unknown, not failed."""
    tonghua = load("tonghua")
    contract = precondition_with_fact(tonghua, "contract_years")
    result = evaluate(tonghua, [tonghua.criteria.first().ref], {"contract_years": 0.5})
    assert contract.ref in refs(result.unknown)
    assert result.unmet == []
    result = evaluate(tonghua, [tonghua.criteria.first().ref], {"contract_years": 3})
    assert contract.ref in refs(result.met)


def test_missing_facts_are_unknown_not_failed():
    tonghua = load("tonghua")
    result = evaluate(tonghua, [tonghua.criteria.first().ref])
    assert result.unmet == []
    assert sorted(refs(result.unknown)) == sorted(tonghua.preconditions.values_list("ref", flat=True))
    assert result.eligible is True


def test_highest_tier_wins_and_basis_is_the_criteria_of_that_tier():
    tonghua = load("tonghua")
    a = tonghua.criteria.filter(tier__code="A").first()
    c = tonghua.criteria.filter(tier__code="C").first()
    result = evaluate(tonghua, [c.ref, a.ref])
    assert result.tier.code == "A"
    assert [x.ref for x in result.basis] == [a.ref]
    assert result.basis[0].article.startswith("第六条")


def test_no_criterion_no_tier():
    tonghua = load("tonghua")
    result = evaluate(tonghua, [])
    assert result.tier is None and result.eligible is False


def test_unknown_criterion_id_is_named():
    tonghua = load("tonghua")
    with pytest.raises(UnknownCriterion) as excinfo:
        evaluate(tonghua, ["6.1", "9.9"])
    assert excinfo.value.refs == ["9.9"]


# --------------------------------------------------------------------------- 楚雄, 吉林, 白云, 聊城


def test_chuxiong_xingdian_card_holders_get_tier_a():
    chuxiong = load("chuxiong")
    recognition = Recognition.objects.get(scheme=chuxiong, card_name="兴滇惠才卡")
    assert recognition.criterion is not None
    result = evaluate(chuxiong, [recognition.criterion.ref])
    assert result.tier.code == "A" == recognition.tier.code
    assert "兴滇惠才卡" in result.basis[0].text


def test_jilin_jijian_and_jixiang_with_included_services():
    jilin = load("jilin")
    jijian = Criterion.objects.filter(scheme=jilin, tier__code="jijian").first()
    jixiang = Criterion.objects.filter(scheme=jilin, tier__code="jixiang").first()
    assert evaluate(jilin, [jijian.ref]).tier.code == "jijian"
    result = evaluate(jilin, [jixiang.ref, jijian.ref])
    assert result.tier.code == "jixiang"
    brings = {s.ref for s in tier_services(result.tier)}
    own = set(result.tier.direct_services.values_list("ref", flat=True))
    included = set(jilin.tiers.get(code="jijian").direct_services.values_list("ref", flat=True))
    assert included and own and brings == own | included


def test_baiyun_five_months_is_not_enough():
    baiyun = load("baiyun")
    months = precondition_with_fact(baiyun, "months_per_year_in_jurisdiction")
    criterion = baiyun.criteria.first()
    result = evaluate(baiyun, [criterion.ref], {"months_per_year_in_jurisdiction": 5})
    assert refs(result.unmet) == [months.ref]
    assert result.eligible is False
    result = evaluate(baiyun, [criterion.ref], {"months_per_year_in_jurisdiction": 6, "employer_operating_years": 2})
    assert result.unmet == [] and result.unknown == [] and result.eligible is True
    assert scheme_facts(baiyun)[:2] == ["employer_operating_years", "employer_is_district_institution"]


def test_case_by_case_flag_follows_the_scheme():
    schemes = load("tonghua", "liaocheng")
    for scheme in schemes.values():
        assert evaluate(scheme, [scheme.criteria.first().ref]).case_by_case is scheme.case_by_case
    assert schemes["tonghua"].case_by_case is True
    assert schemes["liaocheng"].case_by_case is False
