"""Helpers shared by demo data, tests and benchmarks: plausible identities and workflow paths.

Nothing here bypasses the services: paths are walked by firing real transitions as real users.
"""

import random
from collections import deque

from django.contrib.auth import get_user_model

from .masking import ID_CHECK, ID_WEIGHTS
from .models import Department, StateKind, WorkflowTransition

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文欧阳"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰晨宇浩然子涵梓萱思远嘉怡欣怡雨桐博文俊杰"


def resident_id(rng=random, birth="19850612", area="220501"):
    body = f"{area}{birth}{rng.randint(0, 999):03d}"
    total = sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True))
    return body + ID_CHECK[total % 11]


def chinese_name(rng=random):
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    return rng.choice(SURNAMES) + given


def identity(rng=random, **overrides):
    year = rng.randint(1960, 1995)
    values = {
        "applicant_name": chinese_name(rng),
        "id_type": "resident_id",
        "id_number": resident_id(rng, birth=f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"),
        "nationality": "中国",
        "phone": f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
        "email": "",
    }
    values.update(overrides)
    return values


def demo_facts(scheme=None):
    """Facts that meet every precondition the five schemes have (demo data, tests' default applicant)."""
    return {
        "contract_years": 3,
        "self_employed": False,
        "flexible_introduction": False,
        "employer_operating_years": 5,
        "employer_is_district_institution": False,
        "months_per_year_in_jurisdiction": 12,
    }


#: Guard keys that a walk can make true by acting (answering opinions, a notice, attaching materials); the others
#: (criteria, tier, facts) are facts of the dossier that decide which route it may take.
ACTED_GUARD_KEYS = {"opinions", "notice", "objections", "materials"}


def _fixed_part(guard):
    """The part of a guard that a dossier's own facts decide (None: nothing)."""
    if not guard:
        return None
    fixed = {}
    for key, value in guard.items():
        if key in ACTED_GUARD_KEYS:
            continue
        if key == "any":
            parts = [_fixed_part(g) for g in value]
            if any(p is None for p in parts):
                continue  # one alternative is only about acts: it can always be met
            fixed["any"] = parts
        elif key == "not":
            part = _fixed_part(value)
            if part is not None and set(part) == set(value):
                fixed["not"] = part
        else:
            fixed[key] = value
    return fixed or None


def route_open_to(dossier, transition):
    """Does the dossier's own data (criteria, tier, facts) let it take this transition?"""
    from .workflow.guards import guard_failures

    fixed = _fixed_part(transition.guard)
    return fixed is None or not guard_failures(fixed, dossier)


def path_to(scheme, target_code, avoid=("withdraw", "reject", "decline", "return"), dossier=None):
    """Shortest list of transitions from the start state to ``target_code`` (None if unreachable).

    Transitions named in ``avoid`` are used only when the target cannot be reached otherwise. Given a
    ``dossier``, routes its criteria, tier or facts do not allow (the transitions' guards) are left out."""
    transitions = list(WorkflowTransition.objects.filter(scheme=scheme).prefetch_related("sources").select_related("target"))
    if dossier is not None:
        transitions = [t for t in transitions if route_open_to(dossier, t)]
    start = scheme.states.get(kind=StateKind.START)
    for allowed in (lambda t: not any(t.code.startswith(a) for a in avoid), lambda t: True):
        queue, seen = deque([(start.code, [])]), {start.code}
        while queue:
            code, path = queue.popleft()
            if code == target_code:
                return path
            for t in transitions:
                if allowed(t) and any(s.code == code for s in t.sources.all()) and t.target.code not in seen:
                    seen.add(t.target.code)
                    queue.append((t.target.code, path + [t]))
    return None


class DossierSketch:
    """What the route guards read of a dossier, before it exists (to choose a route for demo data and tests)."""

    class _Criteria(list):
        def all(self):
            return self

    def __init__(self, scheme, tier, criteria=(), facts=None):
        self.scheme, self.scheme_id, self.requested_tier = scheme, scheme.pk, tier
        self.criteria = self._Criteria(criteria)
        self.facts = facts or {}


def route_choice(scheme, target_code, facts=None, tier=None):
    """(tier, criterion) of the scheme, lowest tier first, whose route reaches ``target_code``; (None, None) if none."""
    tiers = [tier] if tier is not None else list(scheme.tiers.order_by("rank"))
    for candidate_tier in tiers:
        for criterion in candidate_tier.criteria.order_by("order"):
            if path_to(scheme, target_code, dossier=DossierSketch(scheme, candidate_tier, [criterion], facts)) is not None:
                return candidate_tier, criterion
    return None, None


def attach_required_materials(dossier):
    """The applicant attaches a small real file for every material the dossier requires (demo and tests)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .selectors_materials import materials_missing
    from .services.attachments import attachment_add

    for material in materials_missing(dossier):
        upload = SimpleUploadedFile(f"{material.name}.png", DEMO_PNG, content_type="image/png")
        attachment_add(dossier=dossier, user=dossier.applicant, uploaded_file=upload, kind=material.code)
    return dossier


def applicant_dossier(scheme, target, rng, criterion=None, steps=None):
    """A dossier of the scheme's demo applicant (``<slug>.applicant``, with the demo employer and the scheme's
    authority), claiming ``criterion`` (a ref) or else the first criterion of the highest tier whose route reaches
    ``target``, its required materials attached, moved along that route by real transitions: all the way to
    ``target``, or only its first ``steps`` transitions. Read back from the database."""
    from .models import DepartmentKind, Dossier
    from .services.dossiers import dossier_create

    if criterion:
        claimed = scheme.criteria.select_related("tier").get(ref=criterion)
        tier = claimed.tier
    else:
        tier, claimed = next(
            choice
            for t in scheme.tiers.order_by("-rank")
            if (choice := route_choice(scheme, target, demo_facts(scheme), tier=t))[0] is not None
        )
    employer = Department.objects.filter(
        kind=DepartmentKind.EMPLOYER, memberships__user__username=f"{scheme.slug}.employer"
    ).first()
    authority = (
        scheme.departments.filter(kind=scheme.authority_kind).order_by("code").first() if scheme.authority_kind else None
    )
    dossier = dossier_create(
        applicant=get_user_model().objects.get(username=f"{scheme.slug}.applicant"),
        scheme=scheme,
        requested_tier=tier,
        criteria=[claimed],
        facts=demo_facts(scheme),
        employer=employer,
        authority=authority,
        **identity(rng),
    )
    attach_required_materials(dossier)
    for transition in path_to(scheme, target, dossier=dossier)[:steps]:
        dossier = fire(dossier, transition)
    return Dossier.objects.get(pk=dossier.pk)


# A 1×1 PNG: the smallest real file the attachment checks accept.
DEMO_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cf"
    "c0f01f0005000201a5f5f0a40000000049454e44ae426082"
)


def demo_expert(scheme):
    """The scheme's demo expert (``<slug>.expert``, no department), made if missing."""
    User = get_user_model()
    expert, created = User.objects.get_or_create(
        username=f"{scheme.slug}.expert", defaults={"first_name": "评审专家", "last_name": "", "email": f"{scheme.slug}.expert@example.org"}
    )
    if created:
        expert.set_unusable_password()
        expert.save()
    return expert


