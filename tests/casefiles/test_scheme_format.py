"""Scheme file format 2 and its JSON Schema (issue #17 item 2): casefiles/schemes/scheme.schema.json.

Every scheme file in the repository (the five shipped ones and the test programmes under tests/schemes/) is swept:
it validates against the published schema and loads; a format-1 copy of it (no ``format`` key) still loads; and each
of a set of mutations made to its text (an unknown key at the top level and in a workflow state, a wrong type, a
missing required key, a value outside an enumeration) is refused with the line of the offending key and a Chinese
message — by the loader and by ``python -m casefiles.schemes.validate`` alike, since both call one function.
"""

import copy
import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from casefiles.models import JurisdictionLevel, Scheme
from casefiles.schemes import controls
from casefiles.schemes import validate as scheme_validate
from casefiles.schemes.lines import load_with_lines
from casefiles.schemes.loader import SchemeDataError, read_scheme_file, scheme_file_problems, scheme_files_load

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "casefiles" / "schemes" / "scheme.schema.json").read_text(encoding="utf-8"))
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _scheme_files():
    """Every scheme file in the repository: a YAML file with a workflow."""
    found = []
    candidates = [*(REPO / "casefiles" / "schemes").glob("*.yaml"), *(REPO / "tests" / "schemes").glob("*.yaml")]
    for path in sorted(candidates):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "workflow" in data:
            found.append(path)
    return found


FILES = _scheme_files()
SHIPPED = [p for p in FILES if p.parent.name == "schemes" and p.parent.parent.name == "casefiles"]
ids = [f"{p.parent.parent.name}/{p.name}" for p in FILES]


def test_the_sweep_sees_the_shipped_files():
    assert {p.stem for p in SHIPPED} >= {"tonghua", "jilin", "chuxiong", "baiyun", "liaocheng"}


def test_the_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _descriptions_missing(node, path=()):
    """Every property of every object in the schema says what it means."""
    missing = []
    if isinstance(node, dict):
        for key, sub in (node.get("properties") or {}).items():
            target = str(sub.get("$ref", "")).rsplit("/", 1)[-1] if isinstance(sub, dict) else ""
            referred = SCHEMA["$defs"].get(target, {})
            if isinstance(sub, dict) and not sub.get("description") and not referred.get("description"):
                missing.append("/".join(map(str, (*path, key))))
        for key, sub in node.items():
            missing += _descriptions_missing(sub, (*path, key))
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            missing += _descriptions_missing(sub, (*path, i))
    return missing


def test_every_key_of_the_schema_is_described():
    assert _descriptions_missing(SCHEMA) == []


def _enum_at(*path):
    node = SCHEMA
    for key in path:
        node = node[key]
    return node


def test_the_schemas_words_are_the_engines():
    """The enumerations of the schema are those the code reads (no second list to drift)."""
    props = SCHEMA["properties"]
    department = props["departments"]["items"]["properties"]
    assert set(department["kind"]["enum"]) == scheme_validate.DEPARTMENT_KINDS
    assert set(SCHEMA["$defs"]["fact"]["enum"]) == set(scheme_validate.FACTS) == controls.FACTS
    exit_fact = props["revocation_reasons"]["items"]["properties"]["automatic_when"]["anyOf"][0]["items"]
    assert set(exit_fact["properties"]["fact"]["enum"]) == set(scheme_validate.EXIT_FACTS)
    assert set(SCHEMA["$defs"]["guard"]["properties"]) == set(controls.GUARD_WORDS)
    transition = props["workflow"]["properties"]["transitions"]["items"]["properties"]
    assert set(transition["role"]["anyOf"][0]["enum"]) == set(controls.TRANSITION_ROLES)
    assert set(props["cards"]["properties"]) == set(scheme_validate.CARD_RULE_KEYS)
    for key, fields in scheme_validate.CARD_RULE_KEYS.items():  # a card rule added to the code is added here too
        assert set(props["cards"]["properties"][key]["anyOf"][0]["properties"]) == fields, key
    declared = props["jurisdiction"]["anyOf"][1]["properties"]["level"]["enum"]
    assert set(declared) == set(JurisdictionLevel.values)
    assert props["format"]["enum"] == list(scheme_validate.FORMAT_VERSIONS)


