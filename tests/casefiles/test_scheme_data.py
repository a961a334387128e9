"""The five scheme data files against their policy texts.

Pure Python (no Django): run with
    .venv/bin/python -m pytest -p no:django tests/casefiles/test_scheme_data.py

Counts are derived from the seed texts where a regular expression can find them, so dropping an
article or an item from a YAML file (or adding an invented one) fails a test. Everything the texts
cannot give mechanically is a hand-verified constant with a note on how it was counted.

The seeds live outside the repository (../shared/seeds, or $HUICAI_SEEDS_DIR); tests that need them
are skipped when they are absent.
"""
from __future__ import annotations

import copy
import os
import re
from pathlib import Path

import pytest

from casefiles.schemes.validate import load_jurisdiction_codes, load_scheme_file, validate_scheme

REPO = Path(__file__).resolve().parents[2]
SCHEME_DIR = REPO / "casefiles" / "schemes"
SLUGS = ("tonghua", "jilin", "chuxiong", "baiyun", "liaocheng")


def _seed_dir() -> Path | None:
    candidates = [os.environ.get("HUICAI_SEEDS_DIR"), REPO / "docs" / "seeds", REPO.parent / "shared" / "seeds"]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


SEED_DIR = _seed_dir()
needs_seeds = pytest.mark.skipif(SEED_DIR is None, reason="policy seed texts not available")

# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------

CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"


def cn_int(text: str) -> int:
    """Chinese numeral below 100 (一 … 九十九) to int."""
    if "十" in text:
        tens, _, units = text.partition("十")
        return (CN_DIGITS[tens] if tens else 1) * 10 + (CN_DIGITS[units] if units else 0)
    return CN_DIGITS[text]


def norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def fix_baiyun_ocr(text: str) -> str:
    """The OCR substitutions of DOMAIN.md plus the evident ones listed in baiyun.yaml."""
    text = re.sub(r"勺\s*＝〕＝", "", text)  # page-number debris inside 第四条（二）
    text = text.replace(",’’", "”").replace(",’", "”").replace("’’", "”").replace("‘‘", "“")
    text = text.replace("’", "，").replace("°", "。").replace("·", "。")
    text = text.replace("l", "1").replace("日云区", "白云区").replace("弓｜", "引").replace("（／＼）", "（八）")
    text = text.replace(";", "；").replace(":", "：").replace("第—条", "第一条").replace("ˉ", "－")
    return re.sub(r"(?<=[\u4e00-\u9fff])\.", "。", text)


def seed_text(slug: str) -> str:
    data = load(slug)
    text = (SEED_DIR / data["policy"]["seed"]).read_text(encoding="utf-8")
    return fix_baiyun_ocr(text) if slug == "baiyun" else text


ARTICLE_HEAD = re.compile(r"(?m)^[ \t\u3000]*第([一二三四五六七八九十]+)条")


def articles(slug: str) -> dict[int, str]:
    """Article number → whitespace-free text of that article (first occurrence wins)."""
    text = seed_text(slug)
    heads = list(ARTICLE_HEAD.finditer(text))
    out: dict[int, str] = {}
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        out.setdefault(cn_int(head.group(1)), norm(text[head.start():end]))
    return out


def sequential(pattern: str, text: str, convert=int) -> list[re.Match]:
    """Matches of `pattern` whose number (group 1) runs 1, 2, 3 … in order; other matches skipped."""
    found, expected = [], 1
    for match in re.finditer(pattern, text):
        if convert(match.group(1)) == expected:
            found.append(match)
            expected += 1
    return found


CN_ITEM = r"(?<!第)[（(]([一二三四五六七八九十]+)[）)]"
ARABIC_ITEM = r"(?<![\d.])(\d+)\.(?!\d)"


def cn_items(article_text: str, headed: bool = False) -> list[str]:
    """Texts of the （一）（二）… items of an article.

    headed=True only takes marks followed by a short heading (“（一）直接颁发。”), for articles that
    also cite other items inline (“属本规定第五条所列高层次人才中（一）（二）类的”)."""
    pattern = CN_ITEM + (r"(?=[\u4e00-\u9fff]{2,8}。)" if headed else "")
    marks = sequential(pattern, article_text, cn_int)
    return [article_text[m.end():(marks[i + 1].start() if i + 1 < len(marks) else len(article_text))]
            for i, m in enumerate(marks)]


