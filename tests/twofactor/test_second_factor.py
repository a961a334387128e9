"""Officers' second factor (huicai/twofactor on django-otp): with HUICAI_STAFF_SECOND_FACTOR on, a staff account
signed in by password is sent to enrolment (no authenticator yet) or to verification before any admin page; it
passes with a TOTP code or a single-use recovery code; without it, admin pages redirect and the API refuses.
Off (the test default) nothing changes. Staff accounts are made here, no demo."""

import os
import re
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client, override_settings
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from huicai.twofactor.services import recovery_codes_renew

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
# django-otp slows down tries after a wrong code (seconds, doubling); off here but in the test about it.
REQUIRED = override_settings(HUICAI_STAFF_SECOND_FACTOR=True, OTP_TOTP_THROTTLE_FACTOR=0, OTP_STATIC_THROTTLE_FACTOR=0)
ENROL, VERIFY = "/accounts/two-factor/enrol/", "/accounts/two-factor/verify/"
# Pages an officer reaches after signing in: Wagtail's admin, its account page, the Django admin.
ADMIN_PAGES = ["/admin/", "/admin/account/", "/django-admin/"]


def zh(message):
    with translation.override("zh-hans"):
        text = translation.gettext(message)
    assert re.search(r"[\u4e00-\u9fff]", text), f"no Chinese for {message!r}"
    return text


def access_admin():
    return Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin")


@pytest.fixture
def officer(db):
    user = get_user_model().objects.create_user("officer.li", password=PASSWORD, is_staff=True, last_name="李")
    user.user_permissions.add(access_admin())
    return user


