"""Officers' session lifetime (huicai/staff_sessions.py): a session of an account that may enter the admin ends
HUICAI_STAFF_SESSION_AGE seconds after its sign-in, however busy; applicants' sessions are not affected. The sign-in
time is moved back in the session instead of waiting."""

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client, override_settings
from django.utils import translation
from rest_framework.authtoken.models import Token

from huicai.staff_sessions import SIGNED_IN_AT

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


@pytest.fixture
def officer(db):
    user = get_user_model().objects.create_user("officer.zhou", password=PASSWORD, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin"))
    return user


@pytest.fixture
def applicant(db):
    return get_user_model().objects.create_user("applicant.sun", password=PASSWORD)


def signed_in(user, page):
    client = Client()
    assert client.post(page, {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def signed_in_ago(client, seconds):
    session = client.session
    session[SIGNED_IN_AT] = int(time.time()) - seconds
    session.save()


@pytest.mark.parametrize("page", ["/admin/login/", "/accounts/login/"])
def test_an_officer_session_ends_after_the_configured_lifetime(officer, page):
    with override_settings(HUICAI_STAFF_SESSION_AGE=600):
        client = signed_in(officer, page)
        assert SIGNED_IN_AT in client.session
        signed_in_ago(client, 590)
        assert client.get("/admin/").status_code == 200  # still within its lifetime
        signed_in_ago(client, 610)
        response = client.get("/admin/")
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
        assert "_auth_user_id" not in client.session
        login_page = client.get(response["Location"]).content.decode()
        with translation.override("zh-hans"):
            message = translation.gettext("Your session has ended. Please sign in again.")
        assert re.search(r"[\u4e00-\u9fff]", message) and message in login_page


def test_the_lifetime_is_the_setting(officer):
    client = signed_in(officer, "/admin/login/")
    signed_in_ago(client, 3000)
    with override_settings(HUICAI_STAFF_SESSION_AGE=3600):
        assert client.get("/admin/").status_code == 200
    with override_settings(HUICAI_STAFF_SESSION_AGE=2000):
        assert client.get("/admin/").status_code == 302


def test_zero_means_no_limit_of_its_own(officer):
    client = signed_in(officer, "/admin/login/")
    signed_in_ago(client, 10 * 24 * 3600)
    with override_settings(HUICAI_STAFF_SESSION_AGE=0):
        assert client.get("/admin/").status_code == 200


def test_an_ended_session_does_not_revoke_the_api_token(officer):
    """It expired, the officer did not log out: a token (with its own lifetime) keeps working."""
    token = Token.objects.create(user=officer)
    client = signed_in(officer, "/admin/login/")
    signed_in_ago(client, 10 * 24 * 3600)
    client.get("/admin/")
    assert Token.objects.filter(key=token.key).exists()


def test_applicant_sessions_are_not_limited(applicant):
    client = signed_in(applicant, "/accounts/login/")
    assert SIGNED_IN_AT not in client.session
    with override_settings(HUICAI_STAFF_SESSION_AGE=1):
        session = client.session
        session[SIGNED_IN_AT] = None  # not stamped
        session.save()
        assert client.get("/applications/").status_code == 200
