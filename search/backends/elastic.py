"""Elasticsearch 8 backend (elasticsearch-dsl Documents for the mappings, the bulk helper for writes).

Indices are ``{prefix}-content-<timestamp>`` and ``{prefix}-dossiers-<timestamp>`` behind the aliases
``{prefix}-content`` and ``{prefix}-dossiers``; a rebuild fills new indices and swaps the alias in one
``_aliases`` call, so searches never see a half-built index.

Analysis uses only what a plain node offers: ``search_text`` is analysed by the ``standard`` analyzer,
which makes every CJK character a token, and a query term is a ``match_phrase`` of those characters (so
落户 finds 办理落户 and 李娜 finds a name inside a sentence); ``words`` holds jieba's segmentation, made
before indexing, under the ``whitespace`` analyzer. A term matches by its phrase or by all its words,
and the phrase clause is boosted so exact phrases rank first. ``search_text`` also indexes two-character
shingles (``index_phrases``), which turn those phrases into lookups of rare terms (an index built before
this mapping keeps working, without the speed-up, until ``search_reindex``). Dossier permissions are a
``terms`` filter on ``principals`` with the caller's own principals, in ``bool.filter`` (cached, not scored).
Totals are counted up to the service's cap (``track_total_hits``) and facets only when asked for, over at most the
cap's number of matches (a second search in the same msearch, ``terminate_after``).

A cluster: ``ELASTICSEARCH_URL`` may name several nodes, comma-separated; the client spreads requests over them and
retries a request that met a dead node on another one. Each index has one primary shard and
``HUICAI_SEARCH_REPLICAS`` replicas (default: 0 for one URL, where a replica could never be placed, 1 for several), so
one node can be lost without losing a shard; a changed setting reaches existing indices the first time a process uses
them (docs/DEPLOYMENT.md, "Elasticsearch as a cluster").
"""

import datetime
import logging
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from itertools import islice

from django.conf import settings
from elasticsearch import ApiError, Elasticsearch, NotFoundError, helpers
from elasticsearch.dsl import Boolean, Date, Document, Integer, Keyword, Q, Search, Text
from elasticsearch.dsl.response import Response

from ..tokens import char_tokens, word_tokens
from .base import CONTENT, DOSSIER, FILTER_FIELDS, RawHit, RawResult, SearchBackend

logger = logging.getLogger(__name__)

INDEX_SETTINGS = {"number_of_shards": 1, "refresh_interval": "1s"}
PHRASE_BOOST = 10.0
INDEX_PHRASES = True
WORDS_BOOST = 2.0


class _Common(Document):
    key = Keyword()
    kind = Keyword()
    title = Text(analyzer="standard", fields={"raw": Keyword()})
    citation = Text(analyzer="standard")
    url = Keyword(index=False)
    text = Text(index=False)
    search_text = Text(analyzer="standard")
    words = Text(analyzer="whitespace")
    scheme = Keyword()
    scheme_name = Keyword()
    jurisdiction = Keyword()
    jurisdiction_name = Keyword()
    tier = Keyword()
    stage = Keyword()
    state = Keyword()
    year = Integer()
    public = Boolean()
    principals = Keyword()
    sort = Keyword()


class ContentDocument(_Common):
    """A policy article or item, a service guide unit or an announcement."""

    anchor = Keyword(index=False)
    chapter = Keyword()
    policy = Keyword()
    status = Keyword()
    issue_date = Date()
    effective_date = Date()
    page_id = Keyword()


class DossierDocument(_Common):
    """One dossier: who applied, where it stands, what was decided, who may read it."""

    reference = Keyword()
    applicant_name = Text(analyzer="standard", fields={"raw": Keyword()})
    employer = Keyword()
    state_kind = Keyword()
    created_at = Date()
    submitted_at = Date()
    updated_at = Date()
    due_date = Date()
    cards = Keyword()
    card_status = Keyword()
    opinions = Text(index=False)


DOCUMENTS = {CONTENT: ContentDocument, DOSSIER: DossierDocument}
ALIAS_SUFFIX = {CONTENT: "content", DOSSIER: "dossiers"}


