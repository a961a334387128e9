"""Accounts: lockout after repeated failures (site login, Wagtail admin login, API token), password
validation, CSRF on state-changing views, session cookie flags."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import translation
from django.utils.translation import gettext

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]
PASSWORD = "Correct-horse-battery-9"
LOCKED = "Too many failed login attempts. This account is locked for now; please try again in an hour."


def has_cjk(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture
def user(db):
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user("clerk", email="wang.xiaoming@example.org", password=PASSWORD)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return user


def locked_message():
    with translation.override("zh-hans"):
        return gettext(LOCKED)


def fail(client, url, n, **kwargs):
    for _ in range(n):
        response = client.post(url, {"username": "clerk", "password": "wrong-password"}, **kwargs)
        assert response.status_code in (200, 401), response.status_code  # a plain failure, not yet locked


@override_settings(AXES_ENABLED=True)
@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_login_locks_after_repeated_failures(client, user, url):
    fail(client, url, settings.AXES_FAILURE_LIMIT - 1)
    response = client.post(url, {"username": "clerk", "password": "wrong-password"})
    assert response.status_code == 429
    assert response.content.decode() == locked_message()
    # Now even the right password is refused, and no session is opened.
    response = client.post(url, {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked (lockout is per username and address).
    get_user_model().objects.create_user("other", password=PASSWORD)
    response = client.post(url, {"username": "other", "password": PASSWORD})
    assert response.status_code == 302


@override_settings(AXES_ENABLED=True)
def test_login_succeeds_below_the_limit_and_resets(client, user):
    fail(client, "/accounts/login/", settings.AXES_FAILURE_LIMIT - 1)
    response = client.post("/accounts/login/", {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@override_settings(AXES_ENABLED=True)
def test_api_token_endpoint_locks_with_json_error_body(client, user):
    url = "/api/v1/auth/token/"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"username": "clerk", "password": "nope"}, content_type="application/json")
        assert response.status_code == 401
    response = client.post(url, {"username": "clerk", "password": "nope"}, content_type="application/json")
    assert response.status_code == 429
    assert response.json() == {"error": {"code": "locked_out", "message": locked_message()}}
    response = client.post(url, {"username": "clerk", "password": PASSWORD}, content_type="application/json")
    assert response.status_code == 429
    assert "token" not in response.json()


@pytest.mark.parametrize(
    "password",
    ["password123", "12345678901234", "wangxiaoming1", "qwertyuiop"],
)
def test_weak_passwords_are_refused_in_chinese(user, password):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as info:
        validate_password(password, user=user)
    assert all(has_cjk(message) for message in info.value.messages), info.value.messages


def test_short_password_is_refused_with_the_project_message(user):
    """Django's own zh-Hans catalogue lacks its 5.2 wording of this message: the project words it."""
    with translation.override("zh-hans"), pytest.raises(ValidationError) as info:
        validate_password("Sh0rt-pw!", user=user)
    expected = translation.ngettext(
        "This password is too short: it must have at least %(min_length)d character.",
        "This password is too short: it must have at least %(min_length)d characters.",
        10,
    ) % {"min_length": 10}
    assert info.value.messages == [expected]


def test_strong_password_is_accepted(user):
    validate_password("Lantern-orchard-47-river", user=user)


def test_minimum_length_is_at_least_ten():
    lengths = [v.get("OPTIONS", {}).get("min_length") for v in settings.AUTH_PASSWORD_VALIDATORS
               if v["NAME"].endswith("MinimumLengthValidator")]
    assert lengths and lengths[0] >= 10
    names = {v["NAME"].rsplit(".", 1)[-1] for v in settings.AUTH_PASSWORD_VALIDATORS}
    assert {"UserAttributeSimilarityValidator", "CommonPasswordValidator", "NumericPasswordValidator"} <= names


# --- CSRF ------------------------------------------------------------------------------------------------


def test_login_form_without_csrf_token_is_refused(user):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_admin_post_without_csrf_token_is_refused(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/admin/account/", {"locale-preferred_language": "en"})
    assert response.status_code == 403


def test_session_authenticated_api_post_without_csrf_token_is_refused(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/v1/dossiers/", {"scheme": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_portal_post_without_csrf_token_is_refused(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": "en"})
    assert response.status_code == 403


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_no_view_is_exempt_from_csrf_except_the_api():
    """Every csrf_exempt view is a DRF view (DRF checks CSRF itself for session-authenticated requests)."""
    from rest_framework.views import APIView

    exempt = []
    for route, callback in _walk(get_resolver().url_patterns):
        if not getattr(callback, "csrf_exempt", False):
            continue
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if isinstance(view_class, type) and issubclass(view_class, APIView):
            continue
        exempt.append(route)
    assert exempt == []


# --- session cookie ---------------------------------------------------------------------------------------


def test_session_and_csrf_cookie_flags(user):
    client = Client()
    response = client.get("/accounts/login/")
    csrf_cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf_cookie["httponly"] and csrf_cookie["samesite"] == "Lax"
    response = client.post("/accounts/login/", {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == ""  # ends with the browser
    assert client.session.get_expiry_age() <= 8 * 60 * 60


def test_production_cookies_are_secure_and_hsts_is_on():
    """Read the production module's values without importing it into this process (it needs SECRET_KEY)."""
    import os
    import subprocess
    import sys

    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='huicai.settings.production'; "
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0, "
        "s.X_FRAME_OPTIONS, s.CSRF_COOKIE_HTTPONLY, s.SESSION_COOKIE_HTTPONLY)"
    )
    env = {**os.environ, "SECRET_KEY": "k" * 60, "ALLOWED_HOSTS": "example.org"}
    env.pop("SECURE_SSL_REDIRECT", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=settings.BASE_DIR, timeout=120)
    assert out.stdout.split() == ["True", "True", "True", "True", "DENY", "True", "True"], out.stderr[-2000:]
