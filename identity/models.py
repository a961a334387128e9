"""The link between a local account and the person the identity provider (统一身份认证) vouches for."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ProviderAccount(models.Model):
    """One local account's identity at the provider (issuer and subject), and for an applicant the name and ID
    number the provider verified. A dossier started by this account takes these and cannot change them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.CASCADE, related_name="provider_account"
    )
    issuer = models.CharField(_("identity provider"), max_length=200)
    subject = models.CharField(_("identifier at the provider"), max_length=255)
    name = models.CharField(_("verified name"), max_length=100, blank=True)
    id_type = models.CharField(_("verified ID type"), max_length=20, blank=True)
    id_number = models.CharField(_("verified ID number"), max_length=40, blank=True)
    verified_at = models.DateTimeField(_("last verified"))

    class Meta:
        verbose_name = _("identity provider account")
        verbose_name_plural = _("identity provider accounts")
        ordering = ["-verified_at"]
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="provider_account_unique_subject")]

    def __str__(self):
        from casefiles.masking import mask_id_number

        return f"{self.name} {mask_id_number(self.id_number)}".strip() or str(self.user)

    @property
    def verifies_identity(self):
        """True for an applicant whose name and ID number the provider vouched for (not an officer's link)."""
        return bool(self.name and self.id_number)
