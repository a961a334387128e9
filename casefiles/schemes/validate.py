"""Load and validate scheme data files (casefiles/schemes/<slug>.yaml).

Pure Python (PyYAML only, no Django), so it can run in CI, in tests and before `load_schemes`.
The format is described in docs/SCHEME_DATA.md.

    python -m casefiles.schemes.validate casefiles/schemes/*.yaml

prints one line per error and exits with status 1 if any file has errors.
"""
from __future__ import annotations

import datetime
import functools
import json
import re
import sys
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

__all__ = ["load_scheme_file", "validate_scheme", "scheme_file_problems", "schema_problems", "structure_problems",
           "load_jurisdiction_codes", "main"]

#: The current format (docs/SCHEME_DATA.md, Format and schema); a file without ``format`` is format 1.
FORMAT_VERSION = 2
FORMAT_VERSIONS = (1, 2)

# Shapes, types and enumerations are the JSON Schema's (scheme.schema.json); what the checks below still need:
STATE_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
TEST_RE = re.compile(r"^(>=|<=|==|!=|>|<)\s*(-?\d+(\.\d+)?|true|false)$|^any$")

DEPARTMENT_KINDS = {
    "org_dept", "talent_office", "leading_group", "hr_bureau", "competent_authority",
    "supervising_hr", "bank", "responsible_unit", "joint_meeting",
}
AUTHORITY_KINDS = {"competent_authority", "supervising_hr"}
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


def validate_scheme(data: dict, jurisdictions: set[str] | None = None, controls: bool = True) -> list[str]:
    """Every problem of a parsed scheme file as a Chinese message (empty when the scheme is sound): the JSON Schema
    (:func:`schema_problems`), then what a schema cannot say (:func:`structure_problems`), then, unless
    ``controls`` is false, the controls and card rules (casefiles/schemes/controls.py). Without the file's lines;
    :func:`scheme_file_problems` gives the same messages with ``file:line``.

    `jurisdictions`, if given, is the set of known jurisdiction codes.
    """
    return [message for _path, message in data_problems(data, jurisdictions, controls=controls)]


def data_problems(data: Any, jurisdictions: set[str] | None = None, controls: bool = True) -> list[tuple[tuple, str]]:
    """``(path, 中文说明)`` for every problem of a parsed scheme file, in the order they are reported: the schema's
    first, then the checks across rows (references, uniqueness, the workflow's shape), then the controls."""
    if not isinstance(data, dict):
        return [((), "方案文件的顶层须为 YAML 映射（slug、name、tiers…）")]
    schema = schema_problems(data)
    return _merged(schema, _semantic_problems(data, jurisdictions, controls=controls, shape_broken=bool(schema)))


def _merged(schema: list, rest: list) -> list:
    """The schema's problems, then the other checks'; one mistake is told once. Where a later check speaks about the
    same place (an unknown guard word, a notice period of 0, a bad production month), its message is the more
    specific one and replaces the schema's generic one; an unknown field is told by the schema, at its own line,
    rather than by a later check at the line of the row holding it."""
    places = {path for path, _message in rest}
    kept = [(path, message) for path, message in schema if path not in places]
    unknown = {(path[:-1], str(path[-1])) for path, message in kept if path and "未知字段" in message}
    return kept + [(path, message) for path, message in rest
                   if not ("未知字段" in message and any(where == path and key in message for where, key in unknown))]


def _semantic_problems(data: dict, jurisdictions, *, controls: bool = True, shape_broken: bool = False):
    """The checks after the schema: across rows (:func:`structure_problems`), then the controls and card rules.
    They are written for any input; where the schema already found a wrong shape, a check that still trips over
    it is skipped (the schema's message says what to fix) rather than hiding every other message."""
    from .controls import controls_problems

    checks = [lambda: structure_problems(data, jurisdictions)] + ([lambda: controls_problems(data)] if controls else [])
    problems: list[tuple[tuple, str]] = []
    for check in checks:
        try:
            problems += check()
        except (TypeError, AttributeError, KeyError, ValueError, IndexError):
            if not shape_broken:
                raise
    return problems


def file_format(data: Any) -> int:
    """The format a file is written in: its ``format`` key, 1 when it has none (docs/SCHEME_DATA.md)."""
    value = data.get("format") if isinstance(data, dict) else None
    return value if value in FORMAT_VERSIONS else 1


