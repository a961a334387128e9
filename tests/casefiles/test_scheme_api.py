"""Public scheme API: /api/v1/schemes/, /api/v1/schemes/<slug>/, /api/v1/eligibility/."""

import pytest
from rest_framework.test import APIClient

from casefiles.models import DepartmentKind, Scheme
from casefiles.schemes.loader import SCHEME_SLUGS, schemes_load

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

RULE_KEYS = {"id", "article", "text"}


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture(scope="module")
def loaded_schemes(django_db_setup, django_db_blocker):
    """The five schemes, loaded once for the module inside a transaction rolled back at its end (each
    test still runs in its own savepoint)."""
    from tests.conftest import rolled_back

    with rolled_back(django_db_blocker):
        yield {s.slug: s for s in schemes_load()}


@pytest.fixture
def schemes(db, loaded_schemes):
    return loaded_schemes


def eligibility(api, body):
    return api.post("/api/v1/eligibility/", body, format="json")


def test_list_shape(api, schemes):
    body = api.get("/api/v1/schemes/").json()["results"]
    assert sorted(s["slug"] for s in body) == sorted(SCHEME_SLUGS)
    for row in body:
        assert set(row) == {"slug", "name", "jurisdiction", "policy_url"}
        scheme = schemes[row["slug"]]
        assert row["name"] == scheme.name and row["jurisdiction"] == scheme.jurisdiction.name
        assert row["policy_url"] is None  # no pages published in this test


def test_policy_url_falls_back_to_the_section_page(api, schemes):
    from policypages.demo import ensure_home_page, ensure_scheme_section

    home = ensure_home_page()
    ensure_scheme_section(home, schemes["jilin"])
    rows = {r["slug"]: r for r in api.get("/api/v1/schemes/").json()["results"]}
    assert rows["jilin"]["policy_url"] and rows["jilin"]["policy_url"].rstrip("/").endswith("/jilin")
    assert rows["tonghua"]["policy_url"] is None


@pytest.mark.parametrize("slug", SCHEME_SLUGS)
def test_detail_shape_for_every_scheme(api, schemes, slug):
    scheme = schemes[slug]
    body = api.get(f"/api/v1/schemes/{slug}/").json()
    assert set(body) == {"slug", "name", "preconditions", "tiers", "revocation_reasons", "workflow", "validity"}
    assert body["slug"] == slug and body["name"] == scheme.name
    assert all(set(p) == RULE_KEYS for p in body["preconditions"])
    assert len(body["preconditions"]) == scheme.preconditions.count()
    assert [t["code"] for t in body["tiers"]] == list(scheme.tiers.order_by("-rank").values_list("code", flat=True))
    for tier in body["tiers"]:
        assert set(tier) == {"code", "name", "criteria", "services"}
        assert tier["criteria"] and all(set(c) == RULE_KEYS for c in tier["criteria"])
        assert tier["services"]
        for service in tier["services"]:
            assert set(service) == {"id", "title", "text", "article", "responsible_units"}
            assert service["article"].startswith("第") and isinstance(service["responsible_units"], list)
    assert sum(len(t["criteria"]) for t in body["tiers"]) == scheme.criteria.count()
    assert len(body["revocation_reasons"]) == scheme.revocation_reasons.count()
    assert all(set(r) == RULE_KEYS | {"effect"} for r in body["revocation_reasons"])
    stages = body["workflow"]["stages"]
    assert stages and all(set(s) == {"code", "name", "department"} and s["department"] for s in stages)
    assert set(body["validity"]) == {"max_years", "article"}
    assert body["validity"]["max_years"] == scheme.validity_max_years