def _max_lengths():
    """(schema place, its maxLength, the model field the value lands in) for every text the loader stores."""
    from casefiles import models

    props = SCHEMA["properties"]
    items = lambda key: props[key]["items"]["properties"]  # noqa: E731
    workflow = props["workflow"]["properties"]
    state, transition = workflow["states"]["items"]["properties"], workflow["transitions"]["items"]["properties"]
    criterion = props["tiers"]["items"]["properties"]["criteria"]["items"]["properties"]
    declared = props["jurisdiction"]["anyOf"][1]["properties"]
    reason = items("revocation_reasons")
    return [
        ("slug", props["slug"], models.Scheme, "slug"), ("name", props["name"], models.Scheme, "name"),
        ("version", props["version"], models.Scheme, "data_version"),
        ("policy.title", props["policy"]["properties"]["title"], models.Scheme, "policy_title"),
        ("reference_format", props["reference_format"], models.Scheme, "reference_format"),
        ("card_number_format", props["card_number_format"], models.Scheme, "card_number_format"),
        ("departments.code", SCHEMA["$defs"]["department_code"], models.Department, "code"),
        ("departments.name", items("departments")["name"], models.Department, "name"),
        ("departments.sector", items("departments")["sector"]["anyOf"][0], models.Department, "sector"),
        ("tiers.code", props["tiers"]["items"]["properties"]["code"], models.Tier, "code"),
        ("tiers.name", props["tiers"]["items"]["properties"]["name"], models.Tier, "name"),
        ("ids", SCHEMA["$defs"]["id"], models.Criterion, "ref"),
        ("articles", SCHEMA["$defs"]["article"], models.Criterion, "article"),
        ("criteria.talent_category", criterion["talent_category"]["anyOf"][0], models.Criterion, "talent_category"),
        ("services.title", items("services")["title"], models.ServiceItem, "title"),
        ("recognitions.card", props["recognitions"]["anyOf"][0]["items"]["properties"]["card"], models.Recognition,
         "card_name"),
        ("states.code", state["code"], models.WorkflowState, "code"),
        ("states.name", state["name"], models.WorkflowState, "name"),
        ("transitions.code", transition["code"], models.WorkflowTransition, "code"),
        ("transitions.name", transition["name"], models.WorkflowTransition, "name"),
        ("transitions.guard_message", transition["guard_message"], models.WorkflowTransition, "guard_message"),
        ("materials.code", items("materials")["code"], models.MaterialRequirement, "code"),
        ("materials.name", items("materials")["name"], models.MaterialRequirement, "name"),
        ("materials.note", items("materials")["note"], models.MaterialRequirement, "note"),
        ("revocation_reasons.automatic_rule", reason["automatic_rule"]["anyOf"][0], models.RevocationReason,
         "automatic_rule"),
        ("jurisdiction.code", declared["code"], models.Jurisdiction, "code"),
        ("jurisdiction.name", declared["name"], models.Jurisdiction, "name"),
        ("jurisdiction.short_name", declared["short_name"], models.Jurisdiction, "short_name"),
    ]


def test_the_schemas_lengths_are_the_columns():
    """A text the schema lets through fits the column it is loaded into: no database error on load."""
    wrong = [(place, schema.get("maxLength"), model._meta.get_field(field).max_length)
             for place, schema, model, field in _max_lengths()
             if schema.get("maxLength") != model._meta.get_field(field).max_length]
    assert wrong == []