def arabic_items(text: str) -> list[str]:
    marks = sequential(ARABIC_ITEM, text)
    return [text[m.end():(marks[i + 1].start() if i + 1 < len(marks) else len(text))]
            for i, m in enumerate(marks)]


def article_numbers(article: str) -> list[int]:
    """Numbers in a citation, 款 (paragraphs) left out: 第九条第1项第②目 → [9, 1, 2]."""
    article = re.sub(r"第[一二三四五六七八九十]+款|末款", "", article)
    numbers = []
    pattern = r"第([一二三四五六七八九十]+)条|（([一二三四五六七八九十]+)）|第(\d+)[项目]|([①-⑩])"
    for match in re.finditer(pattern, article):
        cn, cn_item, arabic, circled = match.groups()
        if cn or cn_item:
            numbers.append(cn_int(cn or cn_item))
        elif arabic:
            numbers.append(int(arabic))
        else:
            numbers.append(CIRCLED.index(circled) + 1)
    return numbers


_cache: dict[str, dict] = {}


def load(slug: str) -> dict:
    if slug not in _cache:
        _cache[slug] = load_scheme_file(SCHEME_DIR / f"{slug}.yaml")
    return copy.deepcopy(_cache[slug])


def tier(data: dict, code: str) -> dict:
    return next(t for t in data["tiers"] if t["code"] == code)


def criteria_ids(data: dict, code: str) -> set[str]:
    return {c["id"] for c in tier(data, code)["criteria"]}


def all_criteria(data: dict) -> list[dict]:
    return [c for t in data["tiers"] for c in t["criteria"]]


def services_by_id(data: dict) -> dict[str, dict]:
    return {s["id"]: s for s in data["services"]}


def dept_names(data: dict, codes) -> set[str]:
    names = {d["code"]: d["name"] for d in data["departments"]}
    return {names[c] for c in codes}


def stages(data: dict) -> list[dict]:
    return [s for s in data["workflow"]["states"] if s["kind"] == "stage"]


def texts(data: dict):
    """(where, text) of every passage that must be the policy's own words."""
    for pre in data["preconditions"]:
        yield f"precondition {pre['id']}", pre["text"]
    for crit in all_criteria(data):
        yield f"criterion {crit['id']}", crit["text"]
    for svc in data["services"]:
        yield f"service {svc['id']}", svc["text"]
    for reason in data["revocation_reasons"]:
        yield f"revocation reason {reason['id']}", reason["text"]
    for key in ("renewal", "loss"):
        if data["validity"].get(key):
            yield f"validity.{key}", data["validity"][key]["text"]


# ----------------------------------------------------------------------------------------------
# every file
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_file_validates_without_errors(slug):
    data = load(slug)
    assert data["slug"] == slug
    assert validate_scheme(data, load_jurisdiction_codes()) == []


@needs_seeds
@pytest.mark.parametrize("slug", SLUGS)
def test_texts_are_the_policys_own_words(slug):
    seed = norm(seed_text(slug))
    missing = [where for where, text in texts(load(slug)) if norm(text) not in seed]
    assert missing == [], f"not found verbatim in the seed: {missing}"


@pytest.mark.parametrize("slug", SLUGS)
def test_ids_agree_with_their_citations(slug):
    """The numbers in `article` (paragraphs 款 aside) are a prefix of the id: 7.2 ↔ 第七条第②项."""
    data = load(slug)
    items = [*data["preconditions"], *all_criteria(data), *data["services"], *data["revocation_reasons"]]
    wrong = []
    for item in items:
        parts = [int(p) for p in item["id"].split(".")]
        cited = article_numbers(item["article"])
        if not cited or parts[: len(cited)] != cited:
            wrong.append((item["id"], item["article"]))
    assert wrong == []


@needs_seeds
@pytest.mark.parametrize("slug", SLUGS)
def test_every_cited_article_exists_in_the_seed(slug):
    data = load(slug)
    numbers = set(articles(slug))
    cited = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if (key == "article" or key.endswith("_article")) and isinstance(value, str):
                    cited.add(article_numbers(value)[0])
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    assert cited <= numbers


