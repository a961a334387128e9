"""Demo dossiers: for every scheme, one dossier in every workflow state, each driven there through the
real workflow service by the demo users, so every demo department has a non-empty worklist."""

import random

from django.contrib.auth import get_user_model

from .models import Department, DepartmentKind, Dossier, Scheme
from .services.dossiers import dossier_create
from .testing import attach_required_materials, demo_facts, fire, identity, path_to, route_choice


# A 1×1 PNG: the smallest real file the attachment checks accept.
DEMO_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cf"
    "c0f01f0005000201a5f5f0a40000000049454e44ae426082"
)


def make_dossier(scheme, applicant, rng, tier=None, authority=None, with_attachment=True, criterion=None):
    tier = tier or scheme.tiers.order_by("rank").first()
    criterion = criterion or tier.criteria.order_by("order").first()
    employer = Department.objects.filter(jurisdiction=scheme.jurisdiction, kind=DepartmentKind.EMPLOYER).order_by("pk").first()
    if authority is None and scheme.authority_kind:
        authority = scheme.departments.filter(kind=scheme.authority_kind).order_by("pk").first()
    dossier = dossier_create(
        applicant=applicant,
        scheme=scheme,
        requested_tier=tier,
        criteria=[criterion] if criterion else [],
        facts=demo_facts(scheme),
        employer=employer,
        authority=authority,
        **identity(rng, contract_end=None),
    )
    if with_attachment:
        attach_required_materials(dossier)  # every material the scheme's data requires of it (materials_for)
    return dossier


def drive_to(dossier, state_code):
    path = path_to(dossier.scheme, state_code, dossier=dossier)
    if path is None:
        raise LookupError(f"{dossier.scheme.slug}: state {state_code} is unreachable")
    for transition in path:
        dossier = fire(dossier, transition)
    return dossier


def dossier_in_state(scheme, applicant, rng, state_code, with_attachment=True, tier=None):
    """A new dossier of ``applicant`` claiming a criterion (of ``tier`` if given) whose route reaches
    ``state_code``, with the required materials, driven there through the real workflow; None if no route
    of the scheme reaches it."""
    tier, criterion = route_choice(scheme, state_code, demo_facts(scheme), tier=tier)
    if tier is None:
        return None
    dossier = make_dossier(scheme, applicant, rng, tier=tier, criterion=criterion, with_attachment=with_attachment)
    return drive_to(dossier, state_code)


def load_dossiers(password=None, stdout=None, rng=None):
    rng = rng or random.Random(20261122)
    User = get_user_model()
    made = 0
    for scheme in Scheme.objects.order_by("pk"):
        applicant = User.objects.get(username=f"{scheme.slug}.applicant")
        if Dossier.objects.filter(scheme=scheme, applicant=applicant).exists():
            continue
        for state in scheme.states.order_by("order"):
            dossier_in_state(scheme, applicant, rng, state.code)
            made += 1
    if stdout:
        stdout.write(f"  demo dossiers created: {made}")
    return made
