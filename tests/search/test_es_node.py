"""The official Python client against a real Elasticsearch node (scripts/elasticsearch.sh start).

Skipped unless ELASTICSEARCH_URL is set. Talks to the node directly, without Django, and only touches
indices named ``huicai-esnode-<random>-*``, which it deletes at the end.
"""

import os
import time
import uuid

import pytest

ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "")

pytestmark = [
    pytest.mark.elasticsearch,
    pytest.mark.skipif(not ELASTICSEARCH_URL, reason="ELASTICSEARCH_URL is not set"),
]

PREFIX = f"huicai-esnode-{uuid.uuid4().hex[:8]}"

MAPPINGS = {
    "properties": {
        "title": {"type": "text", "analyzer": "standard", "fields": {"raw": {"type": "keyword"}}},
        "body": {"type": "text", "analyzer": "standard"},
        "status": {"type": "keyword"},
        "department": {"type": "keyword"},
        "number": {"type": "integer"},
    }
}
SETTINGS = {"number_of_shards": 1, "number_of_replicas": 0}

DOCS = [
    {"title": "办理落户手续", "body": "申请人办理落户需要户口簿", "status": "open", "department": "police"},
    {"title": "落户政策解读", "body": "新的落户政策", "status": "closed", "department": "police"},
    {"title": "户口迁移", "body": "跨省迁移落户的材料", "status": "open", "department": "civil"},
    {"title": "Business licence renewal", "body": "renew the licence yearly", "status": "open", "department": "market"},
    {"title": "Licence renewal fees", "body": "fees for renewal", "status": "draft", "department": "market"},
]


@pytest.fixture(scope="module")
def es():
    from elasticsearch import Elasticsearch

    client = Elasticsearch(ELASTICSEARCH_URL, request_timeout=60)
    yield client
    client.indices.delete(index=f"{PREFIX}-*", ignore_unavailable=True, allow_no_indices=True)
    client.close()


def _create(es, name, mappings=MAPPINGS):
    es.indices.create(index=name, settings=SETTINGS, mappings=mappings)
    return name


def _bulk(es, index, docs):
    from elasticsearch import helpers

    actions = ({"_index": index, "_id": str(i), "_source": doc} for i, doc in enumerate(docs))
    ok, errors = helpers.bulk(es, actions, refresh="wait_for")
    assert errors == []
    return ok


def test_info_and_product_header(es):
    info = es.info()
    assert info["version"]["number"].startswith("8.")
    assert info["tagline"] == "You Know, for Search"
    # The client refuses servers without this header; the real RestController sets it on every response.
    assert info.meta.headers["x-elastic-product"] == "Elasticsearch"
    assert es.ping()


def test_standard_analyzer_makes_each_cjk_character_a_token(es):
    tokens = es.indices.analyze(analyzer="standard", text="办理落户 Licence")["tokens"]
    assert [t["token"] for t in tokens] == ["办", "理", "落", "户", "licence"]


def test_match_phrase_filter_terms_aggregation_highlight(es):
    index = _create(es, f"{PREFIX}-search")
    assert _bulk(es, index, DOCS) == len(DOCS)

    resp = es.search(
        index=index,
        query={
            "bool": {
                "must": [{"match_phrase": {"body": "落户"}}],
                "filter": [{"terms": {"status": ["open", "closed"]}}],
            }
        },
        aggs={"by_department": {"terms": {"field": "department"}}},
        highlight={"fields": {"body": {}}},
        track_total_hits=True,
    )
    hits = resp["hits"]["hits"]
    assert resp["hits"]["total"]["value"] == 3
    assert {h["_source"]["title"] for h in hits} == {"办理落户手续", "落户政策解读", "户口迁移"}
    buckets = {b["key"]: b["doc_count"] for b in resp["aggregations"]["by_department"]["buckets"]}
    assert buckets == {"police": 2, "civil": 1}
    for hit in hits:
        # the unified highlighter marks the whole phrase, not each character
        assert "<em>落户</em>" in "".join(hit["highlight"]["body"])

    # The phrase must be contiguous: 户落 is in no document even though both characters are.
    assert es.count(index=index, query={"match_phrase": {"body": "户落"}})["count"] == 0
    # keyword sub-field: exact value only
    assert es.count(index=index, query={"term": {"title.raw": "户口迁移"}})["count"] == 1
    assert es.count(index=index, query={"term": {"title.raw": "户口"}})["count"] == 0
    # the phrase matches two documents; the filter keeps the draft one
    resp = es.search(
        index=index,
        query={
            "bool": {
                "must": [{"match_phrase": {"title": "licence renewal"}}],
                "filter": [{"terms": {"status": ["draft"]}}],
            }
        },
    )
    assert [h["_source"]["title"] for h in resp["hits"]["hits"]] == ["Licence renewal fees"]


