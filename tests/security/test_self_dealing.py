"""The self-dealing floor (issue #15, item 1), swept over every scheme, every acting user and every transition.

A probe of the demo found ``liaocheng.hr-bureau`` filing its own application through the API, submitting it,
approving it and issuing the card: one person, one card. ``jilin.employer`` filed and recommended its own.
The floor: nobody decides on a dossier or card where they are the applicant or holder; a staff account (Django
staff, or a member of any department, employer contacts included) does not apply; an employer's contact acts
only in the steps the scheme data gives the employer. Each refusal is a 403 with a Chinese message, stores
nothing and leaves a ``*.refused`` journal entry behind although the service's transaction rolled back.

Who acts where is read from the scheme data (states' ``actor``, transitions' ``by``), never written out here.
Every forced attempt runs in a savepoint rolled back afterwards, so on the old code an allowed attempt does
not move the dossier and hide the next case. Each sweep asserts "none of N cases allowed" and prints N.
"""

import random

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from rest_framework.test import APIClient

from casefiles.demo import load_schemes_and_users
from casefiles.actions.transition import TransitionAction
from casefiles.demo_dossiers import dossier_in_state, drive_to, make_dossier
from casefiles.exceptions import CaseFileError, TransitionDenied
from casefiles.exceptions import SelfDealing
from casefiles.models import (
    Card,
    Department,
    DepartmentKind,
    Dossier,
    JournalEntry,
    Membership,
    RevocationReason,
    Scheme,
    StateKind,
)
from casefiles.permissions import grants_recompute
from casefiles.selectors import transitions_available
from casefiles.services.journal import journal_verify
from casefiles.testing import demo_user_for, identity, path_to

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

