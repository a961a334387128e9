"""Checks on a loaded scheme's rows as administrators edit them (the database side of the one scheme validator;
the file side is casefiles/schemes/validate.py): used by the admin forms and by ``manage.py load_schemes``.

* a tier must have at least one criterion (:func:`scheme_validate`, and the tier form);
* ids are unique per scheme (the database has constraints; :func:`duplicate_ref_message` words the
  error in the admin's terms before the database refuses);
* citations point to existing articles of the published policy page: every ``第X条`` must be an
  article of the scheme's live PolicyPage. Without a policy page the check is skipped.
"""

import re

from django.utils.translation import gettext as _

from ..models import Criterion, Precondition, RevocationReason, ServiceItem
from ..selectors_schemes import scheme_policy_page

ARTICLE_RE = re.compile(r"第([零〇一二两三四五六七八九十百千\d]+)条")
_ANCHOR_RE = re.compile(r"^art-(\d+)")
_REF_RE = re.compile(r"^(\d+)(?:\.|$)")

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def cn_number(text):
    """十六 → 16, 三十四 → 34, 一百零五 → 105; arabic digits pass through. None if unreadable."""
    if text.isdigit():
        return int(text)
    total, pending = 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            pending = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (1 if pending is None else pending) * _CN_UNITS[ch]
            pending = None
        else:
            return None
    return total + (pending or 0)


def cited_article(citation):
    """The article number a citation names (第十六条第（六）项 → 16), or None if it names none."""
    match = ARTICLE_RE.search(citation or "")
    return cn_number(match.group(1)) if match else None


def _number_from_unit(unit):
    """Article number of one unit of a policy page, whatever shape the page gives it in."""
    if isinstance(unit, dict):
        candidates = [unit.get(k) for k in ("anchor", "ref", "citation", "article", "heading", "id")]
    elif isinstance(unit, str):
        candidates = [unit]
    else:
        candidates = [getattr(unit, k, None) for k in ("anchor", "ref", "citation", "article", "heading")]
    for value in candidates:
        if value is None:
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        value = str(value)
        for regex in (_ANCHOR_RE, _REF_RE):
            match = regex.match(value)
            if match:
                return int(match.group(1))
        number = cited_article(value)
        if number:
            return number
    return None


def policy_article_numbers(scheme):
    """Article numbers of the scheme's published policy page, or None when there is no such page.

    The page type belongs to the policy pages app; this reads it defensively: its ``search_units()`` (units
    carrying an ``anchor`` such as ``art-16-6``, a ``ref`` such as ``16.6`` or a citation), else
    ``article_numbers()``, else the 第X条 headings of its text.
    """
    page = scheme_policy_page(scheme)
    if page is None:
        return None
    numbers = set()
    if hasattr(page, "article_numbers"):
        numbers.update(int(n) for n in page.article_numbers())
    if not numbers and hasattr(page, "search_units"):
        for unit in page.search_units():
            number = _number_from_unit(unit)
            if number:
                numbers.add(number)
    if not numbers:
        text = " ".join(str(getattr(page, name, "") or "") for name in ("body", "text", "content"))
        numbers.update(n for n in (cn_number(m) for m in ARTICLE_RE.findall(text)) if n)
    return numbers or None


def citation_problem(citation, articles):
    """A message if ``citation`` names an article the policy lacks; None if fine or unchecked."""
    if not citation or articles is None:
        return None
    number = cited_article(citation)
    if number is None:
        return _("“%(citation)s” names no article (第…条).") % {"citation": citation}
    if number not in articles:
        return _("The published policy has no article %(number)s (cited as “%(citation)s”).") % {
            "number": number,
            "citation": citation,
        }
    return None


def duplicate_ref_message(model, scheme, value, exclude_pk=None, field="ref"):
    """A friendly message when another row of the scheme already uses this id; else None."""
    if scheme is None or not value:
        return None
    others = model.objects.filter(scheme=scheme, **{field: value})
    if exclude_pk:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        return _("Id “%(value)s” is already used by another %(kind)s of %(scheme)s; ids are unique per scheme.") % {
            "value": value,
            "kind": model._meta.verbose_name,
            "scheme": scheme.name,
        }
    return None


def scheme_citations(scheme):
    """(where, citation) for every article a scheme's rows cite."""
    rows = [
        (_("scheme"), scheme.case_by_case_article),
        (_("scheme"), scheme.public_notice_article),
        (_("scheme"), scheme.validity_article),
        (_("scheme"), scheme.renewal_article),
        (_("scheme"), scheme.loss_article),
    ]
    for tier in scheme.tiers.all():
        rows.append((f"{_('tier')} {tier.code}", tier.article))
    for model, label in (
        (Precondition, _("precondition")),
        (Criterion, _("criterion")),
        (ServiceItem, _("service item")),
        (RevocationReason, _("revocation reason")),
    ):
        for row in model.objects.filter(scheme=scheme):
            rows.append((f"{label} {row.ref}", row.article))
    for state in scheme.states.all():
        rows.append((f"{_('workflow state')} {state.code}", state.article))
    for transition in scheme.transitions.all():
        rows.append((f"{_('workflow transition')} {transition.code}", transition.article))
    for recognition in scheme.recognitions.all():
        rows.append((f"{_('recognised card')} {recognition.card_name}", recognition.article))
    return [(where, citation) for where, citation in rows if citation]


def scheme_validate(scheme):
    """Problems of a scheme's rules as a list of messages (empty when the scheme is sound)."""
    problems = []
    tiers = list(scheme.tiers.prefetch_related("criteria", "includes"))
    for tier in tiers:
        if not tier.criteria.all():
            problems.append(_("Tier %(tier)s has no criterion: a tier must have at least one.") % {"tier": tier.name})
        for included in tier.includes.all():
            if included.scheme_id != scheme.pk:
                problems.append(
                    _("Tier %(tier)s includes %(other)s of another scheme.") % {"tier": tier.name, "other": included}
                )
    for criterion in Criterion.objects.filter(scheme=scheme).select_related("tier"):
        if criterion.tier.scheme_id != scheme.pk:
            problems.append(
                _("Criterion %(ref)s belongs to a tier of another scheme.") % {"ref": criterion.ref}
            )
    for service in ServiceItem.objects.filter(scheme=scheme).prefetch_related("tiers"):
        if not service.tiers.all():
            problems.append(_("Service %(ref)s belongs to no tier.") % {"ref": service.ref})
    states = list(scheme.states.all())
    if states and not any(s.kind == "start" for s in states):
        problems.append(_("The workflow has no start state."))
    articles = policy_article_numbers(scheme)
    for where, citation in scheme_citations(scheme):
        problem = citation_problem(citation, articles)
        if problem:
            problems.append(f"{where}: {problem}")
    return problems
