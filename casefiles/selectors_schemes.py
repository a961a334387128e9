"""Read-side queries of scheme rules, shared by the public API, the self-check page and the tier tables.

Everything here reads rows loaded from ``casefiles/schemes/*.yaml`` (and edited in the admin); nothing
is hard-coded per scheme.
"""

from django.apps import apps
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from .models import Criterion, DepartmentKind, Scheme, ServiceItem, StateKind, Tier

PRINCIPAL_LABELS = {
    "applicant": lambda: _("Applicant"),
    "employer": lambda: _("Employer"),
}


def schemes_public():
    return Scheme.objects.select_related("jurisdiction").order_by("pk")


def scheme_get(slug):
    """The scheme with this slug, or None."""
    return schemes_public().filter(slug=slug).first()


def scheme_tiers(scheme):
    """Tiers, highest first, with their criteria, direct services and included tiers prefetched."""
    return list(
        Tier.objects.filter(scheme=scheme)
        .order_by("-rank", "pk")
        .prefetch_related(
            Prefetch("criteria", queryset=Criterion.objects.order_by("order", "pk")),
            Prefetch(
                "direct_services",
                queryset=ServiceItem.objects.order_by("order", "pk").prefetch_related("responsible_units"),
            ),
            "includes",
        )
    )


def tier_service_ids(tiers) -> dict[int, set[int]]:
    """{tier id: ids of the services the tier brings}: its own plus those of the tiers it includes, transitively,
    whatever scheme those belong to. Two queries per level of inclusion, however many tiers are asked about; a
    cycle in ``includes`` (an editing mistake) is harmless."""
    wanted = [tier.pk for tier in tiers]
    direct: dict[int, set[int]] = {}
    includes: dict[int, list[int]] = {}
    frontier = set(wanted)
    while frontier:
        for pk in frontier:
            direct[pk] = set()
        for tier_id, service_id in ServiceItem.tiers.through.objects.filter(tier_id__in=frontier).values_list(
            "tier_id", "serviceitem_id"
        ):
            direct[tier_id].add(service_id)
        reached = set()
        for from_id, to_id in Tier.includes.through.objects.filter(from_tier_id__in=frontier).values_list(
            "from_tier_id", "to_tier_id"
        ):
            includes.setdefault(from_id, []).append(to_id)
            reached.add(to_id)
        frontier = reached - direct.keys()

    def closure(pk):
        seen, stack, ids = set(), [pk], set()
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                ids |= direct[current]
                stack.extend(includes.get(current, ()))
        return ids

    return {pk: closure(pk) for pk in wanted}


def tier_services(tier):
    """The services a tier brings (``tier_service_ids``), each once, in the scheme's order."""
    return list(
        ServiceItem.objects.filter(pk__in=tier_service_ids([tier])[tier.pk])
        .order_by("order", "pk")
        .prefetch_related("responsible_units")
    )


def _department_label(scheme, actor, departments):
    if not actor:
        return ""
    if actor == "authority":
        if scheme.authority_kind:
            return str(DepartmentKind(scheme.authority_kind).label)
        return _("Competent authority")
    if actor in PRINCIPAL_LABELS:
        return PRINCIPAL_LABELS[actor]()
    department = departments.get(actor)
    return department.name if department else actor


def workflow_stages(scheme):
    """Review stages of the scheme's workflow in order, as a person applying would see them.

    A stage is a state of kind ``stage``, or a waiting state that puts the dossier on public notice (its data
    declares ``notice``); ``department`` is the
    acting department's name (for ``authority`` the label of the authority kind, for applicant or
    employer the role's label).
    """
    departments = {d.code: d for d in scheme.departments.all()}
    stages = []
    for state in scheme.states.order_by("order", "pk"):
        if state.kind == StateKind.STAGE or (state.kind == StateKind.WAITING and state.notice):
            stages.append(
                {
                    "code": state.code,
                    "name": state.name,
                    "department": _department_label(scheme, state.actor, departments),
                    "article": state.article,
                    "time_limit_working_days": state.time_limit_working_days,
                }
            )
    return stages


def scheme_policy_page(scheme):
    """The scheme's published policy page, if one exists (looked up defensively: the page type is optional)."""
    try:
        PolicyPage = apps.get_model("policypages", "PolicyPage")
    except LookupError:
        PolicyPage = None
    if PolicyPage is not None and any(f.name == "scheme" for f in PolicyPage._meta.get_fields()):
        page = PolicyPage.objects.live().filter(scheme=scheme).order_by("path").first()
        if page is not None:
            return page
    section = getattr(scheme, "section_page", None) if _has_section_page(scheme) else None
    if section is not None and PolicyPage is not None:
        page = PolicyPage.objects.live().child_of(section).order_by("path").first()
        if page is not None:
            return page
    return None


def _has_section_page(scheme):
    try:
        return scheme.section_page is not None
    except Exception:  # RelatedObjectDoesNotExist, or policypages not installed
        return False


def scheme_policy_url(scheme):
    """URL of the published policy page, else of the scheme's section page, else None."""
    page = scheme_policy_page(scheme)
    if page is None and _has_section_page(scheme) and scheme.section_page.live:
        page = scheme.section_page
    if page is None:
        return None
    return page.get_url()


def service_dict(service):
    return {
        "id": service.ref,
        "title": service.title,
        "text": service.text,
        "article": service.article,
        "responsible_units": [unit.name for unit in service.responsible_units.all()],
    }


def rule_dict(rule):
    return {"id": rule.ref, "article": rule.article, "text": rule.text}


def scheme_summary(scheme):
    return {
        "slug": scheme.slug,
        "name": scheme.name,
        "jurisdiction": scheme.jurisdiction.name,
        "policy_url": scheme_policy_url(scheme),
    }


def scheme_detail(scheme):
    """The whole rule set of a scheme as plain data (the shape of ``GET /api/v1/schemes/<slug>/``)."""
    tiers = []
    for tier in scheme_tiers(scheme):
        tiers.append(
            {
                "code": tier.code,
                "name": tier.name,
                "criteria": [rule_dict(c) for c in tier.criteria.all()],
                "services": [service_dict(s) for s in tier_services(tier)],
            }
        )
    return {
        "slug": scheme.slug,
        "name": scheme.name,
        "preconditions": [rule_dict(p) for p in scheme.preconditions.order_by("order", "pk")],
        "tiers": tiers,
        "revocation_reasons": [
            {**rule_dict(r), "effect": r.effect} for r in scheme.revocation_reasons.order_by("order", "pk")
        ],
        "workflow": {
            "stages": [{k: s[k] for k in ("code", "name", "department")} for s in workflow_stages(scheme)]
        },
        "validity": {"max_years": scheme.validity_max_years, "article": scheme.validity_article},
    }
