"""Every guard of every scheme file, against the engine: a dossier that fails it is not offered the step and is
refused when it forces it (the message cites the step's article); one that meets it is offered the step and
takes it.

Generic over the data: the schemes, transitions, guards, criteria, facts, materials, opinion requests, experts and
notice periods are read from the loaded scheme rows; no scheme, state or transition code appears here. For each
guarded transition and each of its source states the sweep builds, through the real services and as the real
demo users:

- one dossier per top-level guard key that fails that key and meets all the others (for opinion keys also an
  objection; for a state that asks for experts also "no expert named yet"; for notices also "still running");
- one dossier that meets the whole guard.

The static part of a guard (criteria, tier, facts, materials, any, not) is decided here by a small independent
reading of the format in docs/SCHEME_DATA.md ("Controls"), which picks the claimed criterion and facts of each
dossier; the dynamic part (opinions, notice, objections) is arranged by answering requests, naming experts,
opening a notice, recording an objection and moving the clock (``today``).
"""

import datetime
import random
import re
from collections import deque

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from casefiles.actions.transition import principals_of_transition, transitions_available
from casefiles.demo_dossiers import DEMO_PNG, demo_facts
from casefiles.exceptions import CaseFileError, GuardFailed, MaterialsMissing, StateConflict, TransitionDenied
from casefiles.models import Department, DepartmentKind, OpinionRequestStatus, StateKind, WorkflowTransition
from casefiles.schemes.loader import SCHEME_DIR, SCHEME_SLUGS, read_yaml
from casefiles.selectors_materials import materials_for
from casefiles.services.attachments import attachment_add
from casefiles.services.dossiers import dossier_create, dossier_transition
from casefiles.services.notices import objection_record, public_notice_open
from casefiles.services.opinions import experts_request, opinion_answer
from casefiles.testing import demo_user_for, identity

from .factories import setup_schemes, user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("schemes_once")]

#: Schemes with a state that asks for experts (read from the files, so the parametrisation follows the data).
EXPERT_SLUGS = [
    slug
    for slug in SCHEME_SLUGS
    if any(state.get("experts") for state in read_yaml(SCHEME_DIR / f"{slug}.yaml")["workflow"]["states"])
]

STATIC = {"criteria_any", "criteria_only", "criteria_flag", "tier_in", "facts", "materials", "any", "not"}
DYNAMIC = {"opinions", "notice", "objections"}
AVOID = ("withdraw", "reject", "decline", "return")  # leave the happy path only when nothing else reaches a state
FACTS_NONE: dict = {}


# --- the static part of a guard, read independently of casefiles/workflow/guards.py ------------------------------


OPS = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
}


def _test_holds(test, value):
    """``">= 1"``, ``"== true"``, ``"any"`` against a fact's value; an unanswered fact never holds."""
    test = str(test).strip()
    if value is None:
        return False
    if test == "any":
        return True
    match = re.match(r"^(>=|<=|==|!=|>|<)\s*(.+)$", test)
    op, raw = match.group(1), match.group(2).strip()
    target = {"true": True, "false": False}[raw] if raw in ("true", "false") else float(raw)
    return OPS[op](value, target)


def static_holds(key, value, setup):
    """Does the static guard ``{key: value}`` hold for ``setup`` (claimed criterion, facts, materials attached)?"""
    criterion, facts, materials = setup
    claimed = {criterion.ref}
    if key == "criteria_any":
        return bool(claimed & {str(v) for v in value})
    if key == "criteria_only":
        return claimed <= {str(v) for v in value}
    if key == "criteria_flag":
        return bool(getattr(criterion, value))
    if key == "tier_in":
        return criterion.tier.code in value
    if key == "facts":
        return all(_test_holds(item["test"], facts.get(item["fact"])) for item in value)
    if key == "materials":
        return materials
    if key == "any":
        return any(guard_static_holds(sub, setup) for sub in value)
    if key == "not":
        return not guard_static_holds(value, setup)
    raise AssertionError(f"a dynamic key inside any/not is not swept: {key}")


