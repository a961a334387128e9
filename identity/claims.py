"""What the identity provider's claims say, read through the claim names the deployment configures
(``HUICAI_OIDC_CLAIMS``, ``HUICAI_OIDC_ID_TYPES`` in huicai/settings/base.py)."""

from dataclasses import dataclass

from django.conf import settings

from casefiles.models import IdType


@dataclass(frozen=True)
class VerifiedClaims:
    name: str
    id_type: str  # one of casefiles.models.IdType, "" when the provider's value is not one we know
    id_number: str
    staff_account: str  # the username of the Huicai staff account the provider says this person holds, or ""
    email: str


def _text(claims, key):
    value = claims.get(settings.HUICAI_OIDC_CLAIMS[key]) if settings.HUICAI_OIDC_CLAIMS.get(key) else None
    return value.strip() if isinstance(value, str) else ""


def id_type_of(value):
    """The IdType of the provider's ID-type value: its own spelling, mapped by HUICAI_OIDC_ID_TYPES, or ours;
    an absent value is a resident identity card (what a mainland provider verifies); an unknown one is ""."""
    if not value:
        return IdType.RESIDENT_ID.value
    mapped = settings.HUICAI_OIDC_ID_TYPES.get(value, value)
    return mapped if mapped in IdType.values else ""


def claims_read(claims):
    """VerifiedClaims from the merged ID-token and userinfo claims."""
    return VerifiedClaims(
        name=_text(claims, "name"),
        id_type=id_type_of(_text(claims, "id_type")),
        id_number=_text(claims, "id_number").upper(),
        staff_account=_text(claims, "staff_account"),
        email=_text(claims, "email"),
    )
