"""PIPL: the mobile number an applicant signs in with (phoneauth) is part of their data export and goes with their
erasure, with the codes sent to it (tests/security/test_privacy.py covers the rest of both)."""

import json
import zipfile

import pytest
from django.utils import timezone

from casefiles.models import SmsOutbox
from casefiles.services.dossiers import dossier_transition
from casefiles.services.privacy import holder_erase, holder_export
from phoneauth.models import PhoneAccount
from tests.security.people import BOB, scan_database, start

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("schemes_once")]

SIGN_IN_PHONE = "13700001111"  # not the dossier's number


def test_export_and_erasure_include_the_sign_in_number(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"
    dossier = start(BOB)
    PhoneAccount.objects.create(user=dossier.applicant, phone=SIGN_IN_PHONE, verified_at=timezone.now())
    SmsOutbox.objects.create(phone=SIGN_IN_PHONE, text="【惠才】验证码：123456")
    with zipfile.ZipFile(holder_export(who=BOB.username)) as archive:
        bundle = json.loads(archive.read("data.json"))
    assert bundle["accounts"][0]["phone_sign_in"][0]["phone"] == SIGN_IN_PHONE
    assert [m["phone"] for m in bundle["sms"]] == [SIGN_IN_PHONE]
    dossier_transition(dossier=dossier, transition="withdraw", user=dossier.applicant)
    holder_erase(who=BOB.username)
    assert not PhoneAccount.objects.exists()
    assert scan_database([SIGN_IN_PHONE]) == {}
