"""A snippet skips masking a text with no number masking could rewrite (search/highlight.py, what a page of staff
hits' documents mostly are): it must be exactly the snippet of the whole text scrubbed, as it was cut before, for
every text — ID and mobile numbers anywhere, cut by the window or just outside it, letters and spaces around them,
10-digit numbers masking leaves alone, terms that match, match only inside a number, or not at all — and never
show the digits of a number that masking hides."""

import random

import pytest

from casefiles.masking import scrub_text
from casefiles.testing import resident_id
from search.highlight import _marked, marked_snippet

pytestmark = pytest.mark.smoke

PROSE = "经审核，申请人符合第五条第（一）项规定，同意推荐。聘用合同约定缴纳住房公积金和社会保险。博士学位证书编号"
TERMS = [["住房公积金"], ["博士"], ["同意 推荐"], ["公积金", "社会"], ["不存在的词"], ["13812345678"], ["1381234"],
         ["5678"], ["abc"], ["*"], ["证书编号 2024"]]


def numbers(rng):
    return [
        resident_id(rng, birth=f"19{rng.randint(60, 99)}0{rng.randint(1, 9)}1{rng.randint(0, 9)}"),
        f"13{rng.randint(100000000, 999999999)}",
        f"+86 13{rng.randint(100000000, 999999999)}",
        f"{rng.randint(10**14, 10**15 - 1)}",  # a legacy 15-digit ID
        f"{rng.randint(10**9, 10**10 - 1)}",  # a certificate number (10 digits: not masked)
        "abc def ghi",
        "2024年",
    ]


def texts(rng, count):
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(0, 14)):
            if rng.random() < 0.35:
                parts.append(rng.choice(numbers(rng)))
            else:
                start = rng.randrange(len(PROSE))
                parts.append(PROSE[start:start + rng.randint(1, 60)])
        yield "".join(parts)


def test_a_snippet_is_the_snippet_of_the_whole_scrubbed_text():
    rng = random.Random(24)
    cases = 0
    for text in texts(rng, 1500):
        for terms in TERMS:
            for width, before in ((120, 30), (40, 10)):
                expected = _marked(scrub_text(text), terms, width, before)
                assert marked_snippet(text, terms, width=width, before=before) == expected, (text, terms, width)
                cases += 1
    assert cases == 1500 * len(TERMS) * 2


def test_a_number_the_window_cuts_is_masked_whole():
    rng = random.Random(7)
    number = resident_id(rng, birth="19800101")
    for offset in range(0, 60):
        text = "甲" * offset + number + "住房公积金" + "乙" * 200
        html, matched = marked_snippet(text, ["住房公积金"], width=40, before=10)
        assert matched
        assert number[3:14] not in html and number[6:14] not in html, (offset, html)