def structure_problems(data: dict, jurisdictions: set[str] | None = None) -> list[tuple[tuple, str]]:
    """``(path, 中文说明)`` for what the JSON Schema cannot check: codes and ids that must be unique, references
    between rows (departments, tiers, criteria, services, states), the workflow's shape (one start, reachable
    states, a return, a refusal, a withdrawal, an issuing step), and the flags that must agree. Written to survive
    any input (a file that fails the schema is checked here too, so all its problems are told at once)."""
    problems: list[tuple[tuple, str]] = []
    add = lambda where, message: problems.append((tuple(where), message))  # noqa: E731
    if not isinstance(data, dict):
        return problems
    fmt = file_format(data)

    # ---- top level -------------------------------------------------------------------------
    declared = data.get("jurisdiction")
    if isinstance(declared, dict):
        declared = declared.get("code")
    if jurisdictions is not None and isinstance(declared, str) and declared not in jurisdictions:
        add(("jurisdiction",),
            f"辖区未知：{declared!r}（须为 jurisdictions.yaml 中的代码，或在本文件中写明 code、name、level）")
    if data.get("case_by_case") is True and not data.get("case_by_case_article"):
        add(("case_by_case",), "case_by_case 为 true（提供一事一议），须以 case_by_case_article 注明条款")

    # ---- departments -----------------------------------------------------------------------
    departments = _as_list(data.get("departments"))
    dept_codes: set[str] = set()
    dept_kinds: dict[str, Any] = {}
    for i, dept in enumerate(departments):
        if not isinstance(dept, dict) or not isinstance(dept.get("code"), str):
            continue
        code, where = dept["code"], ("departments", i, "code")
        if code in dept_codes:
            add(where, f"部门代码重复：{code}")
        if code in SPECIAL_BY:
            add(where, f"部门代码 {code!r} 为保留字（applicant、employer、authority、actor），请换一个")
        dept_codes.add(code)
        dept_kinds[code] = dept.get("kind")
        if dept.get("kind") in AUTHORITY_KINDS and not dept.get("sector"):
            add(("departments", i), f"部门 {code} 的类型为 {dept.get('kind')}，须写明所管行业（sector）")
        if jurisdictions is not None and dept.get("jurisdiction") not in (None, declared, *jurisdictions):
            add(("departments", i, "jurisdiction"), f"部门 {code} 的辖区未知：{dept.get('jurisdiction')!r}")

    # A head oversees (督办) departments of this scheme only: each code of a supervises list must be one of them.
    for i, dept in enumerate(departments):
        if not isinstance(dept, dict) or not isinstance(dept.get("supervises"), list):
            continue
        for j, ref in enumerate(dept["supervises"]):
            if isinstance(ref, str) and ref not in dept_codes:
                add(("departments", i, "supervises", j),
                    f"部门 {dept.get('code')} 的督办范围（supervises）引用了本方案没有的部门：{ref!r}")

    def check_principal(value: Any, allowed_special: set[str], where: tuple, what: str) -> None:
        if isinstance(value, str) and value not in allowed_special and value not in dept_codes:
            allowed = "、".join(sorted(allowed_special))
            add(where, f"{what}引用了本方案没有的部门：{value!r}（须为部门代码{'，或 ' + allowed if allowed else ''}）")

    # ---- ids (unique across the scheme's rows) ---------------------------------------------
    id_places: dict[str, list[tuple]] = {}

    def note_id(item: Any, where: tuple) -> None:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            id_places.setdefault(item["id"], []).append((*where, "id"))

    # ---- preconditions: a fact's test fits its type -----------------------------------------
    def check_fact_test(cond: Any, where: tuple) -> None:
        if not isinstance(cond, dict):
            return
        fact, test = cond.get("fact"), cond.get("test")
        if fact not in FACTS or not isinstance(test, str) or not TEST_RE.match(test.strip()) or test.strip() == "any":
            return
        operand = test.split()[-1]
        if FACTS[fact] == "bool" and operand not in ("true", "false"):
            add((*where, "test"), f"事实 {fact} 为是/否，判断式应为 == true 或 == false，而不是 {test!r}")
        if FACTS[fact] == "number" and operand in ("true", "false"):
            add((*where, "test"), f"事实 {fact} 为数值，判断式应为数值比较（如 >= 1），而不是 {test!r}")

    for i, pre in enumerate(_as_list(data.get("preconditions"))):
        if not isinstance(pre, dict):
            continue
        note_id(pre, ("preconditions", i))
        check_fact_test(pre, ("preconditions", i))
        if (pre.get("fact") is None) != (pre.get("test") is None):
            add(("preconditions", i), f"前提条件 {pre.get('id')} 须同时写 fact 与 test，或都不写")
        for key in ("any", "all"):
            for j, alt in enumerate(_as_list(pre.get(key)) if isinstance(pre.get(key), list) else []):
                check_fact_test(alt, ("preconditions", i, key, j))

    # ---- services --------------------------------------------------------------------------
    service_ids: dict[str, int] = {}
    for i, svc in enumerate(_as_list(data.get("services"))):
        if not isinstance(svc, dict):
            continue
        note_id(svc, ("services", i))
        service_ids.setdefault(str(svc.get("id")), i)
        units = svc.get("responsible_units") if isinstance(svc.get("responsible_units"), list) else []
        for j, unit in enumerate(units):
            check_principal(unit, SPECIAL_UNITS, ("services", i, "responsible_units", j),
                            f"服务事项 {svc.get('id')} 的责任单位")
        if svc.get("time_limit") is not None and svc.get("time_limit_working_days") is not None:
            add(("services", i, "time_limit"), f"服务事项 {svc.get('id')} 的时限只能写一处：time_limit 或 "
                f"time_limit_working_days（按工作日计的时限也可写成 time_limit: {{amount: …, unit: working_days}}）")

    # ---- tiers -----------------------------------------------------------------------------
    tiers = [t if isinstance(t, dict) else {} for t in _as_list(data.get("tiers"))]
    criterion_ids: set[str] = set()
    referenced_services: set[str] = set()
    seen_tiers: set = set()
    seen_ranks: dict = {}
    for i, tier in enumerate(tiers):
        code = tier.get("code")
        if code in seen_tiers and isinstance(code, str):
            add(("tiers", i, "code"), f"卡种层级代码重复：{code}")
        seen_tiers.add(code if isinstance(code, str) else None)
        rank = tier.get("rank")
        if isinstance(rank, int) and rank in seen_ranks:
            add(("tiers", i, "rank"), f"卡种层级 {code} 的 rank 与 {seen_ranks[rank]} 相同：各层级的 rank 须互不相同")
        seen_ranks.setdefault(rank, code)
        for j, crit in enumerate(_as_list(tier.get("criteria")) if isinstance(tier.get("criteria"), list) else []):
            if isinstance(crit, dict):
                note_id(crit, ("tiers", i, "criteria", j))
                criterion_ids.add(str(crit.get("id")))
        services = tier.get("services") if isinstance(tier.get("services"), list) else []
        listed: set[str] = set()
        for j, sid in enumerate(services):
            if str(sid) not in service_ids:
                add(("tiers", i, "services", j), f"卡种层级 {code} 列出了不存在的服务事项：{sid!r}")
            if str(sid) in listed:
                add(("tiers", i, "services", j), f"卡种层级 {code} 重复列出了服务事项 {sid}")
            listed.add(str(sid))
            referenced_services.add(str(sid))
    tier_codes = {t.get("code") for t in tiers if isinstance(t.get("code"), str)}
    includes = {t.get("code"): [str(c) for c in _as_list(t.get("includes"))]
                for t in tiers if isinstance(t.get("code"), str)}
    for i, tier in enumerate(tiers):
        code = tier.get("code")
        for j, other in enumerate(includes.get(code, []) if isinstance(code, str) else []):
            if other not in includes:
                add(("tiers", i, "includes", j), f"卡种层级 {code} 包含了不存在的层级：{other!r}")
            elif other == code:
                add(("tiers", i, "includes", j), f"卡种层级 {code} 包含了自身")
    for i, tier in enumerate(tiers):
        code = tier.get("code")
        if not isinstance(code, str):
            continue
        seen, todo = set(), list(includes.get(code, []))
        while todo:
            nxt = todo.pop()
            if nxt == code and code not in includes[code]:
                add(("tiers", i, "includes"), f"卡种层级 {code} 的包含关系（includes）成环")
                break
            if nxt in seen or nxt not in includes:
                continue
            seen.add(nxt)
            todo.extend(includes[nxt])
    for sid, i in service_ids.items():
        if sid not in referenced_services:
            add(("services", i), f"服务事项 {sid} 没有列入任何卡种层级的 services")

    # ---- recognitions ----------------------------------------------------------------------
    for i, rec in enumerate(_as_list(data.get("recognitions"))):
        if not isinstance(rec, dict):
            continue
        if rec.get("grants_tier") not in tier_codes:
            add(("recognitions", i, "grants_tier"),
                f"认可的卡 {rec.get('card')} 授予了不存在的层级：{rec.get('grants_tier')!r}")
        if rec.get("criterion") is not None and str(rec.get("criterion")) not in criterion_ids:
            add(("recognitions", i, "criterion"),
                f"认可的卡 {rec.get('card')} 对应不存在的认定条件：{rec.get('criterion')!r}")

    # ---- revocation reasons ----------------------------------------------------------------
    for i, reason in enumerate(_as_list(data.get("revocation_reasons"))):
        if not isinstance(reason, dict):
            continue
        note_id(reason, ("revocation_reasons", i))
        rule = reason.get("automatic_rule")
        if fmt >= 2 and rule is not None and reason.get("automatic_when") is None:
            # Format 1 may name age_65_category_c / retired_category_de alone (card_rules_problems checks the rest).
            add(("revocation_reasons", i, "automatic_rule"),
                f"退出情形 {reason.get('id')} 的自动规则 {rule!r} 须以 automatic_when 列出所需事实（格式 2）")

    # ---- unique ids ------------------------------------------------------------------------
    for ident, places in id_places.items():
        for place in places[1:]:
            add(place, f"编号 {ident!r} 重复：同一方案的前提条件、认定条件、服务事项、退出情形的编号须互不相同"
                       f"（第一次出现在 {_dotted(places[0][:-1], data)}）")

    # ---- validity and public notice ---------------------------------------------------------
    validity = data.get("validity")
    if isinstance(validity, dict) and validity.get("rule") in ("contract_bounded", "fixed_from_issuance") \
            and validity.get("max_years") is None:
        add(("validity", "rule"), f"有效期规则 {validity.get('rule')} 须写明最长年限（max_years）")
    notice = data.get("public_notice")
    if isinstance(notice, dict) and notice.get("department") is not None:
        check_principal(notice.get("department"), set(), ("public_notice", "department"), "公示（public_notice）")

    # ---- workflow --------------------------------------------------------------------------
    workflow = data.get("workflow") if isinstance(data.get("workflow"), dict) else {}
    raw_states = workflow.get("states") if isinstance(workflow.get("states"), list) else []
    raw_transitions = workflow.get("transitions") if isinstance(workflow.get("transitions"), list) else []
    states = [(i, s) for i, s in enumerate(raw_states) if isinstance(s, dict) and isinstance(s.get("code"), str)]
    transitions = [(i, t) for i, t in enumerate(raw_transitions) if isinstance(t, dict)]
    state_by_code: dict[str, dict] = {}
    state_index: dict[str, int] = {}
    uses_authority = False
    for i, s in states:
        code, where = s["code"], ("workflow", "states", i)
        if code in state_by_code:
            add((*where, "code"), f"环节代码重复：{code}")
        state_by_code.setdefault(code, s)
        state_index.setdefault(code, i)
        kind, actor = s.get("kind"), s.get("actor")
        view = s.get("view") if isinstance(s.get("view"), list) else []
        if kind != "end" and not actor:
            add(where, f"环节 {code} 须写明办理人（actor）")
        elif actor:
            check_principal(actor, SPECIAL_ACTORS, (*where, "actor"), f"环节 {code} 的办理人（actor）")
        for j, principal in enumerate(view):
            check_principal(principal, SPECIAL_VIEW, (*where, "view", j), f"环节 {code} 的可查看者（view）")
        if isinstance(s.get("view"), list) and "applicant" not in view:
            add((*where, "view"), f"环节 {code} 的 view 须包含 applicant：申请人须能看到自己的申请")
        if actor and isinstance(s.get("view"), list) and actor not in view:
            add((*where, "view"), f"环节 {code} 的办理人 {actor!r} 不在 view 中，看不到要办理的申请")
        if actor == "authority" or "authority" in view:
            uses_authority = True
    # The engine reads the states' kinds and actors and the transitions' principals and roles, never their
    # codes: the rules below say what a workflow must contain in those terms.
    starts = [c for c, s in state_by_code.items() if s.get("kind") == "start"]
    if raw_states and len(starts) != 1:
        add(("workflow", "states"),
            f"流程须恰有一个起始环节（kind: start），现有 {len(starts)} 个：{'、'.join(starts) or '无'}")
    start = starts[0] if len(starts) == 1 else None
    if start is not None and state_by_code[start].get("actor") != "applicant":
        add(("workflow", "states", state_index[start], "actor"), f"起始环节 {start} 须由申请人（applicant）办理")
    ends = {c for c, s in state_by_code.items() if s.get("kind") == "end"}
    # states after submission in which the dossier waits on the applicant (退回补正)
    back_to_applicant = {c for c, s in state_by_code.items() if c != start and s.get("kind") != "end"
                         and s.get("actor") == "applicant"}

    edges: dict[str, set[str]] = {c: set() for c in state_by_code}
    seen_transitions: set[str] = set()
    issuing_targets: set[str] = set()
    submissions, returns, refusals, withdrawals = [], 0, 0, 0
    for i, t in transitions:
        code, where = t.get("code"), ("workflow", "transitions", i)
        if isinstance(code, str) and code in seen_transitions:
            add((*where, "code"), f"步骤代码重复：{code}")
        seen_transitions.add(code if isinstance(code, str) else "")
        sources = [x for x in t.get("from")] if isinstance(t.get("from"), list) else []
        target, by = t.get("to"), t.get("by")
        if isinstance(target, str) and target not in state_by_code:
            add((*where, "to"), f"步骤 {code} 通往不存在的环节：{target!r}")
        withdrawal = by == "applicant" and target in ends and not t.get("issues_card")
        for j, src in enumerate(sources):
            if not isinstance(src, str) or src not in state_by_code:
                add((*where, "from", j), f"步骤 {code} 从不存在的环节出发：{src!r}")
                continue
            if state_by_code[src].get("kind") == "end":
                add((*where, "from", j), f"步骤 {code} 从结束环节 {src} 出发：结束环节不能再有步骤")
            if target in state_by_code:
                edges[src].add(target)
            if by == "actor":
                continue
            actor = state_by_code[src].get("actor")
            if by != actor and not withdrawal:
                add((*where, "by"), f"步骤 {code} 由 {by!r} 操作，但环节 {src} 的办理人是 {actor!r}（可写 by: actor）")
        for j, who in enumerate(by if isinstance(by, list) else [by]):
            check_principal(who, SPECIAL_BY, (*where, "by", j) if isinstance(by, list) else (*where, "by"),
                            f"步骤 {code} 的操作人（by）")
        if by == "authority":
            uses_authority = True
        if start in sources and by == "applicant" and target not in ends:
            submissions.append((i, t))
        if withdrawal:
            withdrawals += 1
        elif target in back_to_applicant and by != "applicant":
            returns += 1
            if not t.get("requires_comment"):
                add(where, f"步骤 {code} 把申请退回申请人，须写 requires_comment: true（须说明退回理由）")
        elif target in ends and not t.get("issues_card") and by != "applicant":
            refusals += 1
            if not t.get("requires_comment"):
                add(where, f"步骤 {code} 不发卡而结束申请，须写 requires_comment: true（须说明理由）")
        if t.get("issues_card"):
            if target not in ends:
                add((*where, "issues_card"), f"步骤 {code} 发卡（issues_card），但没有通往结束环节")
            elif isinstance(target, str):
                issuing_targets.add(target)
    if raw_states and raw_transitions:
        here = ("workflow", "transitions")
        if not issuing_targets:
            add(here, "流程中没有发卡的步骤（issues_card: true）")
        if start is not None and not submissions:
            add(here, f"流程中没有申请人从 {start} 提交申请的步骤")
        if not back_to_applicant or not returns:
            add(here, "流程中没有退回申请人补正的步骤（退回到一个由 applicant 办理的非起始环节）")
        if not refusals:
            add(here, "流程中没有不予通过（不发卡而结束申请）的步骤")
        if not withdrawals:
            add(here, "流程中没有申请人撤回申请的步骤")
    for i, t in submissions:
        missing = back_to_applicant - set(t.get("from"))
        if missing:
            add(("workflow", "transitions", i, "from"),
                f"步骤 {t.get('code')} 从 {start} 提交申请，也须能从 {'、'.join(sorted(missing))} 提交")
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
        where = ("workflow", "states", state_index[code])
        if start is not None and s.get("kind") != "end" and code not in reachable:
            add(where, f"环节 {code} 无法从起始环节 {start} 到达")
        if s.get("kind") != "end" and not edges.get(code):
            add(where, f"环节 {code} 没有出路（没有从它出发的步骤）")
    for target in sorted(issuing_targets - reachable):
        if start is not None:
            add(("workflow", "states", state_index[target]), f"发卡的结束环节 {target} 无法从起始环节 {start} 到达")
    # the scheme's flags and the workflow agree
    roles = {t.get("role") for _i, t in transitions}
    if data.get("case_by_case") is True and "meeting_decision" not in roles:
        add(("case_by_case",), "方案提供一事一议（case_by_case: true），但流程中没有 role: meeting_decision 的步骤")
    if data.get("public_notice") and not any(s.get("notice") for _i, s in states):
        add(("public_notice",), "方案写有公示（public_notice），但没有环节声明公示期（notice）")
    authority_kind = workflow.get("authority_kind")
    if uses_authority and not authority_kind:
        add(("workflow",), "流程用到了 authority（申请人的主管部门），须写明 workflow.authority_kind")
    if authority_kind in AUTHORITY_KINDS and authority_kind not in dept_kinds.values():
        add(("workflow", "authority_kind"), f"authority_kind 为 {authority_kind}，但本方案没有这一类型的部门")
    return problems