# Hand-verified totals. How they were counted (each against the seed):
#   tiers: the card names in 第二条 (通化 A/B/C; 吉林 吉享/吉健), 楚雄 第三条 A/B, 白云 one card,
#          聊城 第三十一条 (A)(B)(C).
#   criteria: 通化 ①–④ + ①–③ + ①–④ of 第六–八条 = 11; 吉林 （一）–（三）+（一）（二）= 5;
#             楚雄 1–6 + 1–4 of 第三条 + the closing paragraph once per tier = 12;
#             白云 1.–9. of 第三条 + the 一事一议 paragraph = 10; 聊城 （一）–（五）of 第五条 = 5.
#   preconditions: 通化 第四条, 第五条; 白云 第三条 first paragraph and the 6-month rule.
#   services: 通化 ①/② sub-items or whole items of 第九条 (16), 第十条 (14), 第十一条 (12) = 42;
#             吉林 6 + 4 items of 第七、八条 less 第七条（四）(the inclusion) = 9;
#             楚雄 numbered sub-items of 第五条（一）–（十二）= 27, +1 for splitting （十二）1 by tier = 28;
#             白云 （一）–（十一）of 第四条 = 11; 聊城 第六–三十条 = 25 articles, three of them with
#             three items each (24, 26, 27) → 22 + 9 = 31.
#   revocation: 通化 第十六条 9; 吉林 第十一条 9; 楚雄 第九条 4; 白云 第六条 3; 聊城 第三十四条 1.
#   states / transitions / departments: counted in the YAML workflow and department lists after
#             checking each against the procedure article (通化 第十二–十四条, 吉林 第六条, 楚雄 第四条,
#             白云 第五条, 聊城 第三十二条) and the 责任单位 lists. Controls (issue #16) added 通化's
#             leading_group_review state with escalate_joint_review / decide_escalated_approve / _reject (a
#             setting for a missed opinion deadline), and 楚雄's opinion givers: 3 sector authorities added
#             (科技, 工信, 商务), 州纪委监委 and 州委组织部 for the 廉洁、作风、学风 opinions (第四条（二）（三）).
EXPECTED = {
    #            tiers criteria pre services reasons states transitions departments
    "tonghua":   (3, 11, 2, 42, 9, 12, 16, 13),
    "jilin":     (2, 5, 0, 9, 9, 11, 13, 11),
    "chuxiong":  (2, 12, 0, 28, 4, 11, 12, 19),
    "baiyun":    (1, 10, 2, 11, 3, 12, 14, 16),
    "liaocheng": (3, 5, 0, 31, 1, 8, 8, 25),
}


@pytest.mark.parametrize("slug", SLUGS)
def test_hand_counted_totals(slug):
    data = load(slug)
    actual = (
        len(data["tiers"]),
        len(all_criteria(data)),
        len(data["preconditions"]),
        len(data["services"]),
        len(data["revocation_reasons"]),
        len(data["workflow"]["states"]),
        len(data["workflow"]["transitions"]),
        len(data["departments"]),
    )
    assert actual == EXPECTED[slug]


@pytest.mark.parametrize("slug", SLUGS)
def test_common_workflow_shape(slug):
    data = load(slug)
    states = {s["code"]: s for s in data["workflow"]["states"]}
    transitions = {t["code"]: t for t in data["workflow"]["transitions"]}
    assert states["draft"]["kind"] == "start" and states["draft"]["actor"] == "applicant"
    assert states["returned"]["actor"] == "applicant"
    assert {c for c, s in states.items() if s["kind"] == "end"} == {"issued", "rejected", "withdrawn"}
    assert set(transitions["submit"]["from"]) == {"draft", "returned"}
    assert transitions["issue"]["issues_card"] is True and transitions["issue"]["to"] == "issued"
    for code in ("return", "reject"):
        assert transitions[code]["by"] == "actor" and transitions[code]["requires_comment"] is True
    # return and reject from every review stage (吉林's employer stage rejects with `decline`)
    producing = ("card_production", "issuance")
    review = {s["code"] for s in states.values() if s["kind"] == "stage" and s["code"] not in producing}
    assert review <= set(transitions["return"]["from"])
    assert review - {"employer_recommendation"} <= set(transitions["reject"]["from"])
    # withdraw from every state before approval
    assert {"draft", "returned"} <= set(transitions["withdraw"]["from"])
    assert review <= set(transitions["withdraw"]["from"])
    assert transitions["withdraw"]["by"] == "applicant"
    # least privilege: the employer never sees a draft, banks only from card production on
    assert states["draft"]["view"] == ["applicant"]
    for code, state in states.items():
        if code != "draft":
            assert "employer" in state["view"], code
    banks = {d["code"] for d in data["departments"] if d["kind"] == "bank"}
    for code in ("draft", "returned", "rejected", "withdrawn", *review):
        assert not banks & set(states[code]["view"]), code
    # the case-by-case route
    if data["case_by_case"]:
        assert states["case_by_case"]["kind"] == "waiting"
        assert transitions["refer_case_by_case"]["to"] == "case_by_case"
        assert transitions["decide_case_by_case_reject"]["to"] == "rejected"
        assert transitions["decide_case_by_case_approve"]["from"] == ["case_by_case"]


