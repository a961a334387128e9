"""The p95 of a transition request with the search engine running and stopped: work in the request (the
immediate task backend: indexing and mail right after the commit, inside the request, as before issue #21 item 1)
against work on a worker (the database backend: the request commits task rows, a ``db_worker`` process beside it
does the rest). PostgreSQL, the Django test client (the whole middleware stack and the API view).

    .venv/bin/python -m bench.worker_bench --es-port 9211 --transitions 150 --rounds 2

A throw-away database (``--db``; dropped and made anew: migrate, the schemes and their users) and an Elasticsearch
node started and stopped by scripts/elasticsearch.sh (``HUICAI_ES_DIR``/``HUICAI_ES_PORT``). "Stopped" means the
node is down and ``ELASTICSEARCH_URL`` still points at its port (connections refused). Each measurement is a fresh
subprocess that makes its own draft dossiers (untimed), warms up, then POSTs ``submit`` to
``/api/v1/dossiers/<pk>/transitions/`` once per dossier as the applicant, timing wall and CPU (``time.process_time``
of the client process, which is also the server here) per request. Configurations alternate within a round so the
ratios compare runs made under the same load of the shared machine. Mail goes to Django's locmem backend (no SMTP
server on this machine), so the in-request cost of mail is understated.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG = "postgres://huicai:huicai@127.0.0.1:5432/"


def _env(db, es_port, backend):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "huicai.settings.test",
        "DATABASE_URL": PG + db,
        "ELASTICSEARCH_URL": f"http://127.0.0.1:{es_port}",
        "HUICAI_SEARCH_INDEX_PREFIX": "wbench",
        "HUICAI_TASKS_BACKEND": backend,
        "HUICAI_PRIVATE_ROOT": f"/tmp/huicai-wbench-private-{os.getpid()}",
        "HUICAI_LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }


def _es(command, port):
    env = {
        **os.environ,
        "HUICAI_ES_PORT": str(port),
        "HUICAI_ES_DIR": os.environ.get("HUICAI_ES_DIR", f"/tmp/huicai-es-wbench-{port}"),
    }
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "elasticsearch.sh"), command], env=env, check=True, stdout=subprocess.DEVNULL
    )


def _pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


# --------------------------------------------------------------------------- child: one measurement


def child_setup():
    import django

    django.setup()
    from django.core.management import call_command

    from tests.casefiles.factories import setup_schemes

    call_command("migrate", verbosity=0)
    setup_schemes()


def child_measure(n, es_running):
    import django

    django.setup()
    import random

    from django.test import Client

    from casefiles.demo_dossiers import make_dossier
    from casefiles.models import Scheme
    from search import service
    from tests.casefiles.factories import user

    if es_running:
        service.get_backend().ensure()
    scheme = Scheme.objects.get(slug="liaocheng")
    applicant = user("liaocheng.applicant")
    rng = random.Random(os.getpid())
    dossiers = [make_dossier(scheme, applicant, rng) for _ in range(n + 5)]
    client = Client()
    client.force_login(applicant)
    walls, cpus = [], []
    for i, dossier in enumerate(dossiers):
        w0, c0 = time.perf_counter(), time.process_time()
        response = client.post(
            f"/api/v1/dossiers/{dossier.pk}/transitions/",
            {"transition": "submit", "expected_state": "draft"},
            content_type="application/json",
        )
        w1, c1 = time.perf_counter(), time.process_time()
        assert response.status_code == 200, response.content[:300]
        if i >= 5:  # warm-up
            walls.append((w1 - w0) * 1000)
            cpus.append((c1 - c0) * 1000)
    print(json.dumps({"wall": walls, "cpu": cpus}))


# --------------------------------------------------------------------------- parent


def measure(db, es_port, backend, n, es_running):
    env = _env(db, es_port, backend)
    worker = None
    if backend == "database":
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--queue-name=*", "--no-reload", "-v", "0"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    try:
        out = subprocess.run(
            [sys.executable, "-m", "bench.worker_bench", "--child", "measure", "--transitions", str(n)]
            + (["--es-running"] if es_running else []),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(60)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="huicai_ha_wbench")
    parser.add_argument("--es-port", type=int, default=9211)
    parser.add_argument("--transitions", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", choices=["setup", "measure"])
    parser.add_argument("--es-running", action="store_true")
    args = parser.parse_args()
    if args.child == "setup":
        return child_setup()
    if args.child == "measure":
        return child_measure(args.transitions, args.es_running)

    import psycopg

    with psycopg.connect(PG + "huicai", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.db}"')
        conn.execute(f'CREATE DATABASE "{args.db}"')
    _es("start", args.es_port)
    subprocess.run(
        [sys.executable, "-m", "bench.worker_bench", "--child", "setup"],
        cwd=ROOT,
        env=_env(args.db, args.es_port, "immediate"),
        check=True,
    )
    results = {}
    try:
        for rnd in range(args.rounds):
            for es_running in (True, False):
                _es("start" if es_running else "stop", args.es_port)
                order = ("immediate", "database") if rnd % 2 == 0 else ("database", "immediate")
                for backend in order:
                    got = measure(args.db, args.es_port, backend, args.transitions, es_running)
                    key = (backend, "running" if es_running else "stopped")
                    for k in ("wall", "cpu"):
                        results.setdefault(key, {"wall": [], "cpu": []})[k] += got[k]
                    print(
                        f"round {rnd + 1}: {key[0]:9} ES {key[1]:7} p95 {_pct(got['wall'], 0.95):7.1f} ms",
                        file=sys.stderr,
                    )
    finally:
        _es("stop", args.es_port)
    print(f"load average: {os.getloadavg()}")
    print("| tasks | Elasticsearch | n | wall p50 ms | wall p95 ms | CPU p50 ms | CPU p95 ms |")
    print("|---|---|---|---|---|---|---|")
    for (backend, es), v in sorted(results.items()):
        print(
            f"| {backend} | {es} | {len(v['wall'])} | {statistics.median(v['wall']):.1f} | {_pct(v['wall'], 0.95):.1f} "
            f"| {statistics.median(v['cpu']):.1f} | {_pct(v['cpu'], 0.95):.1f} |"
        )


if __name__ == "__main__":
    main()
