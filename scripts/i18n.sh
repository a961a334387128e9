#!/usr/bin/env bash
# Extract translatable strings into the zh_Hans (default) and en catalogues, then compile them.
# zh_Hans must be complete (tests/test_i18n_catalogue.py checks it); en may keep empty msgstr
# because English is the source language. Fill translations with scripts/po_fill.py.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p locale/zh_Hans/LC_MESSAGES locale/en/LC_MESSAGES
.venv/bin/python manage.py makemessages -l zh_Hans -l en \
  --ignore=.venv --ignore=var --ignore=tools --ignore=node_modules --no-obsolete
.venv/bin/python manage.py compilemessages --ignore=.venv
