"""Production settings for bench/http_bench.py: DEBUG off, the production middleware, storage and caches, plus a
plain hello-world view (huicai/bench_urls.py) that is the ceiling the cached pages are compared with.

Only what a local benchmark needs differs from production: a fixed secret, local hosts, and its own
page-cache directory. Requests carry ``X-Forwarded-Proto: https`` as they would behind the TLS proxy.
"""

import os

os.environ.setdefault("SECRET_KEY", "bench-only-not-secret-huicai")

from .production import *  # noqa: E402,F403

ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "huicai.bench_urls"
HUICAI_PAGE_CACHE_SKIP_PREFIXES = ("/_bench/",)  # the hello-world view makes no page-cache lookup
if not HUICAI_PAGE_CACHE_URL:  # noqa: F405
    CACHES["pages"]["LOCATION"] = os.environ.get(  # noqa: F405
        "HUICAI_PAGE_CACHE_DIR", "/tmp/huicai-httpbench-page-cache"
    )
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": "WARNING"}}  # noqa: F405
# bench/http_bench.py generates the templates of its "empty Wagtail site" peer here (wagtailcore/page.html).
if os.environ.get("HUICAI_BENCH_TEMPLATES"):
    TEMPLATES = [{**TEMPLATES[0], "DIRS": [os.environ["HUICAI_BENCH_TEMPLATES"], *TEMPLATES[0]["DIRS"]]}]  # noqa: F405
# bench/api_http_bench.py: anonymous API callers are throttled per address (300/min in production); wrk's one
# address would be answered 429 after the first seconds, and a rate raised to let it through keeps a history of
# every request of the last minute (DRF stores one timestamp per request: 100,000 of them, read and written on
# each request), a cost no real caller causes. "off" turns the limit off; the benchmark times the throttle's
# bookkeeping at the production rate separately.
if os.environ.get("HUICAI_BENCH_ANON_RATE"):
    _rate = os.environ["HUICAI_BENCH_ANON_RATE"]
    REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {  # noqa: F405
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": None if _rate == "off" else _rate}}  # noqa: F405