PASSWORD = "selfdeal-pass-123"
REFUSED_DOSSIER = "casefiles.dossier.refused"
REFUSED_CARD = "casefiles.card.refused"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The five schemes and their demo users, loaded once for the module inside a transaction rolled back at
    its end (each test still runs in its own savepoint)."""
    from tests.conftest import rolled_back

    with rolled_back(django_db_blocker):
        load_schemes_and_users(password=PASSWORD)
        yield {s.slug: s for s in Scheme.objects.order_by("slug")}


@pytest.fixture
def schemes(db, world):
    return world


def has_cjk(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def zh(message):
    with translation.override("zh-hans"):
        return gettext(message)


def principals_of(transition, state):
    """The principals who fire ``transition`` from ``state``, as the scheme data names them."""
    names = [p.strip() for p in transition.by.split(",")]
    return [state.actor if p == "actor" else p for p in names]


def acting_users(scheme):
    """Every user who acts in the scheme's workflow: members of the departments its states and transitions
    name (``authority`` standing for the departments of the scheme's authority kind, ``employer`` for the
    employers of its jurisdiction), plus the administrator."""
    codes, employer, authority = set(), False, False
    for state in scheme.states.all():
        for transition in state.outgoing.all():
            for principal in principals_of(transition, state):
                if principal == "employer":
                    employer = True
                elif principal == "authority":
                    authority = True
                elif principal != "applicant":
                    codes.add(principal)
    departments = Department.objects.filter(schemes=scheme, code__in=codes)
    if authority:
        departments = departments | Department.objects.filter(schemes=scheme, kind=scheme.authority_kind)
    if employer:
        departments = departments | Department.objects.filter(jurisdiction=scheme.jurisdiction, kind=DepartmentKind.EMPLOYER)
    users = get_user_model().objects.filter(memberships__department__in=departments).distinct().order_by("username")
    return list(users) + list(get_user_model().objects.filter(is_superuser=True))


def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def api_body(scheme, person):
    employer = Department.objects.filter(jurisdiction=scheme.jurisdiction, kind=DepartmentKind.EMPLOYER).order_by("pk").first()
    authority = scheme.departments.filter(kind=scheme.authority_kind).order_by("pk").first() if scheme.authority_kind else None
    return {
        "scheme": scheme.slug, "tier": scheme.tiers.order_by("rank").first().code, "criteria": [],
        "applicant_name": person["applicant_name"], "id_type": "resident_id", "id_number": person["id_number"],
        "phone": person["phone"], "employer": employer.pk, "authority": authority.pk if authority else None,
    }


def portal_data(scheme, person):
    body = api_body(scheme, person)
    data = {
        "scheme": scheme.slug, "requested_tier": scheme.tiers.order_by("rank").first().pk,
        "applicant_name": person["applicant_name"], "id_type": "resident_id", "id_number": person["id_number"],
        "nationality": "中国", "phone": person["phone"], "email": "", "employer": body["employer"],
    }
    if body["authority"]:
        data.update(authority=body["authority"], sector="企业")
    return data


def refusals(action, actor, **filters):
    return JournalEntry.objects.filter(action=action, actor=actor, **filters)


# --- 1. staff accounts do not apply ----------------------------------------------------------------------


def test_no_staff_account_can_file_an_application_through_the_api_or_the_portal(schemes):
    message = zh("A staff account cannot apply for a talent card. Please apply with your separate personal account.")
    cases, allowed, rng = 0, [], random.Random(15)
    for slug, scheme in schemes.items():
        users = acting_users(scheme)
        assert len(users) >= 3, slug
        # the same request by the scheme's applicant goes through: the sweep is not refusing a broken body
        ok = api_as(get_user_model().objects.get(username=f"{slug}.applicant")).post(
            "/api/v1/dossiers/", api_body(scheme, identity(rng)), format="json")
        assert ok.status_code == 201, (slug, ok.content[:300])
        for user in users:
            before = Dossier.objects.filter(applicant=user).count()
            journaled = refusals(REFUSED_DOSSIER, user).count()
            with transaction.atomic():
                response = api_as(user).post("/api/v1/dossiers/", api_body(scheme, identity(rng)), format="json")
                if response.status_code != 403 or Dossier.objects.filter(applicant=user).count() != before:
                    allowed.append(("api", user.username, slug, response.status_code))
                else:
                    assert response.json()["error"]["message"] == message
                    assert refusals(REFUSED_DOSSIER, user).count() == journaled + 1
                transaction.set_rollback(True)
            with transaction.atomic():
                portal = Client()
                portal.force_login(user)
                response = portal.post(reverse("portal_application_new"), portal_data(scheme, identity(rng)))
                if response.status_code != 403 or Dossier.objects.filter(applicant=user).count() != before:
                    allowed.append(("portal", user.username, slug, response.status_code))
                else:
                    assert message in response.content.decode()
                    assert refusals(REFUSED_DOSSIER, user).count() == journaled + 1
                    entry = refusals(REFUSED_DOSSIER, user).latest("pk")
                    assert entry.dossier_id is None and entry.data["attempt"] == "create"
                    assert entry.data["reason"] == "staff_applicant"
                transaction.set_rollback(True)
            cases += 2
    print(f"staff filing sweep: {cases} attempts (api + portal), {len(allowed)} allowed")
    assert not allowed, f"{len(allowed)} of {cases} attempts by staff accounts filed a dossier: {allowed[:10]}"


def test_the_refusal_survives_the_services_rollback(schemes):
    """Outside any caller's transaction (as the API runs), the journal entry of a refused attempt is committed
    although the service's own transaction rolled back; nothing else of the attempt is stored."""
    from casefiles.services.dossiers import dossier_create

    scheme = schemes["liaocheng"]
    staff = get_user_model().objects.get(username="liaocheng.hr-bureau")
    count, dossiers = refusals(REFUSED_DOSSIER, staff).count(), Dossier.objects.count()
    with pytest.raises(SelfDealing) as info:
        dossier_create(applicant=staff, scheme=scheme, requested_tier=scheme.tiers.first(), **identity(random.Random(2)))
    assert info.value.code == "staff_applicant" and has_cjk(zh(info.value.message))
    assert Dossier.objects.count() == dossiers
    assert refusals(REFUSED_DOSSIER, staff).count() == count + 1
    entry = refusals(REFUSED_DOSSIER, staff).latest("pk")
    assert entry.data == {"reason": "staff_applicant", "attempt": "create", "scheme": scheme.slug, "service": "dossier_create"}
    assert journal_verify() is None


