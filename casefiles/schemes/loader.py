"""Load scheme data files (``casefiles/schemes/*.yaml``) into the database.

Loading is idempotent: rows are matched by their codes and ids and updated in place, so dossiers that
point at a tier or a workflow state survive a reload. Rows the file no longer has are deleted when
nothing refers to them.
"""

import hashlib
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError

from casefiles.models import (
    Criterion,
    Department,
    Jurisdiction,
    MaterialRequirement,
    Precondition,
    Recognition,
    RevocationReason,
    Scheme,
    ServiceItem,
    ServiceRequester,
    Tier,
    TimeLimitUnit,
    WorkflowState,
    WorkflowTransition,
)

from .upsert import links_set, rows_upsert

SCHEME_DIR = Path(__file__).resolve().parent
#: Files next to the scheme files that are not schemes.
NON_SCHEME_FILES = ("jurisdictions.yaml", "shipped.yaml")


def shipped_slugs(directory=SCHEME_DIR):
    """The scheme files shipped with the product, in load order (``shipped.yaml``)."""
    with open(Path(directory) / "shipped.yaml", encoding="utf-8") as handle:
        return tuple(yaml.safe_load(handle)["schemes"])


SCHEME_SLUGS = shipped_slugs()
PRINCIPAL_KEYWORDS = {"applicant", "employer", "authority", "actor"}


class SchemeDataError(Exception):
    pass


def read_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def declared_jurisdiction(data):
    """The jurisdiction a scheme file declares in full (``jurisdiction: {code, name, level, parent}``), or None
    when it names a known one by its code."""
    value = data.get("jurisdiction") if isinstance(data, dict) else None
    return value if isinstance(value, dict) else None


def scheme_file_problems(path, known_jurisdictions=None):
    """(data, problems) of one scheme file, each problem ``file:line: 说明``: the one check of a file
    (casefiles/schemes/validate.py scheme_file_problems: the JSON Schema, then the checks across rows, the declared
    jurisdiction, the controls), knowing also the jurisdictions loaded earlier from other files."""
    from .validate import scheme_file_problems as file_problems

    return file_problems(path, known_jurisdictions,
                         more_jurisdictions=lambda: Jurisdiction.objects.values_list("code", flat=True))


def read_scheme_file(path, known_jurisdictions=None):
    """Parse a scheme file and refuse it, before anything is written, when anything in it is wrong: a
    SchemeDataError lists ``file:line: 说明`` for each problem."""
    data, problems = scheme_file_problems(path, known_jurisdictions)
    if problems:
        raise SchemeDataError("\n".join(problems))
    return data


@transaction.atomic
def jurisdictions_load(path=SCHEME_DIR / "jurisdictions.yaml"):
    data = read_yaml(path)
    by_code = {}
    for row in data["jurisdictions"]:
        parent = by_code.get(row.get("parent")) if row.get("parent") else None
        obj, _created = Jurisdiction.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "short_name": row.get("short_name", ""),
                "level": row["level"],
                "parent": parent,
            },
        )
        by_code[obj.code] = obj
    return by_code


def workflow_department_codes(data):
    """Department codes that act somewhere in the workflow, plus the scheme's authorities."""
    codes = set()
    departments = {d["code"]: d for d in data.get("departments", [])}
    workflow = data.get("workflow", {})
    for state in workflow.get("states", []):
        if state.get("actor") in departments:
            codes.add(state["actor"])
    for transition in workflow.get("transitions", []):
        by = transition.get("by")
        for code in by if isinstance(by, list) else [by]:
            if code in departments:
                codes.add(code)
    for state in workflow.get("states", []):
        for wanted in state.get("opinions") or []:
            if isinstance(wanted, dict) and wanted.get("department") in departments:
                codes.add(wanted["department"])
    authority_kind = workflow.get("authority_kind")
    if authority_kind:
        codes.update(code for code, d in departments.items() if d.get("kind") == authority_kind)
    return codes


def supervision_of(data):
    """``{head's department code: [codes it supervises]}`` from the departments' ``supervises`` lists."""
    return {d["code"]: list(d["supervises"]) for d in data.get("departments") or [] if d.get("supervises")}


def service_time_limit(row):
    """The ServiceItem fields of a service's time limit: ``time_limit_working_days: N`` and ``time_limit: {amount: N,
    unit: working_days}`` both fill ``time_limit_working_days``; a limit in calendar days or months fills
    ``time_limit_amount`` and ``time_limit_unit`` (聊城 第十三条 “1个月内”)."""
    limit = row.get("time_limit") or {}
    fields = {"time_limit_working_days": row.get("time_limit_working_days"), "time_limit_amount": None,
              "time_limit_unit": "", "time_limit_article": limit.get("article") or ""}
    if limit.get("unit") == TimeLimitUnit.WORKING_DAYS:
        fields["time_limit_working_days"] = limit["amount"]
    elif limit:
        fields["time_limit_amount"], fields["time_limit_unit"] = limit["amount"], limit["unit"]
    return fields


