"""Read-side queries of scheme rules, shared by the public API, the self-check page and the tier tables.

Everything here reads rows loaded from ``casefiles/schemes/*.yaml`` (and edited in the admin); nothing
is hard-coded per scheme.
"""

import datetime
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Prefetch
from django.utils import formats, timezone
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


# --------------------------------------------------------------------------- the programme's period (issue #17 item 6)


@dataclass(frozen=True)
class SchemePeriod:
    """When a scheme takes applications, and on what authority.

    ``opens`` is the first day applications are taken, ``closes`` the first day they no longer are (the policy's
    expiry date, as on its page: 5 years from 2019-06-05 closes on 2024-06-05); either may be None (not stated).
    ``source`` is ``"policy"`` when the scheme's published policy page states the dates (a revision that changes
    them is published there), else ``"file"`` (the scheme file's ``cards.applications``); ``article`` cites the
    article that sets them, empty for an administrative setting. ``repealed``: the page records a repeal.
    """

    scheme_name: str
    policy_title: str
    opens: datetime.date | None
    closes: datetime.date | None
    article: str
    source: str
    repealed: bool
    today: datetime.date

    @property
    def open(self) -> bool:
        if self.repealed:
            return False
        if self.opens is not None and self.today < self.opens:
            return False
        return self.closes is None or self.today < self.closes

    @property
    def last_day(self) -> datetime.date | None:
        return self.closes - datetime.timedelta(days=1) if self.closes else None

    @property
    def citation(self) -> str:
        return self.article or _("an administrative setting")

    @property
    def message(self) -> str:
        """Why the scheme takes no applications today, with its dates and article ("" while it is open)."""
        if self.open:
            return ""
        values = {
            "scheme": self.scheme_name,
            "policy": self.policy_title,
            "article": self.citation,
            "opens": _date(self.opens),
            "last_day": _date(self.last_day),
            "closes": _date(self.closes),
        }
        if self.repealed:
            return _("%(scheme)s no longer takes applications: 《%(policy)s》 has been repealed.") % values
        if self.opens is not None and self.today < self.opens:
            return _("%(scheme)s takes applications from %(opens)s (《%(policy)s》, %(article)s).") % values
        if self.opens is not None:
            return _(
                "%(scheme)s no longer takes applications: 《%(policy)s》 (%(article)s) was in force from %(opens)s to "
                "%(last_day)s and expired on %(closes)s."
            ) % values
        return _(
            "%(scheme)s no longer takes applications: 《%(policy)s》 (%(article)s) was in force until %(last_day)s and "
            "expired on %(closes)s."
        ) % values


def _date(value):
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def _page_article(page):
    """The article of a policy page that holds its effective clause (第七条), or ""."""
    from policypages.selectors import raw_values

    clause = "".join((page.effective_clause or "").split())
    if not clause:
        return ""

    def strings(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for value in node.values():
                yield from strings(value)
        elif isinstance(node, list):
            for value in node:
                yield from strings(value)

    for article in raw_values(page, "article"):
        text = "".join("".join(strings({k: v for k, v in article.items() if k not in ("anchor", "citation")})).split())
        if clause[:40] in text:
            return article.get("label") or ""
    return ""


def scheme_period(scheme, today=None) -> SchemePeriod:
    """The scheme's period as of ``today`` (default: the local date).

    The published policy page of the scheme (``scheme_policy_page``) wins when it states an effective or an expiry
    date, or records a repeal: publishing a revision that extends the policy reopens the scheme, with no code or data
    file changed. Otherwise the scheme file's ``cards.applications`` (opens, closes, article or setting) decides; a
    file that declares none leaves the scheme open.
    """
    from policypages.models import PolicyStatus

    from .schemes.validate import applications_date

    today = today or timezone.localdate()
    declared = (scheme.card_rules or {}).get("applications") or {}
    common = {"scheme_name": scheme.name, "policy_title": scheme.policy_title, "today": today}
    page = scheme_policy_page(scheme)
    if page is not None:
        repealed = page.status == PolicyStatus.REPEALED
        if page.effective_date or page.expiry_date or repealed:
            return SchemePeriod(
                opens=page.effective_date, closes=page.expiry_date, source="policy", repealed=repealed,
                article=_page_article(page) or declared.get("article") or "",
                **{**common, "policy_title": page.title or scheme.policy_title},
            )
    return SchemePeriod(
        opens=applications_date(declared.get("opens")), closes=applications_date(declared.get("closes")),
        article=declared.get("article") or "", source="file", repealed=False, **common,
    )


def scheme_open_for_applications(scheme, today=None) -> bool:
    """Whether the scheme takes new applications on ``today`` (``scheme_period``)."""
    return scheme_period(scheme, today).open
