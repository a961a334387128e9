"""Run every benchmark in bench/ in sequence and write its figures into docs/PERFORMANCE.md.

    .venv/bin/python -m bench.run_all            # default sizes: 343 s on 2 idle cores (2026-11-22)
    .venv/bin/python -m bench.run_all --full     # the 1M-dossier sizes and every PDF case: hours
    .venv/bin/python -m bench.run_all --only http,pdf

Benchmarks, in order:
- ``worklist`` (bench/worklist_bench.py): worklist first page and the cost of one workflow transition
  (``--transitions``) at 10k and 100k dossiers (``--full``: + 1M), on its own PostgreSQL database; the synthetic
  load generator's timing (bench/loadgen.py) is reported with it.
- ``search`` (bench/search_bench.py): embedded (SQLite FTS5) at 100k; Elasticsearch too when ELASTICSEARCH_URL is set
  (``--full``: 1M on Elasticsearch).
- ``pdf`` (bench/pdf_bench.py): certificate and 1,000-row announcement (``--full``: + 1,000-certificate batch and
  5,000-row announcement).
- ``http`` (bench/http_bench.py): hello-world / cached page / uncached page with wrk, and page weight.
- ``load`` (bench/load_bench.py): locust with public readers, applicants, officers and searchers against gunicorn on
  its own PostgreSQL database, generated up to 10,000 dossiers (``--full``: 1,000,000; an existing larger database
  is used as it is; ``--load-db`` / RUNALL_LOAD_DATABASE_URL chooses it); search on Elasticsearch when
  ELASTICSEARCH_URL is set, else the embedded index. Needs ``pip install -r requirements-bench.txt``.

Each benchmark writes its own marker section, named ``run-all-<name>`` so that the hand-annotated sections written
earlier (``worklists``, ``search``, ``pdfs``, ``http``) are kept; a ``run-all`` section lists every benchmark's
wall time, CPU time and the load average before and after, since this machine is often shared.
"""

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench.report import write_section

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
WORKLIST_DB = "postgres://huicai:huicai@127.0.0.1:5432/huicai_bench_runall"
SEARCH_DB = "/tmp/huicai-runall-search-db.sqlite3"
LOAD_DB = "postgres://huicai:huicai@127.0.0.1:5432/huicai_loadbench"
ALL = ["worklist", "search", "pdf", "http", "load"]


def log(message):
    print(message, file=sys.stderr, flush=True)


def run(command, env=None):
    """Run one benchmark process; return its output and what it cost."""
    log("$ " + " ".join(command))
    load_before = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cost = {
        "wall": wall,
        "cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        "load": (load_before, os.getloadavg()[0]),
        "ok": result.returncode == 0,
    }
    sys.stderr.write(result.stderr[-4000:])
    if result.returncode != 0:
        log(f"exit status {result.returncode}")
    return result, cost


def ensure_postgres_database(url):
    if subprocess.run(["psql", url, "-c", "select 1"], capture_output=True).returncode == 0:
        return
    name = url.rsplit("/", 1)[1]
    owner = url.split("//", 1)[1].split(":", 1)[0]
    password = url.split(":")[2].split("@")[0]
    made = subprocess.run(["createdb", "-h", "127.0.0.1", "-U", owner, name], capture_output=True, env={**os.environ, "PGPASSWORD": password})
    if made.returncode != 0:
        subprocess.run(["su", "postgres", "-c", f"createdb -O {owner} {name}"], check=True)


def worklist(args, costs):
    sizes = "10000,100000,1000000" if args.full else args.worklist_sizes
    ensure_postgres_database(args.worklist_db)
    command = [PYTHON, "-m", "bench.worklist_bench", "--sizes", sizes, "--transitions", str(args.transitions),
               "--section", "run-all-worklists", "--title-suffix", " (bench.run_all)"]
    result, cost = run(command, {"DATABASE_URL": args.worklist_db})
    costs.append(("worklist", " ".join(command[1:]), cost))
    generated = re.findall(r"generated (\d+) in (\d+)s", result.stderr)
    if generated:
        costs.append(("loadgen (inside worklist)", "bench.loadgen.generate",
                      {"note": "; ".join(f"{int(n):,} dossiers in {s} s ({int(n) / max(int(s), 1):,.0f}/s)" for n, s in generated)}))


