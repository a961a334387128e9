from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """An in-app message; e-mail and SMS copies are sent by casefiles.notify."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    url = models.CharField(_("link"), max_length=300, blank=True)
    event = models.CharField(_("event"), max_length=60)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]

    def __str__(self):
        return self.subject


class SmsOutbox(models.Model):
    """SMS recorded instead of sent (development and tests): nothing leaves the machine."""

    phone = models.CharField(_("phone"), max_length=30)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("SMS outbox entry")
        verbose_name_plural = _("SMS outbox")
        ordering = ["-created_at"]
