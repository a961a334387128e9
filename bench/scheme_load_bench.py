"""What loading the shipped scheme files and the demo costs: queries, wall and CPU time (issue #21 item 6).

Every test that needs the five programmes loads them (``schemes_load``, ``load_schemes_and_users``), and the demo
(``load_demo``) is loaded by the permission matrices, the browser sweeps and the modules that read it. Each case runs
in a transaction that is rolled back, on a migrated PostgreSQL database that holds no scheme yet (a copy of the test
template does: ``CREATE DATABASE bench TEMPLATE <base>_tpl_<digest>``). With ``--before DIR`` the same cases run
from a second checkout too, interleaved round by round, so the machine's noise falls on both sides alike.

    .venv/bin/python -m bench.scheme_load_bench --database postgres://huicai:huicai@127.0.0.1:5432/bench \\
        [--before /work/wt-before] [--rounds 3] [--demo]
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
os.environ["DJANGO_SETTINGS_MODULE"] = "huicai.settings.test"
import django
django.setup()
import logging
logging.disable(logging.WARNING)
from django.core.management import call_command
from django.db import connection, transaction

count = [0]


def counted(execute, sql, params, many, context):
    count[0] += 1
    return execute(sql, params, many, context)


def measure(call):
    count[0] = 0
    wall, cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(counted):
        call()
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "queries": count[0]}


from casefiles.demo import load_schemes_and_users
from casefiles.schemes.loader import schemes_load

out = {}
with transaction.atomic():
    out["schemes_load (fresh)"] = measure(schemes_load)
    out["schemes_load (reload, unchanged)"] = measure(schemes_load)
    transaction.set_rollback(True)
with transaction.atomic():
    out["load_schemes_and_users"] = measure(lambda: load_schemes_and_users(password="bench-pass-123456"))
    transaction.set_rollback(True)
if sys.argv[2] == "demo":
    with transaction.atomic():
        out["load_demo"] = measure(lambda: call_command("load_demo", password="bench-pass-123456",
                                                        stdout=open(os.devnull, "w")))
        transaction.set_rollback(True)
print(json.dumps(out))
"""


def run_side(checkout, database, demo):
    env = {**os.environ, "DATABASE_URL": database, "ELASTICSEARCH_URL": ""}
    result = subprocess.run([sys.executable, "-c", CHILD, str(checkout), "demo" if demo else "-"], env=env,
                            capture_output=True, text=True, check=True, cwd=checkout)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="a migrated PostgreSQL database without schemes")
    parser.add_argument("--before", help="a second checkout to compare with (run interleaved)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--demo", action="store_true", help="also load_demo (about 25 s a run)")
    args = parser.parse_args(argv)
    sides = [("after", ROOT)] + ([("before", Path(args.before))] if args.before else [])
    results = {name: [] for name, _path in sides}
    for _round in range(args.rounds):
        for name, path in reversed(sides):
            results[name].append(run_side(path, args.database, args.demo))
    print(f"load average {os.getloadavg()[0]:.2f}; {args.rounds} rounds; min (median) over the rounds")
    for case in results["after"][0]:
        line = f"{case:34}"
        for name, _path in sides:
            rows = results[name]
            wall = sorted(r[case]["wall"] for r in rows)
            cpu = sorted(r[case]["cpu"] for r in rows)
            middle = len(rows) // 2
            line += (f" | {name}: {rows[0][case]['queries']:6d} queries, wall {wall[0]:.2f} ({wall[middle]:.2f}) s,"
                     f" CPU {cpu[0]:.2f} ({cpu[middle]:.2f}) s")
        print(line)


if __name__ == "__main__":
    main()