# ----------------------------------------------------------------------------------------------
# 通化
# ----------------------------------------------------------------------------------------------


@needs_seeds
def test_tonghua_criteria_follow_the_circled_items():
    data, arts = load("tonghua"), articles("tonghua")
    for number, code in ((6, "A"), (7, "B"), (8, "C")):
        count = len(re.findall(f"[{CIRCLED}]", arts[number]))
        assert criteria_ids(data, code) == {f"{number}.{i}" for i in range(1, count + 1)}
        one_by_one = [c for c in tier(data, code)["criteria"] if "一事一议" in c["text"]]
        assert len(one_by_one) == 1 and not one_by_one[0].get("direct_recognition")
    assert [t["code"] for t in data["tiers"]] == ["A", "B", "C"]  # 第二条


@needs_seeds
def test_tonghua_services_follow_the_items_and_sub_items():
    data, arts = load("tonghua"), articles("tonghua")
    for number, code in ((9, "A"), (10, "B"), (11, "C")):
        body = arts[number].split("：", 1)[1]
        expected = set()
        for i, item in enumerate(arabic_items("：" + body), start=1):
            subs = len(re.findall(f"[{CIRCLED}]", item))
            expected |= {f"{number}.{i}.{j}" for j in range(1, subs + 1)} if subs else {f"{number}.{i}"}
        assert set(tier(data, code)["services"]) == expected
    services = services_by_id(data)
    settled_in_10_days = {s for s, svc in services.items() if svc["time_limit_working_days"] == 10}
    assert settled_in_10_days == {"9.2.1", "10.2.1", "11.2.1"}
    assert all("10个工作日" in norm(services[s]["text"]) for s in settled_in_10_days)


@needs_seeds
def test_tonghua_revocation_validity_and_preconditions():
    data, arts = load("tonghua"), articles("tonghua")
    items = cn_items(arts[16])
    assert [r["id"] for r in data["revocation_reasons"]] == [f"16.{i}" for i in range(1, len(items) + 1)]
    rules = {r["id"]: r["automatic_rule"] for r in data["revocation_reasons"] if r["automatic_rule"]}
    assert rules == {"16.6": "age_65_category_c", "16.7": "retired_category_de", "16.8": "left_region"}
    assert "65岁的C类" in items[5] and "退休手续的D、E类" in items[6]
    # 第十六条: 申领人或者其所在单位申请注销 … 或由管理部门直接注销
    assert all(set(r["requested_by"]) == {"holder", "employer", "department"} for r in data["revocation_reasons"])
    max_years = int(re.search(r"最长为(\d+)年", arts[15]).group(1))
    assert data["validity"]["max_years"] == max_years and data["validity"]["rule"] == "contract_bounded"
    assert data["validity"]["loss"] and data["validity"]["renewal"]
    (contract,) = [p for p in data["preconditions"] if p["article"] == "第四条"]
    assert {a["fact"] for a in contract["any"]} == {"contract_years", "self_employed", "flexible_introduction"}


