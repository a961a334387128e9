"""Public API answers kept like the page fragments: under ``policypages.cache.fragment_key`` (which ends with the
content version), so any publish, unpublish, page or scheme change orphans every kept answer at once."""

import hashlib

from django.core.cache import caches

from .. import cache as page_cache

MISSING = object()


def cached_data(request, parts, build):
    """``build()`` (published content, the same for every caller), kept for the page cache's timeout. An exception
    (a 404) is not kept. The request's own path parts are hashed: a caller chooses them."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode("utf-8", "replace")).hexdigest()
    key = page_cache.fragment_key(request, "api-v1", digest)
    if key is None:
        return build()
    cache = caches["default"]
    data = cache.get(key, MISSING)
    if data is MISSING:
        data = build()
        cache.set(key, data, page_cache.timeout())
    return data
