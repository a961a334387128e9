from wagtail import hooks

from . import cache


@hooks.register("before_serve_page")
def allow_page_cache(page, request, serve_args, serve_kwargs):
    """Let ``policypages.cache.PageCacheMiddleware`` keep this response for anonymous visitors."""
    cache.mark_cacheable(page, request)
