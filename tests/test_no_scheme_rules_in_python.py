"""A scheme's rule never lives in Python (issue #17): product code names no scheme slug and compares no
workflow state or transition code with a literal. The engine reads kinds, actors, roles and guards from the
scheme data; a sixth programme must need no code.

The sweep parses every product module (demo data, migrations and the test helpers in ``casefiles/testing.py``
are data-making code and are left out) and reports each literal, with file and line."""

import ast
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("casefiles", "policypages", "programmes", "search", "huicai", "delivery")
EXEMPT_PARTS = {"migrations", "tests", "__pycache__"}
# Modules that make demo data or walk demo users through the workflow (they may name the shipped schemes).
EXEMPT_NAMES = {"testing.py", "demo.py", "demo_cards.py", "demo_dossiers.py", "load_demo.py", "generate_load.py"}
EXAMPLE_MARK = "# OpenAPI example"
# Keyword arguments whose value is a state or transition code.
CODE_KEYWORDS = {"transition", "expected_state", "state__code", "state__code__in", "target__code", "code", "from_state__code",
                 "to_state__code", "sources__code"}


def scheme_files():
    return [p for p in sorted((ROOT / "casefiles" / "schemes").glob("*.yaml")) if "workflow" in (yaml.safe_load(p.read_text("utf-8")) or {})]


def vocabulary():
    slugs, codes = set(), set()
    for path in scheme_files():
        data = yaml.safe_load(path.read_text("utf-8"))
        slugs.add(data["slug"])
        codes.update(s["code"] for s in data["workflow"]["states"])
        codes.update(t["code"] for t in data["workflow"]["transitions"])
    return slugs, codes


def product_modules():
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            if EXEMPT_PARTS & set(path.relative_to(ROOT).parts) or path.name in EXEMPT_NAMES:
                continue
            yield path


def _strings(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [v for e in node.elts for v in _strings(e)]
    return []


def _docstrings(tree):
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _about_workflow(node):
    """Does an operand read a dossier's state or a transition (``dossier.state.code``, ``t.code``, ``transition``)?"""
    if isinstance(node, ast.Constant | ast.Tuple | ast.List | ast.Set):
        return False
    text = ast.unparse(node)
    return any(word in text for word in ("code", "state", "transition"))


def findings(path, slugs, codes):
    source = path.read_text("utf-8")
    tree = ast.parse(source, filename=str(path))
    docstrings = _docstrings(tree)
    lines = source.splitlines()
    where = path.relative_to(ROOT)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if node.value in slugs:
                out.append(f"{where}:{node.lineno}: names the scheme {node.value!r}")
        if isinstance(node, ast.Compare) and any(_about_workflow(side) for side in [node.left, *node.comparators]):
            for side in [node.left, *node.comparators]:
                for value in _strings(side):
                    if value in codes:
                        out.append(f"{where}:{node.lineno}: compares with the workflow code {value!r}")
        if isinstance(node, ast.keyword) and node.arg in CODE_KEYWORDS:
            for value in _strings(node.value):
                if value in codes:
                    out.append(f"{where}:{node.value.lineno}: passes the workflow code {value!r} as {node.arg}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("startswith", "endswith"):
            for arg in node.args:
                for value in _strings(arg):
                    if any(code.startswith(value) for code in codes) and len(value) > 3:
                        out.append(f"{where}:{node.lineno}: matches workflow codes by the prefix {value!r}")
    # An example in the API's documentation (marked so on its line) shows a shipped scheme; it decides nothing.
    out = [f for f in out if EXAMPLE_MARK not in lines[int(f.split(":")[1]) - 1]]
    return sorted(out, key=lambda f: int(f.split(":")[1]))


def test_the_vocabulary_is_read_from_the_scheme_files():
    slugs, codes = vocabulary()
    assert len(slugs) >= 5 and {"submit", "draft"} <= codes  # the shipped files name these (a sanity check of the sweep)


def test_the_sweep_finds_what_it_looks_for(tmp_path):
    """The detector itself: a module with each kind of rule-in-Python is reported, line by line."""
    slugs, codes = vocabulary()
    slug, code = sorted(slugs)[0], "submit"
    module = tmp_path / "bad.py"
    module.write_text(
        f'def f(dossier, scheme):\n'
        f'    """Docstrings may name {slug}."""\n'
        f'    if scheme.slug == "{slug}":\n'
        f'        pass\n'
        f'    if dossier.state.code in ("{code}", "x"):\n'
        f'        pass\n'
        f'    dossier_transition(dossier=dossier, transition="{code}")\n'
        f'    return dossier.state.code.startswith("decide_case")\n'
        f'    example = {{"scheme": "{slug}"}}  # OpenAPI example\n'
        f'    if action == "{code}":\n'
        f'        pass\n',
        encoding="utf-8",
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        found = findings(module, slugs, codes)
    finally:
        ROOT = saved
    assert [f.split(":")[1] for f in found] == ["3", "5", "7", "8"], found


def test_product_code_names_no_scheme_and_compares_no_workflow_code():
    slugs, codes = vocabulary()
    modules = list(product_modules())
    assert len(modules) > 100
    found = [f for path in modules for f in findings(path, slugs, codes)]
    print(f"swept {len(modules)} product modules for {len(slugs)} scheme slugs and {len(codes)} workflow codes: {len(found)} found")
    assert found == [], "scheme rules in Python:\n" + "\n".join(found)


def _dossier_state_writes(tree):
    """(line, what) of each place that writes a dossier's state: ``x.state = …`` / ``x.state_id = …`` on a name
    that says dossier, ``…update(state=…)`` / ``update(state_id=…)``, and ``Dossier(…, state=…)`` /
    ``Dossier.objects.create(…, state=…)``."""
    found = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign | ast.AugAssign) else []
        for target in targets:
            if (isinstance(target, ast.Attribute) and target.attr in ("state", "state_id")
                    and "dossier" in ast.unparse(target.value).lower()):
                found.append((node.lineno, ast.unparse(target)))
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            keywords = {k.arg for k in node.keywords}
            if name.endswith(".update") and keywords & {"state", "state_id"}:
                found.append((node.lineno, name))
            if name in ("Dossier", "Dossier.objects.create", "Dossier.objects.bulk_create") and keywords & {"state", "state_id"}:
                found.append((node.lineno, name))
    return found


def test_only_the_transition_action_moves_a_dossier():
    """Issue #16: nothing but the transition action writes a dossier's state (casefiles/actions/transition.py); a
    new dossier is made in the scheme's start state by ``dossier_create`` (casefiles/services/dossiers.py), and the
    import of the registry goes through the action too."""
    allowed = {("casefiles/actions/transition.py", "dossier.state"), ("casefiles/services/dossiers.py", "Dossier")}
    writes = []
    for path in product_modules():
        rel = str(path.relative_to(ROOT))
        for line, what in _dossier_state_writes(ast.parse(path.read_text("utf-8"))):
            if (rel, what) not in allowed:
                writes.append(f"{rel}:{line}: {what}")
    assert writes == []
    # the sweep can see a write: each allowed place is found, and a planted one is reported
    seen = {(str(p.relative_to(ROOT)), what) for p in product_modules()
            for _line, what in _dossier_state_writes(ast.parse(p.read_text("utf-8")))}
    assert allowed <= seen, allowed - seen
    planted = "def f(dossier, qs):\n    dossier.state = None\n    qs.update(state=None)\n    Dossier.objects.create(state=None)\n"
    assert [what for _line, what in _dossier_state_writes(ast.parse(planted))] == [
        "dossier.state", "qs.update", "Dossier.objects.create"]
