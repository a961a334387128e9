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


def path_to(scheme, target_code, avoid=("withdraw", "reject", "decline", "return")):
    """Shortest list of transitions from the start state to ``target_code`` (None if unreachable).

    Transitions named in ``avoid`` are used only when the target cannot be reached otherwise."""
    transitions = list(WorkflowTransition.objects.filter(scheme=scheme).prefetch_related("sources").select_related("target"))
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
    """Fire ``transition`` as the demo user entitled to it."""
    from .services.dossiers import dossier_transition

    principals = [p.strip() for p in transition.by.split(",")]
    principals = [dossier.state.actor if p == "actor" else p for p in principals]
    for principal in principals:
        user = demo_user_for(dossier, principal)
        if user is not None:
            if transition.requires_comment and not comment:
                comment = "材料不全，请补充劳动合同复印件。" if transition.code.startswith("return") else "经审核，不符合申领条件。"
            return dossier_transition(dossier=dossier, transition=transition.code, user=user, comment=comment, **kwargs)
    raise LookupError(f"no demo user for {transition.by} on {dossier}")
