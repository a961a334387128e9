"""The policy text parser, on the five seeds and on synthetic texts (no Django needed).

The expected counts below were read off the seed texts by hand, not from the parser:
articles by reading the 第X条 headings in order, chapters by the 第X章 lines, items by
counting the labels of the article in question in the text.
"""

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from policypages.importer import cleanup
from policypages.importer.numerals import format_item_label, int_to_cn
from policypages.importer.parser import PolicyParseError, parse_policy

REPO = Path(__file__).resolve().parents[2]


def _seeds_dir() -> Path | None:
    candidates = [os.environ.get("HUICAI_SEEDS_DIR"), REPO / "seeds", REPO / "docs" / "seeds", "/work/shared/seeds"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "tonghua-yingcai-card.txt").is_file():
            return Path(candidate)
    return None


SEEDS = _seeds_dir()
needs_seeds = pytest.mark.skipif(SEEDS is None, reason="seed texts not found (set HUICAI_SEEDS_DIR)")


def seed(name: str) -> str:
    return (SEEDS / f"{name}.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def tonghua():
    return parse_policy(seed("tonghua-yingcai-card"))


@pytest.fixture(scope="module")
def jilin():
    return parse_policy(seed("jilin-talent-service-card"))


@pytest.fixture(scope="module")
def chuxiong():
    return parse_policy(seed("chuxiong-xingchu-huicai-card"))


@pytest.fixture(scope="module")
def baiyun():
    return parse_policy(seed("baiyun-yunju-yingcai-card"))


@pytest.fixture(scope="module")
def liaocheng():
    return parse_policy(seed("liaocheng-talent-green-channel"))


SEED_COUNTS = {
    # name: (chapters, articles, top-level items, all items including sub-items)
    # 通化: 第六条①–④ 4, 第七条 3, 第八条 4, 第九条 1.–9. 9, 第十条 9, 第十一条 8, 第十六条 9 → 46;
    #       plus the ①② inside 第九条 (13), 第十条 (10), 第十一条 (8) → 77 (the text has 42 circled digits).
    "tonghua-yingcai-card": (6, 24, 46, 77),
    # 吉林: 第四条 3, 第五条 2, 第六条 5, 第七条 6, 第八条 4, 第十一条 9.
    "jilin-talent-service-card": (0, 14, 29, 29),
    # 楚雄: 第三条 （一）（二）, 第四条 3, 第五条 （一）–（十二）, 第九条 4 → 21; sub-items 第三条 6+4,
    #       第五条 2+2+5+2+3+3+2+0+2+0+0+3 → 55.
    "chuxiong-xingchu-huicai-card": (0, 9, 21, 55),
    # 白云: 第三条 1.–9., 第四条 （一）–（十一）, 第五条 （一）–（七）, 第六条 （一）–（三）.
    "baiyun-yunju-yingcai-card": (0, 7, 30, 30),
    # 聊城: 第五条 5, 第二十四条 3, 第二十六条 3, 第二十七条 3, 第三十二条 2.
    "liaocheng-talent-green-channel": (7, 41, 16, 16),
}


# --------------------------------------------------------------------------- all seeds


@needs_seeds
@pytest.mark.parametrize("name", sorted(SEED_COUNTS))
def test_seed_counts(name):
    policy = parse_policy(seed(name))
    chapters, articles, top_items, all_items = SEED_COUNTS[name]
    assert len(policy.chapters) == chapters
    assert [a.number for a in policy.articles] == list(range(1, articles + 1))
    assert sum(len(a.items) for a in policy.articles) == top_items
    assert sum(1 for _ in policy.iter_items()) == all_items


@needs_seeds
@pytest.mark.parametrize("name", sorted(SEED_COUNTS))
def test_seed_ids_are_consistent(name):
    policy = parse_policy(seed(name))
    anchors = [a.anchor for a in policy.articles] + [i.anchor for i in policy.iter_items()]
    assert len(anchors) == len(set(anchors))
    assert all(re.fullmatch(r"art-\d+(-\d+)*", anchor) for anchor in anchors)
    for item in policy.iter_items():
        assert item.ref == ".".join(map(str, (item.article_number, *item.numbers)))
        assert item.anchor == "art-" + item.ref.replace(".", "-")
        assert policy.find(item.ref) is item
        assert item.citation.startswith(f"《{policy.title}》第{int_to_cn(item.article_number)}条第")
        assert item.text or item.children
    for article in policy.articles:
        assert policy.find(article.ref) is article
        assert article.text or article.items
        assert "\u3000" not in article.full_text
    json.dumps(policy.as_dict(), ensure_ascii=False)


@needs_seeds
@pytest.mark.parametrize("name", sorted(n for n in SEED_COUNTS if not n.startswith("baiyun")))
def test_clean_seeds_are_not_treated_as_scans(name):
    assert parse_policy(seed(name)).ocr_fixed is False


# --------------------------------------------------------------------------- 通化


@needs_seeds
def test_tonghua_title_is_inferred_from_its_articles(tonghua):
    assert tonghua.title == "通化市“英才卡”管理服务办法"
    assert tonghua.title_source == "inferred"
    assert any("推断" in p.message for p in tonghua.problems)
    assert tonghua.issuer is None and tonghua.document_number is None and tonghua.notice is None


@needs_seeds
def test_tonghua_chapters(tonghua):
    assert [(c.label, c.title, c.anchor) for c in tonghua.chapters] == [
        ("第一章", "总则", "ch-1"),
        ("第二章", "资格条件", "ch-2"),
        ("第三章", "服务内容", "ch-3"),
        ("第四章", "申领程序", "ch-4"),
        ("第五章", "组织保障", "ch-5"),
        ("第六章", "附则", "ch-6"),
    ]
    assert [a.number for a in tonghua.chapters[2].articles] == [9, 10, 11]
    assert tonghua.article(16).chapter_number == 4


@needs_seeds
def test_tonghua_article_after_an_indented_line(tonghua):
    fifth = tonghua.article(5)
    assert fifth.text.startswith("申领对象应遵纪守法、诚实守信")
    assert tonghua.article(4).text.endswith("认定的其他人才。")


@needs_seeds
def test_tonghua_article_on_the_same_line_as_the_previous_one():
    text = seed("tonghua-yingcai-card")
    joined = text.replace("认定的其他人才。\n 第五条", "认定的其他人才。 第五条")
    assert joined != text
    policy = parse_policy(joined)
    assert len(policy.articles) == 24
    assert policy.article(4).text.endswith("认定的其他人才。")
    assert policy.article(5).text.startswith("申领对象应遵纪守法")


@needs_seeds
def test_tonghua_article_16(tonghua):
    art = tonghua.article(16)
    assert len(art.items) == 9
    assert art.caption == "注销"
    sixth = tonghua.find("16.6")
    assert sixth.text == "年满65岁的C类人才；"
    assert sixth.anchor == "art-16-6"
    assert sixth.citation == "《通化市“英才卡”管理服务办法》第十六条第（六）项"


@needs_seeds
def test_tonghua_inline_circled_items(tonghua):
    art = tonghua.article(7)
    assert art.text == "申领通化市“英才卡”B卡需符合下列条件之一："
    assert len(art.items) == 3
    second = tonghua.find("7.2")
    assert second.text == "引进高层次人才、重大科技项目研发人才团队负责人、通化工匠等市级人才项目入选者；"
    assert second.citation == "《通化市“英才卡”管理服务办法》第七条第②项"
    assert second.anchor == "art-7-2"


@needs_seeds
def test_tonghua_circled_items_nested_in_numbered_items(tonghua):
    art = tonghua.article(9)
    assert [i.number for i in art.items] == list(range(1, 10))
    travel = art.items[0]
    assert travel.caption == "出行服务" and len(travel.children) == 3
    bus = tonghua.find("9.1.2")
    assert bus.text == "持卡人在市区内免费乘坐公交车。"
    assert bus.citation == "《通化市“英才卡”管理服务办法》第九条第1项第②目"
    assert tonghua.find("9.4.2").text == "本人及1-3名陪同人员游览市内5A和4A级的国有旅游景区享受免费门票服务。"
    assert len(tonghua.article(11).items) == 8


@needs_seeds
def test_tonghua_effective_date_depends_on_an_unknown_issue_date(tonghua):
    assert tonghua.effective_clause == "本办法自印发之日起施行。"
    assert tonghua.effective_date is None
    assert any(p.line_no and "未注明印发日期" in p.message for p in tonghua.problems)


@needs_seeds
def test_title_override_is_used_in_citations():
    policy = parse_policy(seed("tonghua-yingcai-card"), title="通化英才卡办法")
    assert policy.title_source == "override"
    assert policy.find("16.6").citation == "《通化英才卡办法》第十六条第（六）项"


# --------------------------------------------------------------------------- 吉林


@needs_seeds
def test_jilin_metadata(jilin):
    assert jilin.title == "吉林省人才服务卡管理服务办法（试行）"
    assert jilin.is_trial
    assert jilin.document_number == "吉人社规〔2023〕5号"
    assert jilin.issuer == "吉林省人力资源和社会保障厅"
    assert jilin.issue_date == date(2023, 8, 7)
    assert jilin.effective_date == date(2023, 8, 7)
    assert jilin.expiry_date is None
    notice = jilin.notice
    assert notice.title == "关于印发《吉林省人才服务卡管理服务办法（试行）》的通知"
    assert notice.addressee.startswith("各市（州）、长白山管委会")
    assert notice.body.startswith("为加快推进吉林省委、省政府") and notice.body.endswith("请认真抓好贯彻落实。")
    assert notice.signatory == "吉林省人力资源和社会保障厅"
    assert notice.date == date(2023, 8, 7)


@needs_seeds
def test_jilin_items(jilin):
    assert len(jilin.article(4).items) == 3
    assert len(jilin.article(11).items) == 9
    left = jilin.find("11.8")
    assert left.text == "已调离吉林省工作的；"
    assert left.citation == "《吉林省人才服务卡管理服务办法（试行）》第十一条第（八）项"
    assert jilin.find("6.3").caption == "审定"
    assert jilin.chapters == []
    assert jilin.article(4).chapter_number is None


# --------------------------------------------------------------------------- 楚雄


@needs_seeds
def test_chuxiong_metadata(chuxiong):
    assert chuxiong.title == "楚雄州“兴楚惠才卡”实施细则（试行）"
    assert chuxiong.document_number == "楚才办〔2023〕6号"
    assert chuxiong.issuer == "中共楚雄州委人才工作领导小组办公室"
    assert chuxiong.issue_date == date(2023, 7, 20)
    assert chuxiong.notice.title == "关于印发《楚雄州“兴楚惠才卡”实施细则（试行）》的通知"
    assert "联系人：冯志刚" in chuxiong.notice.body


@needs_seeds
def test_chuxiong_nested_items(chuxiong):
    art = chuxiong.article(3)
    assert [i.caption for i in art.items] == ["A卡发放对象", "B卡发放对象"]
    assert [len(i.children) for i in art.items] == [6, 4]
    item = chuxiong.find("3.2.3")
    assert item.numbers == (2, 3)
    assert item.anchor == "art-3-2-3"
    assert item.text == "选派到国家乡村振兴重点帮扶县（武定县）“组团式”帮扶的州外干部人才；"
    assert item.citation == "《楚雄州“兴楚惠才卡”实施细则（试行）》第三条第（二）项第3目"


@needs_seeds
def test_chuxiong_service_areas_keep_their_responsible_units(chuxiong):
    services = chuxiong.article(5)
    assert len(services.items) == 12
    assert services.items[0].tail == "服务事项责任单位：州卫生健康委、州财政局。"
    entry = chuxiong.find("5.8")  # （八）出入境服务: a heading line, then the text, then the unit
    assert entry.caption == "出入境服务"
    assert entry.text.endswith("服务事项责任单位：州公安局。")
    finance = chuxiong.find("5.12")
    assert finance.text.startswith("金融服务\n富滇银行楚雄分行设立“人才贷”")
    assert len(finance.children) == 3


@needs_seeds
def test_chuxiong_is_truncated_inside_article_9(chuxiong):
    last = chuxiong.articles[-1]
    assert last.number == 9
    assert len(last.items) == 4
    assert last.items[3].text.startswith("未按规定履行合同")
    assert chuxiong.effective_date is None
    assert any("不完整" in p.message and "第九条" in p.message for p in chuxiong.problems)


# --------------------------------------------------------------------------- 白云 (OCR scan)


@needs_seeds
def test_baiyun_ocr_repairs(baiyun):
    assert baiyun.ocr_fixed
    everything = "\n".join(a.full_text for a in baiyun.articles) + baiyun.notice.text + (baiyun.issuer or "")
    for wrong in ("日云区", "弓｜", "’", "°", "·", "（／＼）", "20l9"):
        assert wrong not in everything
    assert "市引进人才总量控制类入户指标" in baiyun.find("4.1").text
    assert baiyun.find("5.4").text.endswith("对符合申领条件第（二）款1-8条的，可以建议直接认定。")
    assert baiyun.find("3.3").text == "“珠江人才计划”“广东省培养高层次人才特殊支持计划”等省级人才工程入选者；"


@needs_seeds
def test_baiyun_items(baiyun):
    assert [len(baiyun.article(n).items) for n in (3, 4, 5, 6)] == [9, 11, 7, 3]
    assert baiyun.find("3.1").text == "中国科学院或中国工程院院士；"
    assert baiyun.find("3.8").text.startswith("在我区博士后工作站")  # "8在我区…": the scan lost the dot
    assert baiyun.find("4.8").caption == "住房保障服务"  # （／＼） is （八）
    assert baiyun.find("4.8").citation == "《白云区云聚英才卡实施细则（试行）》第四条第（八）项"
    assert baiyun.article(3).tail.startswith("新招商引资企业的高层次人才")
    assert baiyun.article(1).text.startswith("为营造人才创新创业良好生态环境")  # 第—条 is 第一条


@needs_seeds
def test_baiyun_metadata(baiyun):
    assert baiyun.title == "白云区云聚英才卡实施细则（试行）"
    assert baiyun.document_number == "云人才领字〔2019〕1号"
    assert baiyun.issuer == "广州市白云区人才工作领导小组"
    assert baiyun.issue_date == date(2019, 6, 5)
    assert baiyun.effective_date == date(2019, 6, 5)
    assert baiyun.validity_years == 5
    assert baiyun.expiry_date == date(2024, 6, 5)
    assert baiyun.notice.title == "关于印发《白云区云聚英才卡实施细则（试行）》的通知"


@needs_seeds
def test_baiyun_scan_debris_is_reported_not_guessed(baiyun):
    messages = [p.message for p in baiyun.problems]
    assert any("“勺”" in m for m in messages)
    assert any("“由区”" in m for m in messages)
    assert any("重复" in m and "第七条" in m for m in messages)
    assert any("缺少标点" in m for m in messages)
    assert all(p.message.startswith(f"第{p.line_no}行：") for p in baiyun.problems if p.line_no)
    assert baiyun.problems == sorted(baiyun.problems, key=lambda p: p.line_no or 0)


# --------------------------------------------------------------------------- 聊城


@needs_seeds
def test_liaocheng(liaocheng):
    assert liaocheng.title == "聊城市高层次人才服务绿色通道规定（试行）"
    assert liaocheng.document_number == "聊委人组办发〔2022〕7号"
    assert liaocheng.issuer == "中共聊城市委人才工作领导小组办公室"
    assert liaocheng.issue_date == date(2022, 9, 13)
    assert liaocheng.notice is None
    assert [c.title for c in liaocheng.chapters] == [
        "总则",
        "服务对象",
        "服务内容",
        "聊城市人才服务金卡",
        "服务机构",
        "保障措施",
        "附则",
    ]
    assert [len(c.articles) for c in liaocheng.chapters] == [4, 1, 26, 3, 3, 2, 2]
    assert liaocheng.find("5.4").citation == "《聊城市高层次人才服务绿色通道规定（试行）》第五条第（四）项"
    assert len(liaocheng.article(24).items) == 3  # （一）（二）(三): mixed full- and half-width
    assert liaocheng.article(41).text == "本规定由市委组织部、市人力资源社会保障局负责解释。"
    assert liaocheng.effective_date is None
    assert any("未规定施行日期" in p.message for p in liaocheng.problems)


# --------------------------------------------------------------------------- small texts


def test_simple_policy_with_chapters_and_items():
    text = "\n".join(
        [
            "某市人才卡管理办法",
            "第一章　总　则",
            "第一条　为做好服务，制定本办法。",
            "第二章 服务",
            "第二条　持卡人享受以下服务：",
            "（一）交通服务。免费乘坐公交车；",
            "（二）医疗服务。",
            "1.优先就诊；",
            "2.免费体检。",
            "第三条 本办法自2024年3月1日起施行，有效期3年。",
        ]
    )
    policy = parse_policy(text)
    assert policy.title == "某市人才卡管理办法" and policy.title_source == "text"
    assert [c.title for c in policy.chapters] == ["总则", "服务"]
    assert policy.find("2.2.2").citation == "《某市人才卡管理办法》第二条第（二）项第2目"
    assert policy.effective_date == date(2024, 3, 1)
    assert policy.validity_years == 3
    assert policy.expiry_date == date(2027, 3, 1)


def test_notice_with_a_date_in_chinese_numerals():
    text = "\n".join(
        [
            "某某局文件",
            "某人社发〔2024〕12号",
            "关于印发《某某人才卡管理办法》的通知",
            "各有关单位：",
            "现将办法印发给你们，请遵照执行。",
            "某某局",
            "二〇二四年三月十五日",
            "某某人才卡管理办法",
            "第一条 本办法自印发之日起施行。",
        ]
    )
    policy = parse_policy(text)
    assert policy.issuer == "某某局"
    assert policy.document_number == "某人社发〔2024〕12号"
    assert policy.issue_date == policy.effective_date == date(2024, 3, 15)
    assert policy.notice.signatory == "某某局"
    assert policy.title == "某某人才卡管理办法"


def test_reference_inside_a_sentence_is_not_an_article():
    policy = parse_policy("第一条 依照本办法第三条 规定办理。\n第二条 属本规定第五条所列\n第六条至第三十条的服务。")
    assert [a.number for a in policy.articles] == [1, 2]
    assert policy.article(2).text == "属本规定第五条所列第六条至第三十条的服务。"


def test_article_starting_in_the_middle_of_a_line():
    policy = parse_policy("第一条 总则。 第二条 细则。\n第三条 附则。")
    assert [a.text for a in policy.articles] == ["总则。", "细则。", "附则。"]


def test_page_artefacts_are_removed():
    text = (
        "某某管理办法\n第一条 持卡人免费乘坐\n- 2 -\n\f某某管理办法\n公交车。\n第 3 页 共 9 页\n"
        "第二条 本办法自印发之日起施行。"
    )
    policy = parse_policy(text)
    assert policy.article(1).text == "持卡人免费乘坐公交车。"
    assert len(policy.articles) == 2


def test_ocr_fixes_can_be_forced_and_leave_latin_words_alone():
    line, count = cleanup.fix_ocr_line("email l号 VIP服务 20l9年 l. 中国’ 日云区°")
    assert line == "email 1号 VIP服务 2019年 1. 中国， 白云区。"
    assert count == 6
    policy = parse_policy("第一条 日云区人才卡’ 运营l年以上°", ocr_fixes=True)
    assert policy.article(1).text == "白云区人才卡，运营1年以上。"
    assert parse_policy("第一条 日云区。", ocr_fixes=False).article(1).text == "日云区。"


@pytest.mark.parametrize("text", ["", "   ", "\n\n　\n"])
def test_empty_text(text):
    with pytest.raises(PolicyParseError) as err:
        parse_policy(text)
    assert err.value.line_no == 1
    assert err.value.message == "第1行：文本为空"


def test_no_articles():
    with pytest.raises(PolicyParseError, match="未找到任何条文") as err:
        parse_policy("关于做好人才服务的通知\n各单位：\n请认真落实。")
    assert err.value.line_no == 1


@pytest.mark.parametrize(
    ("text", "line_no", "message"),
    [
        (
            "标题办法\n\n第一条 甲。\n第二条 乙。\n第四条 丙。",
            5,
            "第5行：条文编号不连续：第二条之后出现第四条",
        ),
        ("第一条 甲。\n第二条 乙。\n第二条 丙。", 3, "第3行：条文编号重复：第二条出现两次"),
        ("第三条 甲。", 1, "第1行：条文编号不连续：首条应为第一条，实为第三条"),
        (
            "第一条 甲：\n（一）子；\n（二）丑；\n（四）寅。",
            4,
            "第4行：第一条中项目编号不连续：（二）之后出现（四）",
        ),
        ("第一条 甲：\n1.子；\n1.丑。", 3, "第3行：第一条中项目编号重复：1.出现两次"),
        ("第一条 甲：\n（二）子；", 2, "第2行：第一条中项目编号不连续：第一项应为（一），实为（二）"),
        ("第一条 甲：①子；③丑。", 1, "第1行：第一条中项目编号不连续：①之后出现③"),
        ("第一章 总则\n第一条 甲。\n第三章 附则\n第二条 乙。", 3, "第3行：章编号不连续：第一章之后出现第三章"),
    ],
)
def test_malformed_input_names_the_line(text, line_no, message):
    with pytest.raises(PolicyParseError) as err:
        parse_policy(text)
    assert err.value.line_no == line_no
    assert err.value.message == message
    assert str(err.value) == message


def test_parser_does_not_need_django():
    code = "import sys, policypages.importer; assert not any(m.startswith('django') for m in sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


# --------------------------------------------------------------------------- synthetic policies

# No numerals, no 第/条/章, no punctuation: random text cannot look like a heading or a label.
WORDS = (
    "人才服务持有享受优先办理医疗住房子女教育配偶就业交通旅游金融保障"
    "认定审核发放使用情形资格市区省县岗位创新创业科技专家企业学校医院银行窗口热线"
)
SEP = ["", " ", "　", "  "]
INDENT = ["", " ", "　　", "　　 "]


@dataclass
class SynItem:
    number: int
    text: str
    children: list["SynItem"] = field(default_factory=list)


@dataclass
class SynArticle:
    number: int
    text: str
    items: list[SynItem]
    style1: str | None = None
    style2: str | None = None
    inline: bool = False


def phrase(min_size=2, max_size=14):
    return st.text(WORDS, min_size=min_size, max_size=max_size)


@st.composite
def sentence(draw, end):
    parts = draw(st.lists(phrase(), min_size=1, max_size=3))
    return "，".join(parts) + end


@st.composite
def synthetic_policies(draw):
    articles = []
    for number in range(1, draw(st.integers(1, 8)) + 1):
        n_items = draw(st.integers(0, 5))
        if not n_items:
            body = "".join(draw(st.lists(sentence("。"), min_size=1, max_size=3)))
            articles.append(SynArticle(number, body, []))
            continue
        style1 = draw(st.sampled_from(["paren_cn", "arabic", "circled", "paren_arabic", "cn"]))
        style2 = draw(st.sampled_from([s for s in ("arabic", "circled", "paren_arabic") if s != style1]))
        items = []
        for i in range(1, n_items + 1):
            n_children = draw(st.integers(0, 3)) if style1 != "circled" else 0
            children = [SynItem(k, draw(sentence("；"))) for k in range(1, n_children + 1)]
            items.append(SynItem(i, draw(sentence("。" if i == n_items else "；")), children))
        inline = draw(st.booleans())
        articles.append(SynArticle(number, draw(sentence("：")), items, style1, style2, inline))
    n_chapters = draw(st.integers(0, min(3, len(articles))))
    starts = []
    if n_chapters > 1:
        starts = sorted(draw(st.sets(st.integers(2, len(articles)), max_size=n_chapters - 1)))
    chapter_starts = [1, *starts] if n_chapters else []
    chapter_titles = [draw(phrase(2, 6)) for _ in chapter_starts]
    title = draw(st.one_of(st.none(), phrase(2, 10).map(lambda t: t + "管理办法")))
    return title, chapter_starts, chapter_titles, articles


def render(policy, draw_width, *, skip_article=None, skip_item=None):
    """Logical lines → wrapped, indented physical lines. Returns (text, heading line numbers)."""
    title, chapter_starts, chapter_titles, articles = policy
    logical = []  # (text, protected prefix length, key)
    if title:
        logical.append((title, len(title), None))
    for art in articles:
        if art.number in chapter_starts:
            k = chapter_starts.index(art.number)
            heading = f"第{int_to_cn(k + 1)}章 {chapter_titles[k]}"
            logical.append((heading, len(heading), None))
        number = art.number + (1 if skip_article and art.number >= skip_article else 0)
        label = f"第{int_to_cn(number)}条" + draw_width("sep")
        if art.items and art.style1 == "circled" and art.inline:
            line = label + art.text + "".join(format_item_label("circled", i.number) + i.text for i in art.items)
            logical.append((line, len(label), ("article", art.number)))
            continue
        logical.append((label + art.text, len(label), ("article", art.number)))
        for item in art.items:
            n = item.number + (1 if skip_item == (art.number, 0) and item.number >= 2 else 0)
            lab = format_item_label(art.style1, n)
            if item.children and art.style2 == "circled" and art.inline:
                line = lab + item.text + "".join(format_item_label("circled", c.number) + c.text for c in item.children)
                logical.append((line, len(lab), ("item", art.number)))
                continue
            logical.append((lab + item.text, len(lab), ("item", art.number)))
            for child in item.children:
                clab = format_item_label(art.style2, child.number)
                logical.append((clab + child.text, len(clab), ("child", art.number)))
    physical, heading_lines = [], {}
    for text, protected, key in logical:
        width = draw_width("width")
        first = True
        while text:
            cut = max(width, protected + 1) if first else width
            chunk, text = text[:cut], text[cut:]
            if first and key and key[0] == "article":
                heading_lines.setdefault(key[1], len(physical) + 1)
            if first and key and key[0] == "item":
                heading_lines.setdefault(("item", key[1]), []).append(len(physical) + 1)
            physical.append(draw_width("indent") + chunk)
            first = False
            if draw_width("blank"):
                physical.append(draw_width("noise"))
    return "\n".join(physical), heading_lines


def drawer(data):
    def draw_width(what):
        if what == "sep":
            return data.draw(st.sampled_from(SEP))
        if what == "width":
            return data.draw(st.integers(12, 40))
        if what == "indent":
            return data.draw(st.sampled_from(INDENT))
        if what == "blank":
            return data.draw(st.booleans())
        if what == "noise":
            return data.draw(st.sampled_from(["", "　", "- 3 -", "\f"]))
        raise AssertionError(what)

    return draw_width


def shape(items):
    return [(i.number, i.text, shape(i.children)) for i in items]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(synthetic_policies(), st.data())
def test_synthetic_policy_round_trip(policy, data):
    title, chapter_starts, chapter_titles, articles = policy
    text, _ = render(policy, drawer(data))
    note(text)
    parsed = parse_policy(text)
    if title:
        assert parsed.title == title
    assert [a.number for a in parsed.articles] == [a.number for a in articles]
    assert [c.title for c in parsed.chapters] == chapter_titles
    for expected, got in zip(articles, parsed.articles, strict=True):
        assert got.text.replace("\n", "") == expected.text
        got_shape = [
            (i.number, i.text.replace("\n", ""), [(c.number, c.text.replace("\n", ""), []) for c in i.children])
            for i in got.items
        ]
        assert got_shape == shape(expected.items)
        if chapter_starts:
            k = max(i for i, s in enumerate(chapter_starts) if s <= expected.number)
            assert got.chapter_number == k + 1
    for item in parsed.iter_items():
        assert parsed.find(item.ref) is item


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(synthetic_policies().filter(lambda p: len(p[3]) >= 2), st.data())
def test_synthetic_article_gap_is_reported_at_its_line(policy, data):
    articles = policy[3]
    skip = data.draw(st.integers(2, len(articles)))
    text, heading_lines = render(policy, drawer(data), skip_article=skip)
    with pytest.raises(PolicyParseError) as err:
        parse_policy(text)
    assert err.value.line_no == heading_lines[skip]
    assert f"第{int_to_cn(skip - 1)}条之后出现第{int_to_cn(skip + 1)}条" in err.value.message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    synthetic_policies().filter(
        lambda p: any(len(a.items) >= 2 and a.style1 != "circled" for a in p[3])
    ),
    st.data(),
)
def test_synthetic_item_gap_is_reported_at_its_line(policy, data):
    article = next(a for a in policy[3] if len(a.items) >= 2 and a.style1 != "circled")
    text, heading_lines = render(policy, drawer(data), skip_item=(article.number, 0))
    with pytest.raises(PolicyParseError) as err:
        parse_policy(text)
    assert err.value.line_no == heading_lines[("item", article.number)][1]
    assert "项目编号不连续" in err.value.message
