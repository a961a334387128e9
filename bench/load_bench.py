"""Load test with locust: public readers, applicants, officers and searchers against gunicorn + PostgreSQL
(+ Elasticsearch when ELASTICSEARCH_URL is set, else the embedded SQLite search index), production settings.

    .venv/bin/python -m bench.load_bench                       # its own database, topped up to 10,000 dossiers
    .venv/bin/python -m bench.load_bench --dossiers 1000000    # the 1M size (generating it takes long; reused)
    .venv/bin/python -m bench.load_bench --database-url postgres://…/huicai_hl_load --skip-reindex --duration 180

Locust is a benchmark dependency, not a runtime one: ``.venv/bin/pip install -r requirements-bench.txt``
(scripts/bootstrap.sh does it). The users and their proportions are in bench/locustfile.py; what they ask for
(pages, cards, accounts, words) is read from the database by bench/load_plan.py.

Steps: create the database if missing; migrate; ``load_demo`` (pages, schemes, departments, staff) when it has no
policy pages; generate dossiers with bench/loadgen.py up to ``--dossiers`` (never removes any); collectstatic; rebuild
the search index (``search_reindex``) unless ``--skip-reindex``; start gunicorn as bench/http_bench.py does; warm up;
run locust headless; read its CSV; write the ``load`` section of docs/PERFORMANCE.md.

CPU time is measured beside wall time for each server side: gunicorn (master + workers), the PostgreSQL backends
serving this database (read from /proc at the end: they are kept open, DATABASE_CONN_MAX_AGE 60 s) and the
Elasticsearch node (its pid file), and the locust process itself.
"""

import argparse
import csv
import json
import os
import resource
import signal
import subprocess
import sys
import time
import urllib.error
from pathlib import Path

from bench import http_bench
from bench.report import write_section

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
LOCUST = str(ROOT / ".venv" / "bin" / "locust")
DEFAULT_DB = "postgres://huicai:huicai@127.0.0.1:5432/huicai_loadbench"
PASSWORD = "bench-pass-123"


def log(message):
    print(message, file=sys.stderr, flush=True)


