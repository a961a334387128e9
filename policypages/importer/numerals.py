"""Numbers as they are written in Chinese policy documents.

Pure Python, no Django. Three families of numerals occur in the seeds:

* Chinese numerals in article and chapter headings (第十六条, 第一百零五条) and in
  parenthesised items (（六）). :func:`cn_to_int` / :func:`int_to_cn` convert the
  *counting* form (十一, 二十, 一百零五, 两百, 一千零一十). Years are written digit by
  digit instead (二〇二三), see :func:`cn_digits_to_int`.
* Circled digits ①–⑳ (and ㉑–㊿) used for inline items: :func:`circled_to_int`,
  :func:`int_to_circled`.
* Arabic item numbers ``1.`` ``1、`` ``1．`` and ``（1）``.

:func:`match_item_label` recognises an item label at the start of a string and
:func:`format_item_label` writes one back in its canonical form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ITEM_STYLES",
    "ItemLabel",
    "circled_to_int",
    "cn_digits_to_int",
    "cn_to_int",
    "format_item_label",
    "int_to_circled",
    "int_to_cn",
    "match_item_label",
    "parse_number",
]

CN_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_ZEROS = frozenset("零〇")
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CANONICAL_DIGITS = "零一二三四五六七八九"
#: characters that can make up a Chinese counting numeral
CN_NUMERAL_CHARS = "".join(CN_DIGITS) + "".join(CN_ZEROS) + "".join(CN_UNITS)

MAX_CN = 9999


def cn_to_int(text: str) -> int:
    """Read a Chinese counting numeral: 十一 → 11, 一百零五 → 105, 两百 → 200.

    Accepts 零/〇 as zero, 两 as two, the short 十x form for 10–19 and the
    colloquial 一百十 for 110. Raises :class:`ValueError` for anything else
    (empty strings, 十十, 一百零, 一百五 — whose meaning, 105 or 150, is ambiguous).
    """
    s = text.strip() if isinstance(text, str) else text
    if not isinstance(s, str) or not s:
        raise ValueError(f"不是中文数字：{text!r}")
    if s in CN_ZEROS:
        return 0
    total = 0
    pending: int | None = None  # a digit waiting for its unit
    last_unit = MAX_CN + 1
    zero_pending = False
    for ch in s:
        if ch in CN_DIGITS:
            if pending is not None:
                raise ValueError(f"不是中文数字：{text!r}")
            pending = CN_DIGITS[ch]
        elif ch in CN_ZEROS:
            if pending is not None or zero_pending or total == 0:
                raise ValueError(f"不是中文数字：{text!r}")
            zero_pending = True
        elif ch in CN_UNITS:
            unit = CN_UNITS[ch]
            if unit >= last_unit:
                raise ValueError(f"不是中文数字：{text!r}")
            if pending is None:
                # 十 without a digit: 十一 (leading) or the colloquial 一百十
                if unit == 10 and not zero_pending:
                    pending = 1
                else:
                    raise ValueError(f"不是中文数字：{text!r}")
            if zero_pending and last_unit // unit < 100:
                # 零 must stand for a skipped place: 一百零五十 is not a number
                raise ValueError(f"不是中文数字：{text!r}")
            total += pending * unit
            pending = None
            last_unit = unit
            zero_pending = False
        else:
            raise ValueError(f"不是中文数字：{text!r}")
    if pending is not None:
        if last_unit <= MAX_CN and last_unit > 10 and not zero_pending:
            raise ValueError(f"不是中文数字（有歧义）：{text!r}")
        if zero_pending and last_unit < 100:
            raise ValueError(f"不是中文数字：{text!r}")
        total += pending
    elif zero_pending:
        raise ValueError(f"不是中文数字：{text!r}")
    return total


def int_to_cn(number: int) -> str:
    """Write 0–9999 in the canonical counting form: 10 → 十, 105 → 一百零五, 110 → 一百一十."""
    if not isinstance(number, int) or isinstance(number, bool):
        raise TypeError("number must be an int")
    if not 0 <= number <= MAX_CN:
        raise ValueError(f"只支持 0–{MAX_CN}：{number}")
    if number == 0:
        return "零"
    parts: list[str] = []
    zero = False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = (number // unit) % 10
        if digit:
            if zero:
                parts.append("零")
                zero = False
            parts.append(_CANONICAL_DIGITS[digit] + name)
        elif parts:
            zero = True
    out = "".join(parts)
    if 10 <= number <= 19:
        out = out[1:]  # 一十五 → 十五
    return out


def cn_digits_to_int(text: str) -> int:
    """Read a numeral written digit by digit, as years are: 二〇二三 → 2023."""
    s = text.strip()
    if not s:
        raise ValueError(f"不是中文数字：{text!r}")
    value = 0
    for ch in s:
        if ch in CN_ZEROS:
            d = 0
        elif ch in CN_DIGITS and ch != "两":
            d = CN_DIGITS[ch]
        else:
            raise ValueError(f"不是逐位书写的中文数字：{text!r}")
        value = value * 10 + d
    return value


def parse_number(text: str) -> int:
    """An arabic (full- or half-width) or Chinese counting numeral."""
    s = text.strip().translate(_FULLWIDTH_DIGITS)
    if s.isascii() and s.isdigit():
        return int(s)
    return cn_to_int(s)


_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

# ①..⑳ are U+2460..U+2473, ㉑..㉟ U+3251..U+325F, ㊱..㊿ U+32B1..U+32BF
_CIRCLED_RANGES = ((1, 20, 0x2460), (21, 35, 0x3251), (36, 50, 0x32B1))


def circled_to_int(char: str) -> int:
    """① → 1 … ⑳ → 20 (and ㉑–㊿ up to 50)."""
    if not isinstance(char, str) or len(char) != 1:
        raise ValueError(f"不是带圈数字：{char!r}")
    code = ord(char)
    for first, last, base in _CIRCLED_RANGES:
        if base <= code <= base + (last - first):
            return first + code - base
    raise ValueError(f"不是带圈数字：{char!r}")


def int_to_circled(number: int) -> str:
    """1 → ① … 50 → ㊿."""
    for first, last, base in _CIRCLED_RANGES:
        if first <= number <= last:
            return chr(base + number - first)
    raise ValueError(f"带圈数字只支持 1–50：{number}")


CIRCLED_CHARS = "".join(int_to_circled(n) for n in range(1, 51))

#: item label styles, in the order they are usually nested
ITEM_STYLES = ("cn", "paren_cn", "arabic", "paren_arabic", "circled")


@dataclass(frozen=True)
class ItemLabel:
    """An item label found at the start of a string."""

    style: str  # one of ITEM_STYLES
    number: int
    raw: str  # the label as written, including trailing spaces
    end: int  # index just after the label (and the spaces that follow it)

    @property
    def canonical(self) -> str:
        return format_item_label(self.style, self.number)


_CN = f"[{CN_NUMERAL_CHARS}]+"
_LABEL_PATTERNS = (
    ("paren_cn", re.compile(rf"[（(]\s*({_CN})\s*[）)]\s*")),
    ("paren_arabic", re.compile(r"[（(]\s*([0-9０-９]{1,3})\s*[）)]\s*")),
    ("circled", re.compile(rf"([{CIRCLED_CHARS}])\s*")),
    # 1. 1、 1．, but not 3.0
    ("arabic", re.compile(r"([0-9０-９]{1,3})\s*[.．、](?![0-9０-９])\s*")),
    ("cn", re.compile(rf"({_CN})、\s*")),
)


def match_item_label(text: str, pos: int = 0) -> ItemLabel | None:
    """Recognise an item label (（一） (一) 一、 1. 1、 1． （1） ①) at ``text[pos:]``."""
    for style, pattern in _LABEL_PATTERNS:
        m = pattern.match(text, pos)
        if not m:
            continue
        token = m.group(1)
        try:
            if style == "circled":
                number = circled_to_int(token)
            elif style in ("arabic", "paren_arabic"):
                number = int(token.translate(_FULLWIDTH_DIGITS))
            else:
                number = cn_to_int(token)
        except ValueError:
            continue
        if number < 1:
            continue
        return ItemLabel(style=style, number=number, raw=m.group(0), end=m.end())
    return None


def format_item_label(style: str, number: int) -> str:
    """The canonical label: paren_cn （六）, cn 六、, arabic 6., paren_arabic （6）, circled ⑥."""
    if style == "paren_cn":
        return f"（{int_to_cn(number)}）"
    if style == "cn":
        return f"{int_to_cn(number)}、"
    if style == "arabic":
        return f"{number}."
    if style == "paren_arabic":
        return f"（{number}）"
    if style == "circled":
        return int_to_circled(number)
    raise ValueError(f"unknown item style: {style!r}")
