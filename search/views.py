"""The public search page: published policies, service guides and announcements."""

from urllib.parse import urlencode

from django.shortcuts import render
from django.utils.translation import gettext as _

from . import service
from .backends.base import SearchUnavailable


def _safe_search(call, *args, **kwargs):
    """The site keeps working when the search engine is down; the page says so."""
    try:
        return call(*args, **kwargs), None
    except SearchUnavailable:
        return None, _("Search is temporarily unavailable. Please try again later.")
    except Exception:  # noqa: BLE001 — connection errors of either backend
        import logging

        logging.getLogger(__name__).exception("search failed")
        return None, _("Search is temporarily unavailable. Please try again later.")


def search_page(request):
    q = (request.GET.get("q") or "").strip()[:100]
    filters = {name: request.GET.get(name) for name in service.PUBLIC_FILTERS if request.GET.get(name)}
    result, error = None, None
    if q:
        result, error = _safe_search(service.search_public, q, page=request.GET.get("page", 1), filters=filters)
    facet_titles = {"kind": _("Type"), "scheme": _("Scheme"), "jurisdiction": _("Jurisdiction"), "year": _("Year")}
    facets = []
    for name, buckets in (result.facets.items() if result else []):
        if not buckets:
            continue
        for bucket in buckets:
            params = {"q": q, **filters}
            if bucket.selected:
                params.pop(name, None)
            else:
                params[name] = bucket.value
            bucket.url = "?" + urlencode(params)
        facets.append((name, facet_titles.get(name, name), buckets))
    pages = {}
    if result:
        for label, number in (("previous", result.page - 1), ("next", result.page + 1)):
            if 1 <= number <= result.pages:
                pages[label] = "?" + urlencode({"q": q, **filters, "page": number})
    return render(
        request,
        "search/results.html",
        {"q": q, "result": result, "error": error, "filters": filters, "facets": facets, "pages": pages},
        status=503 if error else 200,
    )
