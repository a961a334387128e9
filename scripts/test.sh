#!/usr/bin/env bash
# Command 2: set up everything and run the whole test suite against PostgreSQL, a real
# Elasticsearch 8 node and headless Chromium; then a smoke pass of the embedded default
# (SQLite and the embedded search). Extra arguments go to the main pytest run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --services

pg_url=$(bash scripts/postgres.sh | tail -n 1)
export DATABASE_URL=${HUICAI_TEST_DATABASE_URL:-$pg_url}
if [[ -f scripts/elasticsearch.sh ]]; then
  es_url=$(bash scripts/elasticsearch.sh start | tail -n 1)
  export ELASTICSEARCH_URL=$es_url
  # This script owns the node, so the fault test (tests/search/test_fault.py) really stops and restarts it.
  export HUICAI_SEARCH_FAULT_STOP_NODE=${HUICAI_SEARCH_FAULT_STOP_NODE:-1}
  # tests/search/test_cluster.py starts its own 3-node cluster (ports 9250-9252) for its two tests, then stops it.
  export HUICAI_SEARCH_CLUSTER_TEST=${HUICAI_SEARCH_CLUSTER_TEST:-1}
  trap 'bash scripts/elasticsearch.sh stop || true' EXIT
fi
export DJANGO_SETTINGS_MODULE=huicai.settings.test
export HUICAI_ARTIFACTS=${HUICAI_ARTIFACTS:-$PWD/var/test-artifacts}
export CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
mkdir -p "$HUICAI_ARTIFACTS"

# pytest-xdist workers (HUICAI_TEST_WORKERS, default 2 = CI's cores): each has its own test database and search
# indices (huicai/settings/test.py). Tests marked `serial` (they stop the node) run alone afterwards. With arguments,
# the main pass runs them as given, in one process.
# HUICAI_TEST_WORKERS=0 runs everything in one process. Two workers share two cores with PostgreSQL and
# Elasticsearch, so a long test (a permission matrix) may take twice its time alone: the hang guard (pyproject's
# faulthandler_timeout, 15 min) is 30 min in the parallel passes.
workers=${HUICAI_TEST_WORKERS:-2}
parallel=(-n "$workers" --dist loadfile --no-loadscope-reorder -o faulthandler_timeout=1800)
pytest=(.venv/bin/python -m pytest -p no:cacheprovider --durations=15)
started=$SECONDS
elapsed() { echo "== $1 done after $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s"; }
if [[ $# -gt 0 || $workers == 0 ]]; then
  echo "== main pass: PostgreSQL, Elasticsearch, Chromium"
  "${pytest[@]}" "$@"
  elapsed "main pass"
else
  echo "== main pass: PostgreSQL, Elasticsearch, Chromium ($workers workers)"
  "${pytest[@]}" "${parallel[@]}" -m "not serial"
  elapsed "main pass"
  echo "== serial tests: PostgreSQL, Elasticsearch"
  # Meanwhile (the serial test mostly waits on Elasticsearch stopping and starting) the smoke pass's migrated SQLite
  # template is made (tests/conftest.py, sqlite_migrated_template): its two workers then copy it instead of each
  # migrating from nothing. Should this fail, the smoke pass makes it itself.
  env -u DATABASE_URL -u ELASTICSEARCH_URL .venv/bin/python -c 'import django; django.setup()
from django.db import connection; from tests.conftest import sqlite_migrated_template
sqlite_migrated_template(connection)' &
  sqlite_template=$!
  "${pytest[@]}" -m serial
  wait "$sqlite_template" || echo "== the SQLite template was not made beforehand; the smoke pass makes it"
  elapsed "serial tests"
fi

echo "== smoke pass: SQLite and the embedded search"
# On two workers like the main pass. (15c7d70 ran it in one process: test_backup counted the embedded index's
# search_principal rows, which a flush leaves behind in SQLite; the backup's counts now skip that index, which the
# restore rebuilds; tests/security/test_backup_counts.py.)
if [[ $# -gt 0 || $workers == 0 ]]; then
  env -u DATABASE_URL -u ELASTICSEARCH_URL "${pytest[@]}" -m smoke -q
else
  env -u DATABASE_URL -u ELASTICSEARCH_URL "${pytest[@]}" "${parallel[@]}" -m smoke -q
fi
elapsed "smoke pass"
