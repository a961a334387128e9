"""The search service: one API over two backends.

``settings.ELASTICSEARCH_URL`` set → Elasticsearch (search/backends/elastic.py); unset → SQLite FTS5
(search/backends/embedded.py). Both tokenise alike (search/tokens.py), filter dossiers on the
caller's principals alike and return the same result types (search/backends/base.py).

Writes reach the index through the outbox (search/outbox.py): services enqueue rows in their own
transaction; :func:`drain_outbox` indexes them in bulk and deletes them once indexed. If the engine is
down the rows stay (with ``attempts`` and ``last_error``) until a later drain succeeds.
"""

import logging
import time

from django.conf import settings
from django.db import connections
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .backends.base import CONTENT, DOSSIER, FACETS, STAFF_TOTAL_CAP, TOTAL_CAP, FacetBucket, Hit, SearchResult
from .documents import (
    add_words,
    documents_for_snippets,
    dossier_documents,
    iter_all_dossier_documents,
    page_content_documents,
    principals_for,
)
from .highlight import document_snippets, marked_snippet, snippet
from .models import OutboxEntry
from .tokens import query_terms

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
PUBLIC_FILTERS = ("kind", "scheme", "jurisdiction", "year")
STAFF_FILTERS = ("scheme", "jurisdiction", "tier", "stage", "state", "year")
CONTENT_KINDS = ("page", "policy", "guide", "announcement")

_backends = {}


def _backend_key():
    default = connections["default"]
    return (
        settings.ELASTICSEARCH_URL,
        settings.HUICAI_SEARCH_INDEX_PREFIX,
        getattr(settings, "HUICAI_SEARCH_REPLICAS", None),
        str(getattr(settings, "HUICAI_SEARCH_SQLITE_PATH", "")),
        default.vendor,
        str(default.settings_dict.get("NAME")),
    )


def get_backend():
    key = _backend_key()
    backend = _backends.get(key)
    if backend is None:
        if settings.ELASTICSEARCH_URL:
            from .backends.elastic import ElasticBackend

            backend = ElasticBackend(settings.ELASTICSEARCH_URL, settings.HUICAI_SEARCH_INDEX_PREFIX)
        else:
            from .backends.embedded import EmbeddedBackend

            backend = EmbeddedBackend()
        _backends[key] = backend
    return backend


def reset_backends():
    _backends.clear()


# --------------------------------------------------------------------------- reading


def _labels(name, values):
    from casefiles.models import Jurisdiction, Scheme

    if name == "scheme":
        return dict(Scheme.objects.filter(slug__in=values).values_list("slug", "name"))
    if name == "jurisdiction":
        return dict(Jurisdiction.objects.filter(code__in=values).values_list("code", "name"))
    if name == "kind":
        return {"policy": _("Policy"), "guide": _("Service guide"), "announcement": _("Announcement")}
    return {}


def _facets(raw_facets, filters):
    result = {}
    for name, counts in raw_facets.items():
        labels = _labels(name, list(counts))
        buckets = [
            FacetBucket(
                value=str(v), label=str(labels.get(v, v)), count=c, selected=str(filters.get(name, "")) == str(v)
            )
            for v, c in counts.items()
        ]
        if name == "year":
            buckets.sort(key=lambda b: b.value, reverse=True)
        else:
            buckets.sort(key=lambda b: (-b.count, b.label))
        result[name] = buckets
    return result


def _selected_only(filters):
    """On a page without facets: the selected filters alone (uncounted), so they can still be removed."""
    result = {}
    for name, value in filters.items():
        labels = _labels(name, [value])
        result[name] = [FacetBucket(value=str(value), label=str(labels.get(value, value)), count=None, selected=True)]
    return result


def _want_facets(facets, page):
    """Facets cost a pass over every match; by default only the first page of results counts them."""
    return page == 1 if facets is None else bool(facets)


def _hit(raw, terms):
    doc = raw.doc
    return Hit(
        kind=doc.get("kind", ""),
        key=doc.get("key", ""),
        title=doc.get("title", ""),
        snippet=snippet(doc.get("text", ""), terms),
        url=doc.get("url", ""),
        citation=doc.get("citation", ""),
        scheme=doc.get("scheme", ""),
        scheme_name=doc.get("scheme_name", ""),
        score=raw.score,
        fields=doc,
    )


def _clean_filters(filters, allowed):
    clean = {}
    for name, value in (filters or {}).items():
        if name in allowed and value not in (None, ""):
            if name == "year":
                try:
                    value = int(value)
                except (TypeError, ValueError):
                    continue
            clean[name] = value
    return clean


def _page(page):
    try:
        return max(1, min(int(page or 1), 500))
    except (TypeError, ValueError):
        return 1


