from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-not-secret-huicai"
ALLOWED_HOSTS = ["*"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# Each test run writes private files into its own directory.
PRIVATE_ROOT = Path(os.environ.get("HUICAI_PRIVATE_ROOT", "/tmp/huicai-test-private"))  # noqa: F405
STORAGES["private"]["OPTIONS"]["location"] = PRIVATE_ROOT  # noqa: F405
AXES_ENABLED = env_bool("AXES_ENABLED", False)  # noqa: F405
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"verify": "1000/min", "anon": "10000/min"}}  # noqa: F405
# A test database is rolled back under the cache: tests/policypages/test_page_cache.py turns the page cache on.
HUICAI_PAGE_CACHE_ENABLED = False
# Its version token also keys remembered routes (policypages.routing): kept in the process, not in var/.
CACHES = {**CACHES, "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "test-pages"}}  # noqa: F405
HUICAI_FRAGMENT_CACHE_ENABLED = False  # test data is rolled back and ids reused: a cached body could outlive its page
# Tasks run in the test process right after the commit, as indexing and mail always did in tests; tests/worker/
# starts a real `db_worker` process against the test database (tests/worker/worker_settings.py).
TASKS = {"default": {**TASKS["default"], "BACKEND": TASK_BACKENDS[os.environ.get("HUICAI_TASKS_BACKEND", "immediate")]}}  # noqa: F405
# Under pytest-xdist (scripts/test.sh) each worker gets its own private files, search indices and embedded search
# file, as it gets its own test database: tests list stored files and drop indices. Processes a test starts inherit it.
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # noqa: F405
if _xdist_worker:
    PRIVATE_ROOT = PRIVATE_ROOT / _xdist_worker
    STORAGES["private"]["OPTIONS"]["location"] = PRIVATE_ROOT  # noqa: F405
    HUICAI_SEARCH_INDEX_PREFIX = f"{HUICAI_SEARCH_INDEX_PREFIX}-{_xdist_worker}"  # noqa: F405
    _search_file = HUICAI_SEARCH_SQLITE_PATH  # noqa: F405
    HUICAI_SEARCH_SQLITE_PATH = _search_file.with_name(f"{_search_file.stem}-{_xdist_worker}.sqlite3")
