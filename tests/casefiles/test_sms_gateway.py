"""The SMS gateway interface (casefiles/sms.py): the recorded outbox, and the HTTP backend against a real HTTP
server on localhost (tests/casefiles/sms_gateway_server.py) — JSON body, bearer key, refusals — and the
notifications sent through whichever backend the settings name. No record logged on the way names the number."""

import logging

import pytest
from django.test import override_settings

from casefiles.models import SmsOutbox
from casefiles.notify import notify
from casefiles.sms import HttpSmsGateway, OutboxSmsGateway, SmsNotSent, sms_gateway

from .sms_gateway_server import GatewayServer

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
HTTP = "casefiles.sms.HttpSmsGateway"


def assert_number_not_logged(caplog):
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        assert PHONE not in text and PHONE[-8:] not in text, record


def test_the_default_backend_records_in_the_outbox():
    assert isinstance(sms_gateway(), OutboxSmsGateway)
    sms_gateway().send(PHONE, "您的验证码是 123456")
    assert list(SmsOutbox.objects.values_list("phone", "text")) == [(PHONE, "您的验证码是 123456")]


def test_the_http_backend_posts_json_with_the_key(caplog):
    caplog.set_level(logging.DEBUG)
    with (
        GatewayServer() as gateway,
        override_settings(HUICAI_SMS_GATEWAY_URL=gateway.url, HUICAI_SMS_GATEWAY_KEY="k-123"),
    ):
        HttpSmsGateway().send(PHONE, "惠才：您的申请已受理")
    [(path, headers, body)] = gateway.received
    assert path == "/sms/send"
    assert body == {"phone": PHONE, "text": "惠才：您的申请已受理"}
    assert headers["Authorization"] == "Bearer k-123"
    assert headers["Content-Type"].startswith("application/json")
    assert not SmsOutbox.objects.exists()  # nothing recorded when a real gateway is configured
    assert_number_not_logged(caplog)


def test_without_a_key_no_authorization_header_is_sent():
    with GatewayServer() as gateway, override_settings(HUICAI_SMS_GATEWAY_URL=gateway.url, HUICAI_SMS_GATEWAY_KEY=""):
        HttpSmsGateway().send(PHONE, "x")
    assert "Authorization" not in gateway.received[0][1]


@pytest.mark.parametrize("status", [400, 401, 500, 503])
def test_a_refusal_raises_without_the_number(status):
    with GatewayServer() as gateway, override_settings(HUICAI_SMS_GATEWAY_URL=gateway.url):
        gateway.status = status
        with pytest.raises(SmsNotSent) as refused:
            HttpSmsGateway().send(PHONE, "x")
    assert str(status) in str(refused.value) and PHONE not in str(refused.value)


def test_an_unreachable_gateway_raises_without_the_number():
    with GatewayServer() as gateway:
        url = gateway.url
    # The server is closed: nothing listens on its port any more.
    with override_settings(HUICAI_SMS_GATEWAY_URL=url, HUICAI_SMS_GATEWAY_TIMEOUT=2):
        with pytest.raises(SmsNotSent) as refused:
            HttpSmsGateway().send(PHONE, "x")
    assert "unreachable" in str(refused.value) and PHONE not in str(refused.value)


def test_the_http_backend_needs_a_url():
    with override_settings(HUICAI_SMS_GATEWAY_URL=""), pytest.raises(SmsNotSent):
        HttpSmsGateway()


@pytest.mark.parametrize("backend", [HTTP, "casefiles.sms.OutboxSmsGateway", "casefiles.notify.OutboxSmsBackend"])
def test_a_notification_sends_its_sms_through_the_configured_backend(
    backend, caplog, django_capture_on_commit_callbacks
):
    """The older setting value (casefiles.notify.OutboxSmsBackend) keeps working."""
    caplog.set_level(logging.DEBUG)
    with GatewayServer() as gateway, override_settings(HUICAI_SMS_BACKEND=backend, HUICAI_SMS_GATEWAY_URL=gateway.url):
        with django_capture_on_commit_callbacks(execute=True):
            notify(
                recipients=[], subject="惠才：您的人才服务卡已签发", body="正文", event="card.issued", sms_phone=PHONE
            )
    sent = [(body["phone"], body["text"]) for _path, _headers, body in gateway.received]
    recorded = list(SmsOutbox.objects.values_list("phone", "text"))
    assert (sent if backend == HTTP else recorded) == [(PHONE, "惠才：您的人才服务卡已签发")]
    assert (recorded if backend == HTTP else sent) == []
    assert_number_not_logged(caplog)