def _result(q, raw, terms, page, page_size, filters, with_facets):
    return SearchResult(
        query=q or "", hits=[_hit(h, terms) for h in raw.hits], total=raw.total, page=page, page_size=page_size,
        facets=_facets(raw.facets, filters) if with_facets else _selected_only(filters),
        total_capped=raw.total_capped, facets_partial=with_facets and raw.facets_partial,
    )


def search_public(q, scheme=None, page=1, filters=None, page_size=PAGE_SIZE, facets=None):
    """Published content only (policies, service guides, announcements). No query, no results.

    ``facets``: None = counted on the first page only; True/False = always/never. Totals above
    ``TOTAL_CAP`` are not counted exactly (``result.total_capped``)."""
    filters = _clean_filters({**(filters or {}), **({"scheme": scheme} if scheme else {})}, PUBLIC_FILTERS)
    terms = query_terms(q)
    page = _page(page)
    if not terms:
        return SearchResult(query=q or "", hits=[], total=0, page=page, page_size=page_size)
    with_facets = _want_facets(facets, page)
    raw = get_backend().search(
        index=CONTENT, terms=terms, filters=filters, principals=None, public_only=True, page=page,
        page_size=page_size, facets=FACETS[CONTENT] if with_facets else (), total_cap=TOTAL_CAP,
    )
    return _result(q, raw, terms, page, page_size, filters, with_facets)


def search_staff(user, q, filters=None, page=1, page_size=PAGE_SIZE, facets=None):
    """Dossiers (and their cards) the user may see: the backend filters on the user's own principals
    (``u:<id>``, ``g:<group id>``); superusers see all. An empty query lists by filters.

    ``facets`` as in :func:`search_public`; the total is counted to ``STAFF_TOTAL_CAP`` ("1,000+" beyond)."""
    filters = _clean_filters(filters, STAFF_FILTERS)
    terms = query_terms(q)
    page = _page(page)
    principals = principals_for(user)
    if principals == []:
        return SearchResult(query=q or "", hits=[], total=0, page=page, page_size=page_size)
    # Whatever the workflow has committed but no drain has indexed yet is indexed now, so that a
    # reader never sees the grants of before a transition (cheap: usually nothing is pending).
    index_pending_now(kinds=("dossier", "card"))
    with_facets = _want_facets(facets, page)
    raw = get_backend().search(
        index=DOSSIER, terms=terms, filters=filters, principals=principals, page=page, page_size=page_size,
        facets=FACETS[DOSSIER] if with_facets else (), total_cap=STAFF_TOTAL_CAP,
    )
    result = _result(q, raw, terms, page, page_size, filters, with_facets)
    _add_document_snippets(result.hits, terms)
    return result


def _add_document_snippets(hits, terms):
    """A hit found inside a dossier's documents names the document and version with a snippet of its text.

    The text is read from the database for this page of hits only (the backends never return it, and these are
    dossiers the user's principals already admitted). When the dossier's own text does not match, its snippet
    (the start of its text) is dropped: the documents' snippets say why it was found."""
    if not terms:
        return
    dossier_hits = [h for h in hits if h.kind == "dossier" and str(h.key).isdigit()]
    documents = documents_for_snippets([int(h.key) for h in dossier_hits]) if dossier_hits else {}
    for hit in dossier_hits:
        hit.documents = document_snippets(documents.get(int(hit.key)), terms)
        if hit.documents and not marked_snippet(hit.fields.get("text", ""), terms)[1]:
            hit.snippet = ""


# --------------------------------------------------------------------------- writing


def index_dossiers(ids, refresh=False):
    """(Re)index the given dossiers; dossiers that no longer exist leave the index. Returns failed keys."""
    docs, gone = dossier_documents(ids)
    backend = get_backend()
    failed = backend.upsert(DOSSIER, add_words(docs), refresh=refresh and not gone)
    if gone:
        backend.delete(DOSSIER, gone, refresh=refresh)
    return failed


def index_content(docs=None):
    """Replace the content collection: by default the live, public policy pages' units."""
    docs = page_content_documents() if docs is None else list(docs)
    get_backend().replace_all(CONTENT, add_words(docs))
    return len(docs)


def _dossier_ids_for(kind, object_ids):
    if kind == "dossier":
        return {int(i) for i in object_ids if str(i).isdigit()}
    if kind == "card":
        from casefiles.models import Card

        card_ids = [i for i in object_ids if str(i).isdigit()]
        return set(Card.objects.filter(pk__in=card_ids).values_list("dossier_id", flat=True))
    return set()


MAX_ERROR = 2000


