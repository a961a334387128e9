"""The public API's cached endpoints against the cached policy page (issue #23: "cached public endpoints answer
with the same CPU per request as the cached pages"), over HTTP: gunicorn + PostgreSQL with production settings
(``huicai.settings.bench``), wrk from the same machine — the setup of bench/http_bench.py, whose server, wrk
runner and database this reuses.

Cases, each a GET as an anonymous integrator would make it: the policy page from the page cache (the reference); the
list of policies; one policy with its structure (章/条/款/项); one article by citation; the notices; the catalogue
changes; the hello-world view (the ceiling). Rounds interleave the cases (the machine is shared and noisy: each
case's figure is the median of its rounds, and the ratios are to the cached page of the same rounds). Server CPU
per request is gunicorn's master and workers' CPU over the run divided by the requests answered.

The anonymous rate limit is off in the server (``HUICAI_BENCH_ANON_RATE=off``): wrk is one address, refused after
300 requests a minute, and a rate raised to let it through makes DRF keep (and read and write on every request) a
history of every request of the last minute, which no real caller has. What the limit costs a cached answer at the
production rate — one full history of 300 requests, read and written — is timed in this process instead
(``throttle_cost``) and added to the table.

    .venv/bin/python -m bench.api_http_bench                 # set up the database (as http_bench), measure, write
    .venv/bin/python -m bench.api_http_bench --skip-setup    # reuse bench/http_bench.py's database
"""

import argparse
import json
import os
import statistics
import sys
import urllib.parse
from pathlib import Path

from bench import http_bench
from bench.report import write_section

ROOT = Path(__file__).resolve().parents[1]


def api_paths(args):
    """The API paths measured, read from the benchmark's database (the first live policy's scheme)."""
    code = (
        "import json, django; django.setup()\n"
        "from policypages.models import PolicyPage\n"
        "page = PolicyPage.objects.live().public().order_by('path').first()\n"
        "print(json.dumps({'scheme': page.get_parent().slug}))\n"
    )
    import subprocess

    out = subprocess.run([str(http_bench.PYTHON), "-c", code], cwd=ROOT, env=http_bench.environment(args),
                         capture_output=True, text=True, check=True)
    scheme = json.loads(out.stdout.strip().splitlines()[-1])["scheme"]
    article = urllib.parse.quote("第五条")
    return {
        "policies (list)": "/api/v1/policies/",
        "one policy with its structure": f"/api/v1/policies/{scheme}/",
        "one article by citation (第五条)": f"/api/v1/policies/{scheme}/articles/{article}/",
        "notices": "/api/v1/notices/",
        "catalogue changes": "/api/v1/notices/catalogue-changes/",
    }


def throttle_cost(rounds=2000):
    """CPU microseconds of one ``allow_anonymous`` call (the check a cached API answer makes) with a full history at
    the production rate, on the default cache (LocMem, as in production), median of 5 batches."""
    import time

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huicai.settings.test")
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import caches
    from django.test import RequestFactory

    from huicai.api.throttling import AnonymousThrottle, allow_anonymous

    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon"]
    request = RequestFactory().get("/api/v1/policies/", REMOTE_ADDR="203.0.113.7")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    throttle = AnonymousThrottle()
    throttle.rate = "300/min"
    throttle.num_requests, throttle.duration = throttle.parse_rate(throttle.rate)
    key = throttle.get_cache_key(request, None)
    samples = []
    for _ in range(5):
        now = time.time()
        caches["default"].set(key, [now - i * 0.1 for i in range(299)], 60)  # 299 earlier: the call is the 300th
        settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon"] = "1000000/min"  # never refused while timing
        started = time.process_time()
        for _ in range(rounds):
            caches["default"].set(key, [now - i * 0.1 for i in range(299)], 60)
            allow_anonymous(request)
        reset_only = time.process_time()
        for _ in range(rounds):
            caches["default"].set(key, [now - i * 0.1 for i in range(299)], 60)
        ended = time.process_time()
        samples.append(((reset_only - started) - (ended - reset_only)) / rounds * 1e6)
    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon"] = rate
    return statistics.median(samples)


