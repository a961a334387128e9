"""Full-page cache of the public Wagtail pages for anonymous visitors.

What is cached: GET responses of the pages of this app (home, scheme sections, policies with their print and
history views, service guides, tier tables, notices, exit announcements) that Wagtail served to a visitor without
a session, marked by the ``before_serve_page`` hook in ``wagtail_hooks.py``. Nothing else: dossiers, cards, the
portal, the admin, the API and search never reach that hook, and their URL prefixes are skipped before any cache
lookup (``SKIP_PREFIXES``).

How a hit is served: ``PageCacheMiddleware`` sits last in ``MIDDLEWARE``, so every other middleware (security
headers, CSRF, language, clickjacking) treats a hit like a rendered page. It looks the page up *before* URL
resolution and Wagtail's routing, so a hit makes no database query: the key is built from the scheme, host, path,
language (``huicai.middleware.LanguageMiddleware`` has already chosen it) and the cache *version*.

Invalidation: every entry's key contains the current version, a random token kept in the same cache. Publishing,
unpublishing, moving, saving or deleting a page, a Site or a view restriction, or changing the scheme rows that tier tables and section pages
read live, replaces the token (``invalidate``), which orphans every entry at once; orphans expire after
``HUICAI_PAGE_CACHE_SECONDS``. The same token keys the routes ``policypages.routing`` remembers. The token is replaced immediately *and* again after the transaction commits, so
that a request that rendered the old rows between the two cannot leave them cached under the new token. The
timeout also bounds staleness for what no signal reports (a policy's status changes at midnight).

Public API answers (issue #23: "cached public endpoints answer with the same CPU per request as the cached pages"):
the read-only policy and notice endpoints (``API_PREFIXES``) are stored the same way, whole, under the same version,
when the view says its answer is the same for every caller (``mark_api_cacheable``, called by
``policypages.api.policies.PublicView`` for a 200 to a GET) and the request is anonymous, without a query string and
asks for JSON (not the browsable HTML: a ``text/html`` Accept bypasses the cache, as the answer varies on Accept). A
hit still counts against the anonymous caller's rate limit (``huicai.api.throttling.allow_anonymous``); a caller
over the limit is passed on to the API, which answers the Chinese 429.

Per-visitor parts: public pages carry none. The language switch is a ``?lang=`` link (huicai.middleware), so a
page is the same bytes for every anonymous visitor and a hit sets no cookie. 长辈模式 (large text, high contrast,
huicai/care_mode.py) is keyed like the language: its cookie adds ``|care`` to the key. Should a cached page ever carry
a POST form, the stored copy has its CSRF token replaced by a placeholder and each hit gets a fresh token for its own
visitor (``get_token``; the CSRF middleware then sets that visitor's cookie). A response that sets a cookie, wrote to
the session, queued a message, used a CSP nonce or varies on anything else is not stored.

Backends: ``CACHES["pages"]`` (``huicai.settings.base``) is a file cache under ``var/cache/pages`` by default, shared
by the gunicorn workers of one machine; several application servers need a shared cache
(``HUICAI_PAGE_CACHE_URL=redis://…``, with the ``redis`` package installed) so that one server's publish
invalidates all.
"""

from __future__ import annotations

import hashlib
import re
import uuid

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import _unmask_cipher_token, get_token  # noqa: PLC2701 (see _strip_csrf_tokens)
from django.utils import translation

VERSION_KEY = "huicai:page-cache:version"
REQUEST_FLAG = "_huicai_page_cacheable"
API_REQUEST_FLAG = "_huicai_api_cacheable"
# Public API answers that may be stored whole (read-only, published content; see the module docstring).
API_PREFIXES = ("/api/v1/policies/", "/api/v1/notices/")
CSRF_PLACEHOLDER = b"__huicai_page_cache_csrf_token__"
HEADER = "X-Page-Cache"

# URL prefixes that are never Wagtail pages (huicai/urls.py, casefiles/urls, programmes/urls): no lookup at all.
SKIP_PREFIXES = (
    "/admin/",
    "/django-admin/",
    "/api/",
    "/documents/",
    "/i18n/",
    "/accounts/",
    "/search/",
    "/static/",
    "/media/",
    "/sitemap.xml",
    "/applications/",
    "/attachments/",
    "/employer/",
    "/cards/",
    "/verify/",
    "/self-check/",
    "/schemes/",
    "/feedback/",
    "/public-notices/",
    "/inbox/",
)
# Cookies that mean the page may be personal: a session (logged in, password-protected pages, anything stored
# for the visitor) or queued flash messages.
PERSONAL_COOKIES = ("sessionid", "messages")
UNCACHEABLE_CACHE_CONTROL = ("private", "no-cache", "no-store")
_MASKED_TOKEN = re.compile(rb"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])")