def guard_static_holds(guard, setup, skip=()):
    return all(static_holds(k, v, setup) for k, v in guard.items() if k in STATIC and k not in skip)


# --- building dossiers and walking them through the workflow -----------------------------------------------------


class Sweep:
    def __init__(self, scheme):
        self.scheme = scheme
        self.transitions = list(
            WorkflowTransition.objects.filter(scheme=scheme)
            .prefetch_related("sources")
            .select_related("target")
            .order_by("order")
        )
        self.start = scheme.states.get(kind=StateKind.START)
        self.criteria = list(scheme.criteria.select_related("tier").order_by("order", "pk"))
        # Facts: all answered (the demo's, meeting every precondition), none, or all but one (so that one guard's
        # fact can fail while an earlier step's facts hold).
        full = demo_facts(scheme)
        fact_sets = [full, FACTS_NONE, *({k: v for k, v in full.items() if k != left_out} for left_out in full)]
        self.setups = [
            (c, facts, materials) for c in self.criteria for facts in fact_sets for materials in (True, False)
        ]
        self.rng = random.Random(16)
        self.today = datetime.date.today()
        self.notice_today = None  # the date after the notice of the dossier being walked closes

    def path_to(self, state, setup):
        """Shortest list of transitions from the start to ``state`` whose static guards hold for ``setup``."""
        for allowed in (lambda t: not t.code.startswith(AVOID), lambda t: True):
            queue, seen = deque([(self.start, [])]), {self.start.pk}
            while queue:
                current, path = queue.popleft()
                if current.pk == state.pk:
                    return path
                for t in self.transitions:
                    if (
                        not allowed(t)
                        or t.target.pk in seen
                        or t.target.kind == StateKind.END
                        and t.target.pk != state.pk
                    ):
                        continue
                    if current.pk not in {s.pk for s in t.sources.all()}:
                        continue
                    guard = t.guard or {}
                    if not guard_static_holds(guard, setup) or guard.get("opinions") == "deadline_passed":
                        continue
                    seen.add(t.target.pk)
                    queue.append((t.target, [*path, t]))
        return None

    def make(self, setup):
        criterion, facts, materials = setup
        employer = (
            Department.objects.filter(jurisdiction=self.scheme.jurisdiction, kind=DepartmentKind.EMPLOYER)
            .order_by("pk")
            .first()
        )
        authority = None
        if self.scheme.authority_kind:
            authority = self.scheme.departments.filter(kind=self.scheme.authority_kind).order_by("pk").first()
        applicant = user(f"{self.scheme.slug}.applicant")
        dossier = dossier_create(
            applicant=applicant,
            scheme=self.scheme,
            requested_tier=criterion.tier,
            criteria=[criterion],
            facts=dict(facts),
            employer=employer,
            authority=authority,
            **identity(self.rng, contract_end=None),
        )
        if materials:
            for material in materials_for(dossier):
                upload = SimpleUploadedFile(f"{material.code}.png", DEMO_PNG, content_type="image/png")
                attachment_add(dossier=dossier, user=applicant, uploaded_file=upload, kind=material.code)
        self.notice_today = None
        return dossier

    def entitled(self, dossier, transition):
        for principal in principals_of_transition(transition, dossier.state):
            found = demo_user_for(dossier, principal)
            if found is not None:
                return found
        raise LookupError(f"no demo user may fire {transition.code}")

    # the dynamic conditions ---------------------------------------------------------------------------------
    def open_requests(self, dossier):
        return list(
            dossier.opinion_requests.filter(state=dossier.state, status=OpinionRequestStatus.OPEN).select_related(
                "department", "expert"
            )
        )

    def name_experts(self, dossier):
        wanted = dossier.state.experts or {}
        if not wanted:
            return
        actor = demo_user_for(dossier, dossier.state.actor)
        experts = [user(f"{self.scheme.slug}.expert")]
        assert len(experts) >= int(wanted.get("min") or 1), "the demo has fewer experts than the state asks for"
        experts_request(dossier=dossier, experts=experts, user=actor)

    def answer(self, request, agree):
        if request.expert_id:
            who = request.expert
        else:
            who = request.department.group.user_set.filter(is_active=True).order_by("pk").first()
        opinion_answer(request=request, user=who, agree=agree, comment="" if agree else "经核查，存在问题。")

    def agree_all(self, dossier, experts=True):
        if experts:
            self.name_experts(dossier)
        for request in self.open_requests(dossier):
            self.answer(request, agree=True)

    def open_notice(self, dossier):
        officer = demo_user_for(dossier, dossier.state.actor)
        notice = public_notice_open(
            scheme=self.scheme, user=officer, dossiers=[dossier], how_to_object="书面向公示部门提出。"
        )
        return notice

    def fire(self, dossier, transition, today=None):
        comment = "材料不全，请补充。" if transition.requires_comment else "同意"
        return dossier_transition(
            dossier=dossier,
            transition=transition.code,
            user=self.entitled(dossier, transition),
            comment=comment,
            today=today,
        )

    def walk(self, dossier, path):
        """Fire ``path``, meeting each step's dynamic conditions on the way (all agree, notice run out)."""
        for transition in path:
            guard = transition.guard or {}
            today = None
            if guard.get("opinions") in ("all_agreed", "none_objected"):
                self.agree_all(dossier)
            if guard.get("notice") == "elapsed":
                notice = self.open_notice(dossier)
                today = notice.closes_on + datetime.timedelta(days=1)
            dossier = self.fire(dossier, transition, today=today)
        return dossier

    def at(self, state, setup):
        path = self.path_to(state, setup)
        if path is None:
            return None
        return self.walk(self.make(setup), path)


