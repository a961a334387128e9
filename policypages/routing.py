"""Wagtail's page routing, remembered per process between publishes.

Routing a request for ``/tonghua/policy/`` the Wagtail way costs seven queries before the page renders: the Site for
the host, the site's root page and its specific row, then for each path segment the child by slug and its specific
row. On an uncached public page that was about half of the server's time (bench/http_bench.py). The answer depends
only on the page tree and the sites, so ``serve`` (mounted in place of ``wagtail.views.serve`` under the same URL
name) remembers, per host, path and language, *which* page and sub-route Wagtail chose, and on a repeat fetches only
that page's own row, fresh from the database, before handing over to Wagtail's ``serve`` with its hooks (view
restrictions, the page cache's mark) unchanged.

What is remembered is keyed by the page-cache version token (``policypages.cache.current_version``), which every
page save, publish, unpublish, move or delete and every Site change replaces, so a change to the tree is seen by the
next request in every process. The page row is read on every request, so its content is never stale; if it has
gone or is no longer live the request is routed afresh. Only successful routes are remembered (a 404 is routed
every time), and only the route: who may see the page is decided on each request by Wagtail's hooks.

The page's row is read by a prepared query (``PreparedRowQuery``): the ORM would build and compile the same
``SELECT`` (the page, its specific table and ``serve_select_related``) on every request, which cost more than half of
the read (0.66 of 1.40 ms in-process on the 通化 policy page, PostgreSQL); it is compiled once per model, database and
thread instead, and each request only binds the page id, executes it and builds the instance the way the ORM's own
``ModelIterable`` does (same converters, same select-related populators). ``tests/policypages/test_routing.py``
checks the result against the ORM's for every page model, so a Django upgrade that changes those internals fails a
test rather than a page; and if compiling the query ever fails, the ORM reads the row instead.

Wagtail documents both ``request._wagtail_site`` and ``request._wagtail_route_for_request`` as the per-request
caches of ``Site.find_for_request`` and ``Page.route_for_request``; filling them is all ``serve`` does.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections import OrderedDict

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.query import get_related_populators
from django.http import Http404
from django.utils import translation
from wagtail.models import Page, PageViewRestriction, Site

from . import cache as page_cache

MAX_ENTRIES = 5_000

logger = logging.getLogger(__name__)


class _Memo:
    """A small thread-safe LRU map (gthread workers share it between threads)."""

    def __init__(self, size):
        self.size, self.data, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def set(self, key, value):
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)

    def clear(self):
        with self.lock:
            self.data.clear()


_routes = _Memo(MAX_ENTRIES)
_sites = _Memo(64)


class PreparedRowQuery:
    """``model.objects.filter(pk=…, live=True)`` with ``_serve_queryset``'s related rows, compiled once.

    ``get(pk)`` returns what the queryset's first row would be, or None. The compiled statement is per thread: a
    compiler holds the connection it compiled for, and converters are applied with it."""

    # No page has this id, and it is within an integer column's range (Django turns an out-of-range lookup into an
    # empty result); its position in the compiled parameters is where each request's page id goes.
    _SENTINEL = -2_000_000_001
    _local = threading.local()

    def __init__(self, model, using=DEFAULT_DB_ALIAS):
        queryset = _serve_queryset(model._default_manager.using(using).filter(pk=self._SENTINEL, live=True))
        compiler = queryset.query.get_compiler(using=using)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        self.position = self.params.index(self._SENTINEL)
        self.compiler, self.using = compiler, using
        klass_info, select = compiler.klass_info, compiler.select
        self.model = klass_info["model"]
        self.start, self.end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.init_list = [column[0].target.attname for column in select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, select, using)

    @classmethod
    def for_model(cls, model, using=DEFAULT_DB_ALIAS):
        prepared = getattr(cls._local, "queries", None)
        if prepared is None:
            prepared = cls._local.queries = {}
        key = (model, using)
        if key not in prepared:
            try:
                prepared[key] = cls(model, using)
            except Exception:  # an ORM change this code does not know: read rows the ORM's way
                logger.exception("Could not prepare the page query for %s; using the ORM", model.__name__)
                prepared[key] = None
        return prepared[key]

    def get(self, pk):
        params = list(self.params)
        params[self.position] = pk
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchmany(1)
        for row in self.compiler.results_iter([rows]):
            page = self.model.from_db(self.using, self.init_list, row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, page)
            return page
        return None


def live_page(model, pk):
    """The live page ``pk`` of ``model`` as ``_serve_queryset`` reads it, fresh; None if gone or not live."""
    prepared = PreparedRowQuery.for_model(model)
    if prepared is not None:
        return prepared.get(pk)
    return next(iter(_serve_queryset(model._default_manager.filter(pk=pk, live=True))[:1]), None)


def _serve_queryset(queryset):
    """What a page model reads with its row to be served: ``serve_select_related`` (objects its template shows),
    less ``serve_defer`` (their large fields it does not)."""
    model = queryset.model
    queryset = queryset.order_by()
    if getattr(model, "serve_select_related", ()):
        queryset = queryset.select_related(*model.serve_select_related)
    if getattr(model, "serve_defer", ()):
        queryset = queryset.defer(*model.serve_defer)
    return queryset


def _no_restrictions():
    """An empty restriction queryset that is already evaluated: Wagtail's hook iterates it without compiling."""
    restrictions = PageViewRestriction.objects.none()
    restrictions._result_cache = []
    return restrictions


