"""The authentication backend for sign-in through the identity provider (mozilla-django-oidc 5.0).

mozilla-django-oidc runs the authorization-code flow (state, nonce, PKCE, the token request, the ID token's
signature against the provider's JWKS); this backend adds what it leaves to the site: the ID token's issuer,
audience and subject are checked, and the account is found or made by ``identity.services.provider_sign_in``
from the verified claims instead of by e-mail address.
"""

import logging

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from .exceptions import ProviderSignInRefused
from .selectors import provider_sign_in_enabled

logger = logging.getLogger(__name__)

#: Where the callback view finds why the backend refused (the request outlives the backend instance).
REFUSAL_ATTRIBUTE = "identity_refusal"


class ProviderBackend(OIDCAuthenticationBackend):
    """Always listed in AUTHENTICATION_BACKENDS: it answers nothing while the provider is not configured (its
    parent reads the OIDC_* settings when made, which a site without them does not have)."""

    def __init__(self, *args, **kwargs):
        self.enabled = provider_sign_in_enabled()
        if self.enabled:
            super().__init__(*args, **kwargs)
        else:
            self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if not self.enabled:
            return None
        try:
            return super().authenticate(request, **kwargs)
        except (requests.RequestException, SuspiciousOperation, jwt.PyJWTError) as exc:
            # The provider did not answer, refused the code, or sent a token that does not verify: no sign-in, and
            # the person sees the general failure message (the callback view), not an error page.
            logger.warning("Sign-in through the identity provider failed: %s", type(exc).__name__)
            return None

    def get_user(self, user_id):
        return ModelBackend.get_user(self, user_id)  # also refuses an account deactivated since (user_can_authenticate)

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        issuer = settings.OIDC_OP_ISSUER
        if issuer and payload.get("iss") != issuer:
            raise SuspiciousOperation("ID token issuer does not match OIDC_OP_ISSUER.")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token audience is not this client.")
        if not payload.get("sub"):
            raise SuspiciousOperation("ID token has no subject.")
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        from .services import provider_sign_in

        userinfo = self.get_userinfo(access_token, id_token, payload)
        if str(userinfo.get("sub")) != str(payload["sub"]):  # OpenID Connect Core 5.3.2
            raise SuspiciousOperation("Userinfo subject differs from the ID token's.")
        claims = {**userinfo, **payload}  # the signed ID token wins where both carry a claim
        try:
            return provider_sign_in(
                issuer=payload.get("iss") or settings.OIDC_OP_ISSUER, subject=str(payload["sub"]), claims=claims
            )
        except ProviderSignInRefused as refusal:
            logger.info("Sign-in through the identity provider refused: %s", refusal.code)
            setattr(self.request, REFUSAL_ATTRIBUTE, refusal.message)
            return None
