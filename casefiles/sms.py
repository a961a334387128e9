"""The SMS gateway: one interface, two backends.

``settings.HUICAI_SMS_BACKEND`` names the backend. Development and tests record each message in the outbox table
(:class:`OutboxSmsGateway`: nothing leaves the machine); production posts it to the operator's HTTP gateway
(:class:`HttpSmsGateway`, configured by ``HUICAI_SMS_GATEWAY_URL`` and ``HUICAI_SMS_GATEWAY_KEY``). Notifications
(casefiles/notify.py) and one-time sign-in codes (phoneauth/services.py) both send through :func:`sms_gateway`.

A failure raises :class:`SmsNotSent`, whose text never carries the number: it may be logged.
"""

import json
import urllib.error
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string


class SmsNotSent(Exception):
    """The gateway did not accept the message (its text names no phone number)."""


class SmsGateway:
    def send(self, phone, text):
        raise NotImplementedError


class OutboxSmsGateway(SmsGateway):
    """Records the message in the outbox (casefiles.models.SmsOutbox) instead of sending it."""

    def send(self, phone, text):
        from .models import SmsOutbox

        SmsOutbox.objects.create(phone=phone, text=text)


class HttpSmsGateway(SmsGateway):
    """POSTs ``{"phone": ..., "text": ...}`` as JSON with ``Authorization: Bearer <key>``; any 2xx is accepted.

    The standard library's client, so the backend adds no dependency; a timeout bounds how long a sign-in waits."""

    def __init__(self, url=None, key=None, timeout=None):
        self.url = url or settings.HUICAI_SMS_GATEWAY_URL
        self.key = key if key is not None else settings.HUICAI_SMS_GATEWAY_KEY
        self.timeout = timeout or settings.HUICAI_SMS_GATEWAY_TIMEOUT
        if not self.url:
            raise SmsNotSent("HUICAI_SMS_GATEWAY_URL is not set")

    def send(self, phone, text):
        body = json.dumps({"phone": phone, "text": text}, ensure_ascii=False).encode()
        request = urllib.request.Request(self.url, data=body, method="POST")
        request.add_header("Content-Type", "application/json; charset=utf-8")
        if self.key:
            request.add_header("Authorization", f"Bearer {self.key}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (configured URL)
                response.read()
        except urllib.error.HTTPError as exc:
            raise SmsNotSent(f"SMS gateway answered {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise SmsNotSent(f"SMS gateway unreachable: {type(exc).__name__}") from None


def sms_gateway():
    return import_string(settings.HUICAI_SMS_BACKEND)()
