"""Applicants' sign-up and sign-in by mobile number with SMS one-time codes (phoneauth), through the portal pages:
each rule — codes hashed, used once, expiring, wrong guesses limited, sends and checks limited per number and per
client address, the refusals in Chinese — and that no log record names the number."""

import logging
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone, translation

from casefiles.models import SmsOutbox
from phoneauth.models import PhoneAccount, SmsCode
from tests.casefiles.sms_gateway_server import GatewayServer

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
OTHER = "13687654321"
LOGIN, REGISTER = "/accounts/phone/login/", "/accounts/phone/register/"
NO_WAIT = override_settings(HUICAI_SMS_RESEND_SECONDS=0)


def zh(message, **values):
    with translation.override("zh-hans"):
        text = translation.gettext(message)
    assert re.search(r"[\u4e00-\u9fff]", text), f"no Chinese for {message!r}"
    return text % values if values else text


@pytest.fixture(autouse=True)
def fresh_limits():
    """The limits count in the default cache, which outlives a test's database."""
    cache.clear()
    yield
    cache.clear()


def send(client, page=REGISTER, phone=PHONE, address="10.0.0.1"):
    return client.post(page, {"phone": phone, "action": "send"}, REMOTE_ADDR=address)


def verify(client, code, page=REGISTER, phone=PHONE, address="10.0.0.1", **extra):
    return client.post(page, {"phone": phone, "code": code, "action": "verify", **extra}, REMOTE_ADDR=address)


def last_code(phone=PHONE):
    message = SmsOutbox.objects.filter(phone=phone).order_by("-pk").first()
    return re.search(r"\d{6}", message.text).group()


def signed_in(client):
    return client.session.get("_auth_user_id")


def sign_up(client, phone=PHONE):
    send(client, phone=phone)
    assert verify(client, last_code(phone), phone=phone, name="张三").status_code == 302
    return PhoneAccount.objects.get(phone=phone).user


def test_sign_up_then_sign_in_with_codes(client):
    page = send(client, phone="+86 139-1234-5678")
    assert page.status_code == 200
    assert (
        zh("If the number can receive it, a code was sent to %(phone)s.", phone="139****5678") in page.content.decode()
    )
    [message] = SmsOutbox.objects.all()
    assert (
        message.phone == PHONE
        and zh(
            "Huicai verification code: %(code)s. Valid for %(minutes)s minutes. Do not share it with anyone.",
            code=last_code(),
            minutes=5,
        )
        == message.text
    )
    response = verify(client, last_code(), name="张三")
    assert response.status_code == 302 and response["Location"] == "/applications/"
    account = PhoneAccount.objects.get(phone=PHONE)
    user = account.user
    assert signed_in(client) == str(user.pk)
    assert user.first_name == "张三" and not user.has_usable_password()
    assert PHONE not in user.username and PHONE[-8:] not in user.username  # login names reach logs and lists
    client.logout()
    with NO_WAIT:  # one send per number per minute, whatever the page
        send(client, page=LOGIN)
    assert SmsOutbox.objects.count() == 2
    response = verify(client, last_code(), page=LOGIN, next="/applications/new/")
    assert response.status_code == 302 and response["Location"] == "/applications/new/"
    assert signed_in(client) == str(user.pk)


def test_sign_up_for_a_registered_number_signs_in_to_its_account(client):
    user = sign_up(client)
    client.logout()
    with NO_WAIT:
        send(client)
    assert verify(client, last_code()).status_code == 302
    assert signed_in(client) == str(user.pk) and get_user_model().objects.count() == 1


def test_a_link_to_another_site_is_not_followed(client):
    send(client)
    response = verify(client, last_code(), next="https://evil.example/")
    assert response.status_code == 302 and response["Location"] == "/applications/"


def test_codes_and_numbers_are_stored_as_keyed_hashes(client):
    send(client)
    code = last_code()
    [row] = SmsCode.objects.values()
    stored = " ".join(str(value) for value in row.values())
    assert code not in stored and PHONE not in stored and PHONE[-8:] not in stored