# A copy of recent entries in each process. Safe without invalidation of its own: an entry's key contains the
# version, so the content under a key never changes; it only spares a hit the shared cache's read (the file
# cache decompresses every entry, ~0.1 ms for a policy page).
_local = LocMemCache("huicai-page-cache-local", {"OPTIONS": {"MAX_ENTRIES": 500}})


def enabled():
    return getattr(settings, "HUICAI_PAGE_CACHE_ENABLED", True)


def page_cache():
    return caches[getattr(settings, "HUICAI_PAGE_CACHE_ALIAS", "pages")]


def timeout():
    return getattr(settings, "HUICAI_PAGE_CACHE_SECONDS", 300)


def skip_prefixes():
    return SKIP_PREFIXES + tuple(getattr(settings, "HUICAI_PAGE_CACHE_SKIP_PREFIXES", ()))


# --------------------------------------------------------------------------- version and invalidation


def current_version(cache=None):
    cache = cache or page_cache()
    version = cache.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        if not cache.add(VERSION_KEY, version, None):
            version = cache.get(VERSION_KEY) or version
    return version


def fragment_key(request, *parts):
    """Key of a fragment of a public page that is made of published content only (the policy body, a tier grid, a
    section's links), or None: fragments off (``HUICAI_FRAGMENT_CACHE_ENABLED``) or a preview.

    Whoever reads the page, signed in or not, gets the same fragment, so it is kept where the page cache is not
    (signed-in readers; the page cache off); ``{% fragment %}`` (policypages.templatetags.fragments) stores it. The
    key ends with the language and the current version, so any publish, page or scheme change orphans it, as it does
    every cached page."""
    if not getattr(settings, "HUICAI_FRAGMENT_CACHE_ENABLED", True) or getattr(request, "is_preview", False):
        return None
    return ":".join([*(str(part) for part in parts), translation.get_language() or "", current_version()])


def _replace_version():
    page_cache().set(VERSION_KEY, uuid.uuid4().hex, None)


def _replace_version_after_commit():
    _replace_version()


def invalidate(using=None):
    """Drop every cached page and remembered route (policypages.routing): now, and once more when the surrounding
    transaction commits. Runs with the page cache off too, for the routes."""
    _replace_version()
    connection = transaction.get_connection(using)
    if connection.in_atomic_block:
        # One callback per transaction is enough, however many pages a publish or an import saves.
        if not any(entry[1] is _replace_version_after_commit for entry in connection.run_on_commit):
            transaction.on_commit(_replace_version_after_commit, using=using)


def _watched(sender):
    from wagtail.models import Page, PageViewRestriction, Site

    if isinstance(sender, type) and issubclass(sender, (Page, Site, PageViewRestriction)):
        return True
    if getattr(sender, "_meta", None) is not None and sender._meta.auto_created is PageViewRestriction:
        return True  # its groups
    # What section pages and tier tables read live: schemes, tiers, service items, jurisdictions, departments;
    # notice indexes list the 公示 lists (PublicNotice) and the catalogue additions (ServiceChangeRequest) too.
    from casefiles.models import PublicNotice
    from programmes.models import ServiceChangeRequest

    if sender is PublicNotice or sender is ServiceChangeRequest:
        return True
    return getattr(sender, "__module__", "") in ("casefiles.models.schemes", "casefiles.models.organisations")


def _on_model_change(sender, using=None, **kwargs):
    if _watched(sender):
        invalidate(using)


def _on_page_event(sender, **kwargs):
    invalidate()


def connect_signals():
    """Called from ``PolicypagesConfig.ready`` so that management commands (imports, the demo) invalidate too."""
    from django.db.models.signals import m2m_changed, post_delete, post_save
    from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

    for signal in (post_save, post_delete, m2m_changed):
        signal.connect(_on_model_change, dispatch_uid=f"huicai-page-cache-{id(signal)}")
    for signal in (page_published, page_unpublished, post_page_move, page_slug_changed):
        signal.connect(_on_page_event, dispatch_uid=f"huicai-page-cache-{id(signal)}")


# --------------------------------------------------------------------------- request side


def mark_cacheable(page, request):
    """``before_serve_page`` hook: allow storing this response if the page is public and one of ours."""
    if not enabled() or request.method != "GET" or page._meta.app_label != "policypages":
        return
    if page.get_view_restrictions().exists():
        return
    setattr(request, REQUEST_FLAG, True)


def mark_api_cacheable(request):
    """Called by a public API view whose answer to this GET is the same for every caller."""
    if enabled() and request.method == "GET":
        setattr(request, API_REQUEST_FLAG, True)


def _is_api(request):
    return request.path.startswith(API_PREFIXES)


