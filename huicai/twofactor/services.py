"""Enrol an authenticator, check a code, renew recovery codes. Codes never reach a log."""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .policy import authenticator_of

RECOVERY_DEVICE_NAME = "recovery"
AUTHENTICATOR_NAME = "authenticator"


class SecondFactorRefused(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _clean(code):
    return "".join((code or "").split()).lower()


def authenticator_enrolment_start(*, user):
    """The user's pending (unconfirmed) authenticator, made on the first visit and kept until confirmed, so that
    reloading the page shows the same QR code."""
    device = authenticator_of(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


@transaction.atomic
def authenticator_enrolment_confirm(*, user, code):
    """Confirm the pending authenticator with a code it shows; returns (device, recovery codes in clear, shown once).
    An earlier authenticator is replaced: one per account."""
    device = authenticator_of(user, confirmed=False)
    if device is None:
        raise SecondFactorRefused(_("Scan the QR code again: the enrolment has expired."))
    if not device.verify_token(_clean(code)):
        raise SecondFactorRefused(_("The code is not correct. Enter the six digits your authenticator app shows now."))
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device, recovery_codes_renew(user=user)


@transaction.atomic
def recovery_codes_renew(*, user):
    """New single-use recovery codes; the earlier ones stop working. Stored as django-otp stores them; shown once."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.HUICAI_RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def second_factor_check(*, user, code):
    """The device that accepts ``code``: the authenticator (six digits) or a recovery code (used up). Wrong codes slow
    down further tries (django-otp's throttling, per device)."""
    code = _clean(code)
    if not code:
        raise SecondFactorRefused(_("Enter the code from your authenticator app or a recovery code."))
    devices = [authenticator_of(user)] if code.isdigit() and len(code) == 6 else []
    devices += list(StaticDevice.objects.filter(user=user, confirmed=True))
    devices = [device for device in devices if device is not None]
    throttled = False
    for device in devices:
        with transaction.atomic():
            device = type(device).objects.select_for_update().get(pk=device.pk)
            allowed, _data = device.verify_is_allowed()
            if not allowed:
                throttled = True
                continue
            if device.verify_token(code):
                return device
    if throttled:
        raise SecondFactorRefused(_("Too many wrong codes. Wait a minute and try again."))
    raise SecondFactorRefused(_("The code is not correct, or this recovery code was already used."))
