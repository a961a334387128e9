"""Checks on what people type into a dossier or a card: identity text, facts, dates, particulars. One place for
the portal, the API, imports and the services. (Scheme checks live in casefiles/schemes/: validate.py for a
scheme file, citations.py for a loaded scheme's rows.)
"""

from django.utils.translation import gettext as _

# --- identity fields typed by applicants or imported from spreadsheets ---------------------------------

SINGLE_LINE_FIELDS = ("applicant_name", "id_number", "nationality", "phone", "email", "sector")


def has_control_characters(value) -> bool:
    """True when text holds control characters (NUL, escape, line breaks), invisible formatting characters
    (zero-width spaces, right-to-left overrides) or lone surrogates (not Unicode text at all: no database,
    page or file can hold them) that have no place in a one-line field."""
    import unicodedata

    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in str(value or ""))


def looks_like_formula(value) -> bool:
    """A cell that a spreadsheet would run as a formula (``=cmd|...``, ``@SUM(...)``, their full-width forms, a
    leading tab or line break) when exported again: the one rule, kept with the exports (casefiles/exports.py)."""
    from .exports import looks_like_formula as rule

    return rule(value)


def identity_text_problem(identity):
    """(field, message) for the first identity field that is too long or holds control characters; else None.

    The database limits are checked here too, so that an overlong value is a clear message on every path
    (portal, API, import) rather than a database error."""
    from .models import Dossier

    for field in SINGLE_LINE_FIELDS:
        value = identity.get(field)
        if not isinstance(value, str) or not value:
            continue
        label = Dossier._meta.get_field(field).verbose_name
        if has_control_characters(value):
            return field, _("The %(field)s contains control characters or invisible formatting characters.") % {"field": label}
        limit = Dossier._meta.get_field(field).max_length
        if limit and len(value) > limit:
            return field, _("The %(field)s is too long (at most %(max)s characters).") % {"field": label, "max": limit}
    return None


# --- facts and dates of a dossier: one check for the portal, the API and the services -------------------

#: Largest number a numeric fact may hold (years of a contract or of operation); months are capped at 12.
FACT_NUMBER_MAX = 100
FACT_TEXT_MAX = 30


def dossier_fact_types():
    """Fact name → type for every fact a dossier may record: the eligibility facts the scheme data's
    preconditions test (docs/SCHEME_DATA.md), plus those the exit rules read (a talent category, retirement)."""
    from .eligibility import FACT_TYPES, RECORD_FACT_TYPES

    return {**FACT_TYPES, **RECORD_FACT_TYPES}


def _fact_value_problem(name, kind, value):
    from .eligibility import FACT_LABELS, FACT_MAXIMA

    label = FACT_LABELS.get(name, name)
    if kind == "bool":
        if not isinstance(value, bool):
            return _("The fact %(name)s must be yes or no.") % {"name": label}
        return None
    if kind == "number":
        import math

        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return _("The fact %(name)s must be a number.") % {"name": label}
        maximum = FACT_MAXIMA.get(name, FACT_NUMBER_MAX)
        if not 0 <= value <= maximum:
            return _("The fact %(name)s must be between 0 and %(max)s.") % {"name": label, "max": maximum}
        return None
    if name == "talent_category" and not (
        isinstance(value, str) and all(c.strip().upper() in ("A", "B", "C", "D", "E") for c in value.replace("/", ",").split(","))
        or value == "none"
    ):  # read by the automatic exit rules (casefiles/services/cards.py talent_categories)
        return _("The talent category must be one of A to E, or none.")
    if not isinstance(value, str) or len(value) > FACT_TEXT_MAX or has_control_characters(value):
        return _("The fact %(name)s must be a short line of text (at most %(max)s characters).") % {
            "name": label,
            "max": FACT_TEXT_MAX,
        }
    return None


def facts_problem(facts):
    """A message when ``facts`` is not a flat object of known facts with values of their type; else None.

    Checked before anything is written, so that no dossier ever stores a fact that cannot be shown back
    (a lone surrogate, a nested structure, a name no rule knows)."""
    if facts is None:
        return None
    if not isinstance(facts, dict):
        return _("The facts must be an object of fact names and values.")
    types = dossier_fact_types()
    for name, value in facts.items():
        if not isinstance(name, str) or name not in types:
            shown = name[:40] if isinstance(name, str) and not has_control_characters(name) else "?"
            return _("Unknown fact: %(names)s") % {"names": shown}
        if value is None:
            continue
        problem = _fact_value_problem(name, types[name], value)
        if problem:
            return problem
    return None


def _years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _years_after(day, years):
    return _years_before(day, -years)


#: Plausible ranges, in years: an applicant is an adult and at most this old; a contract ending this long ago
#: or this far ahead is a typing error, not a contract.
ADULT_AGE = 18
OLDEST_AGE = 100
CONTRACT_PAST_YEARS = 1
CONTRACT_FUTURE_YEARS = 50