def test_signing_in_to_an_unknown_number_sends_nothing_and_answers_the_same(client):
    page = send(client, page=LOGIN)
    assert page.status_code == 200
    assert (
        zh("If the number can receive it, a code was sent to %(phone)s.", phone="139****5678") in page.content.decode()
    )
    assert not SmsOutbox.objects.exists() and not SmsCode.objects.exists()
    assert verify(client, "123456", page=LOGIN).status_code == 400 and not signed_in(client)


@pytest.mark.parametrize("phone", ["12345678901", "1391234567", "139123456789", "abc", ""])
def test_a_number_that_is_not_a_mainland_mobile_is_refused_in_chinese(client, phone):
    page = send(client, phone=phone)
    assert page.status_code in (200, 400) and not SmsOutbox.objects.exists()
    text = page.content.decode()
    assert zh("Enter a mainland mobile number of 11 digits.") in text or zh("This field is required.") in text


def test_a_wrong_code_is_refused_in_chinese(client):
    send(client)
    wrong = "000000" if last_code() != "000000" else "111111"
    response = verify(client, wrong)
    assert response.status_code == 400 and not signed_in(client)
    assert zh("The code is wrong or has expired. Request a new one if needed.") in response.content.decode()
    assert not PhoneAccount.objects.exists()


def test_an_expired_code_is_refused(client):
    send(client)
    SmsCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = verify(client, last_code())
    assert response.status_code == 400 and not signed_in(client)
    assert zh("The code is wrong or has expired. Request a new one if needed.") in response.content.decode()


def test_the_code_lives_as_long_as_the_setting_says(client):
    before = timezone.now()
    with override_settings(HUICAI_SMS_CODE_TTL=120):
        send(client)
    row = SmsCode.objects.get()
    assert before + timedelta(seconds=120) <= row.expires_at <= timezone.now() + timedelta(seconds=120)
    assert "2" in SmsOutbox.objects.get().text  # "2 分钟内有效"


def test_a_code_is_used_once(client):
    user = sign_up(client)
    code = last_code()
    client.logout()
    response = verify(client, code)
    assert response.status_code == 400 and not signed_in(client)
    assert PhoneAccount.objects.get().user == user


def test_a_new_code_replaces_the_earlier_one(client):
    with NO_WAIT:
        send(client)
        first = last_code()
        send(client)
    second = last_code()
    if first != second:
        assert verify(client, first).status_code == 400
    assert verify(client, second).status_code == 302


def test_wrong_guesses_end_the_code(client):
    send(client)
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    with override_settings(HUICAI_SMS_CODE_MAX_ATTEMPTS=3):
        for _ in range(3):
            assert verify(client, wrong).status_code == 400
        response = verify(client, code)  # the right code, too late
    assert response.status_code == 400 and not signed_in(client)
    assert zh("Too many wrong codes. Request a new one.") in response.content.decode()
    assert SmsCode.objects.get().attempts == 3
    with NO_WAIT:
        send(client)
    assert verify(client, last_code()).status_code == 302  # a new code works


def test_a_second_send_within_the_interval_is_refused(client):
    send(client)
    response = send(client)
    assert response.status_code == 429 and SmsOutbox.objects.count() == 1
    assert (
        zh("A code was sent a moment ago. Please wait a minute before asking for another.") in response.content.decode()
    )


@NO_WAIT
@override_settings(HUICAI_SMS_SEND_LIMIT_PER_PHONE=3)
def test_sends_are_limited_per_number(client):
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        assert send(client, address=address).status_code == 200
    refused = send(client, address="10.0.0.4")  # a new address does not help
    assert refused.status_code == 429 and SmsOutbox.objects.count() == 3
    assert zh("Too many requests for verification codes. Please try again later.") in refused.content.decode()
    assert send(client, phone=OTHER, address="10.0.0.4").status_code == 200  # another number still can