def search(args, costs):
    env = {"DATABASE_URL": f"sqlite:///{SEARCH_DB}", "DJANGO_SETTINGS_MODULE": "huicai.settings.dev"}
    migrate, _ = run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env)
    if migrate.returncode != 0:
        costs.append(("search", "-", {"note": "skipped: could not migrate its throw-away database"}))
        return
    runs = [("embedded", args.search_dossiers, 6)]
    if os.environ.get("ELASTICSEARCH_URL"):
        runs.append(("elastic", 1_000_000 if args.full else args.search_dossiers, 11 if args.full else 21))
    blocks = []
    for backend, dossiers, rounds in runs:
        command = [PYTHON, "bench/search_bench.py", "--backend", backend, "--dossiers", str(dossiers), "--rounds", str(rounds)]
        result, cost = run(command, env)
        costs.append((f"search ({backend})", " ".join(command[1:]), cost))
        blocks.append(f"`{' '.join(command[1:])}`\n\n```\n{result.stdout.strip()}\n```")
    write_section("run-all-search", "Search (bench.run_all)", "\n\n".join(blocks),
                  "python -m bench.run_all --only search" + (" --full" if args.full else ""))


def pdf(args, costs):
    cases = ["certificate", "announcement-1000"] + (["batch", "announcement-5000"] if args.full else [])
    tables = []
    for case in cases:
        command = [PYTHON, "bench/pdf_bench.py", "--case", case]
        result, cost = run(command)
        costs.append((f"pdf ({case})", " ".join(command[1:]), cost))
        rows = [line for line in result.stdout.splitlines() if line.startswith("|")]
        tables.append(rows if not tables else rows[2:])
    body = "\n".join(line for rows in tables for line in rows)
    write_section("run-all-pdfs", "PDFs: WeasyPrint against Chromium (bench.run_all)", body,
                  "python -m bench.run_all --only pdf" + (" --full" if args.full else ""))


def http(args, costs):
    command = [PYTHON, "-m", "bench.http_bench", "--section", "run-all-http"] + (["--skip-setup"] if args.http_skip_setup else [])
    _result, cost = run(command)
    costs.append(("http", " ".join(command[1:]), cost))


def load(args, costs):
    command = [PYTHON, "-m", "bench.load_bench", "--database-url", args.load_db,
               "--dossiers", str(1_000_000 if args.full else args.load_dossiers), "--users", str(args.load_users),
               "--duration", str(args.load_duration), "--section", "run-all-load"]
    _result, cost = run(command)
    costs.append(("load", " ".join(command[1:]), cost))


def main():
    parser = argparse.ArgumentParser(description="Run every benchmark and write docs/PERFORMANCE.md.")
    parser.add_argument("--full", action="store_true", help="1M dossiers and every PDF case (hours)")
    parser.add_argument("--only", default=",".join(ALL), help=f"comma-separated subset of {','.join(ALL)}")
    parser.add_argument("--worklist-sizes", default="10000,100000")
    parser.add_argument("--worklist-db", default=os.environ.get("RUNALL_DATABASE_URL", WORKLIST_DB))
    parser.add_argument("--transitions", type=int, default=10, help="transitions timed per user and size")
    parser.add_argument("--search-dossiers", type=int, default=100_000)
    parser.add_argument("--http-skip-setup", action="store_true", help="reuse http_bench's database")
    parser.add_argument("--load-db", default=os.environ.get("RUNALL_LOAD_DATABASE_URL", LOAD_DB))
    parser.add_argument("--load-dossiers", type=int, default=10_000)
    parser.add_argument("--load-users", type=int, default=40)
    parser.add_argument("--load-duration", type=int, default=180, help="seconds of the measured locust run")
    args = parser.parse_args()
    chosen = [name for name in args.only.split(",") if name]
    unknown = set(chosen) - set(ALL)
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    costs = []
    started = time.monotonic()
    for name in ALL:
        if name in chosen:
            globals()[name](args, costs)
    lines = ["| benchmark | command | wall s | CPU s (children) | load before → after | note |", "|---|---|---|---|---|---|"]
    for name, command, cost in costs:
        if "wall" in cost:
            lines.append(f"| {name} | `{command}` | {cost['wall']:.0f} | {cost['cpu']:.0f} | {cost['load'][0]:.1f} → {cost['load'][1]:.1f} | "
                         f"{'' if cost['ok'] else '**failed**'} |")
        else:
            lines.append(f"| {name} | `{command}` | | | | {cost['note']} |")
    lines.append(f"\nTotal: {time.monotonic() - started:.0f} s.")
    command = "python -m bench.run_all" + (" --full" if args.full else "") + ("" if args.only == ",".join(ALL) else f" --only {args.only}")
    write_section("run-all", "All benchmarks (bench.run_all): what each run cost", "\n".join(lines), command)


if __name__ == "__main__":
    main()