def dates_problem(identity, today=None):
    """(field, message) for the first implausible date of a dossier's identity (birth date, contract end), or None.

    A birth date lies in the past and makes an adult of at most ``OLDEST_AGE``; a contract end lies after the
    applicant's 18th birthday (no contract starts earlier), no more than a year in the past and at most
    ``CONTRACT_FUTURE_YEARS`` ahead."""
    import datetime

    from django.utils import timezone

    today = today or timezone.localdate()
    birth, contract_end = identity.get("birth_date"), identity.get("contract_end")
    for field, value in (("birth_date", birth), ("contract_end", contract_end)):
        if value is not None and not isinstance(value, datetime.date):
            return field, _("Please enter a date.")
    if birth is not None:
        if birth > _years_before(today, ADULT_AGE):
            return "birth_date", _("The applicant must be an adult: the date of birth must be at least %(years)s years ago.") % {
                "years": ADULT_AGE
            }
        if birth < _years_before(today, OLDEST_AGE):
            return "birth_date", _("Please check the date of birth: it is more than %(years)s years ago.") % {
                "years": OLDEST_AGE
            }
    if contract_end is not None:
        if birth is not None and contract_end <= _years_after(birth, ADULT_AGE):
            return "contract_end", _("The employment contract cannot end before the applicant's 18th birthday.")
        if contract_end < _years_before(today, CONTRACT_PAST_YEARS):
            return "contract_end", _("Please check when the employment contract ends: it ended more than a year ago.")
        if contract_end > _years_after(today, CONTRACT_FUTURE_YEARS):
            return "contract_end", _("Please check when the employment contract ends: it is more than %(years)s years ahead.") % {
                "years": CONTRACT_FUTURE_YEARS
            }
    return None


def dossier_input_problem(values):
    """(field, message) for the first problem of what an applicant typed into a dossier: identity text, dates
    and (when given under ``"facts"``) the facts. The one check behind the portal, the API and the services."""
    problem = identity_text_problem(values) or dates_problem(values)
    if problem is None and "facts" in values:
        message = facts_problem(values["facts"])
        problem = ("facts", message) if message else None
    return problem


# --- what staff record about a card: changed particulars, the dates events take effect on --------------------

#: A date an event of a card takes effect on (an exit, a retirement, an assessment, a public notice, an objection)
#: lies at most this many years before or after today; further is a typing error (1900-01-01, 9999-12-31).
EVENT_PAST_YEARS = 10
EVENT_FUTURE_YEARS = 1
#: Longest free text of a card's particulars not held in a dossier field (the position).
PARTICULAR_TEXT_MAX = 100
#: Particulars of a card and the dossier identity field whose rules they follow (None: a short line of text).
PARTICULAR_TEXT_FIELDS = {"holder_name": "applicant_name", "phone": "phone", "email": "email", "sector": "sector",
                          "position": None}


def event_date_problem(value, today=None):
    """A message when ``value`` (a date an event takes effect on) is not a date or lies implausibly far from today."""
    import datetime

    from django.utils import timezone

    if value is None:
        return None
    if not isinstance(value, datetime.date):
        return _("Please enter a date.")
    today = today or timezone.localdate()
    if value < _years_before(today, EVENT_PAST_YEARS):
        return _("Please check the date: it is more than %(years)s years ago.") % {"years": EVENT_PAST_YEARS}
    if value > _years_after(today, EVENT_FUTURE_YEARS):
        return _("Please check the date: it is more than %(years)s year(s) ahead.") % {"years": EVENT_FUTURE_YEARS}
    return None


def line_text_problem(label, value, max_length, *, formula=True):
    """A message when a one-line text typed by staff (a name, a contact) is not text, holds control characters or
    lone surrogates, starts like a spreadsheet formula (unless ``formula`` is false: a phone number may start with
    +86), or is longer than ``max_length``; else None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return _("The %(field)s must be text.") % {"field": label}
    if has_control_characters(value):
        return _("The %(field)s contains control characters or invisible formatting characters.") % {"field": label}
    if formula and looks_like_formula(value):
        message = _("The %(field)s starts like a spreadsheet formula (= + - @); please enter plain text.")
        return message % {"field": label}
    if max_length and len(value) > max_length:
        return _("The %(field)s is too long (at most %(max)s characters).") % {"field": label, "max": max_length}
    return None


def particulars_problem(changes, today=None):
    """(field, message) for the first changed particular of a card that the dossier's checks would refuse: a
    contract end by :func:`dates_problem`, names and contacts by :func:`identity_text_problem` (and not formula-like:
    they reach certificates, exports and public announcements); else None."""
    from .models import Dossier

    for field, value in changes.items():
        if field == "contract_end":
            problem = dates_problem({"contract_end": value}, today)
            if problem:
                return field, problem[1]
            continue
        if field not in PARTICULAR_TEXT_FIELDS or value is None:
            continue
        identity_field = PARTICULAR_TEXT_FIELDS[field]
        if identity_field is None:
            message = line_text_problem(_("position"), value, PARTICULAR_TEXT_MAX)
        elif not isinstance(value, str):
            message = _("The %(field)s must be text.") % {"field": Dossier._meta.get_field(identity_field).verbose_name}
        else:
            problem = identity_text_problem({identity_field: value})
            message = problem[1] if problem else None
            if message is None and identity_field != "phone" and looks_like_formula(value):  # +86… is a phone number
                message = line_text_problem(Dossier._meta.get_field(identity_field).verbose_name, value, None)
        if message:
            return field, message
    return None
