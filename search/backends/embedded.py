"""The embedded default: SQLite FTS5, used when no ELASTICSEARCH_URL is configured.

Text is indexed pre-tokenised (search/tokens.py): every CJK character is a token, Latin letters and
digits form words, tokens separated by spaces, so FTS5's ``unicode61`` tokenizer sees exactly our
tokens. A query term becomes an FTS5 phrase over those characters (落户 → "落 户") — which works for
two-character words, unlike the trigram tokenizer — OR all its jieba words in the ``words`` column.
Permissions are a side table of (principal, document) pairs, filtered with ``IN`` on the caller's
principals.

The tables live in the default database when it is SQLite (so tests roll them back with everything
else), otherwise in their own SQLite file (settings.HUICAI_SEARCH_SQLITE_PATH) — never in PostgreSQL.
"""

import json
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connections, transaction

from ..tokens import char_tokens, char_text, word_text, word_tokens
from .base import FILTER_FIELDS, INDEXES, RawHit, RawResult, SearchBackend

# The embedded index's own tables (prefixes): not Django models, rebuilt by search_reindex (a backup skips them).
TABLE_PREFIXES = ("search_doc", "search_fts", "search_principal")

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS search_doc (
        id INTEGER PRIMARY KEY,
        idx TEXT NOT NULL,
        key TEXT NOT NULL,
        kind TEXT, scheme TEXT, jurisdiction TEXT, tier TEXT, stage TEXT, state TEXT, year INTEGER,
        public INTEGER NOT NULL DEFAULT 0,
        sort TEXT,
        doc TEXT NOT NULL,
        UNIQUE (idx, key))""",
    # One full-text table per collection, so a query over 300 policy units never walks 100,000 dossiers.
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts_content
        USING fts5(chars, words, tokenize = 'unicode61 remove_diacritics 0')""",
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts_dossier
        USING fts5(chars, words, tokenize = 'unicode61 remove_diacritics 0')""",
    """CREATE TABLE IF NOT EXISTS search_principal (
        principal TEXT NOT NULL, doc_id INTEGER NOT NULL, PRIMARY KEY (principal, doc_id)) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS search_principal_doc ON search_principal (doc_id)",
    "CREATE INDEX IF NOT EXISTS search_doc_idx_sort ON search_doc (idx, sort)",
]

# How much more a phrase hit in the character column counts than a hit of words (bm25 column weights).
WEIGHTS = "10.0, 2.0"


def _fts(index):
    if index not in INDEXES:
        raise ValueError(index)
    return f"search_fts_{index}"


def _fts_query(terms):
    parts = []
    for term in terms:
        tokens = char_tokens(term)
        if not tokens:
            continue
        alternatives = ['chars : "' + " ".join(tokens) + '"']
        words = word_tokens(term)
        if len(words) > 1:
            alternatives.append("words : (" + " AND ".join(f'"{w}"' for w in words) + ")")
        parts.append("(" + " OR ".join(alternatives) + ")")
    return " AND ".join(parts)


#: Fields indexed but not stored with the document (elastic.py ``index_body``).
UNSTORED = ("search_text", "words")