def environment(args):
    env = http_bench.environment(args)
    env["HUICAI_SEARCH_SQLITE_PATH"] = args.search_sqlite
    env["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"  # mail does not leave the machine
    if args.elasticsearch_url:
        env["ELASTICSEARCH_URL"] = args.elasticsearch_url
        env["HUICAI_SEARCH_INDEX_PREFIX"] = args.index_prefix
    return env


def django_run(args, code, **kwargs):
    return subprocess.run(
        [PYTHON, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT,
        env=environment(args),
        check=True,
        text=True,
        capture_output=True,
        **kwargs,
    ).stdout


def manage(args, *command):
    log("manage.py " + " ".join(command))
    subprocess.run(
        [PYTHON, "manage.py", *command], cwd=ROOT, env=environment(args), check=True, stdout=subprocess.DEVNULL
    )


def prepare(args):
    http_bench.ensure_database(args)
    manage(args, "migrate", "--noinput", "-v0")
    has_pages = django_run(
        args, "from policypages.models import PolicyPage; print(PolicyPage.objects.exists())"
    ).strip()
    if has_pages != "True":
        manage(args, "load_demo", "--password", PASSWORD, "-v0")
    count = int(django_run(args, "from casefiles.models import Dossier; print(Dossier.objects.count())").strip())
    if count < args.dossiers:
        started = time.monotonic()
        manage(args, "generate_load", "--dossiers", str(args.dossiers - count))
        log(f"generated {args.dossiers - count} in {time.monotonic() - started:.0f}s")
    manage(args, "collectstatic", "--noinput", "-v0")
    if not args.skip_reindex:
        started = time.monotonic()
        manage(args, "search_reindex", "--quiet")
        args.reindex_seconds = time.monotonic() - started


def write_plan(args):
    code = (
        "import json\nfrom bench.load_plan import build_plan\n"
        f"plan = build_plan({PASSWORD!r}, applicants={args.applicants}, officers={args.officers})\n"
        "print(json.dumps(plan, ensure_ascii=False))\n"
    )
    plan = json.loads(django_run(args, code).strip().splitlines()[-1])
    Path(args.plan).write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    return plan


class Server(http_bench.Server):
    """http_bench's gunicorn, with the search backend of this test."""

    def __enter__(self):
        command = [
            str(http_bench.GUNICORN),
            "huicai.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.args.port}",
            "--workers",
            str(self.args.workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(self.args.threads),
            "--backlog",
            "2048",
            "--log-level",
            "warning",
            "--keep-alive",
            str(self.args.keep_alive),
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=environment(self.args), start_new_session=True)
        # The task worker, as in production (docs/DEPLOYMENT.md): it indexes what the transitions changed and sends
        # their notifications; its CPU is counted apart.
        self.worker = subprocess.Popen(
            [PYTHON, "manage.py", "db_worker", "--queue-name=*", "--no-reload", "-v", "0"],
            cwd=ROOT,
            env=environment(self.args),
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                http_bench.fetch(self.args, "/_bench/hello/")
                return self
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        os.killpg(self.worker.pid, signal.SIGTERM)
        self.worker.wait(timeout=60)
        super().__exit__(*exc)

    def worker_rss_mib(self):
        out = []
        try:
            pids = [
                int(p) for p in Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
            ]
        except OSError:
            pids = []
        for pid in pids:
            try:
                line = next(
                    li for li in Path(f"/proc/{pid}/status").read_text().splitlines() if li.startswith("VmRSS:")
                )
                out.append(int(line.split()[1]) / 1024)
            except (OSError, StopIteration):
                pass
        return out


def proc_cpu(pids):
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / tick


def postgres_backends(args):
    name = args.database_url.rsplit("/", 1)[1]
    out = subprocess.run(
        [
            "psql",
            args.database_url,
            "-At",
            "-c",
            f"select pid from pg_stat_activity where datname = '{name}' and pid <> pg_backend_pid()",
        ],
        capture_output=True,
        text=True,
    )
    return [int(p) for p in out.stdout.split()]


def elasticsearch_pids(args):
    pids = []
    for pid_file in Path(args.es_dir).glob("*.pid"):
        try:
            pids.append(int(pid_file.read_text().strip()))
        except (OSError, ValueError):
            pass
    return pids


def wait_for_tasks(args, limit=600):
    """Let the task worker finish what setup queued (the demo data's indexing and notifications) first."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        out = subprocess.run(
            [
                "psql",
                args.database_url,
                "-At",
                "-c",
                "select count(*) from django_tasks_database_dbtaskresult where status in ('READY', 'RUNNING')",
            ],
            capture_output=True,
            text=True,
        )
        if out.stdout.strip() == "0":
            return
        log(f"waiting for {out.stdout.strip()} queued tasks")
        time.sleep(10)


def run_locust(args, users, spawn_rate, duration, prefix):
    env = {
        **os.environ,
        "LOAD_PLAN": args.plan,
        "LOAD_WAIT_MIN": str(args.wait_min),
        "LOAD_WAIT_MAX": str(args.wait_max),
    }
    command = [
        LOCUST,
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "-u",
        str(users),
        "-r",
        str(spawn_rate),
        "-t",
        f"{duration}s",
        "--host",
        f"http://127.0.0.1:{args.port}",
        "--csv",
        prefix,
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--stop-timeout",
        "10",
    ]
    log("$ " + " ".join(command))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    sys.stderr.write(result.stderr[-3000:])
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), " ".join(command[1:])


def read_stats(prefix):
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    failures = []
    if Path(f"{prefix}_failures.csv").exists():
        with open(f"{prefix}_failures.csv", encoding="utf-8") as handle:
            failures = list(csv.DictReader(handle))
    return rows, failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("LOADBENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument(
        "--dossiers",
        type=int,
        default=10_000,
        help="generate up to this many (an existing larger database is used as is)",
    )
    parser.add_argument(
        "--skip-setup", action="store_true", help="only migrate: no demo / generate / collectstatic / reindex"
    )
    parser.add_argument("--skip-reindex", action="store_true", help="the search index is already built")
    parser.add_argument("--elasticsearch-url", default=os.environ.get("ELASTICSEARCH_URL", ""))
    parser.add_argument("--index-prefix", default="loadbench")
    parser.add_argument(
        "--es-dir",
        default=os.environ.get("HUICAI_ES_DIR", "/tmp/huicai-es"),
        help="where the node's pid file is (CPU time)",
    )
    parser.add_argument("--search-sqlite", default="/tmp/huicai-loadbench-search.sqlite3")
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--spawn-rate", type=float, default=2)
    parser.add_argument("--duration", type=int, default=180, help="seconds of the measured run")
    parser.add_argument("--warm-up", type=int, default=20, help="seconds of an unmeasured run first")
    parser.add_argument("--wait-min", type=float, default=1.0, help="think time between a user's requests, seconds")
    parser.add_argument("--wait-max", type=float, default=3.0)
    parser.add_argument("--applicants", type=int, default=100)
    parser.add_argument("--officers", type=int, default=30)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--keep-alive",
        type=int,
        default=10,
        help="gunicorn's keep-alive seconds; longer than the think time (gunicorn's default 2 s resets connections a "
        "client reuses: docs/PERFORMANCE.md, load test)",
    )
    parser.add_argument("--plan", default="/tmp/huicai-load-plan.json")
    parser.add_argument("--csv-prefix", default="/tmp/huicai-load")
    parser.add_argument("--static-root", default="/tmp/huicai-loadbench-static")
    parser.add_argument("--page-cache-dir", default="/tmp/huicai-loadbench-page-cache")
    parser.add_argument("--templates-dir", default="/tmp/huicai-loadbench-templates")
    parser.add_argument("--section", default="load")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    args.worker_class, args.worker_connections, args.reindex_seconds = "gthread", 0, None
    if not Path(LOCUST).exists():
        sys.exit("load_bench needs locust: .venv/bin/pip install -r requirements-bench.txt")
    if args.skip_setup:
        manage(args, "migrate", "--noinput", "-v0")  # the tree may have gained a migration since the database was made
    else:
        prepare(args)
    plan = write_plan(args)
    log(
        f"plan: {plan['dossiers']:,} dossiers, {len(plan['pages'])} pages, {len(plan['verify'])} cards, "
        f"{len(plan['applicants'])} applicants, {len(plan['officers'])} officers"
    )
    search_backend = f"Elasticsearch ({args.elasticsearch_url})" if args.elasticsearch_url else "embedded (SQLite FTS5)"

    with Server(args, cache_on=True) as server:
        wait_for_tasks(args)
        if args.warm_up:
            run_locust(args, min(args.users, 10), 10, args.warm_up, args.csv_prefix + "-warmup")
        load_before = os.getloadavg()
        pg_before = {pid: proc_cpu([pid]) for pid in postgres_backends(args)}
        es_pids = elasticsearch_pids(args) if args.elasticsearch_url else []
        es_before = proc_cpu(es_pids)
        server_before = server.cpu_seconds()
        worker_before = proc_cpu([server.worker.pid])
        started = time.monotonic()
        locust_cpu, command = run_locust(args, args.users, args.spawn_rate, args.duration, args.csv_prefix)
        wall = time.monotonic() - started
        server_cpu = server.cpu_seconds() - server_before
        worker_cpu = proc_cpu([server.worker.pid]) - worker_before
        # Backends open before the run count from their CPU then; backends opened during it count whole (one that
        # closed during the run is missed: connections are kept 60 s, so few do).
        pg_cpu = sum(proc_cpu([pid]) - pg_before.get(pid, 0) for pid in postgres_backends(args))
        es_cpu = proc_cpu(es_pids) - es_before
        load_after = os.getloadavg()
        rss = server.worker_rss_mib()

    rows, failures = read_stats(args.csv_prefix)
    total = next(r for r in rows if r["Name"] == "Aggregated")
    requests = int(total["Request Count"])
    errors = int(total["Failure Count"])
    figures = {
        "requests": requests,
        "errors": errors,
        "rps": float(total["Requests/s"]),
        "wall": wall,
        "server_cpu": server_cpu,
        "pg_cpu": pg_cpu,
        "es_cpu": es_cpu,
        "locust_cpu": locust_cpu,
        "worker_cpu": worker_cpu,
        "rss": rss,
        "load": (load_before, load_after),
        "dossiers": plan["dossiers"],
    }
    log(json.dumps(figures))
    lines = [
        f"- Data: {plan['dossiers']:,} dossiers on PostgreSQL; search: {search_backend}"
        + (f" (`search_reindex` took {args.reindex_seconds:.0f} s)" if args.reindex_seconds else "")
        + ".",
        f"- Server: gunicorn {args.workers} gthread workers × {args.threads} threads, keep-alive {args.keep_alive} s, "
        "`huicai.settings.bench` "
        "(production settings, page cache on), on the same 2 cores as locust, PostgreSQL and Elasticsearch.",
        f"- Locust: `{command}`; {args.users} users, spawn rate {args.spawn_rate}/s, {args.duration} s measured "
        f"after a {args.warm_up} s warm-up, think time {args.wait_min:g}–{args.wait_max:g} s. "
        "Users by weight (bench/locustfile.py): public readers 60%, applicants 15%, officers 20%, searchers 5%; "
        f"{len(plan['applicants'])} generated applicants and {len(plan['officers'])} officer accounts.",
        f"- Load average (1 min) before → after: {load_before[0]:.2f} → {load_after[0]:.2f} (the machine is shared).",
        "",
        "| endpoint | requests | share | failures | median ms | p95 ms | p99 ms | max ms | req/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        count = int(row["Request Count"])
        label = "**all**" if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
        lines.append(
            f"| {label} | {count:,} | {count / max(requests, 1):.1%} | {row['Failure Count']} | {row['50%']} | "
            f"{row['95%']} | {row['99%']} | {float(row['Max Response Time']):.0f} | {float(row['Requests/s']):.1f} |"
        )
    lines += [
        "",
        f"Throughput {figures['rps']:.1f} req/s over {wall:.0f} s wall; **errors: {errors}** of {requests:,}.",
        "",
        "| CPU seconds during the measured run | total | per request (ms) |",
        "|---|---|---|",
        f"| gunicorn (master + workers) | {server_cpu:.1f} | {server_cpu * 1000 / max(requests, 1):.1f} |",
        f"| task worker (indexing, notifications) | {worker_cpu:.1f} | {worker_cpu * 1000 / max(requests, 1):.1f} |",
        f"| PostgreSQL backends of this database | {pg_cpu:.1f} | {pg_cpu * 1000 / max(requests, 1):.1f} |",
        f"| Elasticsearch node | {es_cpu:.1f} | {es_cpu * 1000 / max(requests, 1):.1f} |",
        f"| locust (the load generator) | {locust_cpu:.1f} | {locust_cpu * 1000 / max(requests, 1):.1f} |",
        "",
        f"gunicorn worker memory (RSS) at the end: {', '.join(f'{r:.0f}' for r in rss)} MiB.",
    ]
    if failures:
        lines += ["", "Failures:", "", "| method | name | error | occurrences |", "|---|---|---|---|"]
        lines += [f"| {f['Method']} | {f['Name']} | {f['Error']} | {f['Occurrences']} |" for f in failures]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section(
            args.section,
            "Load test with locust (bench.load_bench)",
            body,
            "python -m bench.load_bench " + " ".join(sys.argv[1:]),
        )
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(main())