CASE_COLUMNS = ["case", "path", "req/s", "p95 ms", "server CPU ms / request", "ratio to the cached page (per round)",
                "errors"]


def case_row(label, path, rs, reference):
    """The table's row for one case: medians of its rounds (wrk results), and its server CPU per request over the
    reference's (the cached page's) round by round."""
    ratios = [r["cpu_ms"] / ref["cpu_ms"] for r, ref in zip(rs, reference)]
    return http_bench.table_row([
        label, f"`{urllib.parse.unquote(path)}`", f"{statistics.median(r['rps'] for r in rs):,.0f}",
        f"{statistics.median(r['p95'] for r in rs) / 1000:.1f}", f"{statistics.median(r['cpu_ms'] for r in rs):.2f}",
        f"{statistics.median(ratios):.2f} ({', '.join(f'{x:.2f}' for x in ratios)})", f"{sum(r['errors'] for r in rs)}",
    ])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("HTTPBENCH_DATABASE_URL", http_bench.DEFAULT_DB))
    parser.add_argument("--skip-setup", action="store_true")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads-wrk", type=int, default=2)
    parser.add_argument("--duration", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--static-root", default="/tmp/huicai-httpbench-static")
    parser.add_argument("--page-cache-dir", default="/tmp/huicai-apibench-page-cache")
    parser.add_argument("--templates-dir", default="/tmp/huicai-httpbench-templates")
    parser.add_argument("--no-write", action="store_true", help="print, don't write docs/PERFORMANCE.md")
    args = parser.parse_args()
    args.worker_connections = -(-args.connections // args.workers)
    os.environ["HUICAI_BENCH_ANON_RATE"] = "off"
    if not args.skip_setup:
        http_bench.setup(args)
    http_bench.prepare_notices(args)
    page = http_bench.public_urls(args)["policy"]
    cases = {"policy page, page cache hit (reference)": page, **api_paths(args),
             "hello-world Django view (ceiling)": "/_bench/hello/"}
    runs = {label: [] for label in cases}
    with http_bench.Server(args, cache_on=True) as server:
        for label, path in cases.items():  # store the page, fill the API's caches; every case must answer 200
            for _ in range(2):
                status, headers, _body = http_bench.fetch(args, path)
            if status != 200:
                sys.exit(f"{path} answered {status}")
            if path == page and headers.get("X-Page-Cache") != "hit":
                sys.exit(f"{page} is not served from the page cache: {headers}")
        for number in range(args.rounds):
            order = list(cases.items()) if number % 2 == 0 else list(reversed(cases.items()))
            for label, path in order:
                result = http_bench.wrk(args, server, path, warm_up=(number == 0))
                if result["errors"]:
                    sys.exit(f"{path}: {result['errors']} errors (non-2xx or socket) in round {number + 1}")
                runs[label].append(result)
    reference = runs["policy page, page cache hit (reference)"]
    lines = [
        f"wrk -t{args.threads_wrk} -c{args.connections} -d{args.duration}s, {args.rounds} rounds interleaving the cases "
        f"(order reversed every other round), against gunicorn {args.workers} gthread workers × {args.threads} threads "
        "(`huicai.settings.bench`: production settings, PostgreSQL, demo data). Anonymous GETs; the anonymous rate "
        "limit off in the server (timed separately below). Medians of the rounds; the ratio is the case's server CPU per "
        "request over the cached page's, round by round (median).",
        "",
        *http_bench.table_head(CASE_COLUMNS),
    ]
    lines += [case_row(label, path, runs[label], reference) for label, path in cases.items()]
    loads = [r["load"][0] for rs in runs.values() for r in rs]
    cost = throttle_cost()
    lines += ["", f"Load average (1 min) over the runs: {min(loads):.1f}–{max(loads):.1f}. The anonymous rate limit's "
              f"check on a cached API answer at the production rate (300 a minute, a full history read and written in "
              f"the default cache): {cost:.0f} µs CPU per request (`throttle_cost`, median of 5 batches of 2,000), to "
              "add to the API rows."]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section("api-http", "Public API endpoints against the cached pages (issue #23)", body,
                      "python -m bench.api_http_bench" + (" --skip-setup" if args.skip_setup else ""))


if __name__ == "__main__":
    main()
