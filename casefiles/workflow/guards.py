"""Guards: conditions a transition's data puts on a dossier (docs/SCHEME_DATA.md, "Controls").

A guard is a mapping whose every key must hold::

    {"criteria_only": ["5.1", "5.2"], "opinions": "all_agreed", "notice": "elapsed",
     "objections": "none_open", "materials": "complete", "any": [{...}, {...}], "not": {...}}

:func:`guard_failures` returns the Chinese reasons a guard does not hold (empty when it does). The keys are
the engine's vocabulary; the values (criterion ids, tier codes, facts) are the scheme's. The validator
(casefiles/schemes/validate.py) refuses unknown keys and values on load, so here an unknown key is a
programming error.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

#: Keys a guard may have, with the values they take (a list: one of these words; None: free, checked on load).
GUARD_KEYS = {
    "criteria_any": None,
    "criteria_only": None,
    "criteria_flag": ("direct_recognition",),
    "tier_in": None,
    "facts": None,
    "opinions": ("all_agreed", "none_objected", "deadline_passed"),
    "notice": ("elapsed",),
    "objections": ("none_open",),
    "materials": ("complete",),
    "any": None,
    "not": None,
}


class GuardContext:
    """What the guards read of one dossier, fetched once and only when a guard asks."""

    def __init__(self, dossier, today=None):
        self.dossier = dossier
        self.today = today or timezone.localdate()
        self._criteria = self._requests = None
        self._last_opinion = False  # not read yet (None: the dossier has no opinion)

    @property
    def criteria(self):
        if self._criteria is None:
            self._criteria = list(self.dossier.criteria.all())
        return self._criteria

    @property
    def last_opinion(self):
        """The dossier's latest opinion (who decided last, for the four-eyes rule), or None; read once for all the
        steps asked about (transitions_available)."""
        if self._last_opinion is False:
            from ..models import Opinion

            self._last_opinion = (
                Opinion.objects.filter(dossier=self.dossier).order_by("-created_at", "-pk").only("actor_id", "transition").first()
            )
        return self._last_opinion

    @property
    def requests(self):
        """Opinion requests of the dossier's current state that are not withdrawn."""
        if self._requests is None:
            from ..models import OpinionRequestStatus

            requests = self.dossier.opinion_requests.filter(state_id=self.dossier.state_id)
            if self.dossier.state_entered_at:  # only this visit's: a stage returned to starts afresh
                requests = requests.filter(requested_at__gte=self.dossier.state_entered_at)
            self._requests = list(
                requests
                .exclude(status=OpinionRequestStatus.CANCELLED)
                .select_related("department", "expert")
            )
        return self._requests


def _articles(dossier, refs):
    from ..models import Criterion

    rows = Criterion.objects.filter(scheme_id=dossier.scheme_id, ref__in=refs).order_by("order")
    seen = []
    for row in rows:
        if row.article not in seen:
            seen.append(row.article)
    return "、".join(seen) or "、".join(refs)


def _criteria_any(ctx, refs):
    if {c.ref for c in ctx.criteria} & set(refs):
        return []
    return [_("the conditions claimed are not among %(articles)s") % {"articles": _articles(ctx.dossier, refs)}]


def _criteria_only(ctx, refs):
    claimed = {c.ref for c in ctx.criteria}
    if claimed and claimed <= set(refs):
        return []
    return [_("this route is only for %(articles)s") % {"articles": _articles(ctx.dossier, refs)}]


def _criteria_flag(ctx, flag):
    if ctx.criteria and all(getattr(c, flag) for c in ctx.criteria):
        return []
    return [_("not every condition claimed allows direct recognition")]


def _tier_in(ctx, codes):
    if ctx.dossier.requested_tier.code in codes:
        return []
    return [_("the tier applied for is not %(tiers)s") % {"tiers": "、".join(codes)}]


def _facts(ctx, tests):
    from ..eligibility import FACT_LABELS, MET, rule_status

    failures = []
    for item in tests:
        if rule_status(item, ctx.dossier.facts or {}) != MET:
            failures.append(_("%(fact)s does not meet %(test)s") % {"fact": FACT_LABELS.get(item["fact"], item["fact"]), "test": item["test"]})
    return failures


