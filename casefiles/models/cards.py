"""Cards (人才卡) issued from approved dossiers, and their lifecycle status."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .dossiers import Dossier
from .schemes import Scheme, Tier


class CardStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")
    REPLACED = "replaced", _("Replaced")
    CONTACT_LIST = "contact_list", _("Moved to the contact list")


def new_verification_token():
    return secrets.token_urlsafe(24)


class Card(models.Model):
    scheme = models.ForeignKey(Scheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="cards")
    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="cards")
    number = models.CharField(_("card number"), max_length=40, unique=True)
    tier = models.ForeignKey(Tier, verbose_name=_("tier"), on_delete=models.PROTECT, related_name="cards")
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="cards")
    holder_name = models.CharField(_("holder name"), max_length=100)
    status = models.CharField(_("status"), max_length=20, choices=CardStatus.choices, default=CardStatus.ACTIVE)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    verification_token = models.CharField(_("verification token"), max_length=64, unique=True, default=new_verification_token)
    replaces = models.OneToOneField(
        "self", verbose_name=_("replaces"), null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    produced_at = models.DateTimeField(_("produced by the bank"), null=True, blank=True)
    handed_out_at = models.DateTimeField(_("handed out"), null=True, blank=True)
    ended_at = models.DateField(_("ended"), null=True, blank=True)
    end_reason = models.ForeignKey(
        "casefiles.RevocationReason", verbose_name=_("exit reason"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "valid_until"], name="card_status_valid_until")]

    def __str__(self):
        return self.number
