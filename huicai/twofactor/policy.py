"""Who needs a second factor, and whether they have one (reads, no writes)."""

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice


def may_enter_admin(user):
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or user.is_superuser or user.has_perm("wagtailadmin.access_admin")


def second_factor_required(user):
    return settings.HUICAI_STAFF_SECOND_FACTOR and may_enter_admin(user)


def authenticator_of(user, confirmed=True):
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


def is_verified(user):
    """True once this session passed the second step (django-otp's middleware sets ``is_verified``)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())
