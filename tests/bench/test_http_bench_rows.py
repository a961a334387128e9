"""The rows bench/http_bench.py and bench/api_http_bench.py write into docs/PERFORMANCE.md come from one Markdown
row formatter (http_bench.table_row): fixed results give the exact rows the scripts wrote before it, and the API table
published in docs/PERFORMANCE.md is what case_row writes for its own numbers. No server, no database."""

import re
from pathlib import Path

import pytest

from bench import api_http_bench, http_bench

pytestmark = [pytest.mark.smoke]

PERFORMANCE = Path(__file__).resolve().parents[2] / "docs" / "PERFORMANCE.md"


def test_table_row_and_head():
    assert http_bench.table_row(["a", "`/b/`", "1,234"]) == "| a | `/b/` | 1,234 |"
    assert http_bench.table_head(["case", "path", "req/s"]) == ["| case | path | req/s |", "|---|---|---|"]


def test_page_weight_row():
    weights = {"html": 59_187, "html_gzip": 8_704, "assets": 2, "asset_wire": 2_867}  # bytes
    assert (http_bench.weight_row("policy", "/tonghua/policy/", weights)
            == "| policy | `/tonghua/policy/` | 57.8 | 8.5 | 2 | 2.8 | 11.3 | 0.2 s |")
    assert http_bench.table_head(http_bench.WEIGHT_COLUMNS) == [
        "| page | path | HTML KB | HTML gzip KB | linked files | their bytes on the wire KB | total gzip KB "
        "| at 400 kbit/s |",
        "|---|---|---|---|---|---|---|---|",
    ]


def test_api_case_row():
    rounds = [
        {"rps": 1_950.4, "p95": 37_100, "cpu_ms": 0.5, "errors": 0},
        {"rps": 1_961.2, "p95": 36_000, "cpu_ms": 0.415, "errors": 1},
        {"rps": 2_003.0, "p95": 40_000, "cpu_ms": 0.55, "errors": 0},
    ]
    reference = [{"cpu_ms": 0.5}, {"cpu_ms": 0.5}, {"cpu_ms": 0.5}]
    row = api_http_bench.case_row("one article by citation (第五条)",
                                  "/api/v1/policies/tonghua/articles/%E7%AC%AC%E4%BA%94%E6%9D%A1/", rounds, reference)
    assert row == ("| one article by citation (第五条) | `/api/v1/policies/tonghua/articles/第五条/` | 1,961 | 37.1 "
                   "| 0.50 | 1.00 (1.00, 0.83, 1.10) | 1 |")


def test_the_api_table_in_performance_md_is_what_case_row_writes():
    """Every row of the published API table, rebuilt from its own figures: rounds that give its medians and per-round
    ratios, a reference whose CPU gives those ratios. Whatever the numbers of the last run, the layout must match."""
    text = PERFORMANCE.read_text(encoding="utf-8")
    section = text.split("<!-- api-http:start -->")[1].split("<!-- api-http:end -->")[0]
    header, rule = http_bench.table_head(api_http_bench.CASE_COLUMNS)
    lines = section.splitlines()
    assert header in lines and rule in lines
    rows = lines[lines.index(rule) + 1:]
    rows = rows[:next((i for i, line in enumerate(rows) if not line.startswith("| ")), len(rows))]
    assert len(rows) >= 2
    for row in rows:
        label, path, rps, p95, cpu, ratio, errors = row[2:-2].split(" | ")
        ratios = [float(x) for x in re.fullmatch(r"\S+ \((.*)\)", ratio).group(1).split(", ")]
        rounds = [{"rps": float(rps.replace(",", "")), "p95": float(p95) * 1000, "cpu_ms": float(cpu), "errors": 0}
                  for _ in ratios]
        rounds[0]["errors"] = int(errors)
        reference = [{"cpu_ms": float(cpu) / x} for x in ratios]
        assert api_http_bench.case_row(label, path.strip("`"), rounds, reference) == row
