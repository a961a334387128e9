#!/usr/bin/env bash
# Command 1: set up everything and serve the site with demo data on http://127.0.0.1:8000
# (SQLite and the embedded search; no other service).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export DJANGO_SETTINGS_MODULE=huicai.settings.dev
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py load_demo ${HUICAI_DEMO_PASSWORD:+--password "$HUICAI_DEMO_PASSWORD"}
# The background worker (indexing, mail and SMS, daily jobs: huicai/background.py) runs beside the server and is
# stopped when the server exits.
.venv/bin/python manage.py db_worker --queue-name='*' --no-reload -v 0 &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT
echo "Serving on http://127.0.0.1:${PORT:-8000}/ (admin: /admin/); background worker pid $worker"
.venv/bin/python manage.py runserver "127.0.0.1:${PORT:-8000}" --noreload