def test_tonghua_workflow_direct_and_joint_routes():
    data = load("tonghua")
    transitions = {t["code"]: t for t in data["workflow"]["transitions"]}
    states = {s["code"]: s for s in data["workflow"]["states"]}
    # 第十四条: 市人社局直接核发, else 市委组织部、市人社局集中审核认定
    assert transitions["approve_direct"]["by"] == "hr-bureau"
    assert transitions["refer_joint_review"]["to"] == "joint_review"
    assert states["joint_review"]["actor"] == "org-dept" and "hr-bureau" in states["joint_review"]["view"]
    assert states["case_by_case"]["actor"] == "leading-group"
    assert dept_names(data, ["leading-group"]) == {"中共通化市委人才工作领导小组"}


# ----------------------------------------------------------------------------------------------
# 吉林
# ----------------------------------------------------------------------------------------------


@needs_seeds
def test_jilin_criteria_services_and_inclusion():
    data, arts = load("jilin"), articles("jilin")
    assert criteria_ids(data, "jixiang") == {f"4.{i}" for i in range(1, len(cn_items(arts[4])) + 1)}
    assert criteria_ids(data, "jijian") == {f"5.{i}" for i in range(1, len(cn_items(arts[5])) + 1)}
    seven = cn_items(arts[7])
    inclusion = [i for i, text in enumerate(seven, start=1) if "吉健卡" in text]
    assert inclusion == [4]
    assert tier(data, "jixiang")["includes"] == ["jijian"]
    assert set(tier(data, "jixiang")["services"]) == {f"7.{i}" for i in range(1, len(seven) + 1)} - {"7.4"}
    assert set(tier(data, "jijian")["services"]) == {f"8.{i}" for i in range(1, len(cn_items(arts[8])) + 1)}


@needs_seeds
def test_jilin_revocation_and_loss():
    data, arts = load("jilin"), articles("jilin")
    assert [r["id"] for r in data["revocation_reasons"]] == [f"11.{i}" for i in range(1, len(cn_items(arts[11])) + 1)]
    rules = {r["id"]: r["automatic_rule"] for r in data["revocation_reasons"] if r["automatic_rule"]}
    assert rules == {"11.6": "age_65_category_c", "11.7": "retired_category_de", "11.8": "left_region"}
    assert data["validity"]["loss"]["article"] == "第十条" and "挂失" in arts[10]
    assert data["validity"]["max_years"] is None


@needs_seeds
def test_jilin_workflow_follows_article_six():
    data, arts = load("jilin"), articles("jilin")
    headings = [re.match(r"(.+?)。", item).group(1) for item in cn_items(arts[6])]
    assert headings == ["申请", "初审", "审定", "制卡", "发放"]
    names = [s["name"] for s in data["workflow"]["states"]]
    for heading in headings:
        assert any(heading in name for name in names), heading
    # （一）申请 is two steps: the applicant fills in, the employer recommends
    assert len(stages(data)) == len(headings)
    states = {s["code"]: s for s in data["workflow"]["states"]}
    transitions = {t["code"]: t for t in data["workflow"]["transitions"]}
    assert states["employer_recommendation"]["actor"] == "employer"
    assert transitions["recommend"]["to"] == "preliminary_review" and transitions["decline"]["to"] == "rejected"
    assert states["preliminary_review"]["actor"] == "authority"
    assert data["workflow"]["authority_kind"] == "supervising_hr"
    supervising = [d for d in data["departments"] if d["kind"] == "supervising_hr"]
    assert len(supervising) >= 3 and all(d.get("sector") for d in supervising)
    assert any(d["name"].endswith("人力资源和社会保障局") for d in supervising)  # 市州人社部门
    assert any(d["name"].startswith("吉林省") and d["name"].endswith("厅") for d in supervising)  # 省直部门
    assert states["final_approval"]["actor"] == "hr-bureau"
    assert dept_names(data, ["hr-bureau"]) == {"吉林省人力资源和社会保障厅"}


# ----------------------------------------------------------------------------------------------
# 楚雄
# ----------------------------------------------------------------------------------------------

CHUXIONG_ALIASES = {  # the text's short names → department names in chuxiong.yaml
    "州委人才办": "中共楚雄州委人才工作领导小组办公室",
    "富滇银行楚雄州分行": "富滇银行楚雄分行",
    "富滇银行楚雄分行": "富滇银行楚雄分行",
}