def test_alias_swap_is_atomic(es):
    alias = f"{PREFIX}-content"
    v1 = _create(es, f"{PREFIX}-content-1")
    _bulk(es, v1, DOCS[:2])
    es.indices.put_alias(index=v1, name=alias)
    assert es.count(index=alias)["count"] == 2

    v2 = _create(es, f"{PREFIX}-content-2")
    _bulk(es, v2, DOCS)
    es.indices.update_aliases(
        actions=[{"remove": {"index": v1, "alias": alias}}, {"add": {"index": v2, "alias": alias}}]
    )
    assert list(es.indices.get_alias(name=alias).keys()) == [v2]
    assert es.count(index=alias)["count"] == len(DOCS)
    # writes through the alias land in the new index
    es.index(index=alias, id="new", document={"title": "新增", "status": "open"}, refresh="wait_for")
    assert es.get(index=v2, id="new")["found"]
    es.indices.delete(index=v1)
    assert es.indices.exists_alias(name=alias)


def test_bulk_helper_20k_docs(es):
    from elasticsearch import helpers

    index = _create(es, f"{PREFIX}-bulk")
    n = 20_000
    docs = (
        {
            "_index": index,
            "_id": str(i),
            "_source": {
                "title": f"文件 {i} 落户 licence",
                "body": "申请人办理落户需要户口簿 " * 3,
                "status": ("open", "closed", "draft")[i % 3],
                "department": f"dept-{i % 17}",
                "number": i,
            },
        }
        for i in range(n)
    )
    started = time.perf_counter()
    ok, errors = helpers.bulk(es, docs, chunk_size=2000, refresh="false")
    es.indices.refresh(index=index)
    elapsed = time.perf_counter() - started
    assert (ok, errors) == (n, [])
    assert es.count(index=index)["count"] == n
    print(f"\nbulk: {n} docs in {elapsed:.2f}s = {n / elapsed:.0f} docs/s")

    resp = es.search(index=index, size=0, aggs={"d": {"terms": {"field": "department", "size": 20}}})
    assert sum(b["doc_count"] for b in resp["aggregations"]["d"]["buckets"]) == n


@pytest.mark.parametrize("module_name", ["elasticsearch_dsl", "elasticsearch.dsl"])
def test_dsl_document_and_search(es, module_name):
    dsl = pytest.importorskip(module_name)
    index_name = f"{PREFIX}-dsl-{module_name.replace('.', '-').replace('_', '-')}"

    class Notice(dsl.Document):
        title = dsl.Text(analyzer="standard", fields={"raw": dsl.Keyword()})
        status = dsl.Keyword()
        department = dsl.Keyword()

        class Index:
            name = index_name
            settings = SETTINGS

    Notice.init(using=es)
    for i, doc in enumerate(DOCS):
        Notice(meta={"id": i}, title=doc["title"], status=doc["status"], department=doc["department"]).save(using=es)
    Notice._index.refresh(using=es)

    s = (
        Notice.search(using=es)
        .query("match_phrase", title="落户")
        .filter("terms", status=["open", "closed"])
        .highlight("title")
        .extra(track_total_hits=True)
    )
    s.aggs.bucket("by_department", "terms", field="department")
    resp = s.execute()
    assert resp.hits.total.value == 2
    assert {hit.title for hit in resp} == {"办理落户手续", "落户政策解读"}
    assert all(isinstance(hit, Notice) for hit in resp)
    assert {b.key: b.doc_count for b in resp.aggregations.by_department.buckets} == {"police": 2}
    assert all("<em>落户</em>" in hit.meta.highlight.title[0] for hit in resp)

    got = Notice.get(id=0, using=es)
    assert got.department == "police"
