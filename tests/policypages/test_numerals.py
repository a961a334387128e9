"""Chinese, circled and arabic numerals of policy texts (no Django needed)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policypages.importer.numerals import (
    ITEM_STYLES,
    circled_to_int,
    cn_digits_to_int,
    cn_to_int,
    format_item_label,
    int_to_circled,
    int_to_cn,
    match_item_label,
    parse_number,
)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("零", 0),
        ("〇", 0),
        ("一", 1),
        ("九", 9),
        ("十", 10),
        ("十一", 11),
        ("十六", 16),
        ("二十", 20),
        ("二十四", 24),
        ("四十一", 41),
        ("九十九", 99),
        ("一百", 100),
        ("一百零五", 105),
        ("一百〇五", 105),
        ("一百一十", 110),
        ("一百十", 110),  # colloquial
        ("一百二十", 120),
        ("两百", 200),
        ("二百零一", 201),
        ("九百九十九", 999),
        ("一千", 1000),
        ("一千零五", 1005),
        ("一千零一十", 1010),
        ("两千零二十三", 2023),
        ("一十五", 15),
    ],
)
def test_cn_to_int(text, number):
    assert cn_to_int(text) == number


@pytest.mark.parametrize(
    "text", ["", " ", "十十", "百", "一百零", "一百五", "零五", "五五", "十零五", "一百零五十", "abc", "第一"]
)
def test_cn_to_int_rejects_what_is_not_a_number(text):
    with pytest.raises(ValueError):
        cn_to_int(text)


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0, "零"),
        (1, "一"),
        (10, "十"),
        (11, "十一"),
        (20, "二十"),
        (105, "一百零五"),
        (110, "一百一十"),
        (1010, "一千零一十"),
    ],
)
def test_int_to_cn(number, text):
    assert int_to_cn(number) == text


def test_int_to_cn_range():
    with pytest.raises(ValueError):
        int_to_cn(-1)
    with pytest.raises(ValueError):
        int_to_cn(10000)
    with pytest.raises(TypeError):
        int_to_cn(True)


@given(st.integers(min_value=1, max_value=999))
def test_cn_round_trip_1_to_999(n):
    assert cn_to_int(int_to_cn(n)) == n


@given(st.integers(min_value=0, max_value=9999))
def test_cn_round_trip_whole_range(n):
    text = int_to_cn(n)
    assert cn_to_int(text) == n
    assert set(text) <= set("零一二三四五六七八九十百千")


@given(st.integers(min_value=200, max_value=9999))
def test_liang_reads_as_two_before_hundreds_and_thousands(n):
    text = int_to_cn(n)
    if text[0] == "二":
        assert cn_to_int("两" + text[1:]) == n


@given(st.integers(min_value=1, max_value=999))
def test_parse_number_reads_both_scripts(n):
    assert parse_number(int_to_cn(n)) == parse_number(str(n)) == n


def test_parse_number_full_width_digits():
    assert parse_number("１６") == 16


@given(st.integers(min_value=1000, max_value=2999))
def test_years_written_digit_by_digit(year):
    digits = "".join("〇一二三四五六七八九"[int(d)] for d in str(year))
    assert cn_digits_to_int(digits) == year


def test_circled():
    assert circled_to_int("①") == 1
    assert circled_to_int("⑦") == 7
    assert circled_to_int("⑳") == 20
    assert circled_to_int("㉑") == 21
    assert circled_to_int("㊿") == 50
    for bad in ("1", "", "①②", "一"):
        with pytest.raises(ValueError):
            circled_to_int(bad)


@given(st.integers(min_value=1, max_value=50))
def test_circled_round_trip(n):
    assert circled_to_int(int_to_circled(n)) == n


@pytest.mark.parametrize(
    ("text", "style", "number", "rest"),
    [
        ("（一）学术、业绩上弄虚作假", "paren_cn", 1, "学术、业绩上弄虚作假"),
        ("(一) A卡发放对象", "paren_cn", 1, "A卡发放对象"),
        ("（十二）金融服务", "paren_cn", 12, "金融服务"),
        ("(三) 学成后", "paren_cn", 3, "学成后"),
        ("一、总体要求", "cn", 1, "总体要求"),
        ("1.出行服务。", "arabic", 1, "出行服务。"),
        ("1、出行服务", "arabic", 1, "出行服务"),
        ("1．出行服务", "arabic", 1, "出行服务"),
        ("12. 中国科学院", "arabic", 12, "中国科学院"),
        ("（3）子目", "paren_arabic", 3, "子目"),
        ("②持卡人在市区内", "circled", 2, "持卡人在市区内"),
    ],
)
def test_match_item_label(text, style, number, rest):
    label = match_item_label(text)
    assert label is not None
    assert (label.style, label.number) == (style, number)
    assert text[label.end :] == rest


@pytest.mark.parametrize(
    "text",
    [
        "3.0版",
        "（劳动）合同",
        "10 个工作日内办结",
        "（优先满足头等舱）",
        "5亿元的",
        "（含A卡和B卡）",
        "第一条",
        "（责任单位：市公安局）",
    ],
)
def test_match_item_label_ignores_ordinary_text(text):
    assert match_item_label(text) is None


@given(st.sampled_from(ITEM_STYLES), st.integers(min_value=1, max_value=50), st.text("持卡人服务优先办理", max_size=8))
def test_item_label_round_trip(style, n, rest):
    label = match_item_label(format_item_label(style, n) + rest)
    assert label is not None
    assert (label.style, label.number) == (style, n)
    assert label.canonical == format_item_label(style, n)


@given(st.integers(min_value=1, max_value=99))
def test_half_and_full_width_parens_are_the_same_label(n):
    cn = int_to_cn(n)
    half, full = match_item_label(f"({cn})x"), match_item_label(f"（{cn}）x")
    assert (half.style, half.number, half.end) == (full.style, full.number, full.end) == ("paren_cn", n, len(cn) + 2)