def test_exactly_one_refusal_entry_survives_nested_services(schemes):
    """A refusal raised by a service that another wrapped service called (a card service firing a workflow
    step, a meeting's decision) leaves one entry: the inner one is rolled back with the outer transaction,
    the outer wrapper writes it again. A caller that catches inside its own transaction keeps the inner one."""
    from casefiles.services.refusals import refusals_journaled

    actor = get_user_model().objects.get(username="jilin.hr-bureau")

    @refusals_journaled
    @transaction.atomic
    def inner():
        JournalEntry.objects.none()  # a query inside the service's transaction
        raise SelfDealing("x", code="own_dossier", journal={"actor": actor, "data": {"attempt": "nested"}})

    @refusals_journaled
    @transaction.atomic
    def outer():
        inner()

    count = refusals(REFUSED_DOSSIER, actor).count()
    with pytest.raises(SelfDealing):
        outer()
    assert refusals(REFUSED_DOSSIER, actor).count() == count + 1
    with transaction.atomic():
        with pytest.raises(SelfDealing):
            inner()
    assert refusals(REFUSED_DOSSIER, actor).count() == count + 2
    assert refusals(REFUSED_DOSSIER, actor).latest("pk").data == {"reason": "own_dossier", "attempt": "nested", "service": "inner"}
    assert journal_verify() is None


# --- 2. nobody decides on their own dossier ---------------------------------------------------------------


def _dossiers_in_every_state(scheme, rng):
    """One dossier (of the scheme's applicant) in each state that has outgoing transitions."""
    applicant = get_user_model().objects.get(username=f"{scheme.slug}.applicant")
    found = []
    for state in scheme.states.exclude(kind=StateKind.END).order_by("order"):
        if not state.outgoing.exists():
            continue
        dossier = dossier_in_state(scheme, applicant, rng, state.code, with_attachment=False)
        if dossier is None:
            continue
        found.append(Dossier.objects.select_related("scheme", "state", "employer", "authority").get(pk=dossier.pk))
    return found


def _entitled(user, dossier, transition):
    """May the user fire the transition on this dossier, the route's guards and controls aside (who, not when)?"""
    try:
        TransitionAction(dossier, transition, user).check(comment_required=False, guards=False)
    except (CaseFileError, TransitionDenied):
        return False
    return True


def _make_applicant(dossier, user):
    """The dossier as if ``user`` had filed it (the probe's case, or a dossier filed before the floor)."""
    Dossier.objects.filter(pk=dossier.pk).update(applicant=user)
    dossier = Dossier.objects.select_related("scheme", "state", "employer", "authority").get(pk=dossier.pk)
    grants_recompute(dossier)
    return dossier


def _force(user, dossier, transition, action=REFUSED_DOSSIER):
    """Offer and forced API call, in a savepoint rolled back: None if refused (and journaled), else what got through."""
    with transaction.atomic():
        offered = transition in transitions_available(user, dossier)
        journaled = refusals(action, user, dossier=dossier).count()
        response = api_as(user).post(f"/api/v1/dossiers/{dossier.pk}/transitions/",
                                     {"transition": transition.code, "comment": "自审自批。", "expected_state": dossier.state.code},
                                     format="json")
        moved = Dossier.objects.get(pk=dossier.pk).state_id != dossier.state_id
        result = None
        if offered or moved or response.status_code != 403:
            result = {"offered": offered, "status": response.status_code, "moved": moved}
        else:
            assert has_cjk(response.json()["error"]["message"]), response.json()
            assert refusals(action, user, dossier=dossier).count() == journaled + 1
            assert refusals(action, user, dossier=dossier).latest("pk").data["attempt"] == transition.code
        transaction.set_rollback(True)
    return result


