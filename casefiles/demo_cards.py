"""Demo cards: a few per scheme, issued by walking real dossiers through their workflow as the demo users.

``issue_card`` is also what tests and benchmarks use to get an issued card without bypassing a service.
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .models import Card, CardStatus, Department, DepartmentKind, RevocationReason, Scheme
from .testing import demo_facts, demo_user_for, fire, identity, path_to

CARDS_PER_SCHEME = 3


def _applicant(scheme, password=None):
    User = get_user_model()
    n = User.objects.filter(username__startswith=f"{scheme.slug}.holder").count() + 1
    while User.objects.filter(username=f"{scheme.slug}.holder{n}").exists():
        n += 1
    from .demo import demo_person_name

    username = f"{scheme.slug}.holder{n}"
    last, first = demo_person_name(username)
    user = User(username=username, email=f"{username}@example.org", last_name=last, first_name=first)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


def issue_card(scheme, *, rng=None, tier=None, employer=None, authority=None, applicant=None, criteria=None,
               facts=None, password=None, contract_end=None, **overrides):
    """Create a dossier for a new applicant and fire the shortest path to ``issued``; returns the card."""
    from .services.dossiers import dossier_create

    rng = rng or random.Random()
    if isinstance(scheme, str):
        scheme = Scheme.objects.get(slug=scheme)
    from .testing import attach_required_materials, route_choice

    facts = demo_facts(scheme) if facts is None else facts

    issued = scheme.transitions.filter(issues_card=True).select_related("target").order_by("order").first().target.code
    if criteria is None:
        chosen_tier, criterion = route_choice(scheme, issued, facts, tier=tier)
        tier, criteria = tier or chosen_tier, [criterion] if criterion else None
    tier = tier or scheme.tiers.order_by("rank").first()
    employer = employer or Department.objects.filter(jurisdiction=scheme.jurisdiction, kind=DepartmentKind.EMPLOYER).order_by("pk").first()
    if authority is None and scheme.authority_kind:
        authority = scheme.departments.filter(kind=scheme.authority_kind).order_by("pk").first()
    if applicant is None:
        # A new holder files under the name of their account (the rng still draws its name, so the rest is unchanged).
        applicant = _applicant(scheme, password)
        overrides.setdefault("applicant_name", applicant.last_name + applicant.first_name)
    dossier = dossier_create(
        applicant=applicant, scheme=scheme, requested_tier=tier, criteria=criteria or list(tier.criteria.all()[:1]),
        facts=facts or {}, employer=employer, authority=authority,
        contract_end=contract_end if contract_end is not None else timezone.localdate() + datetime.timedelta(days=3 * 365),
        **identity(rng, **overrides),
    )
    attach_required_materials(dossier)
    for transition in path_to(scheme, issued, dossier=dossier):
        dossier.refresh_from_db()
        dossier = fire(dossier, transition)
    return Card.objects.filter(dossier=dossier).latest("pk")


def prepare_schemes(slugs, password="demo-pass-123"):
    """Load some schemes with the demo employers and users of ``load_schemes_and_users`` (for tests and
    benchmarks that need fewer than all five)."""
    from .demo import _member, _user, demo_employers
    from .models import Role
    from .schemes.loader import SCHEME_DIR, read_yaml, schemes_load, workflow_department_codes

    schemes = schemes_load(tuple(slugs))
    for scheme in schemes:
        employers = []
        for code, name, sector in demo_employers(scheme):
            employer, _created = Department.objects.update_or_create(
                jurisdiction=scheme.jurisdiction, code=code, defaults={"name": name, "kind": DepartmentKind.EMPLOYER, "sector": sector}
            )
            employers.append(employer)
        _member(_user(f"{scheme.slug}.employer", password, email=f"{scheme.slug}.employer@example.org"), employers[0], Role.EMPLOYER_CONTACT)
        _member(_user(f"{scheme.slug}.employer2", password), employers[1], Role.EMPLOYER_CONTACT)
        for code in sorted(workflow_department_codes(read_yaml(SCHEME_DIR / f"{scheme.slug}.yaml"))):
            staff = _user(f"{scheme.slug}.{code}", password, is_staff=True, email=f"{scheme.slug}.{code}@example.org")
            _member(staff, scheme.departments.get(code=code), Role.REVIEWER)
            colleague = _user(f"{scheme.slug}.{code}.2", password, is_staff=True, email=f"{scheme.slug}.{code}.2@example.org")
            _member(colleague, scheme.departments.get(code=code), Role.REVIEWER)
    return schemes


def load_cards(password=None, stdout=None):
    """A few cards per scheme; one expired (通化) and one revoked (楚雄). Idempotent: skips a scheme that has cards."""
    from .services.cards import card_revoke, cards_expire_due

    rng = random.Random(20260612)
    made = []
    for scheme in Scheme.objects.order_by("slug"):
        if Card.objects.filter(scheme=scheme).exists():
            continue
        with transaction.atomic():
            for i in range(CARDS_PER_SCHEME):
                tier = list(scheme.tiers.order_by("-rank"))[i % scheme.tiers.count()]
                made.append(issue_card(scheme, rng=rng, tier=tier, password=password))
        if stdout:
            stdout.write(f"  {scheme.slug}: {CARDS_PER_SCHEME} cards")
    tonghua = Card.objects.filter(scheme__slug="tonghua", status=CardStatus.ACTIVE).order_by("pk").first()
    if tonghua and not Card.objects.filter(scheme__slug="tonghua", status=CardStatus.EXPIRED).exists():
        Card.objects.filter(pk=tonghua.pk).update(valid_from=timezone.localdate() - datetime.timedelta(days=5 * 365),
                                                  valid_until=timezone.localdate() - datetime.timedelta(days=1))
        cards_expire_due()
    chuxiong = Card.objects.filter(scheme__slug="chuxiong", status=CardStatus.ACTIVE).order_by("pk").first()
    if chuxiong and not Card.objects.filter(scheme__slug="chuxiong", status=CardStatus.REVOKED).exists():
        reason = RevocationReason.objects.get(scheme=chuxiong.scheme, ref="9.4")
        staff = demo_user_for(chuxiong.dossier, "talent-office")
        card_revoke(card=chuxiong, reason=reason, user=staff, comment="与州内用人单位终止合作关系（演示数据）。")
    return made
