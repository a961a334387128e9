"""Load and validate scheme data files (casefiles/schemes/<slug>.yaml).

Pure Python (PyYAML only, no Django), so it can run in CI, in tests and before `load_schemes`.
The format is described in docs/SCHEME_DATA.md.

    python -m casefiles.schemes.validate casefiles/schemes/*.yaml

prints one line per error and exits with status 1 if any file has errors.
"""
from __future__ import annotations

import datetime
import re
import sys
from collections import Counter, deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

__all__ = ["load_scheme_file", "validate_scheme", "load_jurisdiction_codes", "main"]

FORMAT_VERSION = 1

ARTICLE_RE = re.compile(r"^第[一二三四五六七八九十百]+条")
ID_RE = re.compile(r"^\d+(\.\d+)*$")
CODE_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
STATE_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
TEST_RE = re.compile(r"^(>=|<=|==|!=|>|<)\s*(-?\d+(\.\d+)?|true|false)$|^any$")

TOP_LEVEL_KEYS = (
    "format", "version", "slug", "name", "jurisdiction", "policy", "reference_format",
    "card_number_format", "case_by_case", "departments", "preconditions", "tiers", "services",
    "workflow", "validity", "revocation_reasons",
)
DEPARTMENT_KINDS = {
    "org_dept", "talent_office", "leading_group", "hr_bureau", "competent_authority",
    "supervising_hr", "bank", "responsible_unit", "joint_meeting",
}
AUTHORITY_KINDS = {"competent_authority", "supervising_hr"}
STATE_KINDS = {"start", "stage", "waiting", "end"}
FAMILY_SCOPES = {"self", "spouse", "children", "parents", "parents_in_law", "companions"}
CATEGORIES = {
    "medical", "education", "housing", "household", "travel", "finance", "tourism",
    "entrepreneurship", "family", "residence", "other",
}
VALIDITY_RULES = {"contract_bounded", "fixed_from_issuance", "open_ended", "while_in_post"}
EFFECTS = {"revoke", "contact_list", "terminate_all", "keep_until_end", "recall"}
REQUESTERS = {"holder", "employer", "department"}
AUTOMATIC_RULES = {None, "age_65_category_c", "retired_category_de"}
FACTS = {
    "contract_years": "number",
    "self_employed": "bool",
    "flexible_introduction": "bool",
    "employer_operating_years": "number",
    "employer_is_district_institution": "bool",
    "months_per_year_in_jurisdiction": "number",
}
# principals that are not department codes, per place they may appear
SPECIAL_ACTORS = {"applicant", "employer", "authority"}
SPECIAL_VIEW = {"applicant", "employer", "authority"}
SPECIAL_BY = {"applicant", "employer", "authority", "actor"}
SPECIAL_UNITS = {"employer"}


def load_scheme_file(path: str | Path) -> dict:
    """Read one scheme YAML file and return its mapping (raises ValueError if it isn't one)."""
    path = Path(path)
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: top level is not a mapping")
    return data