@needs_seeds
def test_chuxiong_criteria_follow_article_three():
    data, arts = load("chuxiong"), articles("chuxiong")
    a_part, b_part = cn_items(arts[3])
    a_items, b_items = arabic_items(a_part), arabic_items(b_part)
    closing = {"3.3.1", "3.3.2"}  # 第三条末款, once per tier
    assert criteria_ids(data, "A") == {f"3.1.{i}" for i in range(1, len(a_items) + 1)} | {"3.3.1"}
    assert criteria_ids(data, "B") == {f"3.2.{i}" for i in range(1, len(b_items) + 1)} | {"3.3.2"}
    assert closing <= {c["id"] for c in all_criteria(data)}
    (rec,) = data["recognitions"]
    assert rec["card"] == "兴滇惠才卡" and rec["grants_tier"] == "A" and "兴滇惠才卡" in a_items[0]


@needs_seeds
def test_chuxiong_services_follow_the_twelve_areas():
    data, arts = load("chuxiong"), articles("chuxiong")
    areas = cn_items(arts[5])
    announced = int(re.search(r"集成(\d+)个方面服务事项", arts[5]).group(1))
    assert len(areas) == announced == 12
    services = services_by_id(data)
    expected = set()
    for k, area in enumerate(areas, start=1):
        subs = len(arabic_items(area))
        ids = {f"5.{k}.{i}" for i in range(1, subs + 1)} if subs else {f"5.{k}"}
        expected |= ids
        # the responsible units listed for the area are exactly those of its services
        listed = re.search(r"服务事项责任单位：(.+?)。", area).group(1).split("、")
        listed = {CHUXIONG_ALIASES.get(name, "楚雄" + name) for name in listed}
        mine = {sid for sid in services if sid == f"5.{k}" or sid.startswith(f"5.{k}.")}
        units = set().union(*(dept_names(data, services[sid]["responsible_units"]) for sid in mine))
        assert units == listed, (k, units, listed)
    expected = (expected - {"5.12.1"}) | {"5.12.1.1", "5.12.1.2"}  # credit line split by tier
    assert set(services) == expected
    a_only, b_only = {"5.1.2", "5.12.1.1"}, {"5.12.1.2"}
    assert set(tier(data, "A")["services"]) == expected - b_only
    assert set(tier(data, "B")["services"]) == expected - a_only
    assert "40万元" in services["5.12.1.1"]["text"] and "30万元" in services["5.12.1.2"]["text"]


@needs_seeds
def test_chuxiong_exits_and_workflow():
    data, arts = load("chuxiong"), articles("chuxiong")
    assert [r["id"] for r in data["revocation_reasons"]] == [f"9.{i}" for i in range(1, len(cn_items(arts[9])) + 1)]
    assert "按年度对退出情况予以公告" in arts[9] and data["announce_exits_yearly"] is True
    headings = [re.match(r"(.+?)。", item).group(1) for item in cn_items(arts[4])]
    assert headings == ["自愿申报", "评审认定", "公示颁卡"]
    names = {s["name"] for s in data["workflow"]["states"]}
    assert {"自愿申报", "评审认定", "公示", "颁卡"} <= names
    states = {s["code"]: s for s in data["workflow"]["states"]}
    transitions = {t["code"]: t for t in data["workflow"]["transitions"]}
    assert transitions["approve_assessment"]["to"] == "integrity_review"  # 征求…廉洁、作风、学风…意见
    assert transitions["open_public_notice"]["from"] == ["integrity_review"]
    assert transitions["open_public_notice"]["to"] == "public_notice" == data["workflow"]["states"][4]["code"]
    assert transitions["close_public_notice"]["to"] == "card_production"
    assert states["card_production"]["actor"] == states["issuance"]["actor"] == "bank"
    assert transitions["mark_produced"]["by"] == "bank"
    assert data["public_notice"]["department"] == "talent-office"
    assert dept_names(data, ["bank"]) == {"富滇银行楚雄分行"}
    assert data["validity"]["rule"] == "while_in_post" and "在岗期间" in arts[6]


# ----------------------------------------------------------------------------------------------
# 白云
# ----------------------------------------------------------------------------------------------


