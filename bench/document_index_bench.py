"""Indexing documents' text into Elasticsearch once extracted (issue #24, performance: ≥ 500 documents/s for
10,000 documents), and with ``--search`` the staff search as the admin page calls it (issue #24: p95 with document
text at 100,000 dossiers ≤ 1.5× today's).

    DATABASE_URL=postgres://huicai:huicai@127.0.0.1:5432/huicai_benchdoc ELASTICSEARCH_URL=http://127.0.0.1:9200 \\
        .venv/bin/python -m bench.document_index_bench --dossiers 5000 --documents 10000

A throw-away database (reused between runs) gets ``--dossiers`` dossiers (bench/loadgen.py) and, once,
``--documents`` documents spread over them (1 to 3 a dossier), each a current version whose text was extracted (a
page of Chinese from bench/document_texts.py, 1,000–1,800 characters). The index prefix is ``benchdoc``, never the
site's. Timed: the real rebuild path, ``search.service.reindex_all`` (dossiers read in chunks with their documents'
text, scrubbed, built and sent in bulk to a new index swapped in by alias), once before the documents exist and
once after, in the same run; documents/s is the documents indexed over the second rebuild's wall time. CPU is this
process's (building documents in Python); Elasticsearch's own CPU is read from its node stats.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huicai.settings.test")
os.environ.setdefault("HUICAI_SEARCH_INDEX_PREFIX", "benchdoc")

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

logging.getLogger("elastic_transport").setLevel(logging.WARNING)
logging.getLogger("elasticsearch").setLevel(logging.WARNING)

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.document_texts import document_text  # noqa: E402
from bench.loadgen import generate  # noqa: E402
from casefiles.models import Attachment, Document, DocumentSide, Dossier, TextStatus  # noqa: E402
from search import service  # noqa: E402
from search.backends.base import STAFF_TOTAL_CAP  # noqa: E402


def es_cpu_ms(backend):
    """Total CPU milliseconds of the Elasticsearch node processes so far."""
    stats = backend.client.nodes.stats(metric="process")
    return sum(node["process"]["cpu"]["total_in_millis"] for node in stats["nodes"].values())


def add_documents(count, seed=5, batch=2000):
    """``count`` documents with one extracted version each, over the existing dossiers (1–3 a dossier)."""
    rng = random.Random(seed)
    uploader = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    dossiers = list(Dossier.objects.order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    made = 0
    while made < count:
        pairs = []
        for dossier_id in dossiers:
            for _ in range(rng.randint(1, 3)):
                if made + len(pairs) >= count:
                    break
                title, body, text = document_text(rng)
                pairs.append((Document(dossier_id=dossier_id, title=title, kind="other", issuing_body=body,
                                       side=DocumentSide.APPLICANT, added_by=uploader, added_at=now),
                               text))
            if made + len(pairs) >= count or len(pairs) >= batch:
                with transaction.atomic():
                    documents = Document.objects.bulk_create([d for d, _t in pairs])
                    Attachment.objects.bulk_create([
                        Attachment(dossier_id=d.dossier_id, document=d, version=1, kind="other",
                                   file="attachments/bench/none.pdf", original_name=f"{d.title}.pdf",
                                   content_type="application/pdf", size=len(t.encode()), sha256="0" * 64,
                                   uploaded_by=uploader, text=t, text_status=TextStatus.EXTRACTED, text_attempts=1)
                        for d, (_d, t) in zip(documents, pairs, strict=True)
                    ])
                made += len(pairs)
                pairs = []
            if made >= count:
                break
    return made


def load_line():
    return f"load average: {Path('/proc/loadavg').read_text().strip()}"


def backend_ready(prefix, dossiers):
    """Both kept indices hold ``dossiers`` dossiers."""
    from django.test import override_settings

    from search.backends.base import DOSSIER

    for label in ("today", "documents"):
        with override_settings(HUICAI_SEARCH_INDEX_PREFIX=f"{prefix}-{label}"):
            backend = service.get_backend()
            backend.ensure()
            if backend.count(DOSSIER) != dossiers:
                return False
    return True


def rebuild(backend):
    load = os.getloadavg()[0]
    cpu, es_cpu, started = time.process_time(), es_cpu_ms(backend), time.perf_counter()
    stats = service.reindex_all(content_docs=[])
    wall = time.perf_counter() - started
    return {"wall": wall, "cpu": time.process_time() - cpu, "es_cpu": (es_cpu_ms(backend) - es_cpu) / 1000,
            "dossiers": stats["dossiers"], "load": (load, os.getloadavg()[0])}


OFFICERS = ["baiyun.hr-bureau", "jilin.hr-bureau", "chuxiong.talent-office", "liaocheng.hr-bureau",
            "tonghua.service-center"]


def time_staff_search(prefix, rounds):
    """search_staff p50/p95 per role on ``<prefix>-today`` and ``<prefix>-documents``, interleaved, each with the
    total and facets counted to 10,000 (as before) and to 1,000 (``STAFF_TOTAL_CAP``, now), the facets within the cap
    (a second search of the same msearch)."""
    from django.test import override_settings

    from bench.document_texts import DOCUMENT_QUERIES
    from bench.search_bench import STAFF_QUERIES, percentiles

    users = {"administrator": [get_user_model().objects.get(username="admin")],
             "officers": list(get_user_model().objects.filter(username__in=OFFICERS))}
    variants = [("today", 10_000), ("today", 1_000), ("documents", 10_000), ("documents", 1_000)]
    samples = {(variant, role): [] for variant in variants for role in users}
    cpu = {variant: 0.0 for variant in variants}
    es_cpu = {variant: 0.0 for variant in variants}
    inside = {role: [] for role in users}
    totals = {variant: 0 for variant in variants}
    partial = {variant: 0 for variant in variants}
    for r in range(rounds):
        for role, people in users.items():
            for variant in (variants if r % 2 == 0 else variants[::-1]):
                label, cap = variant
                with override_settings(HUICAI_SEARCH_INDEX_PREFIX=f"{prefix}-{label}"):
                    backend = service.get_backend()
                    service.STAFF_TOTAL_CAP = cap
                    es_started = es_cpu_ms(backend)
                    for q in STAFF_QUERIES:
                        for user in people:
                            started, cpu_started = time.perf_counter(), time.process_time()
                            result = service.search_staff(user, q)
                            if r > 0:
                                samples[(variant, role)].append(time.perf_counter() - started)
                                cpu[variant] += time.process_time() - cpu_started
                                totals[variant] += result.total
                                partial[variant] += result.facets_partial
                    if r > 0:
                        es_cpu[variant] += (es_cpu_ms(backend) - es_started) / 1000
                    if variant == ("documents", 1_000):
                        for q in DOCUMENT_QUERIES:
                            for user in people:
                                started = time.perf_counter()
                                service.search_staff(user, q)
                                if r > 0:
                                    inside[role].append(time.perf_counter() - started)
                    service.STAFF_TOTAL_CAP = STAFF_TOTAL_CAP

    def name(variant):
        return f"{variant[0]}, counted to {variant[1]:,}"

    print(f"search_staff, {rounds - 1} rounds × {len(STAFF_QUERIES)} of today's staff queries, 4 variants "
          f"interleaved (order reversed every other round)")
    for variant in variants:
        print(f"  {name(variant):42} matches counted {totals[variant]:>9,}; searches with partial facets "
              f"{partial[variant]:>4}; CPU in this process {cpu[variant]:6.2f} s, "
              f"in Elasticsearch {es_cpu[variant]:6.2f} s")
    baseline = ("today", 10_000)  # today's staff search before documents had text
    for role in users:
        a = percentiles(samples[(baseline, role)])
        for variant in variants:
            b = percentiles(samples[(variant, role)])
            print(f"{role:13} {name(variant):42} p50 {b['p50']:6.1f} p95 {b['p95']:6.1f} ms | p95 ÷ today's "
                  f"(counted to 10,000) {b['p95'] / a['p95']:.2f} | p50 ÷ {b['p50'] / a['p50']:.2f} (n={b['n']})")
        c = percentiles(inside[role])
        print(f"{role:13} phrases only inside documents: p95 {c['p95']:6.1f} ms = {c['p95'] / a['p95']:.2f}× today's")
    print("goal (issue #24): staff search p95 with document text ≤ 1.5× today's")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=5000)
    parser.add_argument("--documents", type=int, default=10000)
    parser.add_argument("--search", action="store_true", help="time the staff search before/after (see above)")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--keep", action="store_true", help="keep the indices (with --search: query them again)")
    args = parser.parse_args()
    if not settings.ELASTICSEARCH_URL:
        sys.exit("document_index_bench needs ELASTICSEARCH_URL")
    call_command("migrate", verbosity=0)
    from casefiles.demo import load_schemes_and_users

    if not get_user_model().objects.filter(is_superuser=True).exists():
        load_schemes_and_users(password="bench-pass-123")
    current = Dossier.objects.count()
    if current < args.dossiers:
        generate(args.dossiers - current, progress=False)
    backend = service.get_backend()
    print(f"database: {connection.vendor}; Elasticsearch {backend.client.info()['version']['number']} at "
          f"{settings.ELASTICSEARCH_URL}, prefix {settings.HUICAI_SEARCH_INDEX_PREFIX}")
    prefix = settings.HUICAI_SEARCH_INDEX_PREFIX
    if args.search:
        from django.test import override_settings

        if backend_ready(prefix, args.dossiers):
            print(f"{load_line()}\nreusing the kept indices {prefix}-today and {prefix}-documents")
            time_staff_search(prefix, args.rounds)
            print(load_line())
            return
    existing = Attachment.objects.filter(text_status=TextStatus.EXTRACTED).count()
    before = None
    if existing and args.search:
        # The documents are already in the database (a reused one): today's index is built from the same dossiers
        # with their documents' text left out, as it was before documents had text.
        from unittest import mock

        with override_settings(HUICAI_SEARCH_INDEX_PREFIX=f"{prefix}-today"), \
                mock.patch("search.documents.documents_text", lambda ids: {}):
            before = rebuild(service.get_backend())
        print(f"rebuild without the documents' text: {before['dossiers']:,} dossiers in {before['wall']:.1f} s wall, "
              f"{before['cpu']:.1f} s CPU here, {before['es_cpu']:.1f} s CPU in Elasticsearch, load {before['load']}")
    if existing == 0:
        if args.search:
            with override_settings(HUICAI_SEARCH_INDEX_PREFIX=f"{prefix}-today"):
                before = rebuild(service.get_backend())
        else:
            before = rebuild(backend)
        print(f"rebuild without documents: {before['dossiers']:,} dossiers in {before['wall']:.1f} s wall, "
              f"{before['cpu']:.1f} s CPU here, {before['es_cpu']:.1f} s CPU in Elasticsearch, load {before['load']}")
        started = time.perf_counter()
        add_documents(args.documents)
        print(f"added {args.documents:,} documents in {time.perf_counter() - started:.1f} s")
    documents = Attachment.objects.filter(text_status=TextStatus.EXTRACTED, document__withdrawn_at__isnull=True).count()
    chars = sum(len(t) for t in Attachment.objects.values_list("text", flat=True).iterator(chunk_size=2000))
    if args.search:
        with override_settings(HUICAI_SEARCH_INDEX_PREFIX=f"{prefix}-documents"):
            backend = service.get_backend()
            after = rebuild(backend)
    else:
        after = rebuild(backend)
    rate = documents / after["wall"]
    print(f"rebuild with documents: {after['dossiers']:,} dossiers, {documents:,} documents "
          f"({chars / 1e6:.1f} M characters of text) in {after['wall']:.1f} s wall, {after['cpu']:.1f} s CPU here, "
          f"{after['es_cpu']:.1f} s CPU in Elasticsearch, load {after['load']}")
    print(f"documents indexed: {rate:,.0f} documents/s (goal ≥ 500)")
    if before:
        print(f"ratio with/without documents: wall {after['wall'] / before['wall']:.2f}, "
              f"CPU here {after['cpu'] / max(before['cpu'], 1e-9):.2f}, "
              f"Elasticsearch CPU {after['es_cpu'] / max(before['es_cpu'], 1e-9):.2f}")
    if args.search:
        time_staff_search(prefix, args.rounds)
        print(load_line())
    if not args.keep:
        backend.delete_indices()


if __name__ == "__main__":
    main()
