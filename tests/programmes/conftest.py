import random

import pytest
from django.contrib.auth import get_user_model

PASSWORD = "test-pass-12345"


@pytest.fixture(scope="module", autouse=True)
def _schemes_loaded_for_the_module(schemes_once):
    """Every module here starts its tests from the five schemes, loaded once per module (tests/conftest.py)."""


@pytest.fixture
def schemes(db):
    """The five schemes with their departments and demo staff (no dossiers)."""
    from tests.casefiles.factories import setup_schemes

    return setup_schemes()


def user(username):
    return get_user_model().objects.get(username=username)


def staff_of(scheme, code, username=None):
    """A (new) staff member of one of the scheme's departments."""
    from casefiles.models import Membership, Role

    department = scheme.departments.get(code=code)
    person, _created = get_user_model().objects.get_or_create(
        username=username or f"{scheme.slug}.{code}.t", defaults={"is_staff": True, "email": f"{scheme.slug}.{code}.t@example.org"}
    )
    person.set_password(PASSWORD)
    person.save()
    Membership.objects.get_or_create(user=person, department=department, defaults={"role": Role.REVIEWER})
    person.groups.add(department.group)
    return person


def dossier_in(slug, state, seed=1, tier=None, criterion=None):
    """A dossier of the scheme's applicant in ``state``; ``criterion`` (a ref) is the claim, else one whose route
    reaches the state."""
    from casefiles.demo_dossiers import dossier_in_state, drive_to
    from casefiles.models import Scheme

    if criterion:
        from tests.casefiles.factories import new_dossier

        return drive_to(new_dossier(slug, criterion=criterion, seed=seed), state)

    scheme = Scheme.objects.get(slug=slug)
    tier_obj = scheme.tiers.get(code=tier) if tier else None
    dossier = dossier_in_state(scheme, user(f"{slug}.applicant"), random.Random(seed), state, with_attachment=False, tier=tier_obj)
    if dossier is None:
        raise LookupError(f"{slug}: no route reaches {state}")
    return dossier