def _sync(model, scheme, keep_keys, key="ref"):
    """Delete rows of a scheme the file no longer lists, unless something still points at them."""
    stale = model.objects.filter(scheme=scheme).exclude(**{f"{key}__in": keep_keys})
    for row in stale:
        try:
            row.delete()
        except ProtectedError:
            pass


@transaction.atomic
def scheme_load(data):
    """Create or update one scheme from its parsed data file; returns the Scheme."""
    from .validate import automatic_when_of, card_rules_of
    declared = declared_jurisdiction(data)
    if declared is not None:
        parent = Jurisdiction.objects.filter(code=declared.get("parent")).first() if declared.get("parent") else None
        Jurisdiction.objects.update_or_create(code=declared["code"], defaults={
            "name": declared["name"], "short_name": declared.get("short_name") or "", "level": declared["level"],
            "parent": parent})
    jurisdictions = {j.code: j for j in Jurisdiction.objects.all()}
    try:
        home = jurisdictions[declared["code"] if declared is not None else data["jurisdiction"]]
    except KeyError as exc:
        raise SchemeDataError(f"unknown jurisdiction {exc.args[0]!r} in scheme {data.get('slug')!r}") from None

    validity = data.get("validity") or {}
    notice = data.get("public_notice") or {}
    workflow = data.get("workflow") or {}
    scheme, _created = Scheme.objects.update_or_create(
        slug=data["slug"],
        defaults={
            "name": data["name"],
            "jurisdiction": home,
            "policy_title": data["policy"]["title"],
            "data_version": str(data.get("version", "")),
            "reference_format": data["reference_format"],
            "card_number_format": data["card_number_format"],
            "case_by_case": bool(data.get("case_by_case")),
            "case_by_case_article": data.get("case_by_case_article") or "",
            "public_notice_working_days": notice.get("working_days"),
            "public_notice_article": notice.get("article") or "",
            "announce_exits_yearly": bool(data.get("announce_exits_yearly")),
            "validity_rule": validity.get("rule") or "open_ended",
            "validity_max_years": validity.get("max_years"),
            "validity_article": validity.get("article") or "",
            "renewal_article": (validity.get("renewal") or {}).get("article", ""),
            "renewal_text": (validity.get("renewal") or {}).get("text", ""),
            "loss_article": (validity.get("loss") or {}).get("article", ""),
            "loss_text": (validity.get("loss") or {}).get("text", ""),
            "authority_kind": workflow.get("authority_kind") or "",
            "four_eyes": bool((workflow.get("four_eyes") or {}).get("default", True)),
            "four_eyes_setting": bool((workflow.get("four_eyes") or {}).get("setting", True)),
            "card_rules": card_rules_of(data),
            "supervision": supervision_of(data),
        },
    )

    departments = {}
    stored = {(d.jurisdiction_id, d.code): d for d in Department.objects.filter(
        jurisdiction__in=[jurisdictions[row.get("jurisdiction") or home.code] for row in data.get("departments", [])])}
    for row in data.get("departments", []):
        jurisdiction = jurisdictions[row.get("jurisdiction") or home.code]
        dept = stored.get((jurisdiction.pk, row["code"])) or Department(jurisdiction=jurisdiction, code=row["code"])
        wanted = (row["name"], row["kind"], row.get("sector") or "")
        if dept.pk is None or (dept.name, dept.kind, dept.sector) != wanted:
            dept.name, dept.kind, dept.sector = wanted
            dept.save()  # its group and the group's admin access follow (Department.save)
        departments[row["code"]] = dept
    scheme.departments.set(departments.values())

    preconditions = data.get("preconditions", [])
    rows_upsert(Precondition, scheme, "ref", [
        (str(row["id"]), {"article": row["article"], "text": row["text"].strip(), "order": order,
                          "rule": {k: row[k] for k in ("fact", "test", "any", "all") if row.get(k) is not None}})
        for order, row in enumerate(preconditions)])
    _sync(Precondition, scheme, [str(r["id"]) for r in preconditions])

    tiers = rows_upsert(Tier, scheme, "code", [
        (row["code"], {"name": row["name"], "rank": row["rank"], "article": row.get("article") or ""})
        for row in data["tiers"]])
    criteria = rows_upsert(Criterion, scheme, "ref", [
        (str(crit["id"]), {"tier": tiers[row["code"]], "article": crit["article"], "text": crit["text"].strip(),
                           "talent_category": crit.get("talent_category") or "",
                           "direct_recognition": bool(crit.get("direct_recognition")), "order": order})
        for order, (row, crit) in enumerate((row, crit) for row in data["tiers"] for crit in row.get("criteria", []))])
    links_set(Tier._meta.get_field("includes"),
              {tiers[row["code"]]: [tiers[c] for c in row.get("includes", [])] for row in data["tiers"]})
    _sync(Criterion, scheme, list(criteria))
    _sync(Tier, scheme, list(tiers), key="code")

    services = rows_upsert(ServiceItem, scheme, "ref", [
        (str(row["id"]), {"title": row["title"], "text": row["text"].strip(), "article": row["article"],
                          "category": row.get("category") or "other", "family_scope": row.get("family_scope") or [],
                          **service_time_limit(row),
                          "requested_by": row.get("requested_by") or ServiceRequester.HOLDER, "order": order})
        for order, row in enumerate(data.get("services", []))])
    # The link rows keep the policy's order of the responsible units: feedback goes to the first unit.
    links_set(ServiceItem._meta.get_field("responsible_units"),
              {services[str(row["id"])]: [departments[c] for c in row.get("responsible_units", []) if c in departments]
               for row in data.get("services", [])}, ordered=True)
    service_tiers = {service: [] for service in services.values()}
    for row in data["tiers"]:
        for ref in row.get("services", []):
            service_tiers[services[str(ref)]].append(tiers[row["code"]])
    links_set(ServiceItem._meta.get_field("tiers"), service_tiers)
    _sync(ServiceItem, scheme, list(services))

    recognitions = [
        Recognition(scheme=scheme, card_name=row["card"], tier=tiers[row["grants_tier"]],
                    criterion=criteria.get(str(row.get("criterion"))) if row.get("criterion") else None,
                    article=row["article"])
        for row in data.get("recognitions", []) or []]
    fields = ("card_name", "tier_id", "criterion_id", "article")
    # Recognitions have no key of their own: rewritten when they differ from the file.
    if list(Recognition.objects.filter(scheme=scheme).order_by("pk").values_list(*fields)) != [
            tuple(getattr(r, f) for f in fields) for r in recognitions]:
        Recognition.objects.filter(scheme=scheme).delete()
        Recognition.objects.bulk_create(recognitions)

    states = rows_upsert(WorkflowState, scheme, "code", [
        (row["code"], {
            "name": row["name"],
            "kind": row["kind"],
            "actor": row.get("actor") or "",
            "view": list(row.get("view") or []),
            "article": row.get("article") or "",
            "time_limit_working_days": row.get("time_limit_working_days")
            or (settings.HUICAI_DEFAULT_STAGE_WORKING_DAYS if row["kind"] == "stage" else None),
            "opinions": list(row.get("opinions") or []),
            "experts": row.get("experts") or None,
            "notice": row.get("notice") or None,
            "order": order,
        }) for order, row in enumerate(workflow.get("states", []))])
    transitions = rows_upsert(WorkflowTransition, scheme, "code", [
        (row["code"], {
            "name": row["name"],
            "target": states[row["to"]],
            "by": ",".join(row["by"]) if isinstance(row["by"], list) else row["by"],
            "requires_comment": bool(row.get("requires_comment")),
            "issues_card": bool(row.get("issues_card")),
            "article": row.get("article") or "",
            "guard": row.get("guard") or {},
            "guard_message": row.get("guard_message") or "",
            "four_eyes": row.get("four_eyes"),
            "role": row.get("role") or "",
            "order": order,
        }) for order, row in enumerate(workflow.get("transitions", []))])
    links_set(WorkflowTransition._meta.get_field("sources"), {
        transitions[row["code"]]: [states[s] for s in (row["from"] if isinstance(row["from"], list) else [row["from"]])]
        for row in workflow.get("transitions", [])})
    _sync(WorkflowTransition, scheme, list(transitions), key="code")
    _sync(WorkflowState, scheme, list(states), key="code")

    materials = rows_upsert(MaterialRequirement, scheme, "code", [
        (row["code"], {"name": row["name"], "article": row.get("article") or "", "setting": bool(row.get("setting")),
                       "optional": bool(row.get("optional")), "note": row.get("note") or "", "order": order})
        for order, row in enumerate(data.get("materials") or [])])
    links_set(MaterialRequirement._meta.get_field("tiers"),
              {materials[row["code"]]: [tiers[c] for c in row.get("tiers") or []]
               for row in data.get("materials") or []})
    links_set(MaterialRequirement._meta.get_field("criteria"),
              {materials[row["code"]]: [criteria[str(r)] for r in row.get("criteria") or []]
               for row in data.get("materials") or []})
    _sync(MaterialRequirement, scheme, list(materials), key="code")

    reasons = rows_upsert(RevocationReason, scheme, "ref", [
        (str(row["id"]), {"article": row["article"], "text": row["text"].strip(), "effect": row["effect"],
                          "requested_by": list(row.get("requested_by") or []),
                          "automatic_rule": row.get("automatic_rule") or "",
                          "automatic_when": automatic_when_of(row), "order": order})
        for order, row in enumerate(data.get("revocation_reasons", []))])
    # Bulk writes send no signals: the public pages that read the rules (sections, tier tables) are dropped here.
    from policypages.cache import invalidate

    invalidate()
    _sync(RevocationReason, scheme, list(reasons))
    return scheme