@pytest.mark.parametrize("path", FILES, ids=ids)
def test_every_file_validates_against_the_schema_and_has_no_problem(path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(
        scheme_validate._as_json(data))
    # Format 2 is the strict one: a file not yet declaring it must pass as format 2 as well.
    assert scheme_validate.schema_problems({**data, "format": 2}) == []
    assert scheme_file_problems(path)[1] == []


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_the_shipped_files_are_format_2(path):
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["format"] == 2 == scheme_validate.FORMAT_VERSION


def _format_1_copy(path, directory):
    text = path.read_text(encoding="utf-8")
    changed = re.sub(r"(?m)^format: \d+.*\n", "", text)
    assert not re.search(r"(?m)^format:", changed)
    copy_path = directory / path.name
    copy_path.write_text(changed, encoding="utf-8")
    return copy_path


def test_every_file_loads_and_so_does_its_format_1_copy(db, tmp_path):
    loaded = scheme_files_load(FILES)
    slugs = sorted(yaml.safe_load(p.read_text(encoding="utf-8"))["slug"] for p in FILES)
    assert sorted(s.slug for s in loaded) == slugs
    (tmp_path / "v1").mkdir()
    copies = [_format_1_copy(path, tmp_path / "v1") for path in FILES]
    for copy_path in copies:
        assert "format" not in yaml.safe_load(copy_path.read_text(encoding="utf-8"))
        assert scheme_file_problems(copy_path)[1] == []
    again = scheme_files_load(copies)
    assert {s.slug: s.pk for s in again} == {s.slug: s.pk for s in loaded}
    assert Scheme.objects.count() == len(FILES)


# ---- mutations of the text: each refused at the line of the offending key --------------------------------------

def _line_text(text, number):
    return text.splitlines()[number - 1]


def _set_value(text, lines, path, new):
    """Replace the value of the key at ``path`` (a one-line scalar, block or flow style) with ``new``."""
    number, key = lines.line_of(path), path[-1]
    rows = text.splitlines()
    row, count = re.subn(rf"(?<![\w-]){re.escape(key)}:\s*[^,}}#\n]*?(?=\s*(,|}}|#|$))", f"{key}: {new}",
                         rows[number - 1], count=1)
    assert count == 1, rows[number - 1]
    rows[number - 1] = row
    return "\n".join(rows) + "\n", number


def _add_key(text, lines, row_path, first_key, extra):
    """Add ``extra`` (``key: value``) to the mapping at ``row_path``, next to its key ``first_key``."""
    number = lines.line_of((*row_path, first_key))
    rows = text.splitlines()
    row = rows[number - 1]
    if "{" in row:
        rows[number - 1] = row.replace("{", "{" + extra + ", ", 1)
        return "\n".join(rows) + "\n", number
    indent = row.index(f"{first_key}:")
    rows.insert(number, " " * indent + extra)
    return "\n".join(rows) + "\n", number + 1


def _remove_key(text, lines, path):
    """Remove the key at ``path`` (a one-line scalar); the problem is then the line of the mapping holding it."""
    number, key = lines.line_of(path), path[-1]
    rows = text.splitlines()
    row = rows[number - 1]
    if "{" in row:
        changed, count = re.subn(rf",\s*{re.escape(key)}:\s*[^,}}]*|{re.escape(key)}:\s*[^,}}]*,\s*", "", row, count=1)
        assert count == 1, row
        rows[number - 1] = changed
    else:
        del rows[number - 1]
    return "\n".join(rows) + "\n", lines.line_of(path[:-1])


def _top_level_unknown(text, lines, data):
    changed, number = _add_key(text, lines, (), "slug", "colour: red")
    return changed, number, "colour"


def _state_unknown(text, lines, data):
    i = len(data["workflow"]["states"]) // 2
    changed, number = _add_key(text, lines, ("workflow", "states", i), "code", "colour: red")
    return changed, number, "colour"


def _wrong_type(text, lines, data):
    changed, number = _set_value(text, lines, ("tiers", 0, "rank"), "high")
    return changed, number, "rank"


def _missing_required(text, lines, data):
    i = len(data["workflow"]["states"]) // 2
    changed, number = _remove_key(text, lines, ("workflow", "states", i, "kind"))
    return changed, number, "kind"


def _bad_enum(text, lines, data):
    changed, number = _set_value(text, lines, ("departments", 0, "kind"), "ministry")
    return changed, number, "ministry"


def _bad_nested_enum(text, lines, data):
    i = next(i for i, s in enumerate(data["services"]) if s.get("category"))
    changed, number = _set_value(text, lines, ("services", i, "category"), "weather")
    return changed, number, "weather"


MUTATIONS = [_top_level_unknown, _state_unknown, _wrong_type, _missing_required, _bad_enum, _bad_nested_enum]
#: Unknown keys are what format 1 lets through (the loader never read them); everything else it refuses too.
FORMAT_1_ALLOWS = {_top_level_unknown, _state_unknown}


def _mutated(path, mutate, tmp_path, drop_format=False):
    data, lines = load_with_lines(path)
    text = path.read_text(encoding="utf-8")
    if not drop_format:
        text = re.sub(r"(?m)^format: \d+", "format: 2", text)  # the sweep runs in the strict format
    changed, number, word = mutate(text, lines, data)
    if drop_format:
        changed = re.sub(r"(?m)^format: \d+.*\n", "", changed)
        number -= 1 if number > lines.line_of(("format",)) else 0
    target = tmp_path / path.name
    target.write_text(changed, encoding="utf-8")
    return target, number, word


@pytest.mark.parametrize("mutate", MUTATIONS, ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("path", FILES, ids=ids)
def test_a_broken_file_is_refused_at_the_line_of_the_offending_key(path, mutate, tmp_path):
    target, number, word = _mutated(path, mutate, tmp_path)
    _data, problems = scheme_file_problems(target)
    assert problems, f"{mutate.__name__} passed unnoticed in {path.name}"
    first = problems[0]  # the schema's problems come first
    assert first.startswith(f"{path.name}:{number}: "), (number, _line_text(target.read_text(encoding="utf-8"), number),
                                                         problems)
    assert word in first and CHINESE.search(first), first
    assert sum(p.startswith(f"{path.name}:{number}: ") for p in problems) == 1, problems  # told once
    assert all(re.match(rf"^{re.escape(path.name)}:\d+: \S", p) and CHINESE.search(p) for p in problems), problems
    with pytest.raises(SchemeDataError):
        read_scheme_file(target)


@pytest.mark.parametrize("mutate", MUTATIONS, ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("path", FILES, ids=ids)
def test_format_1_ignores_unknown_keys_and_refuses_the_rest(path, mutate, tmp_path):
    target, number, word = _mutated(path, mutate, tmp_path, drop_format=True)
    problems = scheme_file_problems(target)[1]
    if mutate in FORMAT_1_ALLOWS:
        assert problems == []
    else:
        assert problems and problems[0].startswith(f"{path.name}:{number}: ") and word in problems[0], problems


def test_format_2_states_its_exit_rules_and_card_rules(tmp_path):
    """What format 2 asks beyond format 1: a cards block, a materials list, automatic_when beside automatic_rule."""
    path = next(p for p in SHIPPED if p.stem == "jilin")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    legacy = copy.deepcopy(data)
    for reason in legacy["revocation_reasons"]:
        if reason.get("automatic_rule") in scheme_validate.LEGACY_AUTOMATIC_WHEN:
            reason.pop("automatic_when")
    del legacy["cards"], legacy["materials"]
    known = scheme_validate.load_jurisdiction_codes()
    legacy.pop("format")
    assert scheme_validate.validate_scheme(legacy, known) == []
    messages = scheme_validate.validate_scheme({**legacy, "format": 2}, known)
    assert any("缺少必填的键：cards" in m for m in messages), messages
    assert any("缺少必填的键：materials" in m for m in messages), messages
    assert sum("须以 automatic_when 列出所需事实" in m for m in messages) == 2, messages


def test_one_mistake_is_told_once(tmp_path):
    """Where the schema and a later check both see a mistake, the more specific message is kept: an unknown field at
    its own line (not also at its row's), a notice period of 0 by the controls' wording."""
    path = next(p for p in SHIPPED if p.stem == "tonghua")
    text = path.read_text(encoding="utf-8")
    data, lines = load_with_lines(path)
    changed, number = _add_key(text, lines, ("materials", 0), "code", "colour: red")
    target = tmp_path / path.name
    target.write_text(changed, encoding="utf-8")
    problems = scheme_file_problems(target)[1]
    assert len(problems) == 1 and problems[0].startswith(f"{path.name}:{number}: "), problems
    assert "未知字段：colour" in problems[0]
    stage = next(i for i, s in enumerate(data["workflow"]["states"]) if s["kind"] == "stage")
    period = "notice: {working_days: 0, setting: true}"
    changed, number = _add_key(text, lines, ("workflow", "states", stage), "code", period)
    target.write_text(changed, encoding="utf-8")
    problems = [p for p in scheme_file_problems(target)[1] if p.startswith(f"{path.name}:{number}: ")]
    assert len(problems) == 1 and "公示期须为正整数" in problems[0], problems


def test_a_yaml_syntax_error_names_its_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("format: 2\nslug: x\nname: [unclosed\nversion: 1\n", encoding="utf-8")
    data, problems = scheme_file_problems(path)
    assert data is None and len(problems) == 1 and re.match(r"^broken\.yaml:\d+: 不是有效的 YAML", problems[0])


def test_the_command_line_and_the_loader_say_the_same(tmp_path):
    path = next(p for p in SHIPPED if p.stem == "tonghua")
    text = path.read_text(encoding="utf-8")
    for mutate in MUTATIONS:  # every mutation at once
        (tmp_path / "step.yaml").write_text(text, encoding="utf-8")
        data, lines = load_with_lines(tmp_path / "step.yaml")
        text, _number, _word = mutate(text, lines, data)
    broken = tmp_path / "tonghua.yaml"
    broken.write_text(text, encoding="utf-8")
    from_loader = scheme_file_problems(broken)[1]
    assert len(from_loader) >= len(MUTATIONS)
    run = subprocess.run([sys.executable, "-m", "casefiles.schemes.validate", str(broken)], cwd=REPO,
                         capture_output=True, text=True, check=False)
    assert run.returncode == 1
    assert run.stdout.splitlines() == from_loader
    good = subprocess.run([sys.executable, "-m", "casefiles.schemes.validate", *map(str, FILES)], cwd=REPO,
                          capture_output=True, text=True, check=False)
    assert good.returncode == 0 and good.stdout.splitlines() == [f"{p.name}: ok" for p in FILES]


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*path, i))


@pytest.mark.parametrize("path", FILES, ids=ids)
def test_any_wrong_value_gives_messages_not_a_crash(path):
    """A sample of nodes of every file, each replaced by a value of every JSON type: the validator answers with
    Chinese messages (or accepts a value that fits), it never raises."""
    base = {**yaml.safe_load(path.read_text(encoding="utf-8")), "format": 2}
    known = scheme_validate.load_jurisdiction_codes()
    rng = random.Random(path.name)
    nodes = list(_paths(base))[1:]
    refused = 0
    for where in rng.sample(nodes, min(len(nodes), 25)):
        for value in (None, 7, "x", [], {}, True):
            data = copy.deepcopy(base)
            node = data
            for key in where[:-1]:
                node = node[key]
            node[where[-1]] = value
            messages = scheme_validate.validate_scheme(data, known)
            assert all(CHINESE.search(m) for m in messages), messages
            refused += bool(messages)
    assert refused