# --- arranging one key to hold or fail at the source state ------------------------------------------------------


def arrange(sweep, dossier, guard, failing=None, variant=""):
    """Meet every dynamic key of ``guard`` except ``failing``, which is made to fail (``variant`` says how).
    Returns the ``today`` to ask with."""
    today = None
    opinions = guard.get("opinions")
    if opinions:
        if failing == "opinions":
            if variant == "open":
                pass  # requests still open, deadlines not passed
            elif variant == "objected":
                sweep.name_experts(dossier)
                requests = sweep.open_requests(dossier)
                sweep.answer(requests[0], agree=False)
                if opinions == "deadline_passed":  # the others run out: only the objection holds the dossier
                    today = max(r.due_date for r in requests) + datetime.timedelta(days=1)
                else:
                    for request in requests[1:]:
                        sweep.answer(request, agree=True)
            elif variant == "no_expert":
                sweep.agree_all(dossier, experts=False)
        elif opinions == "deadline_passed":
            due = [r.due_date for r in sweep.open_requests(dossier)]
            assert due and all(due), "a deadline_passed exit needs requests with deadlines"
            today = max(due) + datetime.timedelta(days=1)
        else:
            sweep.agree_all(dossier)
    if guard.get("notice") or guard.get("objections"):
        if failing == "notice" and variant == "none":
            pass
        else:
            notice = sweep.open_notice(dossier)
            today = notice.opens_on if failing == "notice" else notice.closes_on + datetime.timedelta(days=1)
            if failing == "objections":
                officer = demo_user_for(dossier, dossier.state.actor)
                objection_record(notice=notice, dossier=dossier, user=officer, content="该人选获奖情况与事实不符。")
    return today


def failing_variants(key, guard, state, experts=False):
    if key == "opinions":
        # experts: the departments agreed but the state's actor named no expert although the state asks for them
        return ["no_expert"] if experts else ["open", "objected"]
    if experts:
        return []
    if key == "notice":
        return ["none", "running"]
    return [""]