def _opinions(ctx, word):
    from ..models import OpinionRequestStatus

    requests = ctx.requests
    objected = [r for r in requests if r.status == OpinionRequestStatus.OBJECTED]
    waiting = [r for r in requests if r.status == OpinionRequestStatus.OPEN]
    failures = []
    if objected:
        failures.append(_("%(who)s objected") % {"who": "、".join(_asked(r) for r in objected)})
    if word == "none_objected":
        return failures
    if word == "all_agreed":
        experts = ctx.dossier.state.experts or {}
        named = sum(1 for r in requests if r.expert_id)
        if experts and named < (experts.get("min") or 1):
            failures.append(_("at least %(count)s expert(s) must be asked for an opinion") % {"count": experts.get("min") or 1})
        if not requests:
            failures.append(_("no opinion has been requested yet"))
        elif waiting:
            failures.append(_("opinions of %(who)s are still awaited") % {"who": "、".join(_asked(r) for r in waiting)})
        return failures
    # deadline_passed: some request is still unanswered and every unanswered one is past its deadline
    if not waiting:
        failures.append(_("no opinion is outstanding"))
    elif any(r.due_date is None or r.due_date >= ctx.today for r in waiting):
        failures.append(_("the deadline for opinions has not passed"))
    return failures


def _asked(request):
    if request.department_id:
        return request.department.name
    return request.expert.get_full_name() or _("an expert")


def _notice(ctx, _word):
    from ..models import PublicNotice
    from .states import notice_minimum

    minimum = notice_minimum(ctx.dossier.state) or 0
    notices = list(PublicNotice.objects.filter(dossiers=ctx.dossier, working_days__gte=max(minimum, 1)))
    if not notices:
        return [_("the candidate has not been on a public notice of at least %(days)s working days") % {"days": max(minimum, 1)}]
    last = max(n.closes_on for n in notices)
    if last >= ctx.today:
        return [_("the public notice runs until %(date)s") % {"date": f"{last.year}年{last.month}月{last.day}日"}]
    return []


def _objections(ctx, _word):
    from ..models import ObjectionStatus

    statuses = set(ctx.dossier.objections.values_list("status", flat=True))
    failures = []
    if ObjectionStatus.OPEN in statuses:
        failures.append(_("an objection to the public notice is still open"))
    if ObjectionStatus.UPHELD in statuses:
        failures.append(_("an objection to the public notice was upheld"))
    return failures


def _materials(ctx, _word):
    from ..selectors_materials import materials_missing

    missing = materials_missing(ctx.dossier)
    if missing:
        return [_("required materials are missing: %(items)s") % {"items": "、".join(m.name for m in missing)}]
    return []


def _any(ctx, guards):
    collected = []
    for guard in guards:
        failures = _evaluate(ctx, guard)
        if not failures:
            return []
        collected.extend(failures)
    return [_("none of the alternatives holds: %(reasons)s") % {"reasons": "；".join(collected)}]


def _not(ctx, guard):
    if _evaluate(ctx, guard):
        return []
    return [_("the exception does not apply")]


_CHECKS = {
    "criteria_any": _criteria_any,
    "criteria_only": _criteria_only,
    "criteria_flag": _criteria_flag,
    "tier_in": _tier_in,
    "facts": _facts,
    "opinions": _opinions,
    "notice": _notice,
    "objections": _objections,
    "materials": _materials,
    "any": _any,
    "not": _not,
}


def _evaluate(ctx, guard):
    failures = []
    for key, value in (guard or {}).items():
        failures.extend(_CHECKS[key](ctx, value))
    return failures


def guard_failures(guard, dossier, today=None, context=None):
    """Chinese reasons why ``guard`` does not hold for ``dossier`` (empty list: it holds)."""
    if not guard:
        return []
    return _evaluate(context or GuardContext(dossier, today), guard)


def guard_reads_materials(guard):
    """Does the guard (or any part of it) ask for complete materials?"""
    if not isinstance(guard, dict):
        return False
    if "materials" in guard:
        return True
    return any(guard_reads_materials(g) for g in guard.get("any", []) or []) or guard_reads_materials(guard.get("not"))