def test_nobody_decides_on_a_dossier_where_they_are_the_applicant(schemes):
    """Every transition of every scheme, from every state it leaves, by every principal the data names: the user
    entitled to fire it is made the dossier's applicant (for the applicant's own steps: a staff account is).
    The step is not offered, and forcing it through the API is a journaled 403 that changes nothing."""
    rng = random.Random(20261204)
    cases, allowed, controls = 0, [], 0
    for slug, scheme in schemes.items():
        staff = acting_users(scheme)[0]
        for dossier in _dossiers_in_every_state(scheme, rng):
            applicant = dossier.applicant
            for transition in dossier.state.outgoing.order_by("order"):
                for principal in principals_of(transition, dossier.state):
                    actor = demo_user_for(dossier, principal)
                    if actor is None:
                        continue
                    # control: the entitled person may fire it on someone else's dossier
                    assert _entitled(actor, dossier, transition), (slug, transition.code, principal)
                    controls += 1
                    with transaction.atomic():
                        own = _make_applicant(dossier, staff if principal == "applicant" else actor)
                        result = _force(own.applicant, own, transition)
                        if result:
                            allowed.append((own.applicant.username, slug, transition.code, result))
                        transaction.set_rollback(True)
                    cases += 1
            assert Dossier.objects.get(pk=dossier.pk).applicant == applicant
    print(f"own-dossier sweep: {cases} (user, scheme, transition) cases, {len(allowed)} allowed; {controls} controls offered")
    assert cases >= 50
    assert not allowed, f"{len(allowed)} of {cases} decisions on one's own dossier were allowed: {allowed[:10]}"


# --- 3. an employer's contact acts only in the employer's steps -------------------------------------------


def test_an_employer_contact_fires_only_the_employer_steps_of_its_own_employer(schemes):
    """For every scheme whose workflow gives the employer a step: on dossiers in every state, the contact of the
    dossier's employer is refused every transition whose principal is not the employer, whether the dossier
    is someone else's, their own (jilin.employer's probe) or the contact is also put in the acting
    department's group. The employer's own steps are offered on its own employer's dossiers only."""
    rng = random.Random(1515)
    cases, allowed, employer_steps = 0, [], 0
    for slug, scheme in schemes.items():
        dossiers = _dossiers_in_every_state(scheme, rng)
        if not any("employer" in principals_of(t, d.state) for d in dossiers for t in d.state.outgoing.all()):
            continue
        contact = demo_user_for(dossiers[0], "employer")
        other_employer = Department.objects.filter(jurisdiction=scheme.jurisdiction, kind=DepartmentKind.EMPLOYER).exclude(
            pk=dossiers[0].employer_id).first()
        for dossier in dossiers:
            for transition in dossier.state.outgoing.order_by("order"):
                principals = principals_of(transition, dossier.state)
                if "employer" in principals:
                    assert _entitled(contact, dossier, transition), (slug, transition.code)
                    with transaction.atomic():
                        Dossier.objects.filter(pk=dossier.pk).update(employer=other_employer)
                        moved = Dossier.objects.get(pk=dossier.pk)
                        grants_recompute(moved)
                        assert transition not in transitions_available(contact, moved), (slug, transition.code)
                        transaction.set_rollback(True)
                    employer_steps += 1
                    continue
                variants = [("someone else's", None), ("own", contact)]
                departments = [d for p in principals if (d := _department(dossier, p)) is not None]
                if departments:
                    variants.append(("also in the acting group", "group"))
                for label, variant in variants:
                    with transaction.atomic():
                        target = dossier
                        if variant == "group":
                            contact.groups.add(*[d.group for d in departments])
                        elif variant is not None:
                            target = _make_applicant(dossier, contact)
                        with transaction.atomic():
                            offered = transition in transitions_available(contact, target)
                            response = api_as(contact).post(
                                f"/api/v1/dossiers/{target.pk}/transitions/",
                                {"transition": transition.code, "comment": "越权操作。", "expected_state": target.state.code},
                                format="json")
                            moved = Dossier.objects.get(pk=target.pk).state_id != target.state_id
                            transaction.set_rollback(True)
                        if offered or moved or response.status_code not in (403, 404):
                            allowed.append((label, slug, transition.code, response.status_code))
                        transaction.set_rollback(True)
                    cases += 1
    print(f"employer-contact sweep: {cases} cases, {len(allowed)} allowed; {employer_steps} employer steps offered")
    assert employer_steps >= 2 and cases >= 20
    assert not allowed, f"{len(allowed)} of {cases} non-employer steps were allowed to an employer contact: {allowed[:10]}"


