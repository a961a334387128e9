"""SMS one-time codes: send, check, and sign up or sign in with them.

Codes are six digits, stored as an HMAC keyed with the site's secret and a per-code salt, and expire after
``HUICAI_SMS_CODE_TTL`` seconds. A code allows ``HUICAI_SMS_CODE_MAX_ATTEMPTS`` wrong guesses, then it is dead;
sending and checking are further limited per number and per client address (huicai/ratelimit.py, the limiter of
the password reset form: django-axes counts password logins only). A new code replaces the number's earlier ones.

The number is kept out of logs and of the code table (a keyed digest); only :class:`PhoneAccount` holds it, as
the account's sign-in name. Nothing here logs.
"""

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casefiles.sms import SmsNotSent, sms_gateway
from huicai.ratelimit import hit

from .exceptions import InvalidCode, InvalidPhone, SmsUnavailable, TooManyRequests
from .models import PhoneAccount, Purpose, SmsCode

MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")


def normalise_phone(raw):
    """11 mainland digits from what people type: spaces, dashes, a +86 / 0086 prefix."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    if not MAINLAND_MOBILE.fullmatch(digits):
        raise InvalidPhone(_("Enter a mainland mobile number of 11 digits."), field="phone")
    return digits


def phone_digest(phone):
    return hmac.new(settings.SECRET_KEY.encode(), f"phone\0{phone}".encode(), hashlib.sha256).hexdigest()


def _code_hash(code, salt):
    return hmac.new(settings.SECRET_KEY.encode(), f"sms-code\0{salt}\0{code}".encode(), hashlib.sha256).hexdigest()


def _limit(scope, key, limit):
    if not hit(scope, key, limit, settings.HUICAI_SMS_WINDOW):
        raise TooManyRequests(_("Too many requests for verification codes. Please try again later."))


def sms_code_send(*, phone, purpose, address):
    """Send a new code to ``phone`` for ``purpose``. Signing in to a number without an account sends nothing but
    answers the same, so the form does not tell who is registered."""
    phone = normalise_phone(phone)
    _limit("sms-send-address", address, settings.HUICAI_SMS_SEND_LIMIT_PER_ADDRESS)
    _limit("sms-send-phone", phone, settings.HUICAI_SMS_SEND_LIMIT_PER_PHONE)
    interval = settings.HUICAI_SMS_RESEND_SECONDS
    if interval and not hit("sms-send-interval", phone, 1, interval):
        raise TooManyRequests(_("A code was sent a moment ago. Please wait a minute before asking for another."))
    if purpose == Purpose.SIGN_IN and not PhoneAccount.objects.filter(phone=phone).exists():
        return phone
    digest = phone_digest(phone)
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(8)
    now = timezone.now()
    with transaction.atomic():
        SmsCode.objects.filter(phone_digest=digest, purpose=purpose, used_at__isnull=True).update(used_at=now)
        row = SmsCode.objects.create(
            phone_digest=digest,
            purpose=purpose,
            code_hash=_code_hash(code, salt),
            salt=salt,
            expires_at=now + timedelta(seconds=settings.HUICAI_SMS_CODE_TTL),
        )
    minutes = max(1, settings.HUICAI_SMS_CODE_TTL // 60)
    text = _("Huicai verification code: %(code)s. Valid for %(minutes)s minutes. Do not share it with anyone.") % {
        "code": code,
        "minutes": minutes,
    }
    try:
        sms_gateway().send(phone, text)
    except SmsNotSent:
        row.delete()
        raise SmsUnavailable(_("The text message could not be sent. Please try again later.")) from None
    return phone


def sms_code_check(*, phone, purpose, code, address):
    """Use up the number's current code if ``code`` is it; else count the wrong attempt and refuse."""
    phone = normalise_phone(phone)
    _limit("sms-check-address", address, settings.HUICAI_SMS_CHECK_LIMIT_PER_ADDRESS)
    _limit("sms-check-phone", phone, settings.HUICAI_SMS_CHECK_LIMIT_PER_PHONE)
    code = (code or "").strip()
    refused = _("The code is wrong or has expired. Request a new one if needed.")
    with transaction.atomic():
        row = (
            SmsCode.objects.select_for_update()
            .filter(phone_digest=phone_digest(phone), purpose=purpose, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if row is None or row.expires_at <= timezone.now():
            raise InvalidCode(refused, field="code")
        if row.attempts >= settings.HUICAI_SMS_CODE_MAX_ATTEMPTS:
            raise InvalidCode(_("Too many wrong codes. Request a new one."), field="code")
        matches = hmac.compare_digest(row.code_hash, _code_hash(code, row.salt))
        if matches:
            row.used_at = timezone.now()
            row.save(update_fields=["used_at"])
        else:
            row.attempts += 1
            row.save(update_fields=["attempts"])
    if not matches:  # raised after the commit: the wrong attempt stays counted
        raise InvalidCode(refused, field="code")
    return phone


def phone_sign_in(*, phone, code, address):
    """The user whose account has this number, once the code is checked."""
    phone = sms_code_check(phone=phone, purpose=Purpose.SIGN_IN, code=code, address=address)
    account = PhoneAccount.objects.select_related("user").filter(phone=phone, user__is_active=True).first()
    if account is None:
        raise InvalidCode(_("The code is wrong or has expired. Request a new one if needed."), field="code")
    return account.user


def phone_sign_up(*, phone, code, name, address):
    """(user, created): a new applicant account for the number, or the number's existing account (the code proves
    the caller holds the number, so they are simply signed in)."""
    phone = sms_code_check(phone=phone, purpose=Purpose.SIGN_UP, code=code, address=address)
    # Not one transaction with the check: a wrong code's counted attempt must survive the refusal.
    with transaction.atomic():
        account = PhoneAccount.objects.select_related("user").filter(phone=phone).first()
        if account is not None:
            return account.user, False
        # The login name is random, never the number: login names reach logs and the admin's lists.
        user = get_user_model()(username=f"m{secrets.token_hex(6)}", first_name=(name or "").strip()[:150])
        user.set_unusable_password()
        user.save()
        PhoneAccount.objects.create(user=user, phone=phone, verified_at=timezone.now())
        return user, True
