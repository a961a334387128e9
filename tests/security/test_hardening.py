"""Smaller holes of issue #15 item 7: caching of personal data, API token lifetime, password reset throttling.

- Every API route (walked from the URL patterns, ids filled in with objects the caller may see) answers with
  ``Cache-Control: no-store, private`` to an applicant and to a reviewer, by token and by session; so does every
  portal and admin page of the permission matrix for a signed-in user. Public pages for anonymous visitors keep
  their cacheable headers.
- An API token dies when it expires, at logout (site and API), at a password change and at deactivation.
- The "forgot password" form refuses the request after N per address and per e-mail address, with the same
  answer whether or not the address belongs to an account.
"""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.utils import timezone, translation
from django.utils.translation import gettext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from casefiles.models import Card
from tests.casefiles.factories import setup_schemes

from .matrix_routes import TESTED, walk
from .people import ALICE, full_flow, staff

pytestmark = [pytest.mark.django_db, pytest.mark.smoke, pytest.mark.usefixtures("schemes_once")]

REVIEWER = "liaocheng.hr-bureau"
CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


@pytest.fixture(autouse=True)
def fresh_counts():
    """Rate-limit counts live in the default cache, which outlives a test."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def no_store(response):
    parts = {part.strip().lower() for part in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= parts


@pytest.fixture
def world(db):
    """A dossier that went the whole way (attachment, opinions, journal, card) and its two sides."""
    setup_schemes()
    dossier = full_flow(ALICE)
    card = Card.objects.get(dossier=dossier)
    return {
        "dossier": dossier,
        "card": card,
        "attachment": dossier.attachments.first(),
        "applicant": dossier.applicant,
        "reviewer": staff(REVIEWER),
    }


def fill(route, world):
    """A concrete path for ``route``: each id is an object of the world of the kind the route names."""
    def value(match):
        converter, name = match.groups()
        if converter == "slug":
            return world["dossier"].scheme.slug
        if name == "token":
            return world["card"].verification_token
        if route.startswith(("api/v1/cards/", "cards/<")) or "card" in route.split("<")[0]:
            return str(world["card"].pk)
        if "attachment" in route.split("<")[0]:
            return str(world["attachment"].pk)
        return str(world["dossier"].pk)

    return "/" + CONVERTER.sub(value, route)


def api_routes():
    return sorted(route for route, _pattern in walk() if route.startswith("api/v1/"))


def callers(world):
    for who in ("applicant", "reviewer"):
        token = Token.objects.get_or_create(user=world[who])[0].key
        by_token = APIClient()
        by_token.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        by_session = Client()
        by_session.force_login(world[who])
        yield f"{who} by token", by_token
        yield f"{who} by session", by_session


def test_every_api_route_is_no_store_for_every_caller(world):
    routes = api_routes()
    assert len(routes) >= 18 and "api/v1/dossiers/<int:pk>/" in routes
    missing, cells = [], 0
    for label, client in callers(world):
        for route in routes:
            path = fill(route, world)
            response = client.get(path)
            cells += 1
            if not no_store(response):
                missing.append((label, path, response.status_code, response.get("Cache-Control")))
    print(f"API no-store sweep: {len(routes)} routes x 4 callers = {cells} responses, {len(missing)} without no-store")
    assert missing == []


def test_every_personal_page_is_no_store_for_a_signed_in_user(world):
    """The portal and admin pages of the permission matrix (dossiers, cards, attachments, PDFs, exports)."""
    pages = sorted(route for route in TESTED if not route.startswith("api/"))
    missing, cells, answered = [], 0, 0
    errors = []
    for who in ("applicant", "reviewer"):
        client = Client(raise_request_exception=False)  # an error page to a signed-in user must not be stored either
        client.force_login(world[who])
        for route in pages:
            response = client.get(fill(route, world))
            cells += 1
            answered += response.status_code == 200
            if response.status_code >= 500:
                errors.append((who, route))
            if not no_store(response):
                missing.append((who, route, response.status_code, response.get("Cache-Control")))
    print(f"page no-store sweep: {len(pages)} routes x 2 users = {cells} responses ({answered} 200, server errors: {errors}), "
          f"{len(missing)} without no-store")
    assert answered > 10  # the sweep reached real pages, not only refusals
    assert missing == []


def test_public_pages_for_anonymous_visitors_stay_cacheable(world):
    client = Client()
    for path in ("/", "/self-check/"):
        response = client.get(path)
        assert response.status_code in (200, 302), (path, response.status_code)
        assert "no-store" not in response.get("Cache-Control", ""), path
    # The API is no-store for anyone, anonymous included.
    assert no_store(client.get("/api/v1/schemes/"))


# --- API tokens -----------------------------------------------------------------------------------------------

PASSWORD = "Lantern-orchard-47-river"


@pytest.fixture
def account(db):
    return get_user_model().objects.create_user("token.holder", email="holder@example.org", password=PASSWORD)


def obtain(client):
    response = client.post("/api/v1/auth/token/", {"username": "token.holder", "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def whoami(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get("/api/v1/whoami/")


def test_token_states_when_it_expires_and_is_refused_after(account):
    body = obtain(APIClient())
    assert whoami(body["token"]).status_code == 200
    expires = timezone.datetime.fromisoformat(body["expires"].replace("Z", "+00:00"))
    lifetime = expires - Token.objects.get(key=body["token"]).created
    assert lifetime == timedelta(seconds=settings.HUICAI_API_TOKEN_TTL)
    # The token was issued a lifetime ago (fixed expiry, counted from issue).
    Token.objects.filter(key=body["token"]).update(created=timezone.now() - lifetime - timedelta(seconds=1))
    with translation.override("zh-hans"):
        response = whoami(body["token"])
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["error"]["message"])
    assert not Token.objects.filter(key=body["token"]).exists()
    # Asking again gives a new, working token.
    again = obtain(APIClient())
    assert again["token"] != body["token"] and whoami(again["token"]).status_code == 200


def test_a_valid_token_is_handed_out_again_until_it_expires(account):
    assert obtain(APIClient())["token"] == obtain(APIClient())["token"]


@pytest.mark.parametrize("expired", [False, True], ids=["no_token", "expired_token"])
@pytest.mark.parametrize("via", ["token_for", "endpoint"])
@pytest.mark.parametrize("after_read", [1, 2])
def test_a_simultaneous_login_gets_the_same_token(account, monkeypatch, after_read, via, expired):
    """Two logins of one user at once: the other login's token appears right after this one's ``after_read``-th
    read of the token table (after it found none, or after it found none again just before creating one). The
    login hands out that token, with no error (before: the unique user column made it an IntegrityError, a 500)."""
    from django.db.models.query import QuerySet

    from huicai.api.authentication import token_for

    if expired:
        Token.objects.create(user=account)
        Token.objects.update(created=timezone.now() - timedelta(seconds=settings.HUICAI_API_TOKEN_TTL + 1))
    fetch, reads, rival = QuerySet._fetch_all, [], []

    def racing_fetch(queryset):
        fresh = queryset._result_cache is None
        fetch(queryset)
        if queryset.model is Token and fresh:
            reads.append(queryset)
            if len(reads) >= after_read and not rival and not queryset._result_cache:
                rival.append(Token.objects.create(user=account))  # the other login, just now

    monkeypatch.setattr(QuerySet, "_fetch_all", racing_fetch)
    if via == "token_for":
        key = token_for(account).key
    else:
        key = obtain(APIClient())["token"]
    monkeypatch.undo()
    assert list(Token.objects.filter(user=account).values_list("key", flat=True)) == [key]
    assert rival and rival[0].key == key  # the race happened, and the login handed out the other one's token
    assert whoami(key).status_code == 200


def test_api_logout_ends_the_token(account):
    token = obtain(APIClient())["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.post("/api/v1/auth/logout/")
    assert response.status_code == 204
    assert whoami(token).status_code == 401
    assert APIClient().post("/api/v1/auth/logout/").status_code in (401, 403)  # nobody to log out


def test_site_logout_ends_the_token(account):
    token = obtain(APIClient())["token"]
    browser = Client()
    assert browser.post("/accounts/login/", {"username": "token.holder", "password": PASSWORD}).status_code == 302
    assert browser.post("/accounts/logout/").status_code in (200, 302)
    assert whoami(token).status_code == 401


def test_password_change_ends_the_token(account):
    token = obtain(APIClient())["token"]
    account.set_password("Another-orchard-58-lake")
    account.save()
    assert whoami(token).status_code == 401


def test_password_reset_by_e_mail_link_ends_the_token(account):
    """The whole "forgot password" flow of the admin: the e-mailed link, the new password, the token is gone."""
    from django.core import mail

    token = obtain(APIClient())["token"]
    browser = Client()
    assert browser.post(RESET_URL, {"email": "holder@example.org"}).status_code == 302
    link = re.search(r"https?://[^/\s]+(/admin/password_reset/confirm/\S+)", mail.outbox[-1].body).group(1)
    form_page = browser.get(link, follow=True)  # Django swaps the token in the URL for one in the session
    new = "Another-orchard-58-lake"
    response = browser.post(form_page.request["PATH_INFO"], {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.check_password(new), "the reset did not change the password; the test did not exercise it"
    assert whoami(token).status_code == 401


def test_deactivation_ends_the_token(account):
    token = obtain(APIClient())["token"]
    account.is_active = False
    account.save()
    assert not Token.objects.filter(key=token).exists()
    assert whoami(token).status_code == 401


def test_login_keeps_the_token(account):
    """Saving last_login at a login is not a password change."""
    token = obtain(APIClient())["token"]
    assert Client().post("/accounts/login/", {"username": "token.holder", "password": PASSWORD}).status_code == 302
    assert whoami(token).status_code == 200


def test_logout_endpoint_is_in_the_openapi_schema():
    schema = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    assert "post" in schema["paths"]["/api/v1/auth/logout/"]
    assert "expires" in schema["components"]["schemas"]["TokenResponse"]["properties"]


# --- password reset ---------------------------------------------------------------------------------------------

RESET_URL = "/admin/password_reset/"
THROTTLED = "Too many password reset requests. Please try again later."


def reset(address, email):
    return Client(REMOTE_ADDR=address).post(RESET_URL, {"email": email})


def answers(response):
    return response.status_code, response.content.decode() if response.status_code == 429 else ""


@override_settings(HUICAI_PASSWORD_RESET_LIMIT=5)
def test_password_reset_is_throttled_per_address_without_revealing_accounts(account):
    limit = settings.HUICAI_PASSWORD_RESET_LIMIT
    with translation.override("zh-hans"):
        message = gettext(THROTTLED)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)
    # One address asking for several accounts' e-mail addresses, some of which exist, some not.
    known = [reset("203.0.113.7", f"holder+{n}@example.org" if n % 2 else "holder@example.org") for n in range(limit)]
    assert all(response.status_code == 302 for response in known)
    refused = [reset("203.0.113.7", email) for email in ("holder@example.org", "nobody@example.org")]
    assert [answers(r) for r in refused] == [(429, message)] * 2  # the same answer for an account and for none
    # Another address is not affected.
    assert reset("203.0.113.8", "someone@example.org").status_code == 302


@override_settings(HUICAI_PASSWORD_RESET_LIMIT=3)
@pytest.mark.parametrize("email", ["holder@example.org", "nobody.here@example.org"])
def test_password_reset_is_throttled_per_email_from_many_addresses(account, email):
    from django.core import mail

    limit = settings.HUICAI_PASSWORD_RESET_LIMIT
    sent_before = len(mail.outbox)
    statuses = [reset(f"198.51.100.{n}", email.upper() if n % 2 else email).status_code for n in range(limit + 2)]
    assert statuses == [302] * limit + [429] * 2
    if email == "holder@example.org":
        assert len(mail.outbox) - sent_before == limit  # the refused requests sent nothing


def logout_routes():
    """Every URL pattern named like a logout, walked from the URL configuration (so a new one is not forgotten)."""
    from django.urls import get_resolver

    def names(resolver, prefix=""):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                yield from names(pattern, prefix + str(pattern.pattern))
            elif pattern.name and "logout" in pattern.name:
                yield prefix + str(pattern.pattern)

    return sorted(set(names(get_resolver())))


def test_every_logout_answer_clears_the_site_data(account):
    """The offline e-card (Cache Storage, service worker) must not outlive a sign-out: every logout answer (site and
    Wagtail admin by session, API by token) carries Clear-Site-Data."""
    routes = logout_routes()
    assert {"accounts/logout/", "admin/logout/", "api/v1/auth/logout/"} <= set(routes), routes
    seen = 0
    for route in routes:
        path = "/" + route.lstrip("^").rstrip("$").replace("\\Z", "")
        session = Client()
        session.force_login(account)
        by_token = APIClient()
        by_token.credentials(HTTP_AUTHORIZATION=f"Token {obtain(APIClient())['token']}")
        for caller in (by_token,) if path.startswith("/api/") else (session,):  # the API: token (no session auth)
            response = caller.post(path)
            assert response.status_code in (200, 204, 302), (path, response.status_code)
            assert response.get("Clear-Site-Data") == '"cache", "storage"', path
            seen += 1
    assert seen >= 3
