"""Signing in the person the identity provider vouches for: find or make their account, record what it verified.

An applicant gets an account of their own the first time (a plain account: no staff flag, no department, no
password); their name, ID type and ID number are stored as the provider verified them and fill their dossiers.
An officer is matched to the staff account Huicai already has, named by a claim (HUICAI_OIDC_CLAIMS
"staff_account"); a login never creates a staff account nor makes one out of an applicant's.
"""

import hashlib

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casefiles.masking import resident_id_checksum_ok
from casefiles.models import IdType
from casefiles.permissions import is_staff_account

from .claims import claims_read
from .exceptions import ProviderSignInRefused
from .models import ProviderAccount


def provider_username(issuer, subject):
    """A stable username for an applicant's account, from the provider and its identifier (no personal data)."""
    return "idp-" + hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:24]


def _refuse_unknown_staff():
    return ProviderSignInRefused(
        _(
            "The identity provider names a staff account that Huicai does not have. Please ask your administrator to "
            "create it or to correct the account name at the provider."
        ),
        code="staff_unknown",
    )


def _applicant_identity(verified):
    if not verified.name or not verified.id_number:
        raise ProviderSignInRefused(
            _(
                "The identity provider did not confirm your name and ID number, so you cannot sign in with it. Please "
                "complete your real-name verification at the provider and try again."
            ),
            code="identity_missing",
        )
    if not verified.id_type:
        raise ProviderSignInRefused(
            _("The identity provider sent a kind of ID document Huicai does not know."), code="id_type_unknown"
        )
    if verified.id_type == IdType.RESIDENT_ID and not resident_id_checksum_ok(verified.id_number):
        raise ProviderSignInRefused(
            _("The ID number the identity provider sent is not a valid resident ID number."), code="id_number_invalid"
        )


def _officer_sign_in(*, issuer, subject, verified, now):
    User = get_user_model()
    user = User.objects.filter(username=verified.staff_account).first()
    if user is None or not user.is_active or not is_staff_account(user):
        raise _refuse_unknown_staff()
    if ProviderAccount.objects.filter(user=user).exists():
        raise ProviderSignInRefused(
            _(
                "This staff account is already linked to another identity at the provider. "
                "Please ask your administrator."
            ),
            code="staff_linked",
        )
    ProviderAccount.objects.create(user=user, issuer=issuer, subject=subject, verified_at=now)
    return user


@transaction.atomic
def provider_sign_in(*, issuer, subject, claims, now=None):
    """The account to sign in for the provider's ``subject`` with ``claims`` (ID token and userinfo merged).

    Raises ProviderSignInRefused with the reason for the person."""
    now = now or timezone.now()
    verified = claims_read(claims)
    account = ProviderAccount.objects.select_for_update().select_related("user")
    account = account.filter(issuer=issuer, subject=subject).first()
    if account is not None:
        user = account.user
        if not user.is_active:
            raise ProviderSignInRefused(_("This account has been deactivated."), code="inactive")
        if is_staff_account(user) and not account.verifies_identity:
            if verified.staff_account and verified.staff_account != user.username:
                raise _refuse_unknown_staff()
            account.verified_at = now
            account.save(update_fields=["verified_at"])
            return user
        _applicant_identity(verified)
        account.name, account.id_type, account.id_number = verified.name, verified.id_type, verified.id_number
        account.verified_at = now
        account.save(update_fields=["name", "id_type", "id_number", "verified_at"])
        if user.first_name != verified.name:
            user.first_name, user.last_name = verified.name, ""
            user.save(update_fields=["first_name", "last_name"])
        return user
    if verified.staff_account:
        return _officer_sign_in(issuer=issuer, subject=subject, verified=verified, now=now)
    _applicant_identity(verified)
    user = get_user_model().objects.create_user(
        provider_username(issuer, subject), email=verified.email, first_name=verified.name
    )  # no password: this person signs in through the provider
    ProviderAccount.objects.create(
        user=user,
        issuer=issuer,
        subject=subject,
        name=verified.name,
        id_type=verified.id_type,
        id_number=verified.id_number,
        verified_at=now,
    )
    return user
