"""API tokens that expire and die with the session they stand for.

A token is valid for ``settings.HUICAI_API_TOKEN_TTL`` seconds from when it was issued (a fixed lifetime, not a
sliding one: checking it writes nothing, so an API call costs no write and cannot lose a race for SQLite's write
lock). ``POST /api/v1/auth/token/`` hands out the caller's current token while it is valid and a new one after it
expired; the answer says when it expires. A user's tokens are deleted when they log out (site, admin or
``POST /api/v1/auth/logout/``), when their password changes (their own change, a reset, an administrator's) and
when the account is deactivated (:func:`connect_signals`, from ``huicai.api.apps``).
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


def token_expires(token):
    return token.created + timedelta(seconds=settings.HUICAI_API_TOKEN_TTL)


def token_expired(token, now=None):
    return token_expires(token) <= (now or timezone.now())


def token_for(user):
    """The user's valid token, or a new one if they had none or it expired.

    Two simultaneous logins of one user may both find no token: the one that loses the race for the unique
    ``user`` column gets the token the other created (one re-read), never an IntegrityError."""
    from django.db import IntegrityError, transaction
    from rest_framework.authtoken.models import Token

    token = Token.objects.filter(user=user).first()
    if token is not None and token_expired(token):
        token.delete()
        token = None
    if token is not None:
        return token
    try:
        with transaction.atomic():  # a savepoint: losing the race leaves the caller's transaction usable
            return Token.objects.get_or_create(user=user)[0]
    except IntegrityError:
        return Token.objects.get(user=user)


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's ``Authorization: Token <key>``, refused with 401 once the token has expired (and the token deleted)."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            token.delete()
            raise exceptions.AuthenticationFailed(_("Your API token has expired; obtain a new one."), code="token_expired")
        return user, token


def revoke_tokens(user):
    from rest_framework.authtoken.models import Token

    if user is not None and user.pk is not None:
        Token.objects.filter(user_id=user.pk).delete()


def _on_logout(sender, request, user, **kwargs):
    revoke_tokens(user)


def _on_user_save(sender, instance, raw=False, update_fields=None, **kwargs):
    """Before a user row is written: a changed password hash or a deactivation ends every API token."""
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. the last_login update at every login
    stored = sender._default_manager.filter(pk=instance.pk).values_list("password", "is_active").first()
    if stored is None:
        return
    password, was_active = stored
    if password != instance.password or (was_active and not instance.is_active):
        revoke_tokens(instance)


def connect_signals():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.signals import user_logged_out
    from django.db.models.signals import pre_save

    user_logged_out.connect(_on_logout, dispatch_uid="huicai.api.revoke_tokens_on_logout")
    pre_save.connect(_on_user_save, sender=get_user_model(), dispatch_uid="huicai.api.revoke_tokens_on_user_save")