@needs_seeds
def test_baiyun_criteria_and_direct_recognition():
    data, arts = load("baiyun"), articles("baiyun")
    numbered = sequential(r"[：；](\d)\.?", arts[3])
    assert len(numbered) == 9
    ids = {c["id"] for c in all_criteria(data)}
    assert ids == {f"3.{i}" for i in range(1, 10)} | {"3.0.3"}  # + 一事一议 paragraph
    low, high = map(int, re.search(r"第（二）款(\d)－(\d)条", arts[5]).groups())
    direct = {c["id"] for c in all_criteria(data) if c.get("direct_recognition")}
    assert direct == {f"3.{i}" for i in range(low, high + 1)}
    pre = {p["id"]: p for p in data["preconditions"]}
    assert {a["fact"] for a in pre["3.0.1"]["any"]} == {"employer_operating_years", "employer_is_district_institution"}
    assert pre["3.0.1"]["any"][0]["test"] == ">= 1" and "运营1年以上" in arts[3]
    assert pre["3.0.2"]["fact"] == "months_per_year_in_jurisdiction" and pre["3.0.2"]["test"] == ">= 6"
    assert "不少于6个月" in arts[3]


@needs_seeds
def test_baiyun_services_exits_validity():
    data, arts = load("baiyun"), articles("baiyun")
    assert set(tier(data, "card")["services"]) == {f"4.{i}" for i in range(1, len(cn_items(arts[4])) + 1)}
    assert len(cn_items(arts[4])) == 11
    reasons = {r["id"]: r for r in data["revocation_reasons"]}
    six = cn_items(arts[6])
    assert set(reasons) == {f"6.{i}" for i in range(1, len(six) + 1)}
    assert reasons["6.1"]["effect"] == "contact_list" and "转为联系名单" in six[0]
    assert reasons["6.2"]["effect"] == "terminate_all" and "金融服务功能" in six[1]
    assert reasons["6.3"]["effect"] == "keep_until_end" and "退休" in six[2]
    years = int(re.search(r"管理期为(\d+)年", arts[6]).group(1))
    assert data["validity"]["max_years"] == years and data["validity"]["rule"] == "fixed_from_issuance"
    assert services_by_id(data)["4.5"]["time_limit_working_days"] == 2


@needs_seeds
def test_baiyun_workflow_follows_article_five():
    data, arts = load("baiyun"), articles("baiyun")
    headings = [re.match(r"(.+?)。", item).group(1) for item in cn_items(arts[5])]
    assert headings == ["申报", "预审", "初审", "复审", "审定", "制卡", "发卡"]
    states = data["workflow"]["states"]
    assert [s["name"] for s in states if s["name"] in headings] == headings  # all seven, in order
    assert len(stages(data)) == len(headings) - 1  # 申报 is the start state
    by_code = {s["code"]: s for s in states}
    transitions = {t["code"]: t for t in data["workflow"]["transitions"]}
    assert by_code["preliminary_review"]["actor"] == "authority"
    assert data["workflow"]["authority_kind"] == "competent_authority"
    authorities = [d for d in data["departments"] if d["kind"] == "competent_authority"]
    assert len(authorities) >= 3 and all(d.get("sector") for d in authorities)
    assert by_code["re_review"]["actor"] == "hr-bureau"
    assert transitions["propose_direct_recognition"]["by"] == "hr-bureau"
    assert by_code["final_approval"]["actor"] == "leading-group"
    assert by_code["card_production"]["actor"] == "bank" and transitions["mark_produced"]["by"] == "bank"
    assert transitions["issue"]["by"] == "talent-office"  # （七）区人才工作领导小组办公室负责发卡
    assert "authority" not in by_code["pre_review"]["view"]


# ----------------------------------------------------------------------------------------------
# 聊城
# ----------------------------------------------------------------------------------------------


def liaocheng_dept_name(name: str) -> str:
    if name.startswith("市委"):
        return "中共聊城" + name
    if name.startswith("市"):
        return "聊城" + name
    return name


