"""Capped totals ("10,000+") and facets counted on the first page only, on every backend."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from search import service
from search.backends.base import SearchResult
from search.documents import content_document

WORD = "人才公寓"


def _units(n, scheme_of=lambda i: "tonghua"):
    docs = []
    for i in range(n):
        unit = {"key": f"u-{i}", "title": f"公告{i}", "text": f"第{i}号：{WORD}申请须知。", "url": f"/u/{i}/"}
        doc = content_document(unit, kind="announcement")
        doc["scheme"] = scheme_of(i)
        docs.append(doc)
    return docs


@pytest.fixture
def small_cap(monkeypatch):
    monkeypatch.setattr(service, "TOTAL_CAP", 3)
    return 3


def test_total_display_is_localised():
    capped = SearchResult(query="x", hits=[], total=10_000, page=1, page_size=20, total_capped=True)
    exact = SearchResult(query="x", hits=[], total=1234, page=1, page_size=20)
    with translation.override("en"):
        assert capped.total_display == "10,000+"
        assert exact.total_display == "1,234"
    with translation.override("zh-hans"):
        assert capped.total_display == "10000+"


def test_total_is_exact_up_to_the_cap(search_backend, small_cap):
    service.index_content(_units(3))
    result = service.search_public(WORD)
    assert result.total == 3 and not result.total_capped


def test_total_stops_at_the_cap(search_backend, small_cap):
    service.index_content(_units(5))
    result = service.search_public(WORD, page_size=2)
    assert result.total == small_cap and result.total_capped
    assert len(result.hits) == 2
    # Paging still reaches every match, counted or not.
    keys = set()
    for page in (1, 2, 3):
        keys |= {h.key for h in service.search_public(WORD, page=page, page_size=2).hits}
    assert keys == {f"u-{i}" for i in range(5)}


def test_capped_total_on_the_public_page_and_api(client, search_backend, small_cap):
    service.index_content(_units(5))
    with translation.override("en"):
        html = client.get("/search/", {"q": WORD}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "3+" in html
    body = client.get("/api/v1/search/", {"q": WORD}).json()
    assert body["total"] == 3 and body["total_capped"] is True
    exact = client.get("/api/v1/search/", {"q": "不存在的词组合量子猫"}).json()
    assert exact["total"] == 0 and exact["total_capped"] is False


def test_facets_on_the_first_page_only(search_backend):
    service.index_content(_units(6, scheme_of=lambda i: "tonghua" if i % 2 else "jilin"))
    first = service.search_public(WORD, page_size=2)
    assert {b.value: b.count for b in first.facets["scheme"]} == {"tonghua": 3, "jilin": 3}
    second = service.search_public(WORD, page=2, page_size=2)
    assert second.total == 6 and len(second.hits) == 2
    assert second.facets == {}, "no facet is counted on later pages"
    asked = service.search_public(WORD, page=2, page_size=2, facets=True)
    assert {b.value: b.count for b in asked.facets["scheme"]} == {"tonghua": 3, "jilin": 3}
    assert service.search_public(WORD, facets=False).facets == {}


def test_selected_filter_stays_removable_on_later_pages(client, search_backend):
    service.index_content(_units(6))
    second = service.search_public(WORD, page=2, page_size=2, scheme="tonghua")
    buckets = second.facets["scheme"]
    assert [(b.value, b.count, b.selected) for b in buckets] == [("tonghua", None, True)]
    html = client.get("/search/", {"q": WORD, "scheme": "tonghua", "page": 2}).content.decode()
    assert 'aria-current="true"' in html, "the selected scheme is listed (its link removes the filter)"


def test_staff_facets_on_the_first_page_only(search_backend, monkeypatch):
    from casefiles.demo import load_schemes_and_users
    from search.backends.base import DOSSIER

    load_schemes_and_users(password="demo-pass-123")
    docs = [
        {"key": str(i), "kind": "dossier", "title": f"R-{i}", "text": f"{WORD} {i}", "search_text": f"{WORD} {i}",
         "scheme": "jilin", "year": 2025, "principals": ["g:1"], "public": False, "sort": f"{i:04d}", "url": "/"}
        for i in range(1, 6)
    ]
    search_backend.upsert(DOSSIER, docs, refresh=True)
    admin = get_user_model().objects.get(username="admin")
    first = service.search_staff(admin, WORD, page_size=2)
    assert first.total == 5 and {b.value: b.count for b in first.facets["scheme"]} == {"jilin": 5}
    assert service.search_staff(admin, WORD, page=2, page_size=2).facets == {}
    # Staff search counts to its own cap (STAFF_TOTAL_CAP, "1,000+"), not the public search's.
    monkeypatch.setattr(service, "STAFF_TOTAL_CAP", 3)
    capped = service.search_staff(admin, WORD, page_size=2)
    assert capped.total == 3 and capped.total_capped and capped.total_display == "3+"
    assert len({h.key for page in (1, 2, 3) for h in service.search_staff(admin, WORD, page=page, page_size=2).hits}) == 5
    monkeypatch.setattr(service, "TOTAL_CAP", 2)
    assert service.search_staff(admin, WORD).total == 3


def test_facets_count_at_most_the_cap_and_say_so(client, search_backend, small_cap):
    """Above the cap Elasticsearch counts the facets over the first ``cap`` matches only (so that ranking the page can
    skip the rest); the result and the pages say the counts are lower bounds. The ranking itself still sees every
    match: the best one, indexed last, comes first. The embedded backend counts every match."""
    units = _units(6, scheme_of=lambda i: "tonghua" if i % 2 else "jilin")
    units[-1]["title"] = f"{WORD}{WORD}"
    units[-1]["search_text"] = f"{WORD} {WORD} {WORD}"
    service.index_content(units)
    result = service.search_public(WORD)
    assert result.total == small_cap and result.total_capped
    assert result.hits[0].key == "u-5", "the hits are ranked over every match, not the counted ones"
    counts = {b.value: b.count for b in result.facets["scheme"]}
    if search_backend.name == "elasticsearch":
        assert result.facets_partial and sum(counts.values()) == small_cap
        html = client.get("/search/", {"q": WORD}).content.decode()
        assert f"计数仅含前 {small_cap} 条结果" in html
        assert any(f'class="count">{n}+<' in html for n in counts.values())
        # as before (the benchmark's baseline): every match counted in the ranked request
        search_backend.facets_within_cap = False
        try:
            before = service.search_public(WORD)
        finally:
            search_backend.facets_within_cap = True
        assert not before.facets_partial and before.hits[0].key == "u-5"
        assert {b.value: b.count for b in before.facets["scheme"]} == {"tonghua": 3, "jilin": 3}
    else:
        assert not result.facets_partial and counts == {"tonghua": 3, "jilin": 3}


def test_facets_are_exact_under_the_cap(search_backend, monkeypatch):
    monkeypatch.setattr(service, "TOTAL_CAP", 6)
    service.index_content(_units(6, scheme_of=lambda i: "tonghua" if i % 2 else "jilin"))
    result = service.search_public(WORD)
    assert result.total == 6 and not result.total_capped and not result.facets_partial
    assert {b.value: b.count for b in result.facets["scheme"]} == {"tonghua": 3, "jilin": 3}


@pytest.mark.elasticsearch
def test_a_vanished_index_is_recreated_after_a_faceted_search(settings, db, search_backend):
    """The two searches of a faceted page go in one msearch; an index deleted under a running process still raises
    NotFoundError there, and the next search finds the collection again (empty, not an error)."""
    from elasticsearch import NotFoundError

    if search_backend.name != "elasticsearch":
        pytest.skip("Elasticsearch only")
    service.index_content(_units(2))
    for name in search_backend.client.indices.get(index=f"{search_backend.prefix}-*"):  # behind the process's back
        search_backend.client.indices.delete(index=name)
    with pytest.raises(NotFoundError):
        search_backend.search(index="content", terms=[WORD], facets=("scheme",), total_cap=10)
    again = search_backend.search(index="content", terms=[WORD], facets=("scheme",), total_cap=10)
    assert again.total == 0 and again.facets == {"scheme": {}}
