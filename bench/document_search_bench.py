"""Staff search with documents' text included (issue #24, performance: p95 at 100,000 dossiers stays ≤ 1.5× today's).

    .venv/bin/python -m bench.document_search_bench --url http://127.0.0.1:9200 --dossiers 100000 [--reuse] [--keep]

Two Elasticsearch indices of the same synthetic dossiers (bench/search_bench.py): ``<prefix>a`` as today (no
document text) and ``<prefix>b`` where each dossier also carries 0–3 documents' extracted text in its search text
(a page of Chinese each, bench/document_texts.py). The machine is shared, so the two are timed interleaved in one
process: each round asks every query of today's staff benchmark on one index then the other (the order alternating
by round), as a reviewer (two department groups: a principal filter) and as a superuser (no filter), page 1 with
facets. Reported: p50/p95 per index and role and the ratio with/without; then the phrases found only inside
documents (on ``b``), whose p95 is compared with today's p95 of the same role. Elasticsearch's CPU per index is read
from its node stats around a separate pass over each index in turn (the stats are refreshed about once a second, so
the pass waits 2 s before each reading; interleaved queries cannot be told apart there).
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huicai.settings.dev")

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

logging.getLogger("elastic_transport").setLevel(logging.WARNING)
logging.getLogger("elasticsearch").setLevel(logging.WARNING)

from bench.document_texts import DOCUMENT_QUERIES  # noqa: E402
from bench.search_bench import GROUPS, STAFF_QUERIES, percentiles, synthetic_dossiers, with_words  # noqa: E402
from search.backends.base import DOSSIER, FACETS  # noqa: E402
from search.tokens import query_terms  # noqa: E402


def reviewer(rng):
    return [f"u:{rng.randint(1, 500)}", f"g:{rng.randint(1, GROUPS)}", f"g:{rng.randint(1, GROUPS)}"]


def ask(backend, q, principals):
    started = time.perf_counter()
    backend.search(index=DOSSIER, terms=query_terms(q), principals=principals, page=1, page_size=20,
                   facets=FACETS[DOSSIER])
    return time.perf_counter() - started


def es_cpu(backend):
    stats = backend.client.nodes.stats(metric="process")
    return sum(node["process"]["cpu"]["total_in_millis"] for node in stats["nodes"].values()) / 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=os.environ.get("ELASTICSEARCH_URL", "http://127.0.0.1:9200"))
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--prefix", default="docsearch")
    parser.add_argument("--reuse", action="store_true", help="query the kept indices if they hold --dossiers each")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    from search.backends.elastic import ElasticBackend

    backends = {"today": ElasticBackend(args.url, f"{args.prefix}a", timeout=300),
                "with documents": ElasticBackend(args.url, f"{args.prefix}b", timeout=300)}
    print(f"load average at start: {Path('/proc/loadavg').read_text().strip()}")
    for label, backend in backends.items():
        backend.ensure()
        if args.reuse and backend.count(DOSSIER) == args.dossiers:
            continue
        started, cpu, es = time.perf_counter(), time.process_time(), es_cpu(backend)
        backend.replace_all(DOSSIER, with_words(synthetic_dossiers(args.dossiers, document_text=label != "today")))
        wall = time.perf_counter() - started
        print(f"indexed {label}: {args.dossiers:,} dossiers in {wall:.1f} s wall, "
              f"{time.process_time() - cpu:.1f} s CPU here, {es_cpu(backend) - es:.1f} s CPU in Elasticsearch")
    for label, backend in backends.items():
        stats = backend.client.indices.stats(index=backend.alias(DOSSIER), metric="store,segments")
        stats = stats["_all"]["primaries"]
        size = stats["store"]["size_in_bytes"] / 2**20
        print(f"{label:15} index {size:,.0f} MB, {stats['segments']['count']} segments")

    roles = {"reviewer": reviewer, "superuser": lambda rng: None}
    samples = {(label, role): [] for label in backends for role in roles}
    inside = {role: [] for role in roles}
    for r in range(args.rounds):
        order = list(backends) if r % 2 == 0 else list(reversed(backends))
        for role, principals_for in roles.items():
            rng = random.Random(r)
            asked = [(q, principals_for(rng)) for q in STAFF_QUERIES]
            for label in order:
                times = [ask(backends[label], q, p) for q, p in asked]
                if r > 0:  # the first round warms caches
                    samples[(label, role)] += times
            times = [ask(backends["with documents"], q, principals_for(rng)) for q in DOCUMENT_QUERIES]
            if r > 0:
                inside[role] += times
    print(f"{args.rounds - 1} rounds × {len(STAFF_QUERIES)} queries of today's staff benchmark, interleaved; "
          f"page 1 with facets, totals counted up to 10,000")
    for role in roles:
        a, b = percentiles(samples[("today", role)]), percentiles(samples[("with documents", role)])
        print(f"{role:10} today p50 {a['p50']:6.1f} p95 {a['p95']:6.1f} ms | with documents "
              f"p50 {b['p50']:6.1f} p95 {b['p95']:6.1f} ms | ratio p50 {b['p50'] / a['p50']:.2f} "
              f"p95 {b['p95'] / a['p95']:.2f} (goal ≤ 1.5)")
        c = percentiles(inside[role])
        print(f"{'':10} phrases inside documents ({len(DOCUMENT_QUERIES)}) p50 {c['p50']:6.1f} p95 {c['p95']:6.1f} ms "
              f"= {c['p95'] / a['p95']:.2f}× today's p95")
    cpu = {}
    for label, backend in backends.items():
        time.sleep(2)
        before = es_cpu(backend)
        for r in range(args.rounds):
            for principals_for in roles.values():
                rng = random.Random(r)
                for q in STAFF_QUERIES:
                    ask(backend, q, principals_for(rng))
        time.sleep(2)
        cpu[label] = es_cpu(backend) - before
    print(f"Elasticsearch CPU over {args.rounds} rounds of today's queries, both roles (one index after the other): "
          f"today {cpu['today']:.1f} s, with documents {cpu['with documents']:.1f} s "
          f"(ratio {cpu['with documents'] / max(cpu['today'], 1e-9):.2f}; includes the node's idle work over 4 s)")
    print(f"load average at end: {Path('/proc/loadavg').read_text().strip()}")
    if not args.keep:
        for backend in backends.values():
            backend.delete_indices()


if __name__ == "__main__":
    main()
