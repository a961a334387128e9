"""Settings of the `db_worker` process that tests/worker/ starts: the test settings, the database backend for
tasks, the test database of the pytest process, and mail written to files the test can read."""

import os
from pathlib import Path

from huicai.settings.test import *  # noqa: F403

TASKS = {"default": {**TASKS["default"], "BACKEND": TASK_BACKENDS["database"]}}  # noqa: F405
DATABASES["default"]["NAME"] = os.environ["HUICAI_WORKER_DATABASE_NAME"]  # noqa: F405
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["HUICAI_WORKER_MAIL_DIR"]
# The pytest process passes its own search names, already made per xdist worker (huicai/settings/test.py adds the
# worker's name, and this process inherits PYTEST_XDIST_WORKER): take them as given, not suffixed a second time.
HUICAI_SEARCH_INDEX_PREFIX = os.environ["HUICAI_SEARCH_INDEX_PREFIX"]
HUICAI_SEARCH_SQLITE_PATH = Path(os.environ["HUICAI_SEARCH_SQLITE_PATH"])
