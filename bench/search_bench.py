"""Search benchmark: bulk indexing throughput and query latency of both backends.

    .venv/bin/python bench/search_bench.py --backend elastic --dossiers 100000
    .venv/bin/python bench/search_bench.py --backend embedded --dossiers 100000

Synthetic dossier documents (the shape search/documents.py builds: names, reference numbers, employers,
schemes, tiers, stages, opinions, principals) are written straight into the index in bulk — the same
``replace_all`` path ``search_reindex`` uses, jieba segmentation included — then public queries (over
the seed policies) and staff queries (dossiers, filtered on a reviewer's principals) are timed.
Indices use the prefix ``bench`` (Elasticsearch) or their own SQLite file, never the site's.
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

from casefiles.testing import chinese_name  # noqa: E402
from search.backends.base import CONTENT, DOSSIER, FACETS, TOTAL_CAP  # noqa: E402
from search.documents import add_words  # noqa: E402
from search.tokens import query_terms  # noqa: E402

SCHEMES = [("tonghua", "通化市“英才卡”", "tonghua"), ("jilin", "吉林省人才服务卡", "jilin"),
           ("chuxiong", "楚雄州“兴楚惠才卡”", "chuxiong"), ("baiyun", "白云区云聚英才卡", "baiyun"),
           ("liaocheng", "聊城市人才服务金卡", "liaocheng")]
TIERS = ["A卡", "B卡", "C卡", "吉享卡", "吉健卡"]
STAGES = ["填写申请表", "单位推荐", "受理", "预审", "初审", "复审", "审定", "公示", "制卡", "已发卡", "退回补正", "不予通过"]
EMPLOYERS = ["示范制药股份有限公司", "示范大学", "示范汽车研究院", "州人民医院", "示范科技有限公司", "示范中学", "示范化工集团",
             "示范学院", "农业科学院", "示范软件园"]
OPINIONS = ["材料齐全，同意受理。", "经审核，符合申领条件，同意推荐。", "材料不全，请补充劳动合同复印件。", "同意发放A卡。",
            "经与本人电话核实，博士后出站证明已补交。", "申请人需办理落户手续，已转公安部门。", "体检安排在市人民医院。",
            "子女入学事项已转教育局办理。", "住房公积金提取已告知办理流程。", "经公示无异议，同意制卡。"]
GROUPS = 60  # department groups
STAFF_QUERIES = ["李娜", "王", "落户", "体检", "博士后", "材料不全", "示范大学", "住房公积金", "同意 制卡", "张伟"]
PUBLIC_QUERIES = ["年满65岁", "住房公积金", "贵宾室", "博士后", "R字签证", "落户", "体检", "子女入学", "人才", "医疗"]


def synthetic_dossiers(n, seed=1, document_text=False):
    """Dossier documents; with ``document_text`` each also carries 0–3 documents' extracted text (a page of Chinese
    each, bench/document_texts.py) in its search text, drawn from a second generator so that the dossiers
    themselves are the same with and without."""
    from bench.document_texts import dossier_documents_text

    rng = random.Random(seed)
    texts = random.Random(seed + 1)
    for i in range(1, n + 1):
        slug, scheme_name, jurisdiction = SCHEMES[i % len(SCHEMES)]
        year = 2020 + i % 7
        name = chinese_name(rng)
        reference = f"{slug.upper()}-{year}-{i:07d}"
        employer = rng.choice(EMPLOYERS)
        stage = rng.choice(STAGES)
        opinions = "\n".join(rng.sample(OPINIONS, rng.randint(0, 3)))
        text = "\n".join([reference, name, employer, scheme_name, stage, opinions])
        search_text = text
        if document_text:
            search_text = f"{text}\n{dossier_documents_text(texts, texts.choice((0, 1, 1, 2, 2, 3)))}"
        groups = rng.sample(range(1, GROUPS + 1), rng.randint(1, 3))
        yield {
            "key": str(i), "kind": "dossier", "title": f"{reference} · {name}", "citation": "",
            "url": f"/applications/{i}/", "text": text, "search_text": search_text, "reference": reference,
            "applicant_name": name, "employer": employer,
            "scheme": slug, "scheme_name": scheme_name, "jurisdiction": jurisdiction, "jurisdiction_name": scheme_name,
            "tier": rng.choice(TIERS), "stage": stage, "state": f"s{STAGES.index(stage)}", "state_kind": "stage",
            "year": year, "created_at": f"{year}-01-01T00:00:00+08:00", "cards": [], "card_status": "",
            "opinions": opinions, "principals": [f"g:{g}" for g in groups] + [f"u:{100000 + i}"], "public": False,
            "sort": f"{year}-{i:07d}",
        }


def with_words(docs, chunk=2000):
    batch = []
    for doc in docs:
        batch.append(doc)
        if len(batch) >= chunk:
            yield from add_words(batch)
            batch = []
    yield from add_words(batch)


def percentiles(samples):
    samples = sorted(samples)
    p = lambda q: samples[min(len(samples) - 1, int(round(q * (len(samples) - 1))))]  # noqa: E731
    return {"p50": p(0.50) * 1000, "p95": p(0.95) * 1000, "max": samples[-1] * 1000, "n": len(samples)}


def time_queries(backend, index, queries, rounds, principals_for, public_only=False, page=1, facets=True,
                 total_cap=TOTAL_CAP):
    """What the service asks by default: facets on the first page only, totals counted up to TOTAL_CAP.
    ``facets=True, total_cap=None`` is the request of before (facets and an exact count every time)."""
    times = []
    rng = random.Random(3)
    for r in range(rounds):
        for q in queries:
            principals = principals_for(rng)
            started = time.perf_counter()
            backend.search(index=index, terms=query_terms(q), principals=principals, public_only=public_only, page=page,
                           page_size=20, facets=FACETS[index] if facets else (), total_cap=total_cap)
            elapsed = time.perf_counter() - started
            if r > 0:  # the first round warms caches
                times.append(elapsed)
    return percentiles(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["elastic", "embedded"], required=True)
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--url", default=os.environ.get("ELASTICSEARCH_URL", "http://127.0.0.1:9200"))
    parser.add_argument("--sqlite", default="/tmp/huicai-bench-search.sqlite3")
    parser.add_argument("--keep", action="store_true", help="keep the bench index afterwards")
    parser.add_argument("--prefix", default="bench", help="elastic: index prefix (never the site's)")
    parser.add_argument("--reuse", action="store_true",
                        help="elastic: query the kept bench index if it holds --dossiers documents (no indexing)")
    parser.add_argument("--document-text", action="store_true",
                        help="dossiers carry their documents' extracted text (issue #24): 0-3 pages each")
    parser.add_argument("--document-queries", action="store_true",
                        help="staff queries also ask phrases found inside documents (ask with and without text alike)")
    parser.add_argument("--before", action="store_true",
                        help="also time the request of before (facets and an exact total on every query)")
    args = parser.parse_args()

    if args.backend == "elastic":
        from search.backends.elastic import ElasticBackend

        backend = ElasticBackend(args.url, args.prefix, timeout=120)
    else:
        from search.backends.embedded import EmbeddedBackend

        for suffix in ("", "-wal", "-shm"):
            Path(args.sqlite + suffix).unlink(missing_ok=True)
        backend = EmbeddedBackend(path=args.sqlite)
    backend.ensure()

    from search.documents import seed_content_documents

    print(f"load average at start: {Path('/proc/loadavg').read_text().strip()}")
    content = add_words(seed_content_documents())
    reuse = args.reuse and args.backend == "elastic" and backend.count(DOSSIER) == args.dossiers
    if not reuse:
        backend.replace_all(CONTENT, content)
        started, cpu = time.perf_counter(), time.process_time()
        backend.replace_all(DOSSIER, with_words(synthetic_dossiers(args.dossiers, document_text=args.document_text)))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        rate = args.dossiers / elapsed
        print(f"backend={backend.name} dossiers={args.dossiers} content_units={len(content)} "
              f"document_text={args.document_text}")
        print(f"bulk indexing: {elapsed:.1f}s wall, {cpu:.1f}s CPU in Python, {rate:,.0f} dossiers/s "
              f"(documents built in Python and sent in bulk)")
        print(f"load average after indexing: {Path('/proc/loadavg').read_text().strip()}")
    else:
        print(f"backend={backend.name} dossiers={args.dossiers}: reusing the kept index, no indexing")
    if args.backend == "elastic":
        segments = backend.client.indices.segments(index=backend.alias(DOSSIER))
        count = sum(len(shard["segments"]) for shards in segments["indices"].values()
                    for copies in shards["shards"].values() for shard in copies)
        print(f"dossier index segments: {count}")

    def reviewer(rng):  # a reviewer in two department groups
        return [f"u:{rng.randint(1, 500)}", f"g:{rng.randint(1, GROUPS)}", f"g:{rng.randint(1, GROUPS)}"]

    def superuser(rng):
        return None

    staff_queries = STAFF_QUERIES
    if args.document_queries:
        from bench.document_texts import DOCUMENT_QUERIES

        staff_queries = STAFF_QUERIES + DOCUMENT_QUERIES
    results = {}
    cpu = time.process_time()
    started = time.perf_counter()
    if args.before:
        results["before: public, facets + exact total"] = time_queries(
            backend, CONTENT, PUBLIC_QUERIES, args.rounds, superuser, public_only=True, total_cap=None)
        results["before: reviewer, facets + exact total"] = time_queries(
            backend, DOSSIER, staff_queries, args.rounds, reviewer, total_cap=None)
        results["before: superuser, facets + exact total"] = time_queries(
            backend, DOSSIER, staff_queries, args.rounds, superuser, total_cap=None)
    results["public, page 1 (facets)"] = time_queries(
        backend, CONTENT, PUBLIC_QUERIES, args.rounds, superuser, public_only=True)
    results["reviewer, page 1 (facets)"] = time_queries(backend, DOSSIER, staff_queries, args.rounds, reviewer)
    results["superuser, page 1 (facets)"] = time_queries(backend, DOSSIER, staff_queries, args.rounds, superuser)
    results["reviewer, page 2 (no facets)"] = time_queries(
        backend, DOSSIER, staff_queries, args.rounds, reviewer, page=2, facets=False)
    results["superuser, page 2 (no facets)"] = time_queries(
        backend, DOSSIER, staff_queries, args.rounds, superuser, page=2, facets=False)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    for label, r in results.items():
        print(f"{label:42} p50 {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms  max {r['max']:7.1f} ms  (n={r['n']})")
    print(f"queries: {elapsed:.1f}s wall, {cpu:.1f}s CPU in Python; totals counted up to {TOTAL_CAP:,}")
    print(f"load average at end: {Path('/proc/loadavg').read_text().strip()}")
    if not args.keep:
        if args.backend == "elastic":
            backend.delete_indices()
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(args.sqlite + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
