"""Sign-in through a real OpenID provider (tests/oidc_provider, django-oauth-toolkit, its own process): the whole
authorization-code flow with PKCE — Huicai's redirect, the provider's login, its redirect back with a code, the token
exchange, the ID token's signature checked against the provider's JWKS, the userinfo request — nothing mocked."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import override_settings
from django.urls import reverse

from identity.models import ProviderAccount
from identity.selectors import verified_identity

from .conftest import PASSWORD, STAFF_USERNAME

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(oidc_provider):
    """Huicai configured for the test provider, as the OIDC_* environment variables would configure it."""
    with override_settings(
        HUICAI_OIDC_ENABLED=True,
        OIDC_OP_ISSUER=oidc_provider["issuer"],
        OIDC_OP_AUTHORIZATION_ENDPOINT=oidc_provider["authorization_endpoint"],
        OIDC_OP_TOKEN_ENDPOINT=oidc_provider["token_endpoint"],
        OIDC_OP_USER_ENDPOINT=oidc_provider["userinfo_endpoint"],
        OIDC_OP_JWKS_ENDPOINT=oidc_provider["jwks_uri"],
        OIDC_RP_CLIENT_ID=oidc_provider["client_id"],
        OIDC_RP_CLIENT_SECRET=oidc_provider["client_secret"],
        HUICAI_OIDC_ID_TYPES={"414": "passport"},
    ):
        yield oidc_provider


def sign_in(client, provider, username, next_url="", at_callback=None):
    """Click "sign in through the identity provider", sign in there as ``username``; Huicai's answer to the
    provider's redirect back (the callback), made with the settings ``at_callback`` changed."""
    start = client.get(reverse("oidc_authentication_init") + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302
    assert start["Location"].startswith(provider["authorization_endpoint"] + "?")
    asked = parse_qs(urlsplit(start["Location"]).query)
    assert asked["code_challenge_method"] == ["S256"] and asked["nonce"] and asked["state"]

    browser = requests.Session()  # the person's browser at the provider
    login_page = browser.get(start["Location"], timeout=10)  # not signed in there: its login form
    assert login_page.status_code == 200 and "/accounts/login/" in login_page.url
    fields = dict(re.findall(r'name="(csrfmiddlewaretoken|next)" value="([^"]*)"', login_page.text))
    signed_in = browser.post(
        login_page.url,
        allow_redirects=False,
        timeout=10,
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": fields["csrfmiddlewaretoken"],
            "next": html.unescape(fields["next"]),
        },
    )
    assert signed_in.status_code == 302, signed_in.text[:500]
    # Consent is skipped (the application's skip_authorization): straight back to Huicai with a code.
    back = browser.get(
        requests.compat.urljoin(login_page.url, signed_in.headers["Location"]), allow_redirects=False, timeout=10
    )
    assert back.status_code == 302, back.text[:500]
    callback = urlsplit(back.headers["Location"])
    assert f"http://testserver{callback.path}" == provider["redirect_uri"]
    assert parse_qs(callback.query)["state"] == asked["state"]
    with override_settings(**(at_callback or {})):
        return client.get(callback.path, parse_qs(callback.query))


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id) if user_id else None


def refusal(response):
    assert response.status_code == 302 and response["Location"] == reverse("login")
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("username", ["applicant", "passport-holder"])
def test_an_applicant_signs_in_with_a_verified_identity(client, provider, username):
    claims = provider["people"][username]
    answer = sign_in(client, provider, username, next_url="/applications/")
    assert answer.status_code == 302 and answer["Location"] == "/applications/"
    user = signed_in_user(client)
    assert user is not None and not user.is_staff and not user.has_usable_password()
    expected_type = {"414": "passport"}.get(claims["id_type"], claims["id_type"])
    assert verified_identity(user) == {
        "applicant_name": claims["name"],
        "id_type": expected_type,
        "id_number": claims["id_number"],
        "source": provider["issuer"],
    }
    assert client.get(reverse("portal_applications")).status_code == 200

    # Signing in again (another browser) finds the same account; nothing new is made.
    users = get_user_model().objects.count()
    again = type(client)()
    sign_in(again, provider, username)
    assert signed_in_user(again) == user and get_user_model().objects.count() == users
    assert ProviderAccount.objects.filter(user=user).count() == 1


def test_an_officer_is_matched_to_the_existing_staff_account(client, provider):
    officer = get_user_model().objects.create_user(
        STAFF_USERNAME, first_name="王芳", password="local-pass-123456", is_staff=True
    )
    users = get_user_model().objects.count()
    answer = sign_in(client, provider, "officer")
    assert answer.status_code == 302 and answer["Location"] == reverse("wagtailadmin_home")
    assert signed_in_user(client) == officer and get_user_model().objects.count() == users
    officer.refresh_from_db()
    assert not officer.is_superuser and officer.has_usable_password()  # the local account still works (fallback)
    link = ProviderAccount.objects.get(user=officer)
    assert not link.verifies_identity and verified_identity(officer) is None


@pytest.mark.parametrize("make_account", [None, "applicant", "inactive"])
def test_a_login_never_makes_or_takes_a_staff_account(client, provider, make_account):
    """The claim names an account Huicai does not have, one that is not staff (an applicant's), or a deactivated
    one: refused with the reason, no account made, nobody signed in."""
    if make_account:
        get_user_model().objects.create_user(
            STAFF_USERNAME, is_active=make_account != "inactive", is_staff=make_account == "inactive"
        )
    users = get_user_model().objects.count()
    messages = refusal(sign_in(client, provider, "officer"))
    assert messages and "工作人员账号" in messages[0]
    assert signed_in_user(client) is None and get_user_model().objects.count() == users
    assert not ProviderAccount.objects.exists()


def test_without_verified_name_and_id_number_nobody_signs_in(client, provider):
    messages = refusal(sign_in(client, provider, "unverified"))
    assert messages and "姓名和证件号码" in messages[0]
    assert signed_in_user(client) is None and not ProviderAccount.objects.exists()


@pytest.mark.parametrize("setting", ["OIDC_RP_CLIENT_SECRET", "OIDC_OP_ISSUER", "OIDC_RP_CLIENT_ID"])
def test_a_token_that_does_not_check_out_signs_nobody_in(client, provider, setting):
    """The client's id or secret is not the one the provider knows (it refuses the code), or the ID token's issuer is
    not the configured one: the general failure message on the sign-in page, not an error page."""
    messages = refusal(sign_in(client, provider, "applicant", at_callback={setting: "something-else"}))
    assert messages and "登录未成功" in messages[0]
    assert signed_in_user(client) is None and not ProviderAccount.objects.exists()


def test_the_sign_in_link_is_offered_only_when_configured(client, provider):
    for path in (reverse("login"), reverse("wagtailadmin_login")):
        assert reverse("oidc_authentication_init") in client.get(path).content.decode()
    with override_settings(HUICAI_OIDC_ENABLED=False):
        for path in (reverse("login"), reverse("wagtailadmin_login")):
            assert reverse("oidc_authentication_init") not in client.get(path).content.decode()
        assert client.get(reverse("oidc_authentication_init")).status_code == 404
        assert client.get(reverse("oidc_authentication_callback"), {"code": "x", "state": "y"}).status_code == 404
