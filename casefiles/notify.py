"""Notifications: an in-app inbox row, an e-mail (Django mail; locmem in tests) and optionally an SMS
through the gateway (casefiles/sms.py: the outbox in development, the HTTP gateway in production). Delivered by a
background task (casefiles/tasks.py ``deliver_notification``) enqueued with the change
(huicai/background.py): a rolled-back change notifies nobody, and no request waits on SMTP."""

from django.apps import apps
from django.conf import settings
from django.core.mail import send_mail

from .masking import scrub_text
from .models import Notification
from .sms import OutboxSmsGateway, sms_gateway

# Earlier names of the outbox backend and its factory (HUICAI_SMS_BACKEND of existing deployments names the first).
OutboxSmsBackend = OutboxSmsGateway
sms_backend = sms_gateway


def _email_wanted(user, event):
    """Per-user e-mail preferences (programmes.NotificationPreference); the inbox row is always written."""
    if not apps.is_installed("programmes"):
        return True
    from programmes.preferences import email_wanted

    return email_wanted(user, event)


def notify(*, recipients, subject, body, url="", event, sms_phone=None):
    recipients = [r for r in recipients if r is not None]
    if not recipients and not sms_phone:
        return
    from huicai.background import enqueue_with_transaction

    from .tasks import deliver_notification

    # Texts are rendered now, in the language of the request; the worker only delivers them.
    enqueue_with_transaction(
        deliver_notification,
        recipient_ids=[user.pk for user in recipients],
        subject=str(subject),
        body=str(body),
        url=str(url),
        event=str(event),
        sms_phone=sms_phone or None,
    )


def deliver(*, recipient_ids, subject, body, url, event, sms_phone):
    """Write the inbox rows, send the e-mails and the SMS (run by the worker). A mail server that refuses is
    raised after everyone else has been served, so the task is recorded as failed with the reason."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.in_bulk(recipient_ids)
    refused = None
    for user in (users[pk] for pk in recipient_ids if pk in users):
        Notification.objects.create(recipient=user, subject=subject, body=body, url=url, event=event)
        if user.email and _email_wanted(user, event):
            link = f"\n\n{settings.WAGTAILADMIN_BASE_URL}{url}" if url else ""
            try:
                send_mail(subject, scrub_text(body) + link, None, [user.email])
            except Exception as exc:  # the others still get theirs
                refused = exc
    if sms_phone:
        sms_backend().send(sms_phone, subject)
    if refused is not None:
        raise refused
    return len(users)
