"""Notifications: an in-app inbox row, an e-mail (Django mail; locmem in tests) and optionally an SMS
recorded in the outbox. Sent after the transaction commits, so a rolled-back change notifies nobody."""

from django.apps import apps
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.module_loading import import_string

from .masking import scrub_text
from .models import Notification, SmsOutbox


class OutboxSmsBackend:
    def send(self, phone, text):
        SmsOutbox.objects.create(phone=phone, text=text)


def sms_backend():
    return import_string(settings.HUICAI_SMS_BACKEND)()


def _email_wanted(user, event):
    """Per-user e-mail preferences (programmes.NotificationPreference); the inbox row is always written."""
    if not apps.is_installed("programmes"):
        return True
    from programmes.preferences import email_wanted

    return email_wanted(user, event)


def notify(*, recipients, subject, body, url="", event, sms_phone=None):
    recipients = [r for r in recipients if r is not None]

    def deliver():
        for user in recipients:
            Notification.objects.create(recipient=user, subject=subject, body=body, url=url, event=event)
            if user.email and _email_wanted(user, event):
                link = f"\n\n{settings.WAGTAILADMIN_BASE_URL}{url}" if url else ""
                send_mail(subject, scrub_text(body) + link, None, [user.email], fail_silently=True)
        if sms_phone:
            sms_backend().send(sms_phone, subject)

    transaction.on_commit(deliver)
