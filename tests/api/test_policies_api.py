"""Published policies by citation (issue #23 item 1): every article and item of the five seeds, by citation and by
numeric id, the older published revisions by id, never a draft."""

import pytest
from rest_framework.test import APIClient

from policypages.importer.numerals import int_to_cn
from policypages.models import PolicyPage
from policypages.selectors import policy_anchors, public_path
from policypages.testing import SEED_TITLES, published_policy, with_first_article_text

pytestmark = [pytest.mark.django_db]

SCHEMES = sorted(SEED_TITLES)
DRAFT_TEXT = "草稿条文：尚未发布，不得出现在接口中。"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def five_policies(db):
    pages = {}
    for slug in SCHEMES:
        _section, result = published_policy(slug)
        pages[slug] = PolicyPage.objects.get(pk=result.page.pk)
    return pages


def _get(api, url):
    response = api.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return response.json()


def test_every_article_and_item_of_the_five_seeds(api, five_policies):
    listed = _get(api, "/api/v1/policies/?page_size=200")
    assert sorted(p["scheme"] for p in listed["results"]) == SCHEMES
    units = 0
    for slug, page in five_policies.items():
        data = _get(api, f"/api/v1/policies/{slug}/")
        assert data["title"] == page.title and data["revision"]["id"] == page.live_revision_id
        assert data["effective_date"] == (page.effective_date.isoformat() if page.effective_date else None)
        anchors = {a["anchor"] for a in data["articles"]}
        anchors |= {i["anchor"] for a in data["articles"] for i in a["items"]}
        # the same units as the policy page, each with its public URL
        assert anchors == policy_anchors(page)
        base = public_path(page)
        for article in data["articles"]:
            assert article["url"] == f"{base}#{article['anchor']}"
            assert all(item["url"] == f"{base}#{item['anchor']}" for item in article["items"])
        # each article by its citation in Chinese numerals and by its numeric id, and each item by id and citation
        for article in data["articles"]:
            by_cn = _get(api, f"/api/v1/policies/{slug}/articles/第{int_to_cn(article['number'])}条/")
            by_id = _get(api, f"/api/v1/policies/{slug}/articles/{article['number']}/")
            assert by_cn == by_id
            assert by_cn["unit"]["anchor"] == article["anchor"] and by_cn["article"] is None
            assert by_cn["policy"]["revision"]["id"] == page.live_revision_id
            units += 1
            for item in article["items"]:
                by_ref = _get(api, f"/api/v1/policies/{slug}/articles/{item['id']}/")
                by_citation = _get(api, f"/api/v1/policies/{slug}/articles/{item['citation']}/")
                assert by_ref == by_citation
                assert by_ref["unit"]["anchor"] == item["anchor"]
                assert by_ref["article"]["anchor"] == article["anchor"]
                units += 1
    assert units == sum(len(policy_anchors(page)) for page in five_policies.values())
    print(f"policies API: {units} articles and items of {len(SCHEMES)} seeds, each by id and by citation")


def test_unknown_citations_are_404_with_the_error_body(api, five_policies):
    for url in (
        "/api/v1/policies/tonghua/articles/第九百九十九条/",
        "/api/v1/policies/tonghua/articles/999.1/",
        "/api/v1/policies/tonghua/articles/第十十条/",
        "/api/v1/policies/tonghua/articles/%00/",
        "/api/v1/policies/no-such-scheme/",
        "/api/v1/policies/tonghua/revisions/999999/",
    ):
        response = api.get(url)
        assert response.status_code == 404, url
        assert set(response.json()["error"]) >= {"code", "message"}


