"""The interface both search backends implement, and the result types the service returns.

Backends store plain documents (dicts) in two collections: ``content`` (policy articles and items,
service guides, announcements: public) and ``dossier`` (one per dossier, with the principals allowed
to read it). They know nothing about Django models: search/documents.py builds the documents.
"""

from dataclasses import dataclass, field

CONTENT = "content"
DOSSIER = "dossier"
INDEXES = (CONTENT, DOSSIER)

# Exact-value fields a query may filter on, and the facets counted for each collection.
FILTER_FIELDS = ("kind", "scheme", "jurisdiction", "tier", "stage", "state", "year")
FACETS = {
    CONTENT: ("kind", "scheme", "jurisdiction", "year"),
    DOSSIER: ("scheme", "jurisdiction", "tier", "stage", "year"),
}

# Totals are counted exactly up to this many matches; beyond it a result says "10,000+" (``total_capped``),
# which lets Elasticsearch stop counting (``track_total_hits``); the embedded backend counts every match
# anyway and only reports the same capped total, so both backends answer alike.
TOTAL_CAP = 10_000
# Staff search (dossiers with their documents' text) counts to 1,000 and says "1,000+" beyond, as the worklists do:
# an officer narrows a large result with the facets rather than paging through it, and counting 10,000 phrase
# matches inside documents' text cost more than the rest of the search (docs/PERFORMANCE.md, issue #24).
STAFF_TOTAL_CAP = 1_000


@dataclass
class RawHit:
    """A stored document and its score, as a backend returns it."""

    doc: dict
    score: float


@dataclass
class RawResult:
    hits: list[RawHit]
    total: int
    facets: dict[str, dict] = field(default_factory=dict)  # facet → {value: count}
    total_capped: bool = False  # True: more than ``total`` documents match (total == the cap)
    facets_partial: bool = False  # True: the facets counted only the first ``total`` matches (lower bounds)


@dataclass
class DocumentSnippet:
    """Where in a dossier's documents a staff hit matched: the document's title, its version and a snippet."""

    document_id: int
    title: str
    version: int
    snippet: str  # HTML, as Hit.snippet


@dataclass
class Hit:
    kind: str
    key: str
    title: str
    snippet: str  # HTML: escaped text with <mark> around the matches, personal numbers masked
    url: str
    citation: str = ""
    scheme: str = ""
    scheme_name: str = ""
    score: float = 0.0
    fields: dict = field(default_factory=dict)
    # Staff search only: the dossier's documents in which the query matched (never in as_public_dict).
    documents: list[DocumentSnippet] = field(default_factory=list)

    def as_public_dict(self):
        return {"title": self.title, "scheme": self.scheme_name or self.scheme, "citation": self.citation,
                "snippet": self.snippet, "url": self.url}


@dataclass
class FacetBucket:
    value: str
    label: str
    count: int | None  # None: not counted (a selected filter shown on a page without facets)
    selected: bool = False


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    total: int
    page: int
    page_size: int
    facets: dict[str, list[FacetBucket]] = field(default_factory=dict)
    total_capped: bool = False  # more than ``total`` match; show "10,000+"
    facets_partial: bool = False  # the facet counts cover only the first ``total`` matches: show them as "n+"

    @property
    def pages(self):
        return max(1, -(-self.total // self.page_size))

    @property
    def total_display(self):
        """The total for people: "1,234", or "10,000+" when counting stopped at the cap."""
        from django.utils.formats import number_format

        text = number_format(self.total, force_grouping=True)
        return f"{text}+" if self.total_capped else text

    @property
    def counted_display(self):
        """How many matches the facets counted, for people ("10,000"): the total without its "+"."""
        from django.utils.formats import number_format

        return number_format(self.total, force_grouping=True)


class SearchUnavailable(Exception):
    """The search engine cannot be reached; saving data still works (the outbox keeps the changes)."""


class SearchBackend:
    name = "base"

    def ensure(self):
        """Create the indexes if they do not exist yet."""
        raise NotImplementedError

    def search(self, *, index, terms, filters=None, principals=None, public_only=False, page=1, page_size=20,
               facets=(), total_cap=None) -> RawResult:
        """Documents of ``index`` matching every term (as a phrase of its characters, or all its words).

        ``principals`` None means no permission filter (superusers, public content); a list keeps the
        documents whose ``principals`` share at least one value with it (an empty list keeps none).
        ``facets`` are counted only when asked for (they cost a pass over every match). ``total_cap``: count
        matches exactly up to that many; beyond, ``total`` is the cap and ``total_capped`` is True."""
        raise NotImplementedError

    def upsert(self, index, docs, refresh=False):
        """Add or replace documents (``doc["key"]`` is the identity). Returns the keys that failed."""
        raise NotImplementedError

    def delete(self, index, keys, refresh=False):
        raise NotImplementedError

    def replace_all(self, index, docs):
        """Replace the whole collection with the documents of an iterable (keeps serving the old until done)."""
        raise NotImplementedError

    def count(self, index) -> int:
        raise NotImplementedError

    def refresh(self):
        pass

    def drop(self):
        """Delete everything this backend stores (tests, benchmarks)."""
        raise NotImplementedError