def satisfy_controls(dossier, transition, today=None):
    """Act, through the services, so that the transition's acted guards hold: attach materials, name the
    experts the state asks for, have every asked department or expert agree, put the dossier on a public
    notice whose period has ended. Used by demo data, tests and benchmarks; never by product code."""
    import datetime

    from django.utils import timezone

    from .models import OpinionRequestStatus, PublicNotice
    from .workflow.guards import guard_failures

    guard = transition.guard or {}
    keys = set(guard)
    for alternative in guard.get("any", []) or []:
        keys |= set(alternative)
    if not keys & ACTED_GUARD_KEYS or not guard_failures(guard, dossier, today=today):
        return dossier
    state = dossier.state
    if "materials" in keys:
        attach_required_materials(dossier)
    if guard.get("opinions") == "deadline_passed":
        # The walk lets the deadline pass: the guard is evaluated on the day after the last due date.
        due = [r.due_date for r in dossier.opinion_requests.filter(state=state, status=OpinionRequestStatus.OPEN) if r.due_date]
        if due:
            dossier._walk_today = max(due) + datetime.timedelta(days=1)
        keys.discard("opinions")
    if "opinions" in keys:
        from .services.opinions import experts_request, opinion_answer

        actor = demo_user_for(dossier, state.actor)
        if state.experts and not dossier.opinion_requests.filter(state=state, expert__isnull=False).exists():
            experts_request(dossier=dossier, experts=[demo_expert(dossier.scheme)], user=actor)
        for request in dossier.opinion_requests.filter(state=state, status=OpinionRequestStatus.OPEN).select_related("department"):
            if request.expert_id:
                answerer = request.expert
            elif request.department_id == getattr(dossier.authority, "pk", None):
                answerer = demo_user_for(dossier, "authority")
            else:
                answerer = demo_user_for(dossier, request.department.code)
            opinion_answer(request=request, user=answerer, agree=True, comment="同意。")
    if "notice" in keys and not guard_failures({"notice": "elapsed"}, dossier, today=today) == []:
        from .services.notices import notice_department, public_notice_open

        minimum = (state.notice or {}).get("working_days") or 5
        department = notice_department(state, dossier)
        officer = demo_user_for(dossier, department.code) if department else demo_user_for(dossier, state.actor)
        opens_on = (today or timezone.localdate()) - datetime.timedelta(days=minimum * 2 + 14)
        if not PublicNotice.objects.filter(dossiers=dossier).exists():
            public_notice_open(scheme=dossier.scheme, user=officer, dossiers=[dossier], how_to_object="书面异议请寄送人才办。",
                               working_days=minimum, opens_on=opens_on)
    walk_today = getattr(dossier, "_walk_today", None)
    dossier.refresh_from_db()
    dossier._walk_today = walk_today
    return dossier