def states_in_use_problems(data):
    """A reload may not remove a state that still holds dossiers: one message per such state, naming them."""
    from ..models import Dossier

    scheme = Scheme.objects.filter(slug=data.get("slug")).first()
    if scheme is None:
        return []
    kept = {s.get("code") for s in (data.get("workflow") or {}).get("states") or [] if isinstance(s, dict)}
    problems = []
    for state in scheme.states.exclude(code__in=kept).order_by("order"):
        held = list(Dossier.objects.filter(state=state).order_by("pk").values_list("reference", flat=True)[:6])
        if held:
            more = "等" if len(held) > 5 else ""
            problems.append(f"{data.get('slug')}: 环节“{state.name}”（{state.code}）仍有申请在办（{'、'.join(held[:5])}{more}），"
                            f"不能从方案中删除；请先办结或改回该环节后再载入")
    return problems


def file_digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@transaction.atomic
def scheme_files_load(paths, *, user=None, dry_run=False, progress=None, defer_grants=False):
    """Check every file first (structure, controls, jurisdictions, states still in use), then load them all in
    one transaction: a bad file loads nothing. Each load is journaled with the file's SHA-256. ``dry_run``
    checks and loads, then rolls everything back. When a state's ``view`` or ``actor`` changed, the grants of its
    dossiers are recomputed in batches (``progress(done, total)``), or with ``defer_grants`` queued for the worker in
    this transaction (the admin upload: a request does not wait for it). Returns the schemes (each with
    ``source_data``, ``grants_recomputed`` and ``grants_job``)."""
    from ..services.journal import journal_write

    jurisdictions_load()
    checked, problems = [], []
    for path in paths:
        path = Path(path)
        if not path.exists():
            problems.append(f"{path}: 文件不存在")
            continue
        data, found = scheme_file_problems(path)
        problems += found
        if not found:
            problems += states_in_use_problems(data)
            checked.append((path, data))
    if problems:
        transaction.set_rollback(True)
        raise SchemeDataError("\n".join(problems))
    from ..services.grants import changed_grant_states, grant_rules, scheme_grants_recompute

    schemes = []
    for path, data in checked:
        existing = Scheme.objects.filter(slug=data.get("slug")).first()
        before = grant_rules(existing) if existing is not None else {}
        scheme = scheme_load(data)
        scheme.source_data = data
        # Who sees and acts in a state changed: the dossiers in it follow now (casefiles/services/grants.py).
        changed = changed_grant_states(before, grant_rules(scheme))
        scheme.grants_recomputed = scheme.grants_job = None
        if changed and not dry_run and defer_grants:
            from ..services.jobs import grants_recompute_enqueue

            scheme.grants_job = grants_recompute_enqueue(scheme, changed, user=user)
        elif changed and not dry_run:
            scheme.grants_recomputed = scheme_grants_recompute(scheme, states=changed, progress=progress)
        journal_write(action="casefiles.scheme.load", actor=user, obj=scheme,
                      data={"file": path.name, "sha256": file_digest(path), "dry_run": dry_run,
                            "grants_changed_states": changed,
                            "grants_dossiers": scheme.grants_recomputed.dossiers if scheme.grants_recomputed else 0,
                            "grants_job": scheme.grants_job.pk if scheme.grants_job else None})
        schemes.append(scheme)
    if dry_run:
        transaction.set_rollback(True)
    return schemes


def schemes_load(slugs=SCHEME_SLUGS, directory=SCHEME_DIR, user=None):
    """Load shipped scheme files by slug (all of them by default); see :func:`scheme_files_load`."""
    for slug in slugs:
        if not (Path(directory) / f"{slug}.yaml").exists():
            raise SchemeDataError(f"no data file for scheme {slug!r}: {Path(directory) / f'{slug}.yaml'}")
    return scheme_files_load([Path(directory) / f"{slug}.yaml" for slug in slugs], user=user)