def test_a_draft_never_appears_and_older_revisions_are_read_by_id(api, five_policies):
    page = five_policies["tonghua"]
    first_live = page.live_revision_id
    before = _get(api, "/api/v1/policies/tonghua/")
    # a new published version, then a draft on top of it
    with_first_article_text(page, "第二版条文。").save_revision().publish()
    page = PolicyPage.objects.get(pk=page.pk)
    second_live = page.live_revision_id
    draft = with_first_article_text(page, DRAFT_TEXT).save_revision()
    urls = [
        "/api/v1/policies/",
        "/api/v1/policies/tonghua/",
        "/api/v1/policies/tonghua/articles/1/",
        "/api/v1/policies/tonghua/articles/第一条/",
        "/api/v1/policies/tonghua/revisions/",
        f"/api/v1/policies/tonghua/revisions/{first_live}/",
        f"/api/v1/policies/tonghua/revisions/{second_live}/",
        f"/api/v1/policies/tonghua/revisions/{first_live}/articles/1/",
    ]
    for url in urls:
        assert DRAFT_TEXT not in api.get(url).content.decode(), url
    assert api.get(f"/api/v1/policies/tonghua/revisions/{draft.pk}/").status_code == 404
    assert api.get(f"/api/v1/policies/tonghua/revisions/{draft.pk}/articles/1/").status_code == 404
    revisions = _get(api, "/api/v1/policies/tonghua/revisions/")["results"]
    assert [r["id"] for r in revisions] == [second_live, first_live]
    assert [r["is_live"] for r in revisions] == [True, False]
    assert _get(api, "/api/v1/policies/tonghua/articles/1/")["unit"]["text"] == "第二版条文。"
    old = _get(api, f"/api/v1/policies/tonghua/revisions/{first_live}/")
    assert old["articles"] == before["articles"] and old["revision"]["id"] == first_live
    old_unit = _get(api, f"/api/v1/policies/tonghua/revisions/{first_live}/articles/第一条/")
    assert old_unit["unit"]["text"] == before["articles"][0]["text"]
    # a revision of another policy is not this policy's
    other = five_policies["jilin"].live_revision_id
    assert api.get(f"/api/v1/policies/tonghua/revisions/{other}/").status_code == 404


def test_unpublished_policy_disappears(api, five_policies):
    five_policies["baiyun"].unpublish()
    assert api.get("/api/v1/policies/baiyun/").status_code == 404
    assert api.get("/api/v1/policies/baiyun/articles/1/").status_code == 404
    assert "baiyun" not in {p["scheme"] for p in _get(api, "/api/v1/policies/")["results"]}


def test_answers_are_kept_until_a_publish(api, settings, django_assert_num_queries):
    """Cached like the pages: a repeated answer makes no database query; a publish orphans every kept answer."""
    from django.core.cache import caches

    settings.HUICAI_FRAGMENT_CACHE_ENABLED = True
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api-default"},
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api-pages"},
    }
    for alias in ("default", "pages"):
        caches[alias].clear()
    _section, result = published_policy("liaocheng")
    page = PolicyPage.objects.get(pk=result.page.pk)
    url = "/api/v1/policies/liaocheng/articles/第三十一条/"
    first = _get(api, url)
    with django_assert_num_queries(0):
        assert _get(api, url) == first
    with_first_article_text(page, "修订后的第一条。").save_revision().publish()
    assert _get(api, "/api/v1/policies/liaocheng/articles/1/")["unit"]["text"] == "修订后的第一条。"
    assert _get(api, url)["policy"]["revision"]["id"] == PolicyPage.objects.get(pk=page.pk).live_revision_id


def test_a_malformed_scheme_filter_is_a_400_never_a_query(api):
    for url in ("/api/v1/policies/", "/api/v1/notices/", "/api/v1/notices/catalogue-changes/"):
        for bad in ("%00", "a b", "通化", "x%27--"):
            response = api.get(f"{url}?scheme={bad}")
            assert response.status_code == 400, (url, bad)
            assert response.json()["error"]["code"] == "invalid"


HOSTILE_CITATIONS = [
    "%00",
    "%ED%A0%80",
    "%FF",
    "第",
    "第条",
    "第一百零条",
    "第十十条",
    "第9999999999999999999条",
    "5..2",
    ".5",
    "5.",
    "《》",
    "《",
    "（",
    "第一条第（）项",
    "art-",
    "art-1-",
    "-1",
    "1e3",
    "0",
    "00001",
    "１",
    "第１条",
    "%F0%9F%98%80",
    "%E2%80%AE1",
    "x" * 2000,
    "第" + "一" * 300 + "条",
    "%20",
    "..",
    "%2E%2E",
]


def test_hostile_citations_are_answered_never_a_server_error(api):
    """Every citation form against a published policy: a 200 for a unit that exists, else a 404 with the body."""
    published_policy("tonghua")
    answers = {}
    for citation in HOSTILE_CITATIONS:
        for prefix in ("", "revisions/999999/"):
            response = api.get(f"/api/v1/policies/tonghua/{prefix}articles/{citation}/")
            assert response.status_code in (200, 404), (citation, response.status_code)
            if response.status_code == 404:
                assert set(response.json()["error"]) >= {"code", "message"}
            answers[response.status_code] = answers.get(response.status_code, 0) + 1
    # 第１条 and １ (full-width digits) and 00001 name the first article
    assert _get(api, "/api/v1/policies/tonghua/articles/第１条/")["unit"]["id"] == "1"
    print(f"hostile citations: {sum(answers.values())} requests, answers {answers}")