def _department(dossier, principal):
    if principal == "applicant":
        return None
    if principal == "employer":
        return dossier.employer
    if principal == "authority":
        return dossier.authority
    return dossier.scheme.departments.filter(code=principal).first()


# --- 4. nobody decides on their own card ------------------------------------------------------------------


def _card_decisions(card):
    """Every card service that takes a decision by a department, employer or bank, with arguments that pass
    its other checks. name -> callable(user)."""
    from casefiles.services import cards as services

    department_reason = next((r for r in RevocationReason.objects.filter(scheme=card.scheme).order_by("order")
                              if "department" in (r.requested_by or [])), None)
    employer_reason = next((r for r in RevocationReason.objects.filter(scheme=card.scheme).order_by("order")
                            if "employer" in (r.requested_by or []) and "holder" not in r.requested_by), None)
    decisions = {
        "card_report_particulars": lambda u: services.card_report_particulars(card=card, user=u, changes={"position": "总监"}),
    }
    if card.scheme.loss_article:
        # the holder reports the loss as the holder (their own step), then decides on the reissue
        decisions["card_reissue"] = lambda u: (services.card_report_loss(card=card, user=u),
                                               services.card_reissue(card=card, user=u, comment="登报声明作废。"))
    if department_reason is not None:
        decisions["card_revoke"] = lambda u: services.card_revoke(card=card, reason=department_reason, user=u, comment="核实。")
    if employer_reason is not None:
        decisions["card_request_revocation"] = lambda u: services.card_request_revocation(
            card=card, reason=employer_reason, user=u, comment="已离职。")
    return decisions


def test_nobody_decides_on_their_own_card(schemes):
    """A holder who also sits in the card's managing department, employer and bank (as a person who is both
    would, were the floor not there) is refused every card decision on their own card, and the issuing step
    of their own dossier is refused too; each refusal is journaled."""
    rng = random.Random(77)
    cases, allowed = 0, []
    for slug, scheme in schemes.items():
        holder = get_user_model().objects.create_user(f"selfdeal.{slug}.holder", password=PASSWORD)
        dossier = dossier_in_state(scheme, holder, rng, "issued", with_attachment=False)
        card = Card.objects.get(dossier=dossier)
        from casefiles.services.cards import card_departments

        groups = [d.group for d in card_departments(card)] + [card.employer.group]
        holder.groups.add(*groups)
        for name, decide in _card_decisions(card).items():
            journaled = refusals(REFUSED_CARD, holder).count()
            with transaction.atomic():
                try:
                    decide(holder)
                except SelfDealing as exc:
                    assert has_cjk(zh(exc.message)) or has_cjk(exc.message)
                    assert refusals(REFUSED_CARD, holder).count() == journaled + 1
                    assert refusals(REFUSED_CARD, holder).latest("pk").data["service"] == name
                except Exception as exc:  # noqa: BLE001 - any other outcome is reported with the case
                    allowed.append((slug, name, type(exc).__name__))
                else:
                    allowed.append((slug, name, "done"))
                transaction.set_rollback(True)
            cases += 1
    print(f"own-card sweep: {cases} cases, {len(allowed)} allowed")
    assert cases >= 10
    assert not allowed, f"{len(allowed)} of {cases} decisions on one's own card were allowed: {allowed}"


def _office_users(scheme):
    """Everyone who runs the scheme's joint meetings: members of its programme-office departments, and the
    administrator."""
    from programmes.selectors import OFFICE_KINDS

    members = get_user_model().objects.filter(
        memberships__department__in=scheme.departments.filter(kind__in=OFFICE_KINDS)).distinct().order_by("username")
    return list(members) + list(get_user_model().objects.filter(is_superuser=True))