@override_settings(HUICAI_SMS_SEND_LIMIT_PER_ADDRESS=3)
def test_sends_are_limited_per_client_address(client):
    phones = ["13900000001", "13900000002", "13900000003", "13900000004"]
    for phone in phones[:3]:
        assert send(client, phone=phone).status_code == 200
    refused = send(client, phone=phones[3])
    assert refused.status_code == 429 and SmsOutbox.objects.count() == 3
    assert zh("Too many requests for verification codes. Please try again later.") in refused.content.decode()
    assert send(client, phone=phones[3], address="10.9.9.9").status_code == 200  # another address still can


@pytest.mark.parametrize("scope", ["phone", "address"])
def test_checks_are_limited_per_number_and_per_address(client, scope):
    limits = {"HUICAI_SMS_CHECK_LIMIT_PER_PHONE": 100, "HUICAI_SMS_CHECK_LIMIT_PER_ADDRESS": 100}
    limits[f"HUICAI_SMS_CHECK_LIMIT_PER_{scope.upper()}"] = 2
    phones = [PHONE, PHONE, PHONE] if scope == "phone" else ["13900000001", "13900000002", "13900000003"]
    addresses = ["10.0.0.1", "10.0.0.2", "10.0.0.3"] if scope == "phone" else ["10.0.0.1"] * 3
    with override_settings(**limits, HUICAI_SMS_CODE_MAX_ATTEMPTS=100):
        for phone in set(phones):
            send(client, phone=phone, address="10.1.1.1")
        for phone, address in zip(phones[:2], addresses[:2], strict=True):
            assert (
                verify(
                    client, "999999" if last_code(phone) != "999999" else "888888", phone=phone, address=address
                ).status_code
                == 400
            )
        refused = verify(client, last_code(phones[2]), phone=phones[2], address=addresses[2])  # even the right code
    assert refused.status_code == 429 and not signed_in(client)
    assert zh("Too many requests for verification codes. Please try again later.") in refused.content.decode()


def test_a_gateway_that_refuses_leaves_no_code_and_says_so_in_chinese(client):
    with (
        GatewayServer() as gateway,
        override_settings(HUICAI_SMS_BACKEND="casefiles.sms.HttpSmsGateway", HUICAI_SMS_GATEWAY_URL=gateway.url),
    ):
        gateway.status = 500
        response = send(client)
    assert response.status_code == 503 and len(gateway.received) == 1
    assert zh("The text message could not be sent. Please try again later.") in response.content.decode()
    assert not SmsCode.objects.exists()


def test_the_login_page_links_to_the_phone_pages(client):
    page = client.get("/accounts/login/", {"next": "/applications/"}).content.decode()
    assert f'href="{LOGIN}?next=/applications/"' in page and f'href="{REGISTER}?next=/applications/"' in page
    assert zh("Sign in with a text message code") in page and zh("Sign up with your mobile number") in page
    for url in (LOGIN, REGISTER):
        assert client.get(url).status_code == 200


def test_a_signed_in_visitor_is_sent_on(client):
    sign_up(client)
    assert client.get(LOGIN)["Location"] == "/applications/"


def test_no_log_record_names_the_number(client, caplog):
    """Every flow, its refusals included, through the HTTP gateway and the outbox, with every logger at DEBUG."""
    caplog.set_level(logging.DEBUG)
    with GatewayServer() as gateway:
        with override_settings(HUICAI_SMS_BACKEND="casefiles.sms.HttpSmsGateway", HUICAI_SMS_GATEWAY_URL=gateway.url):
            send(client)
            send(client)  # 429
            code = gateway.received[0][2]["text"]
            code = re.search(r"\d{6}", code).group()
            verify(client, "000000" if code != "000000" else "111111")
            verify(client, code, name="张三")
            client.logout()
            gateway.status = 500
            with NO_WAIT:
                send(client, page=LOGIN)  # 503
        with override_settings(HUICAI_SMS_SEND_LIMIT_PER_PHONE=0):
            send(client, page=LOGIN)  # 429
        send(client, phone="12345")
    assert caplog.records  # the refusals were logged (django.request), so the check looks at something
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        assert PHONE not in text and PHONE[-8:] not in text, record
