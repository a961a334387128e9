"""Bad controls in a scheme file are refused on load with the file's line and a Chinese message, and nothing
is loaded: not the bad file, not the good files loaded with it (issue #16, item 7).

Every scheme file is corrupted in each way below; the expected line is found in the corrupted text by a
marker, not computed by the code under test.
"""

import copy
import re
import shutil

import pytest
import yaml

from casefiles.models import Scheme
from casefiles.schemes.loader import SCHEME_DIR, SCHEME_SLUGS, SchemeDataError, read_scheme_file, read_yaml, schemes_load


MARK = "zz-marker"


def _first_transition(data):
    return data["workflow"]["transitions"][1]


def _guard_unknown_criterion(data):
    _first_transition(data)["guard"] = {"criteria_any": ["99.99"]}
    return "99.99", "不存在的认定条件"


def _guard_unknown_fact(data):
    _first_transition(data)["guard"] = {"facts": [{"fact": MARK, "test": ">= 1"}]}
    return MARK, "未知的申请事实"


def _guard_unknown_key(data):
    _first_transition(data)["guard"] = {MARK: True}
    return MARK, "未知项"


def _opinion_unknown_department(data):
    state = next(s for s in data["workflow"]["states"] if s["kind"] == "stage")
    state["opinions"] = [{"department": MARK, "working_days": 5, "setting": True}]
    return MARK, "未知部门"


def _material_unknown_tier(data):
    data["materials"] = [*(data.get("materials") or []), {"code": "zz_item", "name": "测试材料", "setting": True, "tiers": [MARK]}]
    return MARK, "不存在的卡种层级"


def _material_uncited(data):
    data["materials"] = [*(data.get("materials") or []), {"code": MARK.replace("-", "_"), "name": "测试材料"}]
    return MARK.replace("-", "_"), "须注明政策条款"


def _notice_without_period(data):
    state = next(s for s in data["workflow"]["states"] if s["kind"] == "stage")
    state["notice"] = {"working_days": 0, "article": "第一条", "department": None}
    return "working_days: 0", "公示期须为正整数"


CORRUPTIONS = [
    _guard_unknown_criterion, _guard_unknown_fact, _guard_unknown_key, _opinion_unknown_department,
    _material_unknown_tier, _material_uncited, _notice_without_period,
]


def _write(directory, slug, data):
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    (directory / f"{slug}.yaml").write_text(text, encoding="utf-8")
    return text


def _corrupted(tmp_path, slug, corrupt):
    shutil.copy(SCHEME_DIR / "jurisdictions.yaml", tmp_path / "jurisdictions.yaml")
    data = copy.deepcopy(read_yaml(SCHEME_DIR / f"{slug}.yaml"))
    data["name"] = "已改名（不应载入）"
    marker, words = corrupt(data)
    text = _write(tmp_path, slug, data)
    expected_line = next(n for n, line in enumerate(text.splitlines(), 1) if marker in line)
    return expected_line, words


@pytest.mark.parametrize("slug", SCHEME_SLUGS)
@pytest.mark.parametrize("corrupt", CORRUPTIONS, ids=lambda f: f.__name__.strip("_"))
def test_bad_controls_are_refused_with_the_line_and_a_chinese_message(slug, corrupt, tmp_path):
    expected_line, words = _corrupted(tmp_path, slug, corrupt)
    with pytest.raises(SchemeDataError) as caught:
        read_scheme_file(tmp_path / f"{slug}.yaml")
    message = str(caught.value)
    numbers = {int(n) for n in re.findall(rf"^{slug}\.yaml:(\d+):", message, re.M)}
    assert numbers, message
    # The line named is the offending node's, or that of the key holding it (one above for a mapping in a list).
    assert numbers & {expected_line, expected_line - 1}, (expected_line, message)
    assert words in message and re.search(r"[\u4e00-\u9fff]", message)


@pytest.mark.parametrize("slug", SCHEME_SLUGS)
def test_nothing_is_half_loaded(slug, tmp_path, db):
    """A bad file loads nothing, nor does a good file loaded with it."""
    loaded = {s.slug: s.name for s in schemes_load(slugs=(slug, "tonghua" if slug != "tonghua" else "jilin"))}
    other = next(s for s in loaded if s != slug)
    good = read_yaml(SCHEME_DIR / f"{other}.yaml")
    good["name"] = "已改名（不应载入）"
    _write(tmp_path, other, good)
    _corrupted(tmp_path, slug, CORRUPTIONS[SCHEME_SLUGS.index(slug) % len(CORRUPTIONS)])
    with pytest.raises(SchemeDataError):
        schemes_load(slugs=(other, slug), directory=tmp_path)
    assert dict(Scheme.objects.values_list("slug", "name")) == loaded


def test_the_shipped_files_have_no_control_problems():
    from casefiles.schemes.controls import controls_problems

    for slug in SCHEME_SLUGS:
        assert controls_problems(read_yaml(SCHEME_DIR / f"{slug}.yaml")) == [], slug
