"""Check the controls of a scheme file: guards, materials, opinion requests, experts, notice periods, four eyes.

Pure Python (no Django), so it runs in the validator's command line, in CI and in ``schemes_load`` before any
row is written. :func:`controls_problems` returns ``(path, message)`` pairs; the path is the tuple of keys and
indexes that leads to the offending node, turned into a line by ``casefiles.schemes.lines``. The messages are
Chinese, as the scheme files and the policies they encode are: they are read by whoever maintains the data.
"""

from __future__ import annotations

import re
from typing import Any

#: The guard vocabulary (docs/SCHEME_DATA.md, "Controls"): key → the words it takes (None: checked below).
GUARD_WORDS: dict[str, tuple | None] = {
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
#: What the engine does with a step besides moving the dossier (casefiles.models.TransitionRole).
TRANSITION_ROLES = ("card_produced", "meeting_decision")
#: Principals an opinion request may name besides the scheme's department codes.
OPINION_PRINCIPALS = {"authority", "employer"}
#: The material kind every scheme has and never requires.
RESERVED_MATERIAL = "other"
MATERIAL_CODE_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
TEST_RE = re.compile(r"^(>=|<=|==|!=|>|<)\s*(-?\d+(\.\d+)?|true|false)$|^any$")
FACTS = {
    "contract_years", "self_employed", "flexible_introduction", "employer_operating_years",
    "employer_is_district_institution", "months_per_year_in_jurisdiction",
}


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _cited(item: dict) -> bool:
    """A rule row carries its article, or says it is an administrative setting."""
    return bool(item.get("article")) or item.get("setting") is True


def controls_problems(data: dict) -> list[tuple[tuple, str]]:
    problems: list[tuple[tuple, str]] = []
    add = lambda where, message: problems.append((tuple(where), message))  # noqa: E731
    if not isinstance(data, dict):
        return [((), "方案文件的顶层不是映射")]

    departments = {d.get("code") for d in data.get("departments") or [] if isinstance(d, dict)}
    tiers = {t.get("code") for t in data.get("tiers") or [] if isinstance(t, dict)}
    criteria = {
        str(c.get("id"))
        for t in data.get("tiers") or [] if isinstance(t, dict)
        for c in t.get("criteria") or [] if isinstance(c, dict)
    }
    workflow = data.get("workflow") or {}
    states = [s for s in workflow.get("states") or [] if isinstance(s, dict)]
    state_by_code = {s.get("code"): s for s in states}

    # ---- materials --------------------------------------------------------------------------------------
    materials = data.get("materials")
    if materials is not None and not isinstance(materials, list):
        add(("materials",), "materials 应为列表")
        materials = []
    seen: set[str] = set()
    for i, item in enumerate(materials or []):
        where = ("materials", i)
        if not isinstance(item, dict):
            add(where, "每项申请材料应为映射（code、name、article…）")
            continue
        code = item.get("code")
        if not isinstance(code, str) or not MATERIAL_CODE_RE.match(code):
            add((*where, "code"), f"申请材料代码须为小写英文字母、数字、下划线或连字符：{code!r}")
        elif code == RESERVED_MATERIAL:
            add((*where, "code"), f"申请材料代码“{RESERVED_MATERIAL}”为系统保留（其他材料）")
        elif code in seen:
            add((*where, "code"), f"申请材料代码重复：{code}")
        else:
            seen.add(code)
        if not item.get("name"):
            add(where, f"申请材料 {code} 缺少名称（name）")
        if not _cited(item):
            add(where, f"申请材料 {code} 须注明政策条款（article），或标明为管理设置（setting: true）")
        for tier in item.get("tiers") or []:
            if tier not in tiers:
                add((*where, "tiers"), f"申请材料 {code} 引用了不存在的卡种层级：{tier}")
        for ref in item.get("criteria") or []:
            if str(ref) not in criteria:
                add((*where, "criteria"), f"申请材料 {code} 引用了不存在的认定条件：{ref}")
        unknown = set(item) - {"code", "name", "article", "setting", "tiers", "criteria", "optional", "note"}
        if unknown:
            add(where, f"申请材料 {code} 含有未知字段：{'、'.join(sorted(map(str, unknown)))}")

    # ---- four eyes --------------------------------------------------------------------------------------
    four_eyes = workflow.get("four_eyes")
    if four_eyes is not None:
        if not isinstance(four_eyes, dict) or not isinstance(four_eyes.get("default"), bool):
            add(("workflow", "four_eyes"), "four_eyes 应写作 {default: true|false, setting: true|false}")

    # ---- states: opinion requests, experts, notice ----------------------------------------------------------
    for i, state in enumerate(workflow.get("states") or []):
        if not isinstance(state, dict):
            continue
        code = state.get("code")
        where = ("workflow", "states", i)
        opinions = state.get("opinions")
        if opinions is not None and not isinstance(opinions, list):
            add((*where, "opinions"), f"环节 {code} 的 opinions 应为列表")
            opinions = []
        for j, wanted in enumerate(opinions or []):
            w = (*where, "opinions", j)
            if not isinstance(wanted, dict):
                add(w, f"环节 {code} 的征求意见项应为映射（department、working_days…）")
                continue
            department = wanted.get("department")
            if department not in departments and department not in OPINION_PRINCIPALS:
                add((*w, "department"), f"环节 {code} 向未知部门征求意见：{department!r}（须为本方案的部门代码，或 authority、employer）")
            if wanted.get("working_days") is not None and not _positive_int(wanted.get("working_days")):
                add((*w, "working_days"), f"环节 {code} 征求意见的期限须为正整数个工作日")
            if not _cited(wanted):
                add(w, f"环节 {code} 的征求意见须注明政策条款（article），或标明为管理设置（setting: true）")
            unknown = set(wanted) - {"department", "working_days", "topic", "article", "setting"}
            if unknown:
                add(w, f"环节 {code} 的征求意见含有未知字段：{'、'.join(sorted(map(str, unknown)))}")
        experts = state.get("experts")
        if experts is not None:
            w = (*where, "experts")
            if not isinstance(experts, dict):
                add(w, f"环节 {code} 的 experts 应写作 {{min: 1, working_days: 10, article: …}}")
            else:
                if not _positive_int(experts.get("min", 1)):
                    add((*w, "min"), f"环节 {code} 的专家人数（min）须为正整数")
                if experts.get("working_days") is not None and not _positive_int(experts.get("working_days")):
                    add((*w, "working_days"), f"环节 {code} 的专家评审期限须为正整数个工作日")
                if not _cited(experts):
                    add(w, f"环节 {code} 的专家评审须注明政策条款（article），或标明为管理设置（setting: true）")
                if not state.get("actor"):
                    add(w, f"环节 {code} 请专家评审，但没有办理人（actor）来指定专家")
        notice = state.get("notice")
        if notice is not None:
            w = (*where, "notice")
            if not isinstance(notice, dict):
                add(w, f"环节 {code} 的 notice 应写作 {{working_days: 5, setting: true, article: …}}")
            else:
                if not _positive_int(notice.get("working_days")):
                    add((*w, "working_days"), f"环节 {code} 的公示期须为正整数个工作日（政策未规定时为管理设置，默认 5）")
                if not _cited(notice):
                    add(w, f"环节 {code} 的公示期须注明政策条款（article），或标明为管理设置（setting: true）")
                if notice.get("department") is not None and notice.get("department") not in departments:
                    add((*w, "department"), f"环节 {code} 的公示部门未知：{notice.get('department')!r}")

    # ---- transitions: guards and four eyes -------------------------------------------------------------------
    for i, transition in enumerate(workflow.get("transitions") or []):
        if not isinstance(transition, dict):
            continue
        code = transition.get("code")
        where = ("workflow", "transitions", i)
        if transition.get("four_eyes") is not None and not isinstance(transition.get("four_eyes"), bool):
            add((*where, "four_eyes"), f"步骤 {code} 的 four_eyes 须为 true 或 false")
        role = transition.get("role")
        if role is not None and role not in TRANSITION_ROLES:
            add((*where, "role"), f"步骤 {code} 的 role 未知：{role!r}（可用：{'、'.join(TRANSITION_ROLES)}）")
        elif role == "card_produced" and transition.get("by") == "applicant":
            add((*where, "role"), f"步骤 {code} 记录制卡完成，不能由申请人操作")
        message = transition.get("guard_message")
        if message is not None and (not isinstance(message, str) or not message.strip()):
            add((*where, "guard_message"), f"步骤 {code} 的 guard_message 须为中文说明文字")
        guard = transition.get("guard")
        if guard is None:
            continue
        sources = [state_by_code.get(s) for s in transition.get("from") or [] if s in state_by_code]
        _check_guard(guard, (*where, "guard"), code, criteria, tiers, sources, add)
    from .validate import card_rules_problems  # the cards block and the exit rules' facts (issue #17)

    problems += card_rules_problems(data)
    return problems


def _check_guard(guard, where, code, criteria, tiers, sources, add) -> None:
    if not isinstance(guard, dict) or not guard:
        add(where, f"步骤 {code} 的条件（guard）应为非空映射")
        return
    for key, value in guard.items():
        w = (*where, key)
        if key not in GUARD_WORDS:
            add(w, f"步骤 {code} 的条件含有未知项：{key}（可用：{'、'.join(GUARD_WORDS)}）")
            continue
        words = GUARD_WORDS[key]
        if words is not None and value not in words:
            add(w, f"步骤 {code} 的条件 {key} 只能取：{'、'.join(words)}，而不是 {value!r}")
            continue
        if key in ("criteria_any", "criteria_only"):
            if not isinstance(value, list) or not value:
                add(w, f"步骤 {code} 的条件 {key} 应为认定条件编号的非空列表")
                continue
            for ref in value:
                if str(ref) not in criteria:
                    add(w, f"步骤 {code} 的条件引用了不存在的认定条件：{ref}")
        elif key == "tier_in":
            if not isinstance(value, list) or not value:
                add(w, f"步骤 {code} 的条件 tier_in 应为卡种层级代码的非空列表")
                continue
            for tier in value:
                if tier not in tiers:
                    add(w, f"步骤 {code} 的条件引用了不存在的卡种层级：{tier}")
        elif key == "facts":
            if not isinstance(value, list) or not value:
                add(w, f"步骤 {code} 的条件 facts 应为 {{fact: …, test: …}} 的非空列表")
                continue
            for item in value:
                if not isinstance(item, dict) or item.get("fact") not in FACTS:
                    add(w, f"步骤 {code} 的条件引用了未知的申请事实：{(item or {}).get('fact') if isinstance(item, dict) else item!r}")
                elif not TEST_RE.match(str(item.get("test", "")).strip()):
                    add(w, f"步骤 {code} 的条件 {item.get('fact')} 的判断式无效：{item.get('test')!r}")
        elif key == "opinions":
            if sources and not any(s.get("opinions") or s.get("experts") for s in sources):
                add(w, f"步骤 {code} 以征求意见为条件，但其起始环节没有征求意见（opinions）或专家评审（experts）")
        elif key == "notice":
            if sources and not any(s.get("notice") for s in sources):
                add(w, f"步骤 {code} 以公示期届满为条件，但其起始环节不是公示环节（notice）")
        elif key == "any":
            if not isinstance(value, list) or len(value) < 2:
                add(w, f"步骤 {code} 的条件 any 应列出至少两个可选条件")
                continue
            for j, sub in enumerate(value):
                _check_guard(sub, (*w, j), code, criteria, tiers, sources, add)
        elif key == "not":
            _check_guard(value, w, code, criteria, tiers, sources, add)