@needs_seeds
def test_liaocheng_tiers_follow_article_thirty_one():
    data, arts = load("liaocheng"), articles("liaocheng")
    cn = "[一二三四五六七八九十]+"
    ranges = re.findall(
        rf"中((?:（[一二三四五]）)+)类，发放“聊城市人才服务金卡（([ABC])）”，可享受本规定所列第({cn})条至第({cn})条",
        arts[31],
    )
    assert [r[1] for r in ranges] == ["A", "B", "C"]
    for classes, code, first, last in ranges:
        wanted = set(range(cn_int(first), cn_int(last) + 1))
        cited = {article_numbers(services_by_id(data)[sid]["article"])[0] for sid in tier(data, code)["services"]}
        assert cited == wanted, code
        numbers = {cn_int(n) for n in re.findall(r"（([一二三四五])）", classes)}
        assert criteria_ids(data, code) == {f"5.{n}" for n in numbers}
    assert len(cn_items(arts[5])) == len(all_criteria(data)) == 5
    (rec,) = data["recognitions"]
    assert rec["card"] == "山东惠才卡" in cn_items(arts[5])[0] and rec["criterion"] == "5.1"


@needs_seeds
def test_liaocheng_services_follow_articles_six_to_thirty():
    data, arts = load("liaocheng"), articles("liaocheng")
    services = services_by_id(data)
    expected = set()
    for number in range(6, 31):
        items = cn_items(arts[number])
        ids = {f"{number}.{i}" for i in range(1, len(items) + 1)} if items else {str(number)}
        expected |= ids
        listed = re.search(r"[（(]责任单位：(.+?)[）)]", arts[number]).group(1).split("、")
        listed = {liaocheng_dept_name(n) for n in listed}
        units = set().union(*(dept_names(data, services[sid]["responsible_units"]) for sid in ids))
        assert units == listed, (number, units, listed)
    assert set(services) == expected
    assert set(tier(data, "A")["services"]) == expected


@needs_seeds
def test_liaocheng_issuance_and_recall():
    data, arts = load("liaocheng"), articles("liaocheng")
    direct_item, _review_item = cn_items(arts[32], headed=True)
    classes = {cn_int(n) for n in re.findall(r"（([一二三四五])）", direct_item)}
    direct = {c["id"] for c in all_criteria(data) if c.get("direct_recognition")}
    assert direct == {f"5.{n}" for n in classes} == {"5.1", "5.2"}
    transitions = {t["code"]: t for t in data["workflow"]["transitions"]}
    states = {s["code"]: s for s in data["workflow"]["states"]}
    assert transitions["approve_direct"]["by"] == "hr-bureau" and transitions["approve_direct"]["to"] == "issuance"
    assert states["hr_review"]["actor"] == "hr-bureau" and states["final_approval"]["actor"] == "talent-office"
    (reason,) = data["revocation_reasons"]
    assert reason["effect"] == "recall" and reason["requested_by"] == ["employer"] and "收回" in arts[34]
    assert data["case_by_case"] is False and "一事一议" not in norm(seed_text("liaocheng"))


# ----------------------------------------------------------------------------------------------
# the validator itself
# ----------------------------------------------------------------------------------------------


def _errors_after(mutate) -> list[str]:
    data = load("baiyun")
    mutate(data)
    return validate_scheme(data)


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d["services"].pop(), "不存在的服务事项"),
        (lambda d: d.pop("validity"), "缺少必填的键：validity"),
        (lambda d: d["tiers"][0].__setitem__("criteria", []), "不能为空列表"),
        (lambda d: d["services"][0].__setitem__("responsible_units", ["nobody"]), "引用了本方案没有的部门：'nobody'"),
        (lambda d: d["services"][1].__setitem__("id", "4.1"), "编号 '4.1' 重复"),
        (lambda d: d["services"][0].__setitem__("article", "第4条"), "条款须以“第…条”"),
        (lambda d: d["workflow"].__setitem__("authority_kind", None), "须写明 workflow.authority_kind"),
        (lambda d: d["workflow"]["transitions"][0].__setitem__("to", "nowhere"), "通往不存在的环节：'nowhere'"),
        (lambda d: d["workflow"]["transitions"].__setitem__(
            0, {**d["workflow"]["transitions"][0], "to": "rejected"}), "无法从起始环节 draft 到达"),
        (lambda d: d["workflow"]["states"][1]["view"].append("ghost"), "引用了本方案没有的部门：'ghost'"),
    ],
)
def test_validator_catches(mutate, fragment):
    errors = _errors_after(mutate)
    assert any(fragment in e for e in errors), errors
