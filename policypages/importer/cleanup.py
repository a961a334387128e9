"""Line-level cleanup of policy text as received (PDF extraction, OCR scans).

Pure Python, no Django. The parser calls these helpers line by line, before it
looks for structure, and :func:`normalize_content` on the finished text of each
article and item.

OCR repairs (:func:`fix_ocr_line`) are only for scans like the 白云 seed, where
``l`` stands for ``1``, ``’`` for ``，``, ``°``/``·`` for ``。``, ``日云区`` for
``白云区``, ``弓｜`` for ``引`` and ``（／＼）`` for ``（八）``. They would damage a clean
text, so :func:`looks_like_ocr` decides whether a text needs them.
"""

from __future__ import annotations

import re

__all__ = [
    "CJK",
    "ends_sentence",
    "fix_ocr_line",
    "is_ocr_fragment",
    "is_page_number",
    "is_symbol_line",
    "join_lines",
    "looks_like_ocr",
    "normalize_content",
    "normalize_line",
    "normalize_punctuation",
]

#: a CJK ideograph (the unified block and extension A)
CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_CJK_RE = re.compile(f"[{CJK}]")

# Every kind of space a PDF extraction leaves behind becomes an ASCII space.
_SPACES = str.maketrans(
    {
        "\u3000": " ",
        "\xa0": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u2009": " ",
        "\u200b": "",
        "\ufeff": "",
        "\t": " ",
        "\f": "",
        "\v": "",
    }
)


def normalize_line(raw: str) -> str:
    """Unify spaces, drop form feeds and zero-width characters, strip indentation."""
    line = raw.translate(_SPACES).strip()
    # markdown-style bullets in front of an item label: "- （一）…"
    line = re.sub(r"^[-–•]\s+(?=\S)", "", line)
    return line


_NON_ASCII = r"[^\x00-\x7f]"
_HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}


def normalize_punctuation(line: str) -> str:
    """Half-width punctuation inside Chinese text becomes full-width.

    ``(一)`` → ``（一）``, ``兴滇惠才卡”,可凭`` → ``兴滇惠才卡”，可凭``. ASCII-only
    context (``f(x)``, ``3,000``) is left alone.
    """
    line = re.sub(rf"\((?=\s*{_NON_ASCII})|(?<={_NON_ASCII})\s*\(", "（", line)
    line = re.sub(rf"(?<={_NON_ASCII})\)|\)(?=\s*{_NON_ASCII})|\)$", "）", line)
    line = re.sub(r"（\s+", "（", line)
    line = re.sub(r"\s+）", "）", line)
    line = re.sub(rf"(?<={_NON_ASCII})\s*([,;:?!])", lambda m: _HALF_TO_FULL[m.group(1)], line)
    return line


def normalize_content(text: str) -> str:
    """Final form of a piece of text: no spaces next to Chinese characters.

    PDF extraction puts spaces around Latin letters and digits (``“A 卡”``,
    ``限 3 人``) and typesetting spaces inside short headings (``总 则``). Spaces
    between two ASCII words are kept. Paragraph breaks (``\\n``) survive.
    """
    paragraphs = []
    for para in text.split("\n"):
        para = re.sub(r"[ \t]+", " ", para).strip()
        para = re.sub(rf"(?<={_NON_ASCII}) (?=\S)|(?<=\S) (?={_NON_ASCII})", "", para)
        if para:
            paragraphs.append(para)
    return "\n".join(paragraphs)


# A sentence ends with 。；！？： (or their half-width forms), possibly followed
# by closing quotes or brackets; a closing parenthesis right after 。 too.
_SENTENCE_END = re.compile(r"[。；;！!？?：:…][”’」』）)》]*$")


def ends_sentence(text: str) -> bool:
    """Does this line end a sentence (so the next line is not its continuation)?"""
    t = text.rstrip()
    if not t:
        return True
    if _SENTENCE_END.search(t):
        return True
    if t.endswith(("）", ")")):
        # "…身份证。（责任单位：市公安局）": a parenthetical note after a full stop
        opening = max(t.rfind("（"), t.rfind("("))
        if opening > 0 and t[opening - 1] in "。！？；":
            return True
    return False