def test_detail_values(api, schemes):
    assert api.get("/api/v1/schemes/tonghua/").json()["validity"] == {"max_years": 5, "article": "第十五条"}
    assert api.get("/api/v1/schemes/jilin/").json()["validity"]["max_years"] is None
    jilin = {t["code"]: t for t in api.get("/api/v1/schemes/jilin/").json()["tiers"]}
    assert {s["id"] for s in jilin["jijian"]["services"]} < {s["id"] for s in jilin["jixiang"]["services"]}
    baiyun = {s["code"]: s for s in api.get("/api/v1/schemes/baiyun/").json()["workflow"]["stages"]}
    assert baiyun["preliminary_review"]["department"] == str(DepartmentKind.COMPETENT_AUTHORITY.label)
    assert baiyun["card_production"]["department"] == schemes["baiyun"].departments.get(code="bank").name
    chuxiong = [s["code"] for s in api.get("/api/v1/schemes/chuxiong/").json()["workflow"]["stages"]]
    assert "public_notice" in chuxiong and "case_by_case" not in chuxiong


def test_unknown_scheme_detail_is_404(api, schemes):
    response = api.get("/api/v1/schemes/atlantis/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_eligibility_tonghua(api, schemes):
    body = eligibility(
        api,
        {
            "scheme": "tonghua",
            "criteria": ["7.2", "8.1"],
            "facts": {"contract_years": 0.5, "self_employed": False, "flexible_introduction": False},
        },
    ).json()
    assert set(body) == {"eligible", "tier", "basis", "unmet", "unknown", "case_by_case"}
    assert body["tier"] == "B" and body["eligible"] is False
    assert body["basis"] == [{"criterion": "7.2", "article": "第七条第②项"}]
    assert [p["id"] for p in body["unmet"]] == ["4"] and body["unmet"][0]["article"] == "第四条"
    assert body["case_by_case"] is True


def test_eligibility_without_facts_reports_unknown(api, schemes):
    body = eligibility(api, {"scheme": "baiyun", "criteria": ["3.1"]}).json()
    assert body["eligible"] is True and body["unmet"] == []
    assert sorted(p["id"] for p in body["unknown"]) == sorted(schemes["baiyun"].preconditions.values_list("ref", flat=True))


def test_eligibility_jilin_and_chuxiong(api, schemes):
    assert eligibility(api, {"scheme": "jilin", "criteria": ["5.2"]}).json()["tier"] == "jijian"
    assert eligibility(api, {"scheme": "jilin", "criteria": ["5.2", "4.3"]}).json()["tier"] == "jixiang"
    body = eligibility(api, {"scheme": "chuxiong", "criteria": ["3.1.1"]}).json()
    assert body["tier"] == "A" and body["eligible"] is True
    body = eligibility(api, {"scheme": "liaocheng", "criteria": ["5.4"]}).json()
    assert body["tier"] == "C" and body["case_by_case"] is False


def test_eligibility_baiyun_five_months(api, schemes):
    body = eligibility(
        api, {"scheme": "baiyun", "criteria": ["3.5"], "facts": {"months_per_year_in_jurisdiction": 5}}
    ).json()
    assert body["eligible"] is False and [p["id"] for p in body["unmet"]] == ["3.0.2"]


def test_unknown_criterion_is_400_naming_it(api, schemes):
    response = eligibility(api, {"scheme": "tonghua", "criteria": ["6.1", "9.9"]})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "unknown_criterion"
    assert "9.9" in error["message"] and "6.1" not in error["message"]


def test_unknown_scheme_is_400_naming_it(api, schemes):
    response = eligibility(api, {"scheme": "atlantis", "criteria": []})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_scheme"
    assert "atlantis" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"criteria": ["6.1"]},
        {"scheme": "tonghua", "criteria": "6.1"},
        {"scheme": "tonghua", "criteria": [], "facts": {"contract_years": "many"}},
        {"scheme": "tonghua", "criteria": [], "facts": {"shoe_size": 42}},
    ],
)
def test_malformed_requests_are_400(api, schemes, body):
    response = eligibility(api, body)
    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_schema_documents_the_endpoints(api, schemes):
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    text = response.content.decode()
    for fragment in ("/api/v1/schemes/", "/api/v1/schemes/{slug}/", "/api/v1/eligibility/", "EligibilityResponse", "SchemeDetail"):
        assert fragment in text


def test_rows_edited_in_the_admin_show_in_the_api(api, schemes):
    scheme = Scheme.objects.get(slug="liaocheng")
    scheme.validity_max_years = 3
    scheme.save()
    assert api.get("/api/v1/schemes/liaocheng/").json()["validity"]["max_years"] == 3