def load_jurisdiction_codes(path: str | Path | None = None) -> set[str]:
    """Codes from casefiles/schemes/jurisdictions.yaml (next to this module by default)."""
    path = Path(path) if path else Path(__file__).with_name("jurisdictions.yaml")
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    return {j["code"] for j in data.get("jurisdictions", []) if isinstance(j, dict) and "code" in j}


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _walk_articles(node: Any, where: str) -> Iterable[tuple[str, Any]]:
    """Yield (location, value) for every `article` / `*_article` key in the tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            loc = f"{where}.{key}" if where else str(key)
            if isinstance(key, str) and (key == "article" or key.endswith("_article")):
                yield loc, value
            else:
                yield from _walk_articles(value, loc)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk_articles(item, f"{where}[{i}]")


def validate_scheme(data: dict, jurisdictions: set[str] | None = None, controls: bool = True) -> list[str]:
    """Return a list of error messages (empty if the scheme is valid).

    `jurisdictions`, if given, is the set of known jurisdiction codes.
    """
    errors: list[str] = []
    err = errors.append
    if not isinstance(data, dict):
        return ["scheme data is not a mapping"]

    # ---- top level -------------------------------------------------------------------------
    for key in TOP_LEVEL_KEYS:
        if key not in data:
            err(f"missing top-level key: {key}")
    if data.get("format") != FORMAT_VERSION:
        err(f"format must be {FORMAT_VERSION}, got {data.get('format')!r}")
    slug = data.get("slug")
    if not isinstance(slug, str) or not STATE_CODE_RE.match(slug or ""):
        err(f"slug must be ascii lower-case: {slug!r}")
    if jurisdictions is not None and data.get("jurisdiction") not in jurisdictions:
        err(f"unknown jurisdiction: {data.get('jurisdiction')!r}")
    policy = data.get("policy") or {}
    for key in ("seed", "title"):
        if not (isinstance(policy, dict) and policy.get(key)):
            err(f"policy.{key} is required")
    for key in ("reference_format", "card_number_format"):
        fmt = data.get(key)
        if key in data and (not isinstance(fmt, str) or "{year}" not in fmt or "{seq" not in fmt):
            err(f"{key} must contain {{year}} and {{seq…}}: {fmt!r}")
    if data.get("case_by_case") and not data.get("case_by_case_article"):
        err("case_by_case is true but case_by_case_article is missing")

    # ---- departments -----------------------------------------------------------------------
    departments = _as_list(data.get("departments"))
    dept_codes: set[str] = set()
    dept_kinds: dict[str, str] = {}
    for i, dept in enumerate(departments):
        if not isinstance(dept, dict):
            err(f"departments[{i}] is not a mapping")
            continue
        code = dept.get("code")
        for key in ("code", "name", "kind"):
            if not dept.get(key):
                err(f"departments[{i}] ({code}): missing {key}")
        if code is None:
            continue
        if not isinstance(code, str) or not CODE_RE.match(code):
            err(f"department code must be ascii lower-case with hyphens: {code!r}")
        if code in dept_codes:
            err(f"duplicate department code: {code}")
        if code in SPECIAL_BY:
            err(f"department code {code!r} is reserved")
        dept_codes.add(code)
        kind = dept.get("kind")
        dept_kinds[code] = kind
        if kind not in DEPARTMENT_KINDS:
            err(f"department {code}: unknown kind {kind!r}")
        if kind in AUTHORITY_KINDS and not dept.get("sector"):
            err(f"department {code}: kind {kind} needs a sector")
        if jurisdictions is not None and dept.get("jurisdiction") not in (None, *jurisdictions):
            err(f"department {code}: unknown jurisdiction {dept.get('jurisdiction')!r}")

    def check_principal(value: Any, allowed_special: set[str], where: str) -> None:
        if value in allowed_special:
            return
        if value not in dept_codes:
            err(f"{where}: unknown department or principal {value!r}")

    # ---- ids ------------------------------------------------------------------------------
    id_places: list[tuple[str, str]] = []  # (id, where)

    def note_id(item: dict, where: str) -> None:
        ident = item.get("id")
        if not isinstance(ident, str) or not ID_RE.match(ident):
            err(f"{where}: id must be a string of arabic numbers joined by dots, got {ident!r}")
        id_places.append((str(ident), where))

    def check_text(item: dict, where: str) -> None:
        if not isinstance(item.get("text"), str) or not item.get("text").strip():
            err(f"{where}: missing text")
        if not item.get("article"):
            err(f"{where}: missing article")

    # ---- preconditions ----------------------------------------------------------------------
    def check_fact_test(fact: Any, test: Any, where: str) -> None:
        if fact is None and test is None:
            return
        if fact not in FACTS:
            err(f"{where}: unknown fact {fact!r}")
        if not isinstance(test, str) or not TEST_RE.match(test.strip()):
            err(f"{where}: bad test {test!r}")
        elif fact in FACTS:
            operand = test.split()[-1] if test.strip() != "any" else "any"
            if FACTS[fact] == "bool" and operand not in ("true", "false"):
                err(f"{where}: fact {fact} is boolean, test {test!r} is not")
            if FACTS[fact] == "number" and operand in ("true", "false"):
                err(f"{where}: fact {fact} is a number, test {test!r} is not")

    for i, pre in enumerate(_as_list(data.get("preconditions"))):
        where = f"preconditions[{i}]"
        if not isinstance(pre, dict):
            err(f"{where} is not a mapping")
            continue
        note_id(pre, where)
        check_text(pre, where)
        check_fact_test(pre.get("fact"), pre.get("test"), where)
        if "any" in pre:
            alts = pre.get("any")
            if not isinstance(alts, list) or len(alts) < 2:
                err(f"{where}: `any` needs at least two alternatives")
            else:
                for j, alt in enumerate(alts):
                    if not isinstance(alt, dict) or alt.get("fact") is None:
                        err(f"{where}.any[{j}]: needs fact and test")
                    else:
                        check_fact_test(alt.get("fact"), alt.get("test"), f"{where}.any[{j}]")

    # ---- services --------------------------------------------------------------------------
    service_ids: set[str] = set()
    for i, svc in enumerate(_as_list(data.get("services"))):
        where = f"services[{i}]"
        if not isinstance(svc, dict):
            err(f"{where} is not a mapping")
            continue
        where = f"service {svc.get('id')}"
        note_id(svc, where)
        service_ids.add(str(svc.get("id")))
        check_text(svc, where)
        if not svc.get("title"):
            err(f"{where}: missing title")
        units = svc.get("responsible_units")
        if not isinstance(units, list) or not units:
            err(f"{where}: responsible_units must be a non-empty list")
        for unit in _as_list(units):
            check_principal(unit, SPECIAL_UNITS, f"{where}.responsible_units")
        scope = svc.get("family_scope")
        if not isinstance(scope, list) or not scope:
            err(f"{where}: family_scope must be a non-empty list")
        for member in _as_list(scope):
            if member not in FAMILY_SCOPES:
                err(f"{where}: unknown family_scope {member!r}")
        limit = svc.get("time_limit_working_days")
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0):
            err(f"{where}: time_limit_working_days must be a positive integer or null")
        if svc.get("category") not in CATEGORIES:
            err(f"{where}: unknown category {svc.get('category')!r}")

    # ---- tiers -----------------------------------------------------------------------------
    tiers = _as_list(data.get("tiers"))
    tier_codes: list[str] = []
    criterion_ids: set[str] = set()
    referenced_services: set[str] = set()
    if not tiers:
        err("scheme has no tiers")
    for i, tier in enumerate(tiers):
        if not isinstance(tier, dict):
            err(f"tiers[{i}] is not a mapping")
            continue
        code = tier.get("code")
        where = f"tier {code}"
        for key in ("code", "name", "rank", "article"):
            if tier.get(key) in (None, ""):
                err(f"{where}: missing {key}")
        tier_codes.append(code)
        criteria = _as_list(tier.get("criteria"))
        if not criteria:
            err(f"{where}: has no criteria")
        for j, crit in enumerate(criteria):
            cwhere = f"{where} criterion[{j}]"
            if not isinstance(crit, dict):
                err(f"{cwhere} is not a mapping")
                continue
            cwhere = f"{where} criterion {crit.get('id')}"
            note_id(crit, cwhere)
            criterion_ids.add(str(crit.get("id")))
            check_text(crit, cwhere)
            if "direct_recognition" in crit and not isinstance(crit["direct_recognition"], bool):
                err(f"{cwhere}: direct_recognition must be true/false")
        services = tier.get("services")
        if not isinstance(services, list):
            err(f"{where}: services must be a list")
        for sid in _as_list(services):
            if str(sid) not in service_ids:
                err(f"{where}: unknown service id {sid!r}")
            referenced_services.add(str(sid))
        if len(set(map(str, _as_list(services)))) != len(_as_list(services)):
            err(f"{where}: a service is listed twice")
    for code, n in Counter(tier_codes).items():
        if n > 1:
            err(f"duplicate tier code: {code}")
    ranks = [t.get("rank") for t in tiers if isinstance(t, dict)]
    if len(set(ranks)) != len(ranks):
        err("tier ranks must be distinct")
    # includes: existing tiers, no cycles
    includes = {t.get("code"): [str(c) for c in _as_list(t.get("includes"))]
                for t in tiers if isinstance(t, dict)}
    for code, inc in includes.items():
        for other in inc:
            if other not in includes:
                err(f"tier {code}: includes unknown tier {other!r}")
            elif other == code:
                err(f"tier {code}: includes itself")
    for code in includes:
        seen, todo = set(), list(includes[code])
        while todo:
            nxt = todo.pop()
            if nxt == code:
                err(f"tier {code}: includes cycle")
                break
            if nxt in seen or nxt not in includes:
                continue
            seen.add(nxt)
            todo.extend(includes[nxt])
    for sid in sorted(service_ids - referenced_services):
        err(f"service {sid} is not offered by any tier")

    # ---- recognitions ----------------------------------------------------------------------
    for i, rec in enumerate(_as_list(data.get("recognitions"))):
        where = f"recognitions[{i}]"
        if not isinstance(rec, dict):
            err(f"{where} is not a mapping")
            continue
        if not rec.get("card"):
            err(f"{where}: missing card")
        if rec.get("grants_tier") not in includes:
            err(f"{where}: unknown tier {rec.get('grants_tier')!r}")
        if rec.get("criterion") is not None and str(rec.get("criterion")) not in criterion_ids:
            err(f"{where}: unknown criterion {rec.get('criterion')!r}")

    # ---- revocation reasons ----------------------------------------------------------------
    for i, reason in enumerate(_as_list(data.get("revocation_reasons"))):
        where = f"revocation_reasons[{i}]"
        if not isinstance(reason, dict):
            err(f"{where} is not a mapping")
            continue
        where = f"revocation reason {reason.get('id')}"
        note_id(reason, where)
        check_text(reason, where)
        if reason.get("effect") not in EFFECTS:
            err(f"{where}: unknown effect {reason.get('effect')!r}")
        requested = reason.get("requested_by")
        if not isinstance(requested, list) or not requested:
            err(f"{where}: requested_by must be a non-empty list")
        for who in _as_list(requested):
            if who not in REQUESTERS:
                err(f"{where}: unknown requester {who!r}")
        if reason.get("automatic_rule") not in AUTOMATIC_RULES and not reason.get("automatic_when"):
            err(f"{where}: unknown automatic_rule {reason.get('automatic_rule')!r}")  # see card_rules_problems

    # ---- unique ids ------------------------------------------------------------------------
    for ident, n in Counter(i for i, _ in id_places).items():
        if n > 1:
            places = ", ".join(w for i, w in id_places if i == ident)
            err(f"duplicate id {ident!r}: {places}")

    # ---- validity --------------------------------------------------------------------------
    validity = data.get("validity")
    if not isinstance(validity, dict):
        err("validity must be a mapping")
    else:
        if validity.get("rule") not in VALIDITY_RULES:
            err(f"validity: unknown rule {validity.get('rule')!r}")
        max_years = validity.get("max_years")
        if max_years is not None and (not isinstance(max_years, int) or max_years <= 0):
            err("validity.max_years must be a positive integer or null")
        if validity.get("rule") in ("contract_bounded", "fixed_from_issuance") and max_years is None:
            err(f"validity: rule {validity.get('rule')} needs max_years")
        for key in ("renewal", "loss"):
            block = validity.get(key)
            if block is not None:
                if not isinstance(block, dict):
                    err(f"validity.{key} must be a mapping or null")
                else:
                    check_text(block, f"validity.{key}")

    # ---- public notice ---------------------------------------------------------------------
    notice = data.get("public_notice")
    if notice is not None:
        if not isinstance(notice, dict):
            err("public_notice must be a mapping or null")
        else:
            if not notice.get("article"):
                err("public_notice: missing article")
            check_principal(notice.get("department"), set(), "public_notice.department")
            days = notice.get("working_days")
            if days is not None and (not isinstance(days, int) or days <= 0):
                err("public_notice.working_days must be a positive integer or null")

    # ---- workflow --------------------------------------------------------------------------
    workflow = data.get("workflow")
    if not isinstance(workflow, dict):
        err("workflow must be a mapping")
        workflow = {}
    states = [s for s in _as_list(workflow.get("states")) if isinstance(s, dict)]
    transitions = [t for t in _as_list(workflow.get("transitions")) if isinstance(t, dict)]
    state_by_code: dict[str, dict] = {}
    uses_authority = False
    for s in states:
        code = s.get("code")
        where = f"state {code}"
        if not isinstance(code, str) or not STATE_CODE_RE.match(code):
            err(f"{where}: bad state code")
        if code in state_by_code:
            err(f"duplicate state code: {code}")
        state_by_code[code] = s
        if not s.get("name"):
            err(f"{where}: missing name")
        kind = s.get("kind")
        if kind not in STATE_KINDS:
            err(f"{where}: unknown kind {kind!r}")
        if kind != "end":
            if not s.get("actor"):
                err(f"{where}: missing actor")
            else:
                check_principal(s.get("actor"), SPECIAL_ACTORS, f"{where}.actor")
        view = s.get("view")
        if not isinstance(view, list) or not view:
            err(f"{where}: view must be a non-empty list")
        for principal in _as_list(view):
            check_principal(principal, SPECIAL_VIEW, f"{where}.view")
        if "applicant" not in _as_list(view):
            err(f"{where}: the applicant must be able to see their dossier")
        if s.get("actor") and s.get("actor") not in _as_list(view):
            err(f"{where}: actor {s.get('actor')!r} cannot see the dossier")
        if s.get("actor") == "authority" or "authority" in _as_list(view):
            uses_authority = True
        limit = s.get("time_limit_working_days")
        if limit is not None and (not isinstance(limit, int) or limit <= 0):
            err(f"{where}: time_limit_working_days must be a positive integer or null")
    # The engine reads the states' kinds and actors and the transitions' principals and roles, never their
    # codes: the rules below say what a workflow must contain in those terms.
    starts = [c for c, s in state_by_code.items() if s.get("kind") == "start"]
    if len(starts) != 1:
        err(f"workflow must have exactly one start state, found {starts}")
    start = starts[0] if len(starts) == 1 else None
    if start is not None and state_by_code[start].get("actor") != "applicant":
        err(f"workflow: the start state {start} must be acted on by the applicant")
    ends = {c for c, s in state_by_code.items() if s.get("kind") == "end"}
    # states after submission in which the dossier waits on the applicant (退回补正)
    back_to_applicant = {c for c, s in state_by_code.items() if c != start and s.get("kind") != "end"
                         and s.get("actor") == "applicant"}

    edges: dict[str, set[str]] = {c: set() for c in state_by_code}
    transition_codes: list[str] = []
    issuing_targets: set[str] = set()
    submissions, returns, refusals, withdrawals = [], 0, 0, 0
    for t in transitions:
        code = t.get("code")
        where = f"transition {code}"
        transition_codes.append(code)
        if not isinstance(code, str) or not STATE_CODE_RE.match(code):
            err(f"{where}: bad transition code")
        if not t.get("name"):
            err(f"{where}: missing name")
        sources = t.get("from")
        if not isinstance(sources, list) or not sources:
            err(f"{where}: from must be a non-empty list")
        target = t.get("to")
        if target not in state_by_code:
            err(f"{where}: unknown to-state {target!r}")
        by = t.get("by")
        withdrawal = by == "applicant" and target in ends and not t.get("issues_card")
        for src in _as_list(sources):
            if src not in state_by_code:
                err(f"{where}: unknown from-state {src!r}")
                continue
            if state_by_code[src].get("kind") == "end":
                err(f"{where}: leaves end state {src}")
            if target in state_by_code:
                edges[src].add(target)
            if by == "actor":
                continue
            actor = state_by_code[src].get("actor")
            if by != actor and not withdrawal:
                err(f"{where}: by {by!r} but state {src} is acted on by {actor!r}")
        check_principal(by, SPECIAL_BY, f"{where}.by")
        if by == "authority":
            uses_authority = True
        sources_list = [x for x in _as_list(sources) if isinstance(x, str)]
        if start in sources_list and by == "applicant" and target not in ends:
            submissions.append(t)
        if withdrawal:
            withdrawals += 1
        elif target in back_to_applicant and by != "applicant":
            returns += 1
            if not t.get("requires_comment"):
                err(f"{where}: returns the dossier to the applicant, so requires_comment must be true")
        elif target in ends and not t.get("issues_card") and by != "applicant":
            refusals += 1
            if not t.get("requires_comment"):
                err(f"{where}: ends the application without a card, so requires_comment must be true")
        if t.get("issues_card"):
            if target not in ends:
                err(f"{where}: issues_card but does not lead to an end state")
            elif isinstance(target, str):
                issuing_targets.add(target)
    for code, n in Counter(transition_codes).items():
        if n > 1:
            err(f"duplicate transition code: {code}")
    if not issuing_targets:
        err("workflow: no transition has issues_card: true")
    if start is not None and not submissions:
        err(f"workflow: no transition by the applicant submits from {start}")
    if not back_to_applicant or not returns:
        err("workflow: no step returns the dossier to the applicant for supplement (a state acted on by the applicant after submission)")
    if not refusals:
        err("workflow: no step ends an application without a card (rejection)")
    if not withdrawals:
        err("workflow: the applicant has no step to withdraw")
    for t in submissions:
        missing = back_to_applicant - set(_as_list(t.get("from")))
        if missing:
            err(f"transition {t.get('code')}: submits from {start} and must also leave from {sorted(missing)}")
    # reachability
    reachable: set[str] = set()
    if start is not None:
        queue = deque([start])
        reachable.add(start)
        while queue:
            for nxt in edges.get(queue.popleft(), ()):
                if nxt not in reachable:
                    reachable.add(nxt)
                    queue.append(nxt)
    for code, s in state_by_code.items():
        if s.get("kind") != "end" and code not in reachable:
            err(f"workflow: state {code} is not reachable from {start}")
        if s.get("kind") != "end" and not edges.get(code):
            err(f"workflow: state {code} has no way out")
    for target in sorted(issuing_targets - reachable):
        err(f"workflow: {target} (where the card is issued) is not reachable from {start}")
    # the scheme's flags and the workflow agree
    roles = {t.get("role") for t in transitions}
    if data.get("case_by_case") and "meeting_decision" not in roles:
        err("workflow: case_by_case scheme has no transition with role meeting_decision")
    if data.get("public_notice") and not any(s.get("notice") for s in states):
        err("workflow: public_notice is configured but no state declares a notice")
    # authority
    authority_kind = workflow.get("authority_kind")
    if uses_authority and not authority_kind:
        err("workflow uses 'authority' but authority_kind is not set")
    if authority_kind is not None:
        if authority_kind not in AUTHORITY_KINDS:
            err(f"workflow: unknown authority_kind {authority_kind!r}")
        elif authority_kind not in dept_kinds.values():
            err(f"workflow: authority_kind {authority_kind} but no department of that kind")

    # ---- lengths the database columns allow --------------------------------------------------
    def too_long(value: Any, limit: int, where: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            err(f"{where}: longer than {limit} characters")

    too_long(data.get("name"), 100, "name")
    too_long(policy.get("title") if isinstance(policy, dict) else None, 200, "policy.title")
    for dept in departments:
        if isinstance(dept, dict):
            too_long(dept.get("code"), 60, f"department {dept.get('code')}.code")
            too_long(dept.get("name"), 150, f"department {dept.get('code')}.name")
            too_long(dept.get("sector"), 100, f"department {dept.get('code')}.sector")
    for ident, where in id_places:
        too_long(ident, 20, f"{where}.id")
    for tier in tiers:
        if isinstance(tier, dict):
            too_long(tier.get("name"), 100, f"tier {tier.get('code')}.name")
            for crit in _as_list(tier.get("criteria")):
                if isinstance(crit, dict):
                    too_long(crit.get("talent_category"), 30, f"criterion {crit.get('id')}.talent_category")
    for svc in _as_list(data.get("services")):
        if isinstance(svc, dict):
            too_long(svc.get("title"), 200, f"service {svc.get('id')}.title")
    for s in states:
        too_long(s.get("code"), 40, f"state {s.get('code')}.code")
        too_long(s.get("name"), 60, f"state {s.get('code')}.name")
    for t in transitions:
        too_long(t.get("code"), 60, f"transition {t.get('code')}.code")
        too_long(t.get("name"), 60, f"transition {t.get('code')}.name")

    # ---- articles --------------------------------------------------------------------------
    for where, value in _walk_articles(data, ""):
        if value is None:
            continue
        if not isinstance(value, str) or not ARTICLE_RE.match(value):
            err(f"{where}: article must look like 第…条, got {value!r}")
        else:
            too_long(value, 100, where)

    # ---- controls: guards, materials, opinion requests, experts, notice, four eyes (casefiles/schemes/controls.py)
    if controls:
        from .controls import controls_problems

        for where, message in controls_problems(data):
            err(f"{'.'.join(str(p) for p in where)}: {message}")
    return errors


# ---- card rules (issue #17): the `cards` block and the facts of the automatic exit rules ------------------------

#: Facts an automatic exit rule may test, with their type: ``age`` is derived (birth date, or the resident ID);
#: the others are recorded on the application and kept current on the card's particulars (docs/SCHEME_DATA.md).
EXIT_FACTS = {"age": "number", "talent_category": "category", "retired": "bool", "left_region": "bool"}
TALENT_CATEGORIES = ("A", "B", "C", "D", "E")
#: The conditions of the two rule names format-1 files use without ``automatic_when`` (通化 第十六条, 吉林 第十一条).
LEGACY_AUTOMATIC_WHEN = {
    "age_65_category_c": [{"fact": "age", "test": ">= 65"}, {"fact": "talent_category", "in": ["C"]}],
    "retired_category_de": [{"fact": "retired", "test": "== true"}, {"fact": "talent_category", "in": ["D", "E"]}],
}
CARD_PRINCIPALS = {"holder", "employer", "department"}
CARD_RULE_KEYS = {
    "managed_by": {"departments", "kinds", "article", "setting"},
    "authority_acts": {"article", "setting"},
    "particulars": {"reported_by", "article", "setting"},
    "assessment": {"every_years", "by", "report_to", "filed_with", "article", "setting"},
    "certificate": {"issuing_bodies", "article", "setting"},
    "production": {"windows", "article", "setting"},
    "applications": {"opens", "closes", "article", "setting"},
}


#: What a file without a ``cards`` block gets (format 1): the HR bureaus and talent offices manage the cards, the
#: holder's authority does not act on them, the employer or those departments report particulars, no assessment,
#: and the certificate names the jurisdiction.
DEFAULT_CARD_RULES = {
    "managed_by": {"kinds": ["hr_bureau", "talent_office"], "setting": True},
    "authority_acts": None,
    "particulars": {"reported_by": ["employer", "department"], "setting": True},
    "assessment": None,
    "certificate": None,
    "production": None,
    "applications": None,
}


def production_windows_problems(windows: Any) -> list[tuple[tuple, str]]:
    """The production calendar (``cards.production.windows``): a non-empty list of ``{month: 1–12}``, each month
    once — the months in which a production batch (集中制卡) may be made. ``(sub-path, 中文说明)`` per problem."""
    if not isinstance(windows, list) or not windows:
        return [(("windows",), "cards.production.windows 应为制卡月份的非空列表，如 [{month: 6}, {month: 12}]")]
    problems, seen = [], set()
    for i, window in enumerate(windows):
        month = window.get("month") if isinstance(window, dict) else None
        if not isinstance(window, dict) or set(window) != {"month"}:
            problems.append((("windows", i), f"cards.production.windows 第{i + 1}项应写作 {{month: 6}}：{window!r}"))
        elif not isinstance(month, int) or isinstance(month, bool) or not 1 <= month <= 12:
            problems.append((("windows", i, "month"),
                             f"cards.production.windows 第{i + 1}项的月份须为 1 至 12 的整数：{month!r}"))
        elif month in seen:
            problems.append((("windows", i, "month"), f"cards.production.windows 重复列出了 {month} 月"))
        else:
            seen.add(month)
    return problems


def card_rules_of(data: dict) -> dict:
    """The card rules a scheme file declares, completed with :data:`DEFAULT_CARD_RULES` (stored on the Scheme)."""
    declared = data.get("cards") if isinstance(data, dict) and isinstance(data.get("cards"), dict) else {}
    rules = {key: declared[key] if key in declared else default for key, default in DEFAULT_CARD_RULES.items()}
    if isinstance(rules.get("applications"), dict):  # YAML dates are stored as ISO text (a JSON field)
        rules["applications"] = {k: v.isoformat() if isinstance(v, datetime.date) else v
                                 for k, v in rules["applications"].items()}
    return rules


def applications_date(value: Any) -> datetime.date | None:
    """A date of ``cards.applications`` (a YAML date or ISO text); None when absent; ValueError when not a date."""
    if value is None:
        return None
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str):
        return datetime.date.fromisoformat(value.strip())
    raise ValueError(value)


def applications_problems(value: dict) -> list[tuple[tuple, str]]:
    """The programme's period (``cards.applications``, issue #17 item 6): ``opens`` the first day applications are
    taken, ``closes`` the first day they no longer are (the policy's expiry, as on its page), each a date or null.
    ``(sub-path, 中文说明)`` per problem."""
    problems, dates = [], {}
    for field in ("opens", "closes"):
        try:
            dates[field] = applications_date(value.get(field))
        except ValueError:
            problems.append(((field,), f"cards.applications.{field} 须为日期（如 2019-06-05）或 null：{value.get(field)!r}"))
    if dates.get("opens") and dates.get("closes") and dates["closes"] <= dates["opens"]:
        problems.append((("closes",), f"cards.applications.closes（{dates['closes']}）须晚于 opens（{dates['opens']}）"))
    return problems


def automatic_when_of(reason: dict) -> list:
    """The conditions of an automatic exit rule: as written, or those of a format-1 rule name."""
    if reason.get("automatic_when"):
        return list(reason["automatic_when"])
    return list(LEGACY_AUTOMATIC_WHEN.get(reason.get("automatic_rule"), []))


def card_rules_problems(data: dict) -> list[tuple[tuple, str]]:
    """``(path, 中文说明)`` for every problem of the ``cards`` block and of the reasons' ``automatic_when``; the
    path is turned into the file's line by casefiles/schemes/lines.py, as for the controls."""
    problems: list[tuple[tuple, str]] = []
    add = lambda where, message: problems.append((tuple(where), message))  # noqa: E731
    if not isinstance(data, dict):
        return problems
    departments = {d.get("code") for d in _as_list(data.get("departments")) if isinstance(d, dict)}
    cards = data.get("cards")
    if cards is not None and not isinstance(cards, dict):
        add(("cards",), "cards 应为映射（managed_by、particulars、assessment、certificate…）")
        cards = None
    for key, value in (cards or {}).items():
        where = ("cards", key)
        if key not in CARD_RULE_KEYS:
            add(where, f"cards 含有未知项：{key}（可用：{'、'.join(CARD_RULE_KEYS)}）")
            continue
        if value is None:
            continue
        if not isinstance(value, dict):
            add(where, f"cards.{key} 应为映射，或写 null 表示没有此项规则")
            continue
        unknown = set(value) - CARD_RULE_KEYS[key]
        if unknown:
            add(where, f"cards.{key} 含有未知字段：{'、'.join(sorted(map(str, unknown)))}")
        if not (value.get("article") or value.get("setting") is True):
            add(where, f"cards.{key} 须注明政策条款（article），或标明为管理设置（setting: true）")
        for field in ("departments", "issuing_bodies"):
            if field in value:
                codes = value.get(field)
                if not isinstance(codes, list) or not codes:
                    add((*where, field), f"cards.{key}.{field} 应为本方案部门代码的非空列表")
                    continue
                for code in codes:
                    if code not in departments:
                        add((*where, field), f"cards.{key}.{field} 引用了本方案没有的部门：{code!r}")
        if "kinds" in value:
            kinds = value.get("kinds")
            if not isinstance(kinds, list) or not kinds or any(k not in DEPARTMENT_KINDS for k in kinds):
                add((*where, "kinds"), f"cards.{key}.kinds 应为部门类型的非空列表（可用：{'、'.join(sorted(DEPARTMENT_KINDS))}）")
        if key == "managed_by" and not value.get("departments") and not value.get("kinds"):
            add(where, "cards.managed_by 须列出管理持卡的部门（departments）或部门类型（kinds）")
        if key == "certificate" and "issuing_bodies" not in value:
            add(where, "cards.certificate 须列出证书署名的部门（issuing_bodies）")
        for field in ("reported_by", "by"):
            if field in value:
                who = value.get(field)
                if not isinstance(who, list | str) or not who or any(p not in CARD_PRINCIPALS for p in _as_list(who)):
                    add((*where, field), f"cards.{key}.{field} 只能是 holder、employer、department：{who!r}")
        if key == "production":
            for sub, message in production_windows_problems(value.get("windows")):
                add((*where, *sub), message)
        if key == "applications":
            for sub, message in applications_problems(value):
                add((*where, *sub), message)
        if key == "assessment":
            years = value.get("every_years")
            if not isinstance(years, int) or isinstance(years, bool) or not 1 <= years <= 10:
                add((*where, "every_years"), f"cards.assessment.every_years 须为 1 至 10 的整数（年）：{years!r}")
            if value.get("report_to") not in (None, "authority", *departments):
                add((*where, "report_to"), f"cards.assessment.report_to 须为 authority 或本方案的部门代码：{value.get('report_to')!r}")
            if value.get("filed_with") not in (None, *departments):
                add((*where, "filed_with"), f"cards.assessment.filed_with 引用了本方案没有的部门：{value.get('filed_with')!r}")
    for i, reason in enumerate(_as_list(data.get("revocation_reasons"))):
        if not isinstance(reason, dict):
            continue
        where = ("revocation_reasons", i)
        rule, when = reason.get("automatic_rule"), reason.get("automatic_when")
        if when is None:
            if rule is not None and rule not in LEGACY_AUTOMATIC_WHEN:
                add((*where, "automatic_rule"), f"退出情形 {reason.get('id')} 的自动规则 {rule!r} 须以 automatic_when 列出所需事实")
            continue
        if not rule or not isinstance(rule, str) or not STATE_CODE_RE.match(rule):
            add((*where, "automatic_rule"), f"退出情形 {reason.get('id')} 列出了 automatic_when，须以 automatic_rule 命名该规则（小写英文）")
        if not isinstance(when, list) or not when:
            add((*where, "automatic_when"), f"退出情形 {reason.get('id')} 的 automatic_when 应为条件的非空列表")
            continue
        for j, cond in enumerate(when):
            w = (*where, "automatic_when", j)
            fact = cond.get("fact") if isinstance(cond, dict) else None
            if fact not in EXIT_FACTS:
                add(w, f"退出情形 {reason.get('id')} 引用了未知的事实：{fact!r}（可用：{'、'.join(EXIT_FACTS)}）")
                continue
            if EXIT_FACTS[fact] == "category":
                wanted = cond.get("in")
                if set(cond) != {"fact", "in"} or not isinstance(wanted, list) or not wanted or any(
                        c not in TALENT_CATEGORIES for c in wanted):
                    add(w, f"退出情形 {reason.get('id')} 的人才类别条件应写作 {{fact: {fact}, in: [C]}}（类别为 A–E）")
                continue
            test = cond.get("test")
            match = TEST_RE.match(str(test).strip()) if isinstance(test, str) and set(cond) == {"fact", "test"} else None
            operand = str(test).split()[-1] if match else None
            if not match or operand == "any" or (EXIT_FACTS[fact] == "bool") != (operand in ("true", "false")):
                kind = "== true 或 == false" if EXIT_FACTS[fact] == "bool" else "如 >= 65 的数值比较"
                add(w, f"退出情形 {reason.get('id')} 的条件 {fact} 的判断式无效：{test!r}（应为{kind}）")
            elif fact == "age" and not 0 < float(operand) <= 120:
                add(w, f"退出情形 {reason.get('id')} 的年龄条件超出合理范围：{test!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("usage: python -m casefiles.schemes.validate FILE.yaml …", file=sys.stderr)
        return 2
    try:
        jurisdictions = load_jurisdiction_codes()
    except OSError:
        jurisdictions = None
    failed = False
    for name in argv:
        path = Path(name)
        if path.name in ("jurisdictions.yaml", "shipped.yaml"):  # next to the scheme files, not schemes
            continue
        try:
            data = load_scheme_file(path)
        except (OSError, ValueError, yaml.YAMLError) as exc:
            print(f"{path}: cannot load: {exc}")
            failed = True
            continue
        from .controls import controls_problems
        from .lines import load_with_lines

        _data, lines = load_with_lines(path)
        errors, checked, known = [], data, jurisdictions
        declared = data.get("jurisdiction") if isinstance(data, dict) else None
        if isinstance(declared, dict):
            # A file may declare its own jurisdiction ({code, name, level, parent}); the level and a parent loaded
            # from another file are checked by load_schemes (casefiles/schemes/loader.py scheme_file_problems).
            line = lines.line_of(("jurisdiction",))
            errors += [f"{line}: 辖区须写明 {key}" for key in ("code", "name", "level")
                       if not isinstance(declared.get(key), str) or not declared.get(key).strip()]
            if declared.get("parent") and jurisdictions is not None and declared.get("parent") not in jurisdictions:
                errors.append(f"{line}: 上级辖区不在 jurisdictions.yaml 中：{declared.get('parent')!r}"
                              f"（若由另一方案文件声明，载入时再核对）")
            checked = {**data, "jurisdiction": declared.get("code")}
            if known is not None:
                known = {*known, declared.get("code")}
        errors = validate_scheme(checked, known, controls=False) + errors
        errors += [f"{lines.line_of(where)}: {message}" for where, message in controls_problems(data)]
        if errors:
            failed = True
            for message in errors:
                print(f"{path}:{message}" if message[:1].isdigit() else f"{path}: {message}")
        else:
            print(f"{path}: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
