"""Wagtail's redirects behind huicai.middleware.RedirectMiddleware: a 404 whose path (as requested or IRI-decoded,
with or without its query string) has a redirect is still redirected; any other 404 costs one query on the
redirects' ``old_path`` index instead of the Site lookup and up to four redirect queries."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.contrib.redirects.models import Redirect

pytestmark = [pytest.mark.django_db]


@pytest.mark.parametrize("requested", ["/old-guide/", "/old-guide/?from=letter", "/%E6%97%A7%E6%8C%87%E5%8D%97/"])
def test_a_path_with_a_redirect_is_still_redirected(client, requested):
    for old in ("/old-guide/", "/旧指南/"):
        Redirect.objects.create(old_path=Redirect.normalise_path(old), redirect_link="/search/", is_permanent=True)
    response = client.get(requested)
    assert response.status_code == 301
    assert response["Location"] == "/search/"


def test_a_temporary_redirect_of_one_site_only_is_followed(client):
    from wagtail.models import Site

    from policypages.demo import ensure_home_page

    # The site Wagtail's migration made is gone once a transactional test has flushed the database (the order of
    # tests differs per pytest-xdist worker): make the one the product uses.
    ensure_home_page()
    site = Site.objects.get(is_default_site=True)
    Redirect.objects.create(old_path="/moved", redirect_link="/search/", is_permanent=False, site=site)
    response = client.get("/moved/")
    assert response.status_code == 302 and response["Location"] == "/search/"


def test_a_404_without_a_redirect_skips_the_site_lookup(client):
    user = get_user_model().objects.create_user("redirect.reader", email="reader@example.org")
    client.force_login(user)
    client.get("/api/v1/dossiers/10000000/")  # warm per-process caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/dossiers/10000000/")
    assert response.status_code == 404
    sql = [q["sql"] for q in queries.captured_queries]
    assert not any("wagtailcore_site" in s for s in sql), sql
    assert sum("wagtailredirects_redirect" in s for s in sql) == 1, sql
