#!/usr/bin/env bash
# Install what Huicai needs on a Debian machine (as root), create .venv and install the locked
# dependencies. Idempotent: a second run only checks. Usage: scripts/bootstrap.sh [--services]
#   --services  also PostgreSQL, Java/Maven (the Elasticsearch launcher), Chromium and wrk for tests, and locust
#               (requirements-bench.txt) for the load test.
set -euo pipefail
cd "$(dirname "$0")/.."

want_services=0
[[ "${1:-}" == "--services" ]] && want_services=1

packages=(python3 python3-venv python3-dev gettext fonts-noto-cjk poppler-utils tesseract-ocr tesseract-ocr-chi-sim
          libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 sqlite3)
if (( want_services )); then
  packages+=(postgresql postgresql-contrib openjdk-17-jdk-headless maven chromium wrk procps curl)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  echo "bootstrap: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PY=/usr/bin/python3
if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements.sha
# With --services (test and benchmark machines) also requirements-bench.txt: locust, for the load test
# (bench/load_bench.py) and its test. The application does not need it.
requirements=(-r requirements.txt)
(( want_services )) && requirements+=(-r requirements-bench.txt)
want=$(cat requirements.txt $( (( want_services )) && echo requirements-bench.txt) | sha256sum | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q "${requirements[@]}"
  echo "$want" > "$stamp"
fi

# Translations are compiled from the committed catalogue on every bootstrap (fast, and never stale).
.venv/bin/python manage.py compilemessages -v 0 --ignore=.venv >/dev/null
echo "bootstrap: ok ($(.venv/bin/python --version))"