def join_lines(left: str, right: str) -> str:
    """Join a line broken inside a sentence: no space between Chinese characters."""
    if left and right and left[-1].isascii() and right[0].isascii() and left[-1].isalnum() and right[0].isalnum():
        return f"{left} {right}"
    return left + right


_PAGE_NUMBER = re.compile(
    r"^(?:[-－—–―=＝~～\s]+\d{1,4}[-－—–―=＝~～\s]+"
    r"|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}"
    r"|[-－—–―]\s*\d{1,4}"
    r"|\d{1,4}\s*[-－—–―])$"
)


def is_page_number(line: str) -> bool:
    """``- 3 -``, ``— 12 —``, ``第3页 共10页``, ``3/10``."""
    return bool(_PAGE_NUMBER.match(line.strip()))


_TEXT_PUNCTUATION = set("。，、；：？！”’）)》」』…,.;:?!")


def is_symbol_line(line: str) -> bool:
    """A line with no letter, digit or Chinese character at all: ``★``, ``＝〕＝``.

    Punctuation that ends a sentence broken over two lines (a lone ``。``) is text.
    """
    s = line.strip()
    return bool(s) and not any(ch.isalnum() for ch in s) and not set(s) <= _TEXT_PUNCTUATION


def is_ocr_fragment(line: str) -> bool:
    """In a scan, one or two stray characters on a line of their own (``勺``)."""
    s = line.strip()
    return 0 < len(s) <= 2 and all(_CJK_RE.match(ch) for ch in s)


# --------------------------------------------------------------------------- OCR

_OCR_SIGNALS = (
    re.compile(r"’(?=[\s" + CJK + "])"),
    re.compile(r"[" + CJK + r"][°·]"),
    re.compile(r"日云区"),
    re.compile(r"弓[｜|]"),
    re.compile(r"[（(][／/][＼\\][）)]"),
    re.compile(r"(?<![A-Za-z])(?:\dl|l\d)(?![A-Za-z])|[〔〕]l"),
    re.compile(r"第[—–－―](?=[条章])"),
)


def looks_like_ocr(text: str) -> bool:
    """Auto-detection: at least two different OCR error signatures occur."""
    return sum(1 for sig in _OCR_SIGNALS if sig.search(text)) >= 2


# ``l`` is a 1 when it touches a digit or a numbering context, never inside a Latin word.
_OCR_L = re.compile(
    r"(?<![A-Za-z])(?:(?<=[0-9〔〕])l|l(?=[0-9ˉ号年月日个次名万亿元条款项.．、]))(?![A-Za-z])"
)
_OCR_L_LINE_START = re.compile(r"^l(?=\s*[.．、])")

_OCR_FIXES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile("日云区"), "白云区"),
    (re.compile(r"弓[｜|]"), "引"),
    (re.compile(r"[（(][／/][＼\\][）)]"), "（八）"),
    (re.compile(r"第[—–－―](?=\s*[条章])"), "第一"),
    (re.compile(r"[,，]?’’"), "”"),
    (re.compile(r"‘‘"), "“"),
    (re.compile(r"[,，]’"), "”"),
    (re.compile(r"’"), "，"),
    (re.compile(r"[°·]"), "。"),
    (re.compile(rf"(?<=[{CJK}”）])\.(?![0-9])"), "。"),
    (re.compile(r"(?<=[0-9])ˉ(?=[0-9])"), "-"),
    (re.compile(r"ˉ"), "—"),
)


def fix_ocr_line(line: str) -> tuple[str, int]:
    """Repair the OCR errors of a scan; returns the line and the number of repairs."""
    count = 0
    line, n = _OCR_L_LINE_START.subn("1", line)
    count += n
    # repeat: "l l" sequences such as 〔20l9〕l号 need more than one pass
    while True:
        line, n = _OCR_L.subn("1", line)
        count += n
        if not n:
            break
    for pattern, replacement in _OCR_FIXES:
        line, n = pattern.subn(replacement, line)
        count += n
    return line, count
