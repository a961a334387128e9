"""The load test's locustfile, run headless for a few seconds against a live test server with the demo data and a
handful of generated dossiers: every endpoint it names is requested, and none fails."""

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = ROOT / "bench" / "locustfile.py"
LOCUST = Path(sys.executable).parent / "locust"


@pytest.fixture
def committed_demo_on_postgresql(request):
    from django.db import connection

    if connection.vendor != "postgresql":
        # The live server answers in threads; on the in-memory SQLite test database they share one connection, and
        # two committed requests at once fail ("cannot start a transaction within a transaction").
        pytest.skip("concurrent requests against the live server need PostgreSQL")
    # Committed (not the ``demo`` fixture's data, inside a transaction the live server's threads cannot see), and
    # analysed for the planner when the template was made.
    return request.getfixturevalue("demo_committed")


def test_every_user_kind_reaches_every_endpoint_without_a_failure(live_server, committed_demo_on_postgresql, tmp_path):
    from bench.load_plan import build_plan
    from bench.loadgen import generate

    # Mostly open dossiers, so that an officer's worklist has a second page (25 a page).
    generate(300, applicants=6, employers_per_scheme=2, progress=False, batch=300, open_weight=90)
    plan = build_plan("load-pass-123", applicants=4, officers=6)
    assert plan["applicants"] and plan["officers"] and plan["pages"] and plan["verify"]
    (tmp_path / "plan.json").write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    prefix = tmp_path / "run"
    result = subprocess.run(
        [
            str(LOCUST),
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "-u",
            "20",
            "-r",
            "20",
            "-t",
            "20s",
            "--host",
            live_server.url,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--stop-timeout",
            "5",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "LOAD_PLAN": str(tmp_path / "plan.json"),
            "LOAD_WAIT_MIN": "0.05",
            "LOAD_WAIT_MAX": "0.15",
            "LOAD_EVERY_TASK_FIRST": "1",
        },
    )
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    failures = Path(f"{prefix}_failures.csv").read_text(encoding="utf-8")
    assert rows["Aggregated"]["Failure Count"] == "0", failures + result.stderr[-2000:]
    named = set(re.findall(r'[\s,(]name="([^"]+)"', LOCUSTFILE.read_text(encoding="utf-8")))
    assert len(named) == 19
    missing = sorted(name for name in named if int(rows.get(name, {}).get("Request Count", 0)) == 0)
    assert not missing, result.stderr[-2000:]
    assert result.returncode == 0, result.stderr[-2000:]
