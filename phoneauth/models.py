from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    SIGN_IN = "sign_in", _("Sign in")
    SIGN_UP = "sign_up", _("Sign up")


class PhoneAccount(models.Model):
    """The mobile number an applicant proved they hold (by an SMS code) and signs in with."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="phone_account"
    )
    phone = models.CharField(_("mobile phone"), max_length=20, unique=True)
    verified_at = models.DateTimeField(_("verified"))

    class Meta:
        verbose_name = _("mobile sign-in")
        verbose_name_plural = _("mobile sign-ins")
        ordering = ["user_id"]

    def __str__(self):
        from casefiles.masking import mask_phone

        return mask_phone(self.phone)


class SmsCode(models.Model):
    """A one-time code sent by SMS. Neither the code nor the number is stored: both as keyed hashes
    (phoneauth.services), so the table reveals nothing without the site's secret key."""

    phone_digest = models.CharField(_("phone digest"), max_length=64, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    code_hash = models.CharField(_("code hash"), max_length=64)
    salt = models.CharField(_("salt"), max_length=32)
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS code")
        verbose_name_plural = _("SMS codes")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_purpose_display()} {self.created_at:%Y-%m-%d %H:%M}"