def sweep_scheme(scheme, experts=False):
    """Returns (cells run, problems) for every guarded transition of ``scheme``; ``experts``: only the cells of
    states that ask for experts, where no expert was named."""
    sweep = Sweep(scheme)
    cells, problems = [], []
    for transition in sweep.transitions:
        guard = transition.guard or {}
        if not guard:
            continue
        covered_keys = set()
        for state in transition.sources.all():
            if experts and not (state.experts and guard.get("opinions") == "all_agreed"):
                continue
            where = f"{scheme.slug}:{transition.code} from {state.code}"
            # the dossier that meets the guard
            passing = [s for s in sweep.setups if guard_static_holds(guard, s) and sweep.path_to(state, s) is not None]
            if not passing:
                problems.append(f"{where}: no claimable criterion meets the guard (the step can never be taken)")
                continue
            if not experts:
                dossier = sweep.at(state, passing[0])
                today = arrange(sweep, dossier, guard)
                cells.append((where, "meets"))
                entitled = sweep.entitled(dossier, transition)
                offered = [t.code for t in transitions_available(entitled, dossier, today=today)]
                if transition.code not in offered:
                    problems.append(f"{where}: meets the guard but is not offered (offered: {offered})")
                else:
                    after = sweep.fire(dossier, transition, today=today)
                    if after.state_id != transition.target_id:
                        problems.append(f"{where}: fired but the dossier is in {after.state.code}")
            # one dossier per key that fails it and meets the others
            for key in guard:
                for variant in failing_variants(key, guard, state, experts):
                    if key in STATIC:
                        candidates = [
                            s
                            for s in sweep.setups
                            if not static_holds(key, guard[key], s) and guard_static_holds(guard, s, skip={key})
                        ]
                    else:
                        candidates = passing
                    setup = next((s for s in candidates if sweep.path_to(state, s) is not None), None)
                    if setup is None:
                        continue  # e.g. materials missing cannot get past submit
                    covered_keys.add(key)
                    dossier = sweep.at(state, setup)
                    today = arrange(sweep, dossier, guard, failing=key, variant=variant)
                    label = f"{where}: fails {key}{' (' + variant + ')' if variant else ''}"
                    cells.append((label, "fails"))
                    entitled = sweep.entitled(dossier, transition)
                    offered = [t.code for t in transitions_available(entitled, dossier, today=today)]
                    if transition.code in offered:
                        problems.append(f"{label}: offered")
                    try:
                        dossier_transition(
                            dossier=dossier, transition=transition.code, user=entitled, comment="强行办理", today=today
                        )
                    except (GuardFailed, MaterialsMissing) as exc:
                        if transition.article and transition.article not in str(exc):
                            problems.append(f"{label}: refused without citing {transition.article}: {exc}")
                    except (CaseFileError, TransitionDenied, StateConflict) as exc:
                        problems.append(f"{label}: refused for another reason ({type(exc).__name__}: {exc})")
                    else:
                        problems.append(f"{label}: forced through")
        missing = set(guard) - covered_keys
        if missing and not experts:
            problems.append(f"{scheme.slug}:{transition.code}: no reachable dossier fails {sorted(missing)}")
    return cells, problems


@pytest.fixture
def schemes(db):
    return setup_schemes()


@pytest.mark.parametrize("slug", SCHEME_SLUGS)
def test_every_guard_refuses_who_fails_it_and_offers_who_meets_it(slug, schemes):
    scheme = schemes[slug]
    guarded = [t for t in scheme.transitions.all() if t.guard]
    assert guarded, f"{scheme.slug}: no transition has a guard (submit at least needs the materials)"
    cells, problems = sweep_scheme(scheme)
    print(f"{slug}: {len(guarded)} guarded transitions, {len(cells)} dossiers, {len(problems)} problems")
    assert problems == [], "\n".join(problems)
    assert any(kind == "fails" for _where, kind in cells) and any(kind == "meets" for _where, kind in cells)


@pytest.mark.parametrize("slug", EXPERT_SLUGS)
def test_a_stage_asking_for_experts_is_not_left_before_one_is_named(slug, schemes):
    scheme = schemes[slug]
    cells, problems = sweep_scheme(scheme, experts=True)
    assert cells, "a state asks for experts but no guarded exit was swept"
    assert problems == [], "\n".join(problems)
