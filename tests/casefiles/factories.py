"""Test data: schemes from their data files, demo users, and dossiers made through the services."""

import random

from django.contrib.auth import get_user_model

from casefiles.demo import load_schemes_and_users
from casefiles.demo_dossiers import make_dossier
from casefiles.models import Scheme

PASSWORD = "test-pass-12345"


# True while the ``schemes_once`` fixture (tests/conftest.py) holds the five schemes loaded for the module.
PRELOADED = {"schemes": False}  # or how schemes_once loaded them: "lifted periods" / "real periods"


def setup_schemes():
    """The five shipped schemes and their demo users; loaded here unless ``schemes_once`` loaded them for the module
    (then each test starts from them, rolled back to the loaded state; files as shipped are loaded again for a test
    marked ``real_scheme_periods``)."""
    from tests.conftest import periods_lifted

    if PRELOADED["schemes"] != ("lifted periods" if periods_lifted() else "real periods"):
        load_schemes_and_users(password=PASSWORD)
    return {s.slug: s for s in Scheme.objects.all()}


def user(username):
    return get_user_model().objects.get(username=username)


def colleague_if_last(dossier, username, previous=None):
    """The named officer, or their demo colleague (``<username>.2``) when the named one made the dossier's last
    decision (four eyes: the same person may not decide twice in a row)."""
    last = previous or (dossier.opinions.order_by("-created_at", "-pk").first().actor if dossier.opinions.exists() else None)
    named = user(username)
    if last is not None and last.pk == named.pk and not username.endswith(".applicant"):
        return user(f"{username}.2")
    return named


def new_dossier(slug, *, tier=None, authority=None, seed=1, applicant=None, criterion=None):
    """A draft with its required materials; ``criterion`` (a ref such as "8.3") is the one claimed, in its tier."""
    scheme = Scheme.objects.get(slug=slug)
    claimed = scheme.criteria.select_related("tier").get(ref=criterion) if criterion else None
    tier_obj = scheme.tiers.get(code=tier) if tier else (claimed.tier if claimed else None)
    return make_dossier(scheme, applicant or user(f"{slug}.applicant"), random.Random(seed), tier=tier_obj, authority=authority,
                        criterion=claimed)


def decided_dossier(seed):
    """(a dossier driven to the first end state a path reaches, in the first scheme that has one; its first document,
    read before the decision)."""
    from casefiles.demo_dossiers import drive_to
    from casefiles.models import StateKind
    from casefiles.testing import path_to

    for scheme in Scheme.objects.order_by("slug"):
        ends = [s for s in scheme.states.filter(kind=StateKind.END).order_by("order") if path_to(scheme, s.code)]
        if ends:
            break
    dossier = new_dossier(scheme.slug, seed=seed)
    document = dossier.documents.first()
    return drive_to(dossier, ends[0].code), document


def other_scheme_officer(scheme, *, admin=False):
    """A member of a department of another scheme that has no part in ``scheme`` (``admin``: one who may use the
    Wagtail admin)."""
    from casefiles.models import Department

    mine = set(scheme.departments.values_list("pk", flat=True))
    for department in Department.objects.exclude(pk__in=mine).exclude(group=None).order_by("pk"):
        person = get_user_model().objects.filter(groups=department.group, is_superuser=False).first()
        if person is not None and not department.schemes.filter(pk=scheme.pk).exists():
            if not admin or person.has_perm("wagtailadmin.access_admin"):
                return person
    raise AssertionError("no officer of another scheme")
