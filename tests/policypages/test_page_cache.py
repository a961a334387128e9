"""The public page cache (policypages/cache.py): hits without queries, invalidation on publish, and what is never
cached (logged-in visitors, personal pages, query strings, restricted pages)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from casefiles.models import Tier
from policypages import cache as page_cache
from policypages import services

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')


@pytest.fixture(autouse=True)
def cache_on(settings, local_caches):
    settings.HUICAI_PAGE_CACHE_ENABLED = True


def stored_page_keys():
    # LocMemCache keys carry the KEY_PREFIX/version decoration (":1:huicai:page:…").
    return [key for key in caches["pages"]._cache if "huicai:page:" in key]


def test_second_anonymous_visit_is_a_hit_without_database_queries(policy):
    first = Client().get(policy.url)
    assert first.status_code == 200 and first["X-Page-Cache"] == "miss"
    with CaptureQueriesContext(connection) as queries:
        second = Client().get(policy.url)
    assert second.status_code == 200 and second["X-Page-Cache"] == "hit"
    assert len(queries) == 0, [q["sql"] for q in queries]
    assert policy.title in second.content.decode()
    # The other middleware still run on a hit: security headers and the language are there as on a miss.
    for header in ("Content-Security-Policy", "X-Frame-Options", "Content-Language", "Content-Type"):
        assert second[header] == first[header], header
    assert len(stored_page_keys()) == 1


def test_publishing_a_changed_revision_shows_the_new_content(policy):
    tier_table = services.tier_table_ensure(section=policy.get_parent().specific)
    for page in (policy, tier_table):
        assert Client().get(page.url)["X-Page-Cache"] == "miss"
        assert Client().get(page.url)["X-Page-Cache"] == "hit"

    policy.title = "通化市英才卡管理服务办法（修订稿）"
    policy.save_revision().publish()

    response = Client().get(policy.url)
    assert response["X-Page-Cache"] == "miss"
    assert "通化市英才卡管理服务办法（修订稿）" in response.content.decode()
    # One version for the whole site: the tier table (which links to the policy) is rendered anew as well.
    assert Client().get(tier_table.url)["X-Page-Cache"] == "miss"


def test_changed_scheme_rows_reach_the_tier_table(policy):
    tier_table = services.tier_table_ensure(section=policy.get_parent().specific)
    Client().get(tier_table.url)
    assert Client().get(tier_table.url)["X-Page-Cache"] == "hit"
    tier = Tier.objects.filter(scheme=tier_table.scheme).first()
    tier.name = "缓存测试卡"
    tier.save()
    response = Client().get(tier_table.url)
    assert response["X-Page-Cache"] == "miss" and "缓存测试卡" in response.content.decode()


def test_the_version_is_replaced_again_when_the_publishing_transaction_commits(policy):
    # The test runs inside a transaction that never commits: the callback waits in the connection's queue.
    policy.title = "另一个标题"
    policy.save_revision().publish()
    ours = [entry[1] for entry in connection.run_on_commit if entry[1] is page_cache._replace_version_after_commit]
    assert len(ours) == 1  # once per transaction, however many rows the import and the publish saved
    before = page_cache.current_version()
    ours[0]()
    assert page_cache.current_version() != before


def test_unpublished_page_is_gone_at_once(policy):
    Client().get(policy.url)
    assert Client().get(policy.url)["X-Page-Cache"] == "hit"
    policy.unpublish()
    assert Client().get(policy.url).status_code == 404


def test_logged_in_visitors_bypass_the_cache_and_are_never_stored(policy):
    user = get_user_model().objects.create_user("cache-visitor", password="pw-123456789")
    client = Client()
    client.force_login(user)
    for _ in range(2):
        response = client.get(policy.url)
        assert response.status_code == 200
        assert "X-Page-Cache" not in response
        assert "cache-visitor" in response.content.decode()
    assert stored_page_keys() == []
    anonymous = Client().get(policy.url)
    assert anonymous["X-Page-Cache"] == "miss" and "cache-visitor" not in anonymous.content.decode()


def test_a_public_page_is_the_same_bytes_for_every_visitor_and_a_hit_sets_no_cookie(policy):
    """No per-visitor token on public pages (the language switch is a link), so a CDN could serve them too."""
    first = Client(enforce_csrf_checks=True).get(policy.url)
    visitor = Client(enforce_csrf_checks=True)
    hit = visitor.get(policy.url)
    assert first["X-Page-Cache"] == "miss" and hit["X-Page-Cache"] == "hit"
    assert first.content == hit.content
    assert not TOKEN.search(hit.content.decode()) and not hit.cookies
    # The switch: a link that shows the page in English and remembers the choice in the language cookie.
    switched = visitor.get(policy.url + "?lang=en")
    assert '<html lang="en">' in switched.content.decode()
    assert switched.cookies["django_language"].value == "en"
    assert '<html lang="en">' in visitor.get(policy.url).content.decode()


def test_a_cached_form_gets_a_csrf_token_valid_for_each_visitor(rf):
    """Pages with a POST form may still be cached: the stored copy holds a placeholder, each hit a fresh token."""
    from django.http import HttpResponse
    from django.middleware.csrf import CsrfViewMiddleware, _unmask_cipher_token, get_token

    def visit():
        request = rf.get("/somewhere/")
        CsrfViewMiddleware(lambda r: None).process_request(request)
        return request

    first = visit()
    rendered = HttpResponse(f'<form method="post"><input name="csrfmiddlewaretoken" value="{get_token(first)}"></form>')
    setattr(first, page_cache.REQUEST_FLAG, True)
    assert page_cache._storable(first, rendered)
    entry = page_cache._entry(first, rendered)
    assert page_cache.CSRF_PLACEHOLDER in entry[2] and entry[3] is True

    second = visit()
    hit = page_cache._response(second, entry)
    (token,) = TOKEN.findall(hit.content.decode())
    assert _unmask_cipher_token(token) == second.META["CSRF_COOKIE"] != first.META["CSRF_COOKIE"]


def test_languages_are_cached_apart(policy):
    Client().get(policy.url)
    chinese = Client().get(policy.url)
    english = Client().get(policy.url + "?lang=en")
    assert chinese["X-Page-Cache"] == "hit" and english["X-Page-Cache"] == "miss"
    assert '<html lang="zh-Hans">' in chinese.content.decode()
    assert '<html lang="en">' in english.content.decode()
    cookie_client = Client()
    cookie_client.cookies["django_language"] = "en"
    by_cookie = cookie_client.get(policy.url)
    assert '<html lang="en">' in by_cookie.content.decode()


@pytest.mark.parametrize("query", ["?q=落户", "?lang=en&x=1", "?lang=fr", "?utm_source=weixin"])
def test_other_query_strings_bypass_the_cache(policy, query):
    for _ in range(2):
        response = Client().get(policy.url + query)
        assert "X-Page-Cache" not in response
    assert stored_page_keys() == []


@pytest.mark.parametrize("cookie", ["sessionid", "messages"])
def test_a_session_or_pending_messages_bypass_the_cache(policy, cookie):
    Client().get(policy.url)
    client = Client()
    client.cookies[cookie] = "x"
    assert "X-Page-Cache" not in client.get(policy.url)


def test_restricted_pages_are_not_stored(policy):
    PageViewRestriction.objects.create(
        page=policy, restriction_type=PageViewRestriction.PASSWORD, password="s3cret-pass"
    )
    for _ in range(2):
        response = Client().get(policy.url)
        assert "X-Page-Cache" not in response
    assert stored_page_keys() == []


def test_personal_and_staff_pages_are_never_stored(policy):
    user = get_user_model().objects.create_user("applicant-x", password="pw-123456789")
    signed_in = Client()
    signed_in.force_login(user)
    anonymous = Client()
    for client, url in [
        (signed_in, "/applications/"),
        (signed_in, "/cards/"),
        (anonymous, "/applications/"),
        (anonymous, "/cards/"),
        (anonymous, "/admin/"),
        (anonymous, "/api/v1/schemes/"),
        (anonymous, "/self-check/"),
        (anonymous, "/search/"),
    ]:
        for _ in range(2):
            assert "X-Page-Cache" not in client.get(url), url
    assert stored_page_keys() == []


def test_disabled_cache_serves_every_visit_from_the_database(policy, settings):
    settings.HUICAI_PAGE_CACHE_ENABLED = False
    Client().get(policy.url)
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(policy.url)
    assert "X-Page-Cache" not in response and len(queries) > 0


# --- public API answers (issue #23: the cached public endpoints cost what the cached pages cost) ------------------


def _api_url(policy):
    return f"/api/v1/policies/{policy.get_parent().slug}/"


def test_public_api_answer_is_stored_whole_and_follows_publishing(policy):
    url = _api_url(policy)
    first = Client().get(url)
    assert first.status_code == 200 and first["X-Page-Cache"] == "miss"
    with CaptureQueriesContext(connection) as queries:
        second = Client().get(url)
    assert second.status_code == 200 and second["X-Page-Cache"] == "hit"
    assert len(queries) == 0, [q["sql"] for q in queries]
    assert second.json() == first.json() and second["Content-Type"].startswith("application/json")
    assert second["Cache-Control"] == first["Cache-Control"]  # the outer middleware still mark API answers
    for path in ("/api/v1/policies/", "/api/v1/notices/", "/api/v1/notices/catalogue-changes/",
                 f"{url}articles/%E7%AC%AC%E4%BA%94%E6%9D%A1/"):
        assert Client().get(path)["X-Page-Cache"] == "miss", path
        assert Client().get(path)["X-Page-Cache"] == "hit", path

    policy.title = "通化市英才卡管理服务办法（修订稿）"
    policy.save_revision().publish()
    third = Client().get(url)
    assert third["X-Page-Cache"] == "miss" and "（修订稿）" in third.content.decode()


def test_what_the_api_cache_never_serves(policy):
    url = _api_url(policy)
    Client().get(url)
    assert Client().get(url)["X-Page-Cache"] == "hit"
    # the browsable API (the answer varies on Accept), a query string, a credential, a session: never from the cache
    html = Client().get(url, HTTP_ACCEPT="text/html")
    assert "X-Page-Cache" not in html and html["Content-Type"].startswith("text/html")
    assert "X-Page-Cache" not in Client().get(f"/api/v1/policies/?scheme={policy.get_parent().slug}")
    assert "X-Page-Cache" not in Client().get(url, HTTP_AUTHORIZATION="Token not-a-real-token")
    signed_in = Client()
    signed_in.force_login(get_user_model().objects.create_user("reader", password="x-pass-123"))
    assert "X-Page-Cache" not in signed_in.get(url)
    # a 404 is not stored, and the private API next to it is never looked up
    assert Client().get("/api/v1/policies/no-such-scheme/").status_code == 404
    assert "X-Page-Cache" not in Client().get("/api/v1/policies/no-such-scheme/")
    assert "X-Page-Cache" not in Client().get("/api/v1/schemes/")


def test_cached_api_answers_still_count_against_the_anonymous_limit(policy, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "3/min"}}
    url = _api_url(policy)
    answers = [Client().get(url) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.get("X-Page-Cache") for a in answers[:3]] == ["miss", "hit", "hit"]
    body = answers[3].json()
    assert body["error"]["code"] == "throttled" and re.search(r"[\u4e00-\u9fff]", body["error"]["message"]), body
