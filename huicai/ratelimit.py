"""A small fixed-window rate limiter on Django's default cache, for forms that django-axes does not cover.

``hit(scope, key, limit, window)`` counts one request and says whether it is within ``limit`` per ``window``
seconds. Keys are hashed, so an e-mail address is never a cache key in clear. The default cache is per process
(``LocMemCache``): with several workers the effective limit is the limit times the workers; point ``CACHES["default"]``
at Redis to share the counts.
"""

import hashlib
import time

from django.core.cache import cache


def hit(scope, key, limit, window):
    """Count one request for ``key`` in ``scope``; True while at most ``limit`` were counted in this window."""
    digest = hashlib.sha256(f"{scope}\0{key}".encode()).hexdigest()[:32]
    cache_key = f"ratelimit:{scope}:{digest}:{int(time.time() // window)}"
    cache.add(cache_key, 0, window)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, window)
        count = 1
    return count <= limit


def client_address(request):
    return request.META.get("REMOTE_ADDR", "")
