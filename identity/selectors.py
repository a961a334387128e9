"""Reads: is sign-in through the identity provider on, and what did it verify about an account."""

from django.conf import settings

#: Dossier identity fields the provider's claims fill and the applicant cannot change.
VERIFIED_FIELDS = ("applicant_name", "id_type", "id_number")


def provider_sign_in_enabled():
    """Sign-in through the identity provider is configured (huicai/settings/base.py: OIDC_* from the environment)."""
    return bool(getattr(settings, "HUICAI_OIDC_ENABLED", False))


def verified_identity(user):
    """{dossier field: value} the identity provider verified for ``user`` plus ``"source"`` (the provider), or None
    for an account that signs in with a password or an officer's link."""
    if user is None or not user.is_authenticated:
        return None
    from .models import ProviderAccount

    account = ProviderAccount.objects.filter(user=user).first()
    if account is None or not account.verifies_identity:
        return None
    return {
        "applicant_name": account.name,
        "id_type": account.id_type,
        "id_number": account.id_number,
        "source": account.issuer,
    }