def demo_user_for(dossier, principal):
    """The demo user who stands for a principal on a dossier (users made by load_demo)."""
    User = get_user_model()
    slug = dossier.scheme.slug
    if principal == "applicant":
        return dossier.applicant
    if principal == "employer":
        return User.objects.filter(groups=dossier.employer.group).order_by("pk").first()
    if principal == "authority":
        department = dossier.authority
    else:
        department = Department.objects.filter(schemes=dossier.scheme, code=principal).first()
    if department is None:
        return None
    # Four eyes: the colleague who did not make the dossier's last decision, when there is one.
    last = dossier.opinions.order_by("-created_at", "-pk").values_list("actor_id", flat=True).first() if dossier.pk else None
    for queryset in (User.objects.filter(groups=department.group, username__startswith=f"{slug}."),
                     User.objects.filter(groups=department.group)):
        users = list(queryset.order_by("pk")[:3])
        if users:
            return next((u for u in users if u.pk != last), users[0])
    return None


def fire(dossier, transition, comment="", **kwargs):
    """Fire ``transition`` as the demo user entitled to it, after acting so that its guard holds."""
    from .services.dossiers import dossier_transition

    dossier = satisfy_controls(dossier, transition, today=kwargs.get("today"))
    if getattr(dossier, "_walk_today", None) and not kwargs.get("today"):
        kwargs["today"] = dossier._walk_today
    principals = [p.strip() for p in transition.by.split(",")]
    principals = [dossier.state.actor if p == "actor" else p for p in principals]
    for principal in principals:
        user = demo_user_for(dossier, principal)
        if user is not None:
            if transition.requires_comment and not comment:
                comment = "材料不全，请补充劳动合同复印件。" if transition.code.startswith("return") else "经审核，不符合申领条件。"
            return dossier_transition(dossier=dossier, transition=transition.code, user=user, comment=comment, **kwargs)
    raise LookupError(f"no demo user for {transition.by} on {dossier}")