def _batches(iterable, size):
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def hosts(url):
    """``http://a:9200,http://b:9200`` → the list of node URLs."""
    return [u.strip() for u in str(url).split(",") if u.strip()]


def replicas_for(url):
    """Replicas per shard: ``HUICAI_SEARCH_REPLICAS`` if set, else 1 when several nodes are named, else 0."""
    configured = getattr(settings, "HUICAI_SEARCH_REPLICAS", None)
    if configured not in (None, ""):
        return int(configured)
    return 1 if len(hosts(url)) > 1 else 0


def index_body(index, replicas=0):
    mapping = DOCUMENTS[index]._doc_type.mapping.to_dict()
    # The analysed copies are not kept in _source: documents are rebuilt from the database anyway.
    mapping["_source"] = {"excludes": ["search_text", "words"]}
    mapping["dynamic"] = False
    if INDEX_PHRASES:
        # Two-character shingles in a hidden sub-field: a phrase of single CJK characters (落户, 同意 制卡)
        # becomes a lookup of rare two-character terms instead of a positions walk over common characters.
        mapping["properties"]["search_text"]["index_phrases"] = True
    return {"settings": {"index": {**INDEX_SETTINGS, "number_of_replicas": replicas}}, "mappings": mapping}


class ElasticBackend(SearchBackend):
    name = "elasticsearch"
    # False: the facets are counted over every match in the ranked request itself, as before 45644b2 (kept so that
    # bench/document_index_bench.py can time both in one run).
    facets_within_cap = True

    def __init__(self, url, prefix, timeout=None, replicas=None):
        self.url, self.prefix = url, prefix
        self.replicas = replicas_for(url) if replicas is None else int(replicas)
        nodes = hosts(url)
        # A request that meets a dead node (refused, reset) is retried once on each other node.
        self.client = Elasticsearch(
            nodes, request_timeout=timeout or getattr(settings, "HUICAI_SEARCH_TIMEOUT", 10),
            max_retries=max(1, len(nodes) - 1), retry_on_timeout=False,
        )
        self._ensured = False

    def alias(self, index):
        return f"{self.prefix}-{ALIAS_SUFFIX[index]}"

    def _new_index(self, index):
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d%H%M%S%f")
        name = f"{self.alias(index)}-{stamp}"
        self.client.indices.create(index=name, **index_body(index, self.replicas))
        return name

    def _sync_replicas(self, alias):
        """Give the indices behind ``alias`` the configured number of replicas (a dynamic setting)."""
        current = self.client.indices.get_settings(index=alias, name="index.number_of_replicas")
        stale = [name for name, body in current.items()
                 if int(body["settings"]["index"]["number_of_replicas"]) != self.replicas]
        if stale:
            self.client.indices.put_settings(
                index=",".join(stale), settings={"index": {"number_of_replicas": self.replicas}}
            )
            logger.info("search: %s now with %s replicas", ",".join(stale), self.replicas)

    def ensure(self):
        if self._ensured:
            return
        for index in (CONTENT, DOSSIER):
            if not self.client.indices.exists_alias(name=self.alias(index)):
                name = self._new_index(index)
                try:
                    self.client.indices.put_alias(index=name, name=self.alias(index))
                except Exception:
                    self.client.indices.delete(index=name, ignore_unavailable=True)
                    raise
            else:
                self._sync_replicas(self.alias(index))
        self._ensured = True

    # ------------------------------------------------------------------ writing

    def _actions(self, target, docs):
        for doc in docs:
            yield {"_op_type": "index", "_index": target, "_id": str(doc["key"]), "_source": doc}

    def upsert(self, index, docs, refresh=False):
        docs = list(docs)
        if not docs:
            return []
        self.ensure()
        _ok, errors = helpers.bulk(
            self.client,
            self._actions(self.alias(index), docs),
            raise_on_error=False,
            refresh="true" if refresh else "false",
            chunk_size=1000, max_chunk_bytes=20 * 1024 * 1024,
        )
        failed = [str(e.get("index", {}).get("_id")) for e in errors]
        if failed:
            logger.warning("search: %s documents rejected, first error %s", len(failed), errors[0])
        return failed

    def delete(self, index, keys, refresh=False):
        keys = [str(k) for k in keys]
        if not keys:
            return
        self.ensure()
        actions = ({"_op_type": "delete", "_index": self.alias(index), "_id": k} for k in keys)
        helpers.bulk(self.client, actions, raise_on_error=False, refresh="true" if refresh else "false")

    def replace_all(self, index, docs, progress=None, chunk=1000):
        """Fill a new index (no refreshes while filling), then swap the alias and drop the old ones."""
        self.ensure()
        alias = self.alias(index)
        name = self._new_index(index)
        try:
            # While filling: no refreshes and no fsync per request (the data is rebuilt from the database
            # if the node dies meanwhile); both are restored before the alias moves.
            self.client.indices.put_settings(
                index=name, settings={"index": {"refresh_interval": "-1", "translog.durability": "async"}}
            )
            # Documents are built here, in the calling thread (they come from the ORM); two chunks at a time
            # are sent from worker threads so that building and indexing overlap.
            with ThreadPoolExecutor(max_workers=2) as pool:
                inflight = deque()
                for batch in _batches(docs, chunk):
                    inflight.append((pool.submit(self._send, name, batch), len(batch)))
                    if len(inflight) >= 2:
                        future, size = inflight.popleft()
                        future.result()
                        if progress:
                            progress(size)
                while inflight:
                    future, size = inflight.popleft()
                    future.result()
                    if progress:
                        progress(size)
            self.client.indices.put_settings(index=name, settings={"index": {
                "refresh_interval": INDEX_SETTINGS["refresh_interval"], "translog.durability": "request"}})
            self.client.indices.refresh(index=name)
            old = []
            if self.client.indices.exists_alias(name=alias):
                old = list(self.client.indices.get_alias(name=alias).keys())
            actions = [{"remove": {"index": o, "alias": alias}} for o in old]
            actions.append({"add": {"index": name, "alias": alias}})
            self.client.indices.update_aliases(actions=actions)
        except Exception:
            self.client.indices.delete(index=name, ignore_unavailable=True)
            raise
        for o in old:
            self.client.indices.delete(index=o, ignore_unavailable=True)

    def _send(self, target, batch):
        # A rebuild's requests carry documents' text (a page or more of Chinese per document): they get their own,
        # longer timeout and at most 8 MB each, so that a busy node answers each one well within it.
        client = self.client.options(request_timeout=getattr(settings, "HUICAI_SEARCH_BULK_TIMEOUT", 120))
        helpers.bulk(client, self._actions(target, batch), chunk_size=len(batch), max_chunk_bytes=8 * 1024 * 1024,
                     raise_on_error=True, max_retries=3, initial_backoff=1)

    def count(self, index):
        self.ensure()
        return self.client.count(index=self.alias(index))["count"]

    def refresh(self):
        self.ensure()
        self.client.indices.refresh(index=f"{self.alias(CONTENT)},{self.alias(DOSSIER)}")

    def drop(self):
        """Empty both collections (tests and benchmarks): fresh indices swapped in (a plain node has no
        _delete_by_query, which lives in the reindex module)."""
        self.ensure()
        for index in (CONTENT, DOSSIER):
            if self.count(index):
                self.replace_all(index, [])

    def delete_indices(self):
        """Remove every index of this prefix (end of a test session)."""
        for name in self.client.indices.get(index=f"{self.prefix}-*", ignore_unavailable=True):
            self.client.indices.delete(index=name, ignore_unavailable=True)
        self._ensured = False

    # ------------------------------------------------------------------ reading

    @staticmethod
    def _term_query(term):
        tokens = char_tokens(term)
        alternatives = [Q("match_phrase", search_text={"query": " ".join(tokens), "boost": PHRASE_BOOST})]
        words = word_tokens(term)
        if len(words) > 1:
            alternatives.append(Q("match", words={"query": " ".join(words), "operator": "and", "boost": WORDS_BOOST}))
        if term.isascii():
            alternatives.append(Q("term", **{"reference": {"value": term, "boost": 50}}))
            alternatives.append(Q("term", **{"cards": {"value": term, "boost": 50}}))
        return Q("bool", should=alternatives, minimum_should_match=1)

    def search(self, *, index, terms, filters=None, principals=None, public_only=False, page=1, page_size=20,
               facets=(), total_cap=None):
        self.ensure()
        filter_clauses = []
        for name, value in (filters or {}).items():
            if name in FILTER_FIELDS and value not in (None, ""):
                filter_clauses.append(Q("term", **{name: value}))
        if public_only:
            filter_clauses.append(Q("term", public=True))
        if principals is not None:
            principals = list(principals)
            if not principals:
                return RawResult(hits=[], total=0, facets={f: {} for f in facets})
            filter_clauses.append(Q("terms", principals=principals))
        must = [self._term_query(t) for t in terms if char_tokens(t)]
        if terms and not must:
            return RawResult(hits=[], total=0, facets={f: {} for f in facets})
        should = []
        if len(must) > 1:  # the whole query as one phrase ranks above its terms found apart
            joined = " ".join(tok for t in terms for tok in char_tokens(t))
            should.append(Q("match_phrase", search_text={"query": joined, "boost": PHRASE_BOOST}))
        query = Q("bool", must=must or [Q("match_all")], filter=filter_clauses, should=should)
        # A capped count lets Lucene skip non-competitive documents (block-max WAND) once it has counted
        # ``total_cap`` matches, but a facet in the same request would still visit every match. So with a cap the
        # facets are counted by a second search in the same round trip (msearch) that stops after ``total_cap``
        # matches (``terminate_after``): exact when fewer match, else counts over the first ``total_cap`` matches,
        # which the result says (``facets_partial``) and the pages show as lower bounds.
        track = True if total_cap is None else int(total_cap)
        s = Search(using=self.client, index=self.alias(index)).query(query).extra(track_total_hits=track)
        if not terms:
            s = s.sort({"sort": {"order": "desc"}}, {"key": {"order": "desc"}})
        start = (max(page, 1) - 1) * page_size
        s = s[start : start + page_size]
        counting = None
        if facets:
            if total_cap is None or not self.facets_within_cap:
                counting = s
            else:
                counting = Search(using=self.client, index=self.alias(index)).query(query).extra(
                    size=0, track_total_hits=False, terminate_after=int(total_cap)
                )
            for name in facets:
                counting.aggs.bucket(name, "terms", field=name, size=50)
        try:
            if counting is None or counting is s:
                response = facet_response = s.execute()
            else:
                response, facet_response = self._msearch(index, [s, counting])
        except NotFoundError:
            self._ensured = False
            raise
        hits = [RawHit(doc=hit.to_dict(), score=float(hit.meta.score or 0.0)) for hit in response]
        counts = {}
        for name in facets:
            agg = getattr(facet_response.aggregations, name, None)
            counts[name] = {b.key: b.doc_count for b in agg.buckets} if agg is not None else {}
        partial = bool(facets) and facet_response is not response and bool(
            getattr(facet_response, "terminated_early", False))
        total = response.hits.total
        capped = total_cap is not None and total.relation == "gte"
        return RawResult(hits=hits, total=min(total.value, total_cap) if capped else total.value, facets=counts,
                         total_capped=capped, facets_partial=partial)

    def _msearch(self, index, searches):
        """Several searches of one index in one request; a missing index raises NotFoundError as ``execute`` does."""
        body = []
        for search in searches:
            body += [{}, search.to_dict()]
        answer = self.client.msearch(index=self.alias(index), body=body)
        responses = []
        for search, raw in zip(searches, answer["responses"], strict=True):
            if raw.get("error"):
                error = raw["error"]
                kind = NotFoundError if raw.get("status") == 404 else ApiError
                raise kind(str(error.get("type", "msearch")), meta=answer.meta, body=raw)
            responses.append(Response(search, raw))
        return responses