def enabled():
    return getattr(settings, "HUICAI_ROUTE_MEMO_ENABLED", True)


def _key(request, path, version):
    return (version, request._get_raw_host(), request.get_port(), path, translation.get_language())


def remembered_route(request, path):
    """Fill Wagtail's per-request site and route from the memo; True if it did."""
    version = page_cache.current_version()
    entry = _routes.get(_key(request, path, version))
    if entry is None:
        return False
    site_pk, model, page_pk, remaining, unrestricted, parent = entry
    site = _sites.get((version, site_pk))
    if site is None:
        return False
    page = live_page(model, page_pk)
    if page is None:
        return False
    if unrestricted:
        page._remembered_view_restrictions = _no_restrictions()
    if parent is not None:
        # Treebeard's get_parent() returns this instead of querying, as after Wagtail's own route (breadcrumbs).
        page._cached_parent_obj = copy.copy(parent)
    # The page's own route for what follows its URL (a RoutablePageMixin sub-route such as print/ or history/), on
    # this fresh instance: it binds the sub-route's view to it and sets request.routable_resolver_match.
    try:
        route = page.route(request, list(remaining))
    except Http404:
        return False
    if route is None or route[0] is not page:
        return False
    request._wagtail_site = copy.copy(site)
    request._wagtail_route_for_request = route
    return True


def remember_route(request, path, version):
    route = Page.route_for_request(request, path)
    site = Site.find_for_request(request)
    if route is None or site is None:
        return
    page = route[0]
    root_path = site.root_page.url_path
    if not page.url_path.startswith(root_path):
        return
    page_components = [c for c in page.url_path[len(root_path):].split("/") if c]
    components = [c for c in path.split("/") if c]
    if components[: len(page_components)] != page_components:
        return
    # Whether any view restriction applies (on the page or an ancestor): two queries spared on every later hit.
    # Restrictions are watched like pages (policypages.cache._watched), so adding one replaces the version.
    unrestricted = not page.get_view_restrictions().exists()
    # The parent as a plain Page (title, URL): a change to it is a page save, which replaces the version.
    parent = Page.objects.filter(path=page.path[: -page.steplen]).first() if page.depth > 1 else None
    _sites.set((version, site.pk), site)
    _routes.set(
        _key(request, path, version),
        (site.pk, type(page), page.pk, tuple(components[len(page_components):]), unrestricted, parent),
    )


class RememberedRouteMixin:
    """For the page models served through ``serve``: view restrictions known to be none are not asked again."""

    def get_view_restrictions(self):
        remembered = getattr(self, "_remembered_view_restrictions", None)
        if remembered is not None:
            return remembered
        return super().get_view_restrictions()


def serve(request, path):
    """``wagtail.views.serve`` with the route remembered between publishes (see the module docstring)."""
    from wagtail import views as wagtail_views  # not at import: page models import this module's mixin

    if enabled() and not remembered_route(request, path):
        # Read the version before routing: a publish while this request routes replaces it, and the route is then
        # remembered under the old token, which no later request asks for.
        version = page_cache.current_version()
        remember_route(request, path, version)
    return wagtail_views.serve(request, path)


def clear():
    _routes.clear()
    _sites.clear()