def _dotted(path: tuple, root: Any = None) -> str:
    """``("workflow", "states", 3, "view")`` → ``workflow.states[3]（draft）.view`` (how a message names a place; the
    row's code or id, when ``root`` is given and the row has one)."""
    out, node = "", root
    for part in path:
        node = node[part] if isinstance(node, dict | list) and _has(node, part) else None
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        label = (node.get("code") or node.get("id")) if isinstance(part, int) and isinstance(node, dict) else None
        if isinstance(label, str):
            out += f"（{label}）"
    return out or "文件顶层"


def _has(node: Any, part: Any) -> bool:
    return part in node if isinstance(node, dict) else isinstance(part, int) and 0 <= part < len(node)


# ---- the JSON Schema (casefiles/schemes/scheme.schema.json) and its Chinese messages --------------------------------

SCHEMA_PATH = Path(__file__).with_name("scheme.schema.json")
_TYPE_NAMES = {"string": "文本", "integer": "整数", "number": "数字", "boolean": "true 或 false", "array": "列表",
               "object": "映射（键: 值）", "null": "null"}


@functools.lru_cache(maxsize=1)
def scheme_schema() -> dict:
    """The published JSON Schema of a scheme file (draft 2020-12)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _schema_validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(scheme_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _as_json(node: Any) -> Any:
    """The parsed YAML as JSON would hold it: YAML dates become ISO text, keys become text."""
    if isinstance(node, dict):
        return {str(key): _as_json(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_as_json(value) for value in node]
    if isinstance(node, datetime.date):
        return node.isoformat()
    return node


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _expected_types(schema: dict) -> list[str]:
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds] if kinds else []
    if "enum" in schema:
        kinds.append("enum")
    for branch in schema.get("anyOf", []):
        kinds += _expected_types(branch)
    if "$ref" in schema:
        target = scheme_schema()["$defs"].get(schema["$ref"].rsplit("/", 1)[-1], {})
        kinds += _expected_types(target)
    return kinds


def _schema_error_problems(error, lenient: bool, root: Any = None) -> list[tuple[tuple, str]]:
    """``(path, 中文说明)`` for one jsonschema error (several for an unknown-keys error: one per key, at its line)."""
    path = tuple(error.absolute_path)
    where, value, kind, schema = _dotted(path, root), error.instance, error.validator, error.schema
    if kind == "additionalProperties":
        if lenient or not isinstance(value, dict):
            return []
        allowed = schema.get("properties", {})
        return [((*path, key), f"{where} 含有未知字段：{key}（可用：{'、'.join(allowed)}）")
                for key in value if key not in allowed]
    if kind == "required":
        match = re.match(r"^'(.+)' is a required property", error.message)
        key = match.group(1) if match else "、".join(k for k in error.validator_value if k not in value)
        return [(path, f"{where} 缺少必填的键：{key}")]
    if kind in ("anyOf", "oneOf"):
        if error.validator_value and all("required" in b for b in error.validator_value) and {
                tuple(b["required"]) for b in error.validator_value} == {("article",), ("setting",)}:
            return [(path, f"{where} 须注明政策条款（article），或标明为管理设置（setting: true）")]
        branches: dict[int, list] = {}
        for sub in error.context or ():
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        # The branch the value has the shape of (its errors are not about the value's own type) says what is wrong.
        fitting = [errs for errs in branches.values() if not any(
            e.validator in ("type", "const", "enum") and tuple(e.absolute_path) == path for e in errs)]
        if len(fitting) == 1:
            found = [p for sub in fitting[0] for p in _schema_error_problems(sub, lenient, root)]
            return found if found or lenient else []
        if lenient and all(any(e.validator == "additionalProperties" for e in errs) for errs in fitting) and fitting:
            return []
        kinds = [_TYPE_NAMES.get(k, k) for k in dict.fromkeys(_expected_types(schema)) if k != "enum"]
        return [(path, f"{where} 的值不对：{_shown(value)}（应为{'或'.join(kinds) or '规定的格式'}）")]
    if kind == "type":
        kinds = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        wanted = "或".join(_TYPE_NAMES.get(k, k) for k in kinds)
        return [(path, f"{where} 的类型不对：应为{wanted}，而不是 {_shown(value)}")]
    if kind in ("enum", "const"):
        options = error.validator_value if kind == "enum" else [error.validator_value]
        return [(path, f"{where} 的取值 {_shown(value)} 不在可选范围内（可用：{'、'.join(map(str, options))}）")]
    if kind == "pattern":
        hint = schema.get("x-zh") or f"须符合格式 {error.validator_value}"
        return [(path, f"{where} 的格式不对：{_shown(value)}（{hint}）")]
    if kind == "minItems":
        if error.validator_value <= 1:
            return [(path, f"{where} 不能为空列表")]
        return [(path, f"{where} 至少须有 {error.validator_value} 项，现有 {len(value)} 项")]
    if kind == "minProperties":
        return [(path, f"{where} 不能为空映射")]
    if kind == "minLength":
        return [(path, f"{where} 不能为空")]
    if kind == "maxLength":
        return [(path, f"{where} 超过 {error.validator_value} 个字符（现有 {len(value)} 个）")]
    if kind in ("minimum", "maximum") and "minimum" in schema and "maximum" in schema:
        return [(path, f"{where} 须在 {schema['minimum']} 至 {schema['maximum']} 之间：{_shown(value)}")]
    if kind == "minimum":
        return [(path, f"{where} 须不小于 {error.validator_value}：{_shown(value)}")]
    if kind == "maximum":
        return [(path, f"{where} 须不大于 {error.validator_value}：{_shown(value)}")]
    if kind == "format" and error.validator_value == "date":
        return [(path, f"{where} 须为日期（如 2019-06-05）：{_shown(value)}")]
    return [(path, f"{where} 不符合方案文件格式：{error.message}")]


def schema_problems(data: Any) -> list[tuple[tuple, str]]:
    """``(path, 中文说明)`` for every place a parsed scheme file breaks the JSON Schema, in file order. A format-1
    file (no ``format`` key, or ``format: 1``) is checked with unknown keys ignored, as the loader always ignored
    them; a format-2 file may have none."""
    lenient = file_format(data) < 2
    problems: list[tuple[tuple, str]] = []
    document = _as_json(data)
    for error in _schema_validator().iter_errors(document):
        problems += _schema_error_problems(error, lenient, document)
    return problems


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
    "certificate": {"issuing_bodies", "title", "text", "article", "setting"},
    "production": {"windows", "article", "setting"},
    "applications": {"opens", "closes", "article", "setting"},
    "renewal": {"by", "window_days", "article", "setting"},
    "loss": {"reported_by", "reissued_by", "article", "setting"},
    "reminders": {"days_before", "article", "setting"},
    "exit_approval": {"article", "setting"},
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
    # Who renews a card with a fixed period, and how long before its end (validity.renewal cites the article; the
    # policies do not say when renewal opens: an administrative setting).
    "renewal": {"by": ["department"], "window_days": 90, "setting": True},
    # Who reports a card lost and who reissues it (validity.loss cites the article: 通化 第十五条 持卡人应及时挂失，并凭
    # 有效证明材料申请补发; the department may report on the holder's behalf: an administrative setting).
    "loss": {"reported_by": ["holder", "department"], "reissued_by": ["department"], "setting": True},
    # Expiry reminders to the holder and the employer, days before the card's end (no policy sets them).
    "reminders": {"days_before": [60, 30], "setting": True},
    # Whether an exit the managing department decides needs a second officer's approval (request → approve): none
    # unless the file asks for it.
    "exit_approval": None,
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


#: The certificate's wording where the file does not give it (``cards.certificate.title`` / ``.text``); the text's
#: placeholders are those of :data:`CERTIFICATE_FIELDS`.
CERTIFICATE_TITLE = "证　书"
CERTIFICATE_TEXT = "{holder_name}同志：经审核认定，您符合《{policy_title}》规定的条件，特颁发{tier}，凭卡享受相应服务。"
CERTIFICATE_FIELDS = {"holder_name": "持卡人姓名", "policy_title": "政策名称", "tier": "卡种等级", "scheme": "卡种名称"}
CERTIFICATE_FIELD_RE = re.compile(r"\{([^{}]*)\}")


def certificate_wording_problems(value: dict) -> list[tuple[tuple, str]]:
    """The certificate's ``title`` (at most 20 characters) and ``text`` (its placeholders among
    :data:`CERTIFICATE_FIELDS`, ``{holder_name}`` among them). ``(sub-path, 中文说明)`` per problem."""
    problems = []
    title = value.get("title")
    if title is not None and (not isinstance(title, str) or not title.strip() or len(title) > 20):
        problems.append((("title",), f"cards.certificate.title 须为不超过 20 字的文字：{title!r}"))
    text = value.get("text")
    if text is None:
        return problems
    if not isinstance(text, str) or not text.strip():
        return [*problems, (("text",), "cards.certificate.text 须为证书正文（文字）")]
    used = CERTIFICATE_FIELD_RE.findall(text)
    unknown = [name for name in used if name not in CERTIFICATE_FIELDS]
    if unknown or text.count("{") != len(used) or text.count("}") != len(used):
        known = "、".join(f"{{{k}}}（{v}）" for k, v in CERTIFICATE_FIELDS.items())
        problems.append((("text",), f"cards.certificate.text 含有无效的占位符：{'、'.join(unknown) or '不成对的花括号'}（可用：{known}）"))
    elif "holder_name" not in used:
        problems.append((("text",), "cards.certificate.text 须写出持卡人姓名 {holder_name}"))
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
        if key == "certificate":
            for sub, message in certificate_wording_problems(value):
                add((*where, *sub), message)
        for field in ("reported_by", "reissued_by", "by"):
            if field in value:
                who = value.get(field)
                if not isinstance(who, list | str) or not who or any(p not in CARD_PRINCIPALS for p in _as_list(who)):
                    add((*where, field), f"cards.{key}.{field} 只能是 holder、employer、department：{who!r}")
        if key == "renewal" and "window_days" in value:
            days = value.get("window_days")
            if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 366:
                add((*where, "window_days"), f"cards.renewal.window_days 须为 1 至 366 的整数（到期前多少天可以续办）：{days!r}")
        if key == "reminders":
            days = value.get("days_before")
            if (not isinstance(days, list) or not days or len(set(map(repr, days))) != len(days)
                    or any(not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= 366 for d in days)):
                add((*where, "days_before"), f"cards.reminders.days_before 须为互不相同的 1 至 366 的整数（到期前天数）的非空列表：{days!r}")
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


def scheme_file_problems(path: str | Path, known_jurisdictions: Iterable[str] | None = None, *,
                         more_jurisdictions=None) -> tuple[dict | None, list[str]]:
    """``(data, problems)`` of one scheme file: the one check of a file, for ``load_schemes``, the admin upload and
    this module's command line. Each problem is ``file:line: 中文说明``: the JSON Schema's first (unknown keys, wrong
    types, missing keys, values out of range), then the checks across rows, the declared jurisdiction, the controls
    and the card rules. ``known_jurisdictions`` defaults to jurisdictions.yaml; ``more_jurisdictions()``, when given,
    returns the codes loaded earlier from other files (the loader passes the database's)."""
    from .lines import load_with_lines

    name = Path(path).name
    try:
        data, lines = load_with_lines(path)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f"{name}:{mark.line + 1}" if mark is not None else name
        return None, [f"{at}: 不是有效的 YAML：{exc.problem or exc.context}"]
    except (OSError, ValueError, yaml.YAMLError) as exc:
        return None, [f"{name}: 无法读取：{exc}"]
    if not isinstance(data, dict):
        return None, [f"{name}:1: 方案文件的顶层须为 YAML 映射（slug、name、tiers…）"]
    known = set(known_jurisdictions if known_jurisdictions is not None else load_jurisdiction_codes())
    declared = data.get("jurisdiction") if isinstance(data.get("jurisdiction"), dict) else None
    named = declared.get("parent") if declared is not None else data.get("jurisdiction")
    if isinstance(named, str) and named and named not in known and more_jurisdictions is not None:
        known |= set(more_jurisdictions())  # a jurisdiction loaded earlier from another scheme file
    found: list[tuple[tuple, str]] = []
    if declared is not None:
        parent = declared.get("parent")
        if isinstance(parent, str) and parent and parent not in known:
            found.append((("jurisdiction", "parent"), f"上级辖区未知：{parent!r}（须为 jurisdictions.yaml 中的代码，"
                                                        f"或先载入声明它的方案文件）"))
        if isinstance(declared.get("code"), str):
            known.add(declared["code"])
    schema = schema_problems(data)
    rest = found + _semantic_problems(data, known, shape_broken=bool(schema))
    by_line = lambda item: lines.line_of(item[0])  # noqa: E731
    return data, [f"{name}:{lines.line_of(where)}: {message}"
                  for where, message in _merged(sorted(schema, key=by_line), sorted(rest, key=by_line))]


def main(argv: list[str] | None = None) -> int:
    """``python -m casefiles.schemes.validate FILE.yaml …``: the loader's messages, one per line, or ``FILE: ok``."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print("usage: python -m casefiles.schemes.validate FILE.yaml …", file=sys.stderr)
        return 2
    failed = False
    for name in argv:
        path = Path(name)
        if path.name in ("jurisdictions.yaml", "shipped.yaml"):  # next to the scheme files, not schemes
            continue
        _data, problems = scheme_file_problems(path)
        for message in problems:
            print(message)
        if not problems:
            print(f"{path.name}: ok")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