def test_a_meeting_member_does_not_decide_the_agenda_item_of_their_own_dossier(schemes):
    """Every scheme, its dossiers in every state, every member of its programme office: made the dossier's
    applicant, the member's decision on the dossier's agenda item is refused (SelfDealing, journaled), with no
    transition (the record of the meeting's outcome alone) and with each transition the member could fire on
    someone else's dossier; nothing is recorded on the item and the dossier does not move."""
    from casefiles.models import Opinion
    from programmes.models import AgendaItem, AgendaKind, DecisionOutcome
    from programmes.services import agenda_item_add, agenda_item_decide, joint_meeting_ensure, meeting_schedule

    rng = random.Random(1718)
    cases, allowed, with_transition = 0, [], 0
    for slug, scheme in schemes.items():
        office = _office_users(scheme)
        assert office, slug
        body = joint_meeting_ensure(scheme=scheme, name=f"{scheme.name}联席会议")
        for dossier in _dossiers_in_every_state(scheme, rng):
            for member in office:
                steps = [""] + [t.code for t in transitions_available(member, dossier)]
                for transition in steps:
                    with transaction.atomic():
                        own = _make_applicant(dossier, member)
                        meeting = meeting_schedule(joint_meeting=body, title="自审会议", date=own.created_at.date(),
                                                   user=member)
                        item = agenda_item_add(meeting=meeting, user=member, kind=AgendaKind.CASE_BY_CASE,
                                               dossier=own)
                        journaled = refusals(REFUSED_DOSSIER, member, dossier=own).count()
                        opinions = Opinion.objects.count()
                        try:
                            agenda_item_decide(item=item, user=member, outcome=DecisionOutcome.APPROVED,
                                               decision_text="同意。", transition=transition)
                        except SelfDealing as exc:
                            assert exc.code == "own_dossier" and has_cjk(zh(exc.message))
                            assert refusals(REFUSED_DOSSIER, member, dossier=own).count() == journaled + 1
                            stored = AgendaItem.objects.get(pk=item.pk)
                            assert (stored.outcome, stored.decided_by_id, stored.transition) == ("", None, "")
                            assert Dossier.objects.get(pk=own.pk).state_id == own.state_id
                            assert Opinion.objects.count() == opinions
                        except Exception as exc:  # noqa: BLE001 - any other outcome is reported with the case
                            allowed.append((member.username, slug, own.state.code, transition, type(exc).__name__))
                        else:
                            allowed.append((member.username, slug, own.state.code, transition, "decided"))
                        transaction.set_rollback(True)
                    cases += 1
                    with_transition += bool(transition)
    print(f"own-dossier meeting sweep: {cases} (member, scheme, state, transition) cases "
          f"({with_transition} with a transition), {len(allowed)} allowed")
    assert cases >= 20 and with_transition >= 1
    assert not allowed, f"{len(allowed)} of {cases} meeting decisions on one's own dossier were allowed: {allowed[:10]}"


def test_membership_makes_a_staff_account(schemes):
    """The definition the floor rests on: Django staff, a superuser, any department membership or a department's
    group make a staff account; a plain registered applicant is none."""
    from casefiles.permissions import is_employer_contact, is_staff_account

    User = get_user_model()
    plain = User.objects.create_user("selfdeal.plain")
    grouped = User.objects.create_user("selfdeal.grouped")
    grouped.groups.add(schemes["jilin"].departments.first().group)
    assert not is_staff_account(plain) and not is_employer_contact(plain)
    assert is_staff_account(grouped) and not is_employer_contact(grouped)
    assert all(is_staff_account(m.user) for m in Membership.objects.select_related("user"))
    contact = User.objects.get(username="jilin.employer")
    assert is_staff_account(contact) and is_employer_contact(contact)
    assert is_staff_account(User.objects.get(username="admin"))