def _wants_json(request):
    accept = request.META.get("HTTP_ACCEPT", "")
    return "text/html" not in accept and (not accept.strip() or "*/*" in accept or "application/json" in accept)


def request_key(request):
    """The cache key of an anonymous GET of a possible public page, or None if the request must bypass the cache."""
    if request.method != "GET":
        return None
    api = _is_api(request)
    if api:
        if request.META.get("QUERY_STRING", "") or not _wants_json(request):
            return None
    elif request.path.startswith(skip_prefixes()):
        return None
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or any(name in cookies for name in PERSONAL_COOKIES):
        return None
    if "HTTP_AUTHORIZATION" in request.META:
        return None
    query = request.META.get("QUERY_STRING", "")
    if query:
        # Only ?lang=<a supported language> (LanguageMiddleware) is known to be safe; anything else may be
        # echoed in the page (the search box shows ?q=) or be unbounded.
        if list(request.GET.keys()) != ["lang"] or request.GET.get("lang") not in dict(settings.LANGUAGES):
            return None
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    raw = f"{request.scheme}://{request.get_host()}{request.get_full_path()}|{language}" + ("|api-json" if api else "")
    if getattr(request, "care_mode", False):
        raw += "|care"  # 长辈模式 renders the page in another size and palette (huicai/care_mode.py)
    return hashlib.sha256(raw.encode()).hexdigest()


def _storable_api(request, response):
    """A public API answer the view marked (its ``Vary: Accept`` is honoured by keying JSON requests only)."""
    if not getattr(request, API_REQUEST_FLAG, False):
        return False
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    return response.get("Content-Type", "").startswith("application/json")


def _storable(request, response):
    if _is_api(request):
        return _storable_api(request, response)
    if not getattr(request, REQUEST_FLAG, False):
        return False
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if not response.get("Content-Type", "").startswith("text/html"):
        return False
    if response.has_header("Vary"):
        return False
    cache_control = response.get("Cache-Control", "").lower()
    if any(word in cache_control for word in UNCACHEABLE_CACHE_CONTROL):
        return False
    # The request came without a session cookie, so whatever the page read from the session (the template asks
    # whether the visitor is logged in) was empty for everyone; a session the view wrote to is personal.
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    messages = getattr(request, "_messages", None)
    if messages is not None and getattr(messages, "added_new", False):
        return False
    if getattr(request, "_csp_nonce", None) is not None:
        return False
    if any(hasattr(response, name) for name in ("_csp_config", "_csp_update", "_csp_replace", "_csp_exempt")):
        return False
    return True


def _strip_csrf_tokens(request, content):
    """Replace the CSRF tokens rendered for this visitor by a placeholder; None if the page can't be shared.

    Django renders a token as the visitor's secret masked with a random pad, so the rendered tokens are found
    by unmasking every 64-character alphanumeric run (``_unmask_cipher_token`` is Django's own inverse of
    ``get_token``; the tests fail if it changes).
    """
    if not request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return content, False
    secret = request.META.get("CSRF_COOKIE", "")
    if not secret:
        return None, False
    found = False

    def replace(match):
        nonlocal found
        if _unmask_cipher_token(match.group().decode()) == secret:
            found = True
            return CSRF_PLACEHOLDER
        return match.group()

    content = _MASKED_TOKEN.sub(replace, content)
    if secret.encode() in content:
        return None, False
    return content, found


def _entry(request, response):
    content, has_csrf = _strip_csrf_tokens(request, response.content)
    if content is None:
        return None
    skipped = ("content-length", HEADER.lower())
    headers = [(name, value) for name, value in response.items() if name.lower() not in skipped]
    return (response.status_code, headers, content, has_csrf)


def _response(request, entry):
    status, headers, content, has_csrf = entry
    if has_csrf:
        content = content.replace(CSRF_PLACEHOLDER, get_token(request).encode())
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    response[HEADER] = "hit"
    return response


class PageCacheMiddleware:
    """Serve and store public pages for anonymous visitors (see the module docstring). Must be last in MIDDLEWARE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request_key(request) if enabled() else None
        if key is None:
            return self.get_response(request)
        cache = page_cache()
        key = f"huicai:page:{current_version(cache)}:{key}"
        entry = _local.get(key)
        if entry is None:
            entry = cache.get(key)
            if entry is not None:
                _local.set(key, entry, timeout())  # at most the shared entry's lifetime again
        if entry is not None and _is_api(request):
            from huicai.api.throttling import allow_anonymous

            if not allow_anonymous(request):  # over the limit: the API answers its 429
                entry = None
        if entry is not None:
            return _response(request, entry)
        response = self.get_response(request)
        if _storable(request, response):
            entry = _entry(request, response)
            if entry is not None:
                cache.set(key, entry, timeout())
                _local.set(key, entry, timeout())
                response[HEADER] = "miss"
        return response
