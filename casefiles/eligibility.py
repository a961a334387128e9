"""Eligibility self-check: which tier the criteria a person meets lead to, and how the preconditions stand.

A pure function over the scheme's rows: no writes, no request. The precondition rule format is in
docs/SCHEME_DATA.md: ``{"fact": name, "test": ">= 1"}`` or alternatives ``{"any": [...]}`` /
``{"all": [...]}``; each precondition comes out met, failed or unknown (a fact not given is unknown,
never failed).
"""

import operator
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy

from .models import Criterion, Precondition, Tier

MET, FAILED, UNKNOWN = "met", "failed", "unknown"

#: The facts a precondition may test, with their type (docs/SCHEME_DATA.md "Eligibility facts").
FACT_TYPES = {
    "contract_years": "number",
    "self_employed": "bool",
    "flexible_introduction": "bool",
    "employer_operating_years": "number",
    "employer_is_district_institution": "bool",
    "months_per_year_in_jurisdiction": "number",
}

#: Largest value of a numeric fact where it is not the general cap (validation.FACT_NUMBER_MAX): a year has 12 months.
FACT_MAXIMA = {
    "months_per_year_in_jurisdiction": 12,
}

#: Labels of the eligibility facts named in docs/SCHEME_DATA.md, for forms and messages; a fact not listed shows
#: its code.
FACT_LABELS = {
    "contract_years": gettext_lazy("Years of your employment contract with the employer"),
    "self_employed": gettext_lazy("You run your own business here"),
    "flexible_introduction": gettext_lazy("You were introduced flexibly (柔性引进)"),
    "employer_operating_years": gettext_lazy("Years the employer has been registered and operating here"),
    "employer_is_district_institution": gettext_lazy(
        "The employer is a district education, medical or research institution"
    ),
    "months_per_year_in_jurisdiction": gettext_lazy("Months per year you work here"),
    # the facts the automatic exit rules read (scheme data automatic_when; casefiles/services/cards.py)
    "talent_category": gettext_lazy("Provincial talent category (A–E) you have been recognised in"),
    "retired": gettext_lazy("You have completed retirement formalities"),
    "left_region": gettext_lazy("The holder has left the region for work elsewhere (调离)"),
}

#: Facts a dossier may record besides the eligibility facts: read by the automatic exit rules
#: (casefiles/services/cards.py: a declared talent category such as "C" or "A/B", retirement), and the mark of
#: a holder imported from an earlier register (casefiles/services/registry_import.py).
RECORD_FACT_TYPES = {
    "talent_category": "text",
    "retired": "bool",
    "left_region": "bool",
    "registry_import": "bool",
}

_TEST_RE = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?|true|false)\s*$")
_OPERATORS = {
    ">=": operator.ge, "<=": operator.le, "==": operator.eq, "!=": operator.ne, ">": operator.gt, "<": operator.lt,
}


class UnknownCriterion(ValueError):
    """Criterion ids the scheme does not have."""

    def __init__(self, refs):
        self.refs = list(refs)
        super().__init__(", ".join(self.refs))


@dataclass
class EligibilityResult:
    scheme: object
    tier: Tier | None
    basis: list[Criterion] = field(default_factory=list)
    met: list[Precondition] = field(default_factory=list)
    unmet: list[Precondition] = field(default_factory=list)
    unknown: list[Precondition] = field(default_factory=list)
    case_by_case: bool = False

    @property
    def eligible(self):
        """A tier is reached and no precondition failed; unknown preconditions are left to the reviewers."""
        return self.tier is not None and not self.unmet


def fact_passes(value, test):
    """Apply one mini expression (``">= 1"``, ``"== true"``, ``"any"``) to a known fact value."""
    if test is None or str(test).strip() == "any":
        return True
    match = _TEST_RE.match(str(test))
    if not match:
        raise ValueError(f"invalid precondition test: {test!r}")
    op, raw = match.groups()
    if raw in ("true", "false"):
        expected = raw == "true"
        return _OPERATORS[op](bool(value), expected)
    if isinstance(value, bool):
        value = int(value)
    return _OPERATORS[op](float(value), float(raw))


def rule_status(rule, facts):
    """met / failed / unknown for one rule node (a fact test, or any/all alternatives)."""
    if not rule:
        return UNKNOWN  # nothing the system can test: the reviewers check it
    if rule.get("any"):
        statuses = [rule_status(alt, facts) for alt in rule["any"]]
        if MET in statuses:
            return MET
        return FAILED if all(s == FAILED for s in statuses) else UNKNOWN
    if rule.get("all"):
        statuses = [rule_status(alt, facts) for alt in rule["all"]]
        if FAILED in statuses:
            return FAILED
        return MET if all(s == MET for s in statuses) else UNKNOWN
    fact = rule.get("fact")
    if not fact:
        return UNKNOWN
    if facts.get(fact) is None:
        return UNKNOWN
    return MET if fact_passes(facts[fact], rule.get("test")) else FAILED


def rule_facts(rule):
    """The fact names a rule tests, in order of appearance."""
    names = []
    for alt in (rule or {}).get("any") or (rule or {}).get("all") or []:
        names.extend(n for n in rule_facts(alt) if n not in names)
    if (rule or {}).get("fact") and rule["fact"] not in names:
        names.append(rule["fact"])
    return names


def evaluate(scheme, criterion_refs, facts=None):
    """Evaluate a self-check against a scheme.

    ``criterion_refs``: ids of the criteria the person says they meet. The tier is the highest one any of
    them reaches; ``basis`` are the given criteria of that tier. Raises :class:`UnknownCriterion` for
    ids the scheme does not have.
    """
    facts = {k: v for k, v in (facts or {}).items() if v is not None}
    refs = [str(r).strip() for r in criterion_refs or [] if str(r).strip()]
    criteria = {c.ref: c for c in Criterion.objects.filter(scheme=scheme, ref__in=refs).select_related("tier")}
    missing = [r for r in dict.fromkeys(refs) if r not in criteria]
    if missing:
        raise UnknownCriterion(missing)

    tier, basis = None, []
    if criteria:
        tier = max((c.tier for c in criteria.values()), key=lambda t: (t.rank, -t.pk))
        basis = sorted((c for c in criteria.values() if c.tier_id == tier.pk), key=lambda c: (c.order, c.pk))

    result = EligibilityResult(scheme=scheme, tier=tier, basis=basis, case_by_case=bool(scheme.case_by_case))
    for precondition in scheme.preconditions.order_by("order", "pk"):
        status = rule_status(precondition.rule, facts)
        {MET: result.met, FAILED: result.unmet, UNKNOWN: result.unknown}[status].append(precondition)
    return result


def scheme_facts(scheme):
    """The facts the scheme's preconditions ask about, in order (for the questions of the self-check)."""
    names = []
    for precondition in scheme.preconditions.order_by("order", "pk"):
        names.extend(n for n in rule_facts(precondition.rule) if n not in names)
    return names