def password_sign_in(user, page="/admin/login/"):
    client = Client()
    response = client.post(page, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


def code_of(device):
    device.refresh_from_db()
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def authenticator(user):
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def test_off_by_default_nothing_changes(officer):
    client = password_sign_in(officer)
    assert client.get("/admin/").status_code == 200


@REQUIRED
def test_enrolment_with_the_qr_code_then_admin(officer):
    client = password_sign_in(officer)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"] == f"{ENROL}?next=%2Fadmin%2F"
    page = client.get(response["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert 'src="data:image/svg+xml' in text and zh("Scan this QR code with the app.") in text
    device = TOTPDevice.objects.get(user=officer)
    assert not device.confirmed
    secret = re.search(r'class="otp-secret">([A-Z2-7=]+)<', text).group(1)
    assert secret and secret in device.config_url  # the key typed by hand is the QR code's
    assert client.get(ENROL).content.decode().count(secret) == 1  # a reload shows the same key, no second device
    assert TOTPDevice.objects.filter(user=officer).count() == 1
    wrong = "000000" if code_of(device) != "000000" else "111111"
    refused = client.post(ENROL, {"code": wrong, "next": "/admin/"})
    assert refused.status_code == 400
    assert (
        zh("The code is not correct. Enter the six digits your authenticator app shows now.")
        in refused.content.decode()
    )
    assert client.get("/admin/").status_code == 302
    done = client.post(ENROL, {"code": code_of(device), "next": "/admin/"})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert set(StaticToken.objects.filter(device__user=officer).values_list("token", flat=True)) == set(codes)
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200  # this session is verified


@REQUIRED
@pytest.mark.parametrize("page", ["/admin/login/", "/accounts/login/"])
def test_sign_in_with_an_authenticator_code(officer, page):
    device = authenticator(officer)
    client = password_sign_in(officer, page)
    response = client.get("/admin/pages/")
    assert response.status_code == 302 and response["Location"] == f"{VERIFY}?next=%2Fadmin%2Fpages%2F"
    verify_page = client.get(response["Location"])
    assert zh("Two-step verification") in verify_page.content.decode()
    done = client.post(VERIFY, {"code": code_of(device), "next": "/admin/pages/"})
    assert done.status_code == 302 and done["Location"] == "/admin/pages/"
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 200, url


@REQUIRED
def test_a_code_is_not_accepted_twice(officer):
    device = authenticator(officer)
    code = code_of(device)
    assert password_sign_in(officer).post(VERIFY, {"code": code}).status_code == 302
    again = password_sign_in(officer).post(VERIFY, {"code": code})
    assert again.status_code == 400


@REQUIRED
def test_sign_in_with_a_recovery_code_uses_it_up(officer):
    authenticator(officer)
    codes = recovery_codes_renew(user=officer)
    client = password_sign_in(officer)
    done = client.post(VERIFY, {"code": codes[3].upper(), "next": "/admin/"})
    assert done.status_code == 302 and client.get("/admin/").status_code == 200
    assert not StaticToken.objects.filter(token=codes[3]).exists()
    other = password_sign_in(officer)
    refused = other.post(VERIFY, {"code": codes[3]})
    assert refused.status_code == 400
    assert zh("The code is not correct, or this recovery code was already used.") in refused.content.decode()
    assert other.get("/admin/").status_code == 302
    assert other.post(VERIFY, {"code": codes[4]}).status_code == 302  # another one still works


@REQUIRED
def test_new_recovery_codes_replace_the_earlier_ones(officer):
    device = authenticator(officer)
    old = recovery_codes_renew(user=officer)
    client = password_sign_in(officer)
    assert client.post(VERIFY, {"code": code_of(device)}).status_code == 302
    page = client.post("/accounts/two-factor/recovery-codes/")
    new = re.findall(r"<li><code>([a-z2-7]+)</code></li>", page.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert password_sign_in(officer).post(VERIFY, {"code": old[0]}).status_code == 400
    assert password_sign_in(officer).post(VERIFY, {"code": new[0]}).status_code == 302


@REQUIRED
@pytest.mark.parametrize("url", [*ADMIN_PAGES, "/admin/pages/", "/admin/users/", "/applications/"])
def test_without_the_second_factor_admin_pages_redirect_to_verification(officer, url):
    authenticator(officer)
    client = password_sign_in(officer)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(f"{VERIFY}?next=")
    wrong = client.post(VERIFY, {"code": "123456"})  # a guess
    assert wrong.status_code == 400 and client.get(url).status_code == 302


@REQUIRED
def test_without_the_second_factor_the_api_refuses_the_session(officer):
    authenticator(officer)
    client = password_sign_in(officer)
    response = client.get("/api/v1/dossiers/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "second_factor_required"


@REQUIRED
def test_a_password_alone_cannot_replace_the_authenticator(officer):
    authenticator(officer)
    client = password_sign_in(officer)
    response = client.get(ENROL)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=officer).count() == 1


@REQUIRED
def test_a_new_sign_in_starts_unverified(officer):
    device = authenticator(officer)
    client = password_sign_in(officer)
    assert client.post(VERIFY, {"code": code_of(device)}).status_code == 302
    client.post("/accounts/logout/")
    client.post("/admin/login/", {"username": officer.username, "password": PASSWORD})
    assert client.get("/admin/")["Location"].startswith(VERIFY)


@override_settings(HUICAI_STAFF_SECOND_FACTOR=True, OTP_TOTP_THROTTLE_FACTOR=3600, OTP_STATIC_THROTTLE_FACTOR=3600)
def test_wrong_codes_slow_down_further_tries(officer):
    device = authenticator(officer)
    client = password_sign_in(officer)
    wrong = "000000" if code_of(device) != "000000" else "111111"
    assert client.post(VERIFY, {"code": wrong}).status_code == 400
    refused = client.post(VERIFY, {"code": code_of(device)})  # right, but within the back-off after a wrong one
    assert refused.status_code == 400
    assert zh("Too many wrong codes. Wait a minute and try again.") in refused.content.decode()
    assert client.get("/admin/").status_code == 302


@REQUIRED
def test_accounts_that_cannot_enter_the_admin_are_not_asked(db):
    applicant = get_user_model().objects.create_user("applicant.wang", password=PASSWORD)
    client = Client()
    client.force_login(applicant)
    assert client.get("/applications/").status_code == 200


@REQUIRED
def test_an_admin_permission_without_staff_flag_is_asked_too(db):
    editor = get_user_model().objects.create_user("editor.zhao", password=PASSWORD)
    editor.user_permissions.add(access_admin())
    client = password_sign_in(editor)
    assert client.get("/admin/")["Location"].startswith(ENROL)


def test_production_settings_require_it_and_tests_do_not():
    from django.conf import settings

    assert settings.HUICAI_STAFF_SECOND_FACTOR is False
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "huicai.settings.production", "SECRET_KEY": "x" * 50}
    env.pop("HUICAI_STAFF_SECOND_FACTOR", None)
    code = "import django; django.setup(); from django.conf import settings; print(settings.HUICAI_STAFF_SECOND_FACTOR)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def obtain_token(user, **extra):
    from rest_framework.test import APIClient

    return APIClient().post(
        "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD, **extra}, format="json"
    )


@REQUIRED
def test_an_api_token_needs_the_second_factor_too(officer):
    device = authenticator(officer)
    codes = recovery_codes_renew(user=officer)
    refused = obtain_token(officer)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "second_factor_required"
    assert obtain_token(officer, otp_code="123456").status_code == 401
    assert obtain_token(officer, otp_code=code_of(device)).status_code == 200
    assert obtain_token(officer, otp_code=codes[0]).status_code == 200


def test_off_an_api_token_needs_only_the_password(officer):
    assert obtain_token(officer).status_code == 200