class EmbeddedBackend(SearchBackend):
    name = "embedded"

    def __init__(self, path=None):
        default = connections["default"]
        self.use_django = path is None and default.vendor == "sqlite"
        self.path = None if self.use_django else Path(path or settings.HUICAI_SEARCH_SQLITE_PATH)
        self._local = threading.local()
        self._ready = set()

    # ------------------------------------------------------------------ connection

    def _conn(self):
        if self.use_django:
            connection = connections["default"]
            connection.ensure_connection()
            raw = connection.connection
            if id(raw) not in self._ready or not self._has_schema(raw):
                self._create_schema(raw)
                self._ready.add(id(raw))
            return raw
        conn = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._create_schema(conn)
            self._local.conn = conn
        return conn

    @staticmethod
    def _has_schema(raw):
        return raw.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_fts_dossier'").fetchone() is not None

    @staticmethod
    def _create_schema(raw):
        for statement in SCHEMA:
            raw.execute(statement)

    @contextmanager
    def _write(self):
        if self.use_django:
            with transaction.atomic():
                yield self._conn()
            return
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def ensure(self):
        self._conn()

    # ------------------------------------------------------------------ writing

    def _insert(self, conn, index, docs, replace=True):
        if not docs:
            return
        keys = [str(d["key"]) for d in docs]
        if replace:
            self._delete(conn, index, keys)
        rows = [
            (
                index,
                str(d["key"]),
                d.get("kind"),
                d.get("scheme"),
                d.get("jurisdiction"),
                d.get("tier"),
                d.get("stage"),
                d.get("state"),
                d.get("year"),
                1 if d.get("public") else 0,
                d.get("sort") or "",
                # As Elasticsearch's _source excludes: the analysed copies (a dossier's documents' text among them)
                # are never handed back with a hit.
                json.dumps({k: v for k, v in d.items() if k not in UNSTORED}, ensure_ascii=False, default=str),
            )
            for d in docs
        ]
        conn.executemany(
            "INSERT INTO search_doc (idx, key, kind, scheme, jurisdiction, tier, stage, state, year, public, sort, doc)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        ids = dict(conn.execute(
            f"SELECT key, id FROM search_doc WHERE idx = ? AND key IN ({','.join('?' * len(keys))})", [index, *keys]
        ).fetchall()) if len(keys) < 900 else self._ids_for(conn, index, keys)
        conn.executemany(
            f"INSERT INTO {_fts(index)} (rowid, chars, words) VALUES (?, ?, ?)",
            [
                (
                    ids[str(d["key"])],
                    char_text(d.get("search_text") or ""),
                    d["words"] if "words" in d else word_text(d.get("search_text") or ""),
                )
                for d in docs
            ],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO search_principal (principal, doc_id) VALUES (?, ?)",
            [(p, ids[str(d["key"])]) for d in docs for p in d.get("principals") or ()],
        )

    @staticmethod
    def _ids_for(conn, index, keys):
        result = {}
        for i in range(0, len(keys), 900):
            chunk = keys[i : i + 900]
            result.update(conn.execute(
                f"SELECT key, id FROM search_doc WHERE idx = ? AND key IN ({','.join('?' * len(chunk))})",
                [index, *chunk],
            ).fetchall())
        return result

    def _delete(self, conn, index, keys):
        for i in range(0, len(keys), 900):
            chunk = [str(k) for k in keys[i : i + 900]]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT id FROM search_doc WHERE idx = ? AND key IN ({marks})"
            ids = [r[0] for r in conn.execute(sql, [index, *chunk])]
            if not ids:
                continue
            id_marks = ",".join("?" * len(ids))
            conn.execute(f"DELETE FROM {_fts(index)} WHERE rowid IN ({id_marks})", ids)
            conn.execute(f"DELETE FROM search_principal WHERE doc_id IN ({id_marks})", ids)
            conn.execute(f"DELETE FROM search_doc WHERE id IN ({id_marks})", ids)

    def upsert(self, index, docs, refresh=False):
        docs = list(docs)
        with self._write() as conn:
            self._insert(conn, index, docs)
        return []

    def delete(self, index, keys, refresh=False):
        with self._write() as conn:
            self._delete(conn, index, list(keys))

    def replace_all(self, index, docs, progress=None, chunk=2000):
        """Clear and refill in one transaction: readers keep seeing the old rows until it commits."""
        with self._write() as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM search_doc WHERE idx = ?", [index])]
            for i in range(0, len(ids), 900):
                part = ids[i : i + 900]
                marks = ",".join("?" * len(part))
                conn.execute(f"DELETE FROM {_fts(index)} WHERE rowid IN ({marks})", part)
                conn.execute(f"DELETE FROM search_principal WHERE doc_id IN ({marks})", part)
            conn.execute("DELETE FROM search_doc WHERE idx = ?", [index])
            batch = []
            for doc in docs:
                batch.append(doc)
                if len(batch) >= chunk:
                    self._insert(conn, index, batch, replace=False)
                    if progress:
                        progress(len(batch))
                    batch = []
            if batch:
                self._insert(conn, index, batch, replace=False)
                if progress:
                    progress(len(batch))
            if not self.use_django:
                conn.execute(f"INSERT INTO {_fts(index)} ({_fts(index)}) VALUES ('optimize')")

    def count(self, index):
        return self._conn().execute("SELECT count(*) FROM search_doc WHERE idx = ?", [index]).fetchone()[0]

    def drop(self):
        with self._write() as conn:
            for index in INDEXES:
                conn.execute(f"DELETE FROM {_fts(index)}")
            conn.execute("DELETE FROM search_principal")
            conn.execute("DELETE FROM search_doc")

    # ------------------------------------------------------------------ reading

    def search(self, *, index, terms, filters=None, principals=None, public_only=False, page=1, page_size=20,
               facets=(), total_cap=None):
        conn = self._conn()
        where, params = ["d.idx = ?"], [index]
        for name, value in (filters or {}).items():
            if name not in FILTER_FIELDS or value in (None, ""):
                continue
            where.append(f"d.{name} = ?")
            params.append(int(value) if name == "year" else str(value))
        if public_only:
            where.append("d.public = 1")
        if principals is not None:
            principals = list(principals)
            if not principals:
                return RawResult(hits=[], total=0, facets={f: {} for f in facets})
            marks = ",".join("?" * len(principals))
            where.append(f"d.id IN (SELECT doc_id FROM search_principal WHERE principal IN ({marks}))")
            params += principals
        match = _fts_query(terms)
        columns = ", ".join(f"d.{f}" for f in facets)
        select_facets = (", " + columns) if columns else ""
        if match:
            # The full-text match runs first and once (MATERIALIZED, CROSS JOIN fixes the join order);
            # left to itself the planner may scan the documents and probe the FTS index row by row.
            fts = _fts(index)
            sql = (f"WITH m AS MATERIALIZED (SELECT rowid AS id, bm25({fts}, {WEIGHTS}) AS score "
                   f"FROM {fts} WHERE {fts} MATCH ?) "
                   f"SELECT d.id, m.score{select_facets} FROM m CROSS JOIN search_doc d ON d.id = m.id "
                   f"WHERE {' AND '.join(where)}")
            rows = conn.execute(sql, [match, *params]).fetchall()
            rows.sort(key=lambda r: (r[1], r[0]))
        elif terms:
            rows = []
        else:
            sql = (f"SELECT d.id, 0.0{select_facets} FROM search_doc d WHERE {' AND '.join(where)} "
                   "ORDER BY d.sort DESC, d.id DESC")
            rows = conn.execute(sql, params).fetchall()
        counts = {f: {} for f in facets}
        for row in rows:
            for i, name in enumerate(facets):
                value = row[2 + i]
                if value not in (None, ""):
                    counts[name][value] = counts[name].get(value, 0) + 1
        start = (max(page, 1) - 1) * page_size
        window = rows[start : start + page_size]
        docs = {}
        if window:
            ids = [r[0] for r in window]
            sql = f"SELECT id, doc FROM search_doc WHERE id IN ({','.join('?' * len(ids))})"
            docs = dict(conn.execute(sql, ids).fetchall())
        hits = [RawHit(doc=json.loads(docs[r[0]]), score=-float(r[1])) for r in window if r[0] in docs]
        total, capped = len(rows), total_cap is not None and len(rows) > total_cap
        return RawResult(hits=hits, total=total_cap if capped else total, facets=counts, total_capped=capped)