def drain_outbox(batch=500, entry_ids=None, kinds=None, refresh=False, retries=3, backoff=0.5):
    """Index one batch of outbox rows in bulk; rows are deleted once indexed, failures stay with
    attempts + 1 and the error. Fresh rows go first so that a failing row cannot block the rest.
    Returns {"indexed": rows done, "failed": rows kept, "remaining": rows left}."""
    rows = OutboxEntry.objects.order_by("attempts", "pk")
    if entry_ids is not None:
        rows = rows.filter(pk__in=list(entry_ids))
    if kinds:
        rows = rows.filter(kind__in=kinds)
    rows = list(rows[:batch])
    if not rows:
        return {"indexed": 0, "failed": 0, "remaining": OutboxEntry.objects.count() if entry_ids is None else 0}
    by_kind = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    done, failed_rows, error = [], [], ""
    for kind, kind_rows in by_kind.items():
        for attempt in range(retries):
            try:
                if kind in ("dossier", "card"):
                    ids = _dossier_ids_for(kind, [r.object_id for r in kind_rows])
                    failed_keys = set(index_dossiers(ids, refresh=refresh)) if ids else set()
                    ok = [r for r in kind_rows if not (kind == "dossier" and r.object_id in failed_keys)]
                    bad = [r for r in kind_rows if r not in ok]
                    if bad:
                        error = f"indexing failed for {sorted(failed_keys)[:20]}"
                elif kind in CONTENT_KINDS:
                    index_content()
                    ok, bad = kind_rows, []
                else:
                    ok, bad = kind_rows, []  # a kind nobody indexes: nothing to do
                done += ok
                failed_rows += bad
                break
            except Exception as exc:  # the engine is down, times out, refuses…: keep the rows
                error = f"{type(exc).__name__}: {exc}"
                if attempt + 1 < retries:
                    time.sleep(backoff * (2**attempt))
                    continue
                failed_rows += kind_rows
                logger.warning("search: %s rows of kind %s not indexed: %s", len(kind_rows), kind, error)
    if done:
        OutboxEntry.objects.filter(pk__in=[r.pk for r in done]).delete()
    if failed_rows:
        OutboxEntry.objects.filter(pk__in=[r.pk for r in failed_rows]).update(
            attempts=F("attempts") + 1, last_error=error[:MAX_ERROR]
        )
    remaining = OutboxEntry.objects.count() if entry_ids is None else 0
    if done and not refresh and not remaining:
        # The backlog is gone: make it searchable now rather than at the next periodic refresh.
        try:
            get_backend().refresh()
        except Exception:
            logger.warning("search: refresh after draining failed", exc_info=True)
    return {"indexed": len(done), "failed": len(failed_rows), "remaining": remaining}


# When the engine failed recently, the synchronous paths leave the work to the worker for a while
# instead of making every save and every search wait for a timeout.
_unavailable_until = 0.0
COOL_OFF = 30.0


def index_pending_now(entry_ids=None, kinds=None, limit=500):
    """Best-effort synchronous drain (after a commit, before a staff search). Never raises."""
    global _unavailable_until
    if time.monotonic() < _unavailable_until:
        return None
    try:
        pending = OutboxEntry.objects.all()
        if entry_ids is not None:
            pending = pending.filter(pk__in=list(entry_ids))
        if kinds:
            pending = pending.filter(kind__in=kinds)
        if not pending.exists():
            return None
        stats = drain_outbox(batch=limit, entry_ids=entry_ids, kinds=kinds, refresh=True, retries=1)
        if stats["failed"]:
            _unavailable_until = time.monotonic() + COOL_OFF
        return stats
    except Exception:
        logger.warning("search: synchronous indexing failed; the worker will retry", exc_info=True)
        _unavailable_until = time.monotonic() + COOL_OFF
        return None


def clear_cool_off():
    global _unavailable_until
    _unavailable_until = 0.0


def reindex_all(progress=None, content_docs=None, chunk=1000):
    """Rebuild both collections from the database (and pages, or ``content_docs``).

    Elasticsearch: into new indices swapped in by alias; embedded: tables refilled in one transaction.
    ``progress(done, total, label)`` is called as documents are written."""
    from casefiles.models import Dossier

    backend = get_backend()
    started = timezone.now()
    content = page_content_documents() if content_docs is None else list(content_docs)
    add_words(content)
    total = Dossier.objects.count()

    def counter(label, of):
        done = 0

        def step(n):
            nonlocal done
            done += n
            if progress:
                progress(done, of, label)

        if progress:
            progress(0, of, label)
        return step

    backend.replace_all(CONTENT, content, progress=counter("content", len(content)))

    def dossier_docs():
        for docs in iter_all_dossier_documents(chunk=chunk):
            yield from add_words(docs)

    step = counter("dossiers", total)
    backend.replace_all(DOSSIER, dossier_docs(), progress=step)
    # Changes committed while the new index was filling may have gone to the old one: index them again.
    changed = list(Dossier.objects.filter(updated_at__gte=started).values_list("pk", flat=True))
    if changed:
        index_dossiers(changed, refresh=True)
    backend.refresh()
    return {"content": len(content), "dossiers": total}
