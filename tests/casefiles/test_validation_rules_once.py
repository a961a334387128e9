"""Rules that exist once: formula detection (casefiles/exports.py) and the fact maxima and labels
(casefiles/eligibility.py), read by the validation and the portal form alike."""

import ast
from pathlib import Path

import pytest

from casefiles import eligibility, exports, validation

pytestmark = [pytest.mark.smoke]
ROOT = Path(__file__).resolve().parents[2]

PREFIXES = ["=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20", "\t", "\r", "\n", " =", "\u3000=",
            "\u3000\uff20"]


def test_validation_and_exports_share_one_formula_rule():
    cells = [p + "1+1" for p in PREFIXES] + ["李明", "1=1", "a@b.cn", "", "张\t三"]
    assert [validation.looks_like_formula(c) for c in cells] == [exports.looks_like_formula(c) for c in cells]
    assert all(validation.looks_like_formula(p + "1+1") for p in PREFIXES)  # full-width and tab/CR/LF too


def _imports(module):
    tree = ast.parse((ROOT / "casefiles" / f"{module}.py").read_text(encoding="utf-8"))
    return {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}


def test_validation_does_not_import_the_form_layer():
    assert not any("forms" in name for name in _imports("validation"))


def test_no_fact_name_compared_with_a_literal_outside_the_fact_tables():
    for module in ("validation", "forms_portal"):
        source = (ROOT / "casefiles" / f"{module}.py").read_text(encoding="utf-8")
        assert not any(f'"{name}"' in source for name in eligibility.FACT_TYPES), module


@pytest.mark.django_db
def test_month_cap_comes_from_the_fact_table():
    label = str(eligibility.FACT_LABELS["months_per_year_in_jurisdiction"])
    assert validation.facts_problem({"months_per_year_in_jurisdiction": 12}) is None
    problem = validation.facts_problem({"months_per_year_in_jurisdiction": 13})
    assert problem and label in problem and "12" in problem
    assert validation.facts_problem({"contract_years": 13}) is None
