"""Turn the plain text of a policy document (办法 / 细则 / 规定) into a structure.

Pure Python, no Django. Entry point: :func:`parse_policy`.

Structure
---------
A policy is a list of articles (第X条), optionally grouped in chapters (第X章).
An article has an introductory text, items, and a tail (text after its items).
Items are numbered in one of five styles (see :data:`numerals.ITEM_STYLES`):
``（一）`` ``一、`` ``1.`` ``（1）`` ``①``. Within an article the first style met
is level 1, a different style met inside an item opens level 2, and so on; a
style already open closes the deeper levels (楚雄 第三条: （二） then 1.–4.).
Circled items are also found inside a sentence (通化 第六条 …之一：①…；②…).

Numbering conventions
---------------------
For 第三条（二）3 (item path ``(2, 3)`` in article 3):

* ``ref`` – arabic numbers joined by dots: ``"3"``, ``"3.2"``, ``"3.2.3"``.
* ``anchor`` – an ASCII HTML id: ``"art-3"``, ``"art-3-2"``, ``"art-3-2-3"``;
  chapters are ``"ch-2"``.
* ``citation`` – how Chinese legal texts cite: the title in 《》, then the article,
  then one unit per level: level 1 is a 项, level 2 a 目, deeper levels 子目. The
  item number is written as its style writes it: （六） for （一）-style and 一、-style
  items, ② for circled items, 3 for ``3.`` items, （3） for ``（3）`` items. Examples:
  《通化市“英才卡”管理服务办法》第十六条第（六）项, 《…》第七条第②项,
  《…》第三条第（二）项第3目, 《…》第九条第1项第②目. Without a title the 《…》 part
  is left out.

Errors
------
Malformed input raises :class:`PolicyParseError` whose message names the line
(``第12行：条文编号不连续：第五条之后出现第七条``): empty text, no articles,
article or chapter numbers out of sequence or repeated, item numbering that does
not start at one or has a gap or a repeat. Oddities that do not stop the parse
(a truncated text, stray scan fragments, an inferred title, a date that cannot be
worked out) are collected in :attr:`ParsedPolicy.problems` instead of guessed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date

from . import cleanup
from .numerals import (
    CIRCLED_CHARS,
    CN_NUMERAL_CHARS,
    ItemLabel,
    circled_to_int,
    cn_digits_to_int,
    cn_to_int,
    format_item_label,
    int_to_cn,
    match_item_label,
    parse_number,
)

__all__ = [
    "Article",
    "Chapter",
    "CoverNotice",
    "Item",
    "ParsedPolicy",
    "PolicyParseError",
    "Problem",
    "parse_policy",
]


# --------------------------------------------------------------------------- results


def _at(line_no: int | None, reason: str) -> str:
    return f"第{line_no}行：{reason}" if line_no else reason


@dataclass(frozen=True)
class Problem:
    """Something the parser noticed but could not (or would not) repair."""

    line_no: int | None  # 1-based line in the input; None for the document as a whole
    message: str  # Chinese, starts with 第N行： when line_no is set

    @classmethod
    def at(cls, line_no: int | None, reason: str) -> Problem:
        return cls(line_no, _at(line_no, reason))

    def __str__(self) -> str:
        return self.message


class PolicyParseError(ValueError):
    """The text is not a well-formed policy; ``message`` names the line."""

    def __init__(self, line_no: int, reason: str):
        self.line_no = line_no
        self.reason = reason
        self.message = _at(line_no, reason)
        super().__init__(self.message)


@dataclass
class Item:
    """An item (项) of an article, possibly with sub-items (目)."""

    article_number: int
    numbers: tuple[int, ...]  # path within the article: 第三条（二）3 → (2, 3)
    style: str  # numerals.ITEM_STYLES
    label: str  # canonical label: （二） / 3. / ②
    line_no: int
    text: str = ""  # the item's own text, label removed, before any sub-items
    children: list[Item] = field(default_factory=list)
    tail: str = ""  # unnumbered text after the sub-items
    caption: str | None = None  # a short heading such as 交通服务 in （一）交通服务。…
    anchor: str = ""
    ref: str = ""
    citation: str = ""

    @property
    def number(self) -> int:
        return self.numbers[-1]

    @property
    def level(self) -> int:
        return len(self.numbers)

    @property
    def full_text(self) -> str:
        """Label, text, sub-items and tail, one paragraph per line."""
        parts = [self.label + self.text] if self.text else [self.label]
        parts += [child.full_text for child in self.children]
        if self.tail:
            parts.append(self.tail)
        return "\n".join(parts)

    def iter_items(self) -> Iterator[Item]:
        for child in self.children:
            yield child
            yield from child.iter_items()


@dataclass
class Article:
    """An article (条)."""

    number: int
    label: str  # 第十六条
    line_no: int
    chapter_number: int | None = None
    text: str = ""  # text before the first item (the whole article if it has none)
    items: list[Item] = field(default_factory=list)
    tail: str = ""  # unnumbered text after the items
    caption: str | None = None  # 注销 in 第十六条 注销。有下列情形…
    anchor: str = ""
    ref: str = ""
    citation: str = ""

    @property
    def numbers(self) -> tuple[int, ...]:
        return ()

    @property
    def full_text(self) -> str:
        parts = [self.text] if self.text else []
        parts += [item.full_text for item in self.items]
        if self.tail:
            parts.append(self.tail)
        return "\n".join(parts)

    def iter_items(self) -> Iterator[Item]:
        """All items of the article, depth first."""
        for item in self.items:
            yield item
            yield from item.iter_items()

    def item(self, *numbers: int) -> Item:
        """``article.item(2, 3)`` is （二）3."""
        nodes = self.items
        found: Item | None = None
        for n in numbers:
            found = next((it for it in nodes if it.number == n), None)
            if found is None:
                raise KeyError(f"{self.label}没有编号为{'.'.join(map(str, numbers))}的项")
            nodes = found.children
        if found is None:
            raise KeyError("no item numbers given")
        return found


@dataclass
class Chapter:
    number: int
    label: str  # 第二章
    title: str  # 资格条件
    line_no: int
    articles: list[Article] = field(default_factory=list)
    anchor: str = ""


@dataclass
class CoverNotice:
    """The 通知 that publishes the policy (关于印发《…》的通知)."""

    title: str
    addressee: str | None
    body: str
    signatory: str | None
    date: date | None
    text: str  # the notice as a whole, one paragraph per line
    line_no: int


@dataclass
class ParsedPolicy:
    title: str | None
    title_source: str | None  # "override", "text", "notice", "inferred" or None
    issuer: str | None  # 发文机关
    document_number: str | None  # 文号, e.g. 吉人社规〔2023〕5号
    issue_date: date | None
    effective_date: date | None
    effective_clause: str | None  # the sentence that sets it: 本办法自印发之日起施行。
    validity_years: int | None
    expiry_date: date | None  # effective_date + validity_years (the first day it no longer applies)
    notice: CoverNotice | None
    chapters: list[Chapter]
    articles: list[Article]
    problems: list[Problem]
    ocr_fixed: bool = False
    ocr_fix_count: int = 0

    @property
    def is_trial(self) -> bool:
        return bool(self.title and "试行" in self.title)

    def article(self, number: int) -> Article:
        for art in self.articles:
            if art.number == number:
                return art
        raise KeyError(f"没有第{int_to_cn(number)}条")

    def find(self, ref: str) -> Article | Item:
        """Look up an article or item by its ``ref`` ("16", "7.2", "3.2.3")."""
        try:
            numbers = [int(part) for part in ref.split(".")]
        except ValueError:
            raise KeyError(ref) from None
        art = self.article(numbers[0])
        return art.item(*numbers[1:]) if len(numbers) > 1 else art

    def iter_items(self) -> Iterator[Item]:
        for art in self.articles:
            yield from art.iter_items()

    def as_dict(self) -> dict:
        """JSON-friendly form (dates as ISO strings)."""
        return _to_jsonable(self)


def _to_jsonable(value):
    if is_dataclass(value):
        return {f.name: _to_jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple)):
        return [_to_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------- patterns

_NUM = f"[{CN_NUMERAL_CHARS}0-9０-９]+"
_ARTICLE_AT = re.compile(rf"第 ?({_NUM}) ?条( *)")
_CHAPTER_LINE = re.compile(rf"^第 ?({_NUM}) ?章(?: +(.*)|(.*))$")
# an article heading inside a line: after a full stop, 第X条 and a space
_INLINE_ARTICLE = re.compile(rf"(?<=[。；！？”）]) *(?=第 ?{_NUM} ?条 +\S)")
# characters that, right after 第X条 with no space, show a reference, not a heading
_REFERENCE_FOLLOWERS = set("至、和及或与的所规中之第（(，,。；：")
_CIRCLED_SPLIT = re.compile(f"([{CIRCLED_CHARS}])")
_CAPTION_MAX = 16

_DOC_TYPES = "办法|细则|规定|条例|规则|方案|意见|措施|制度|准则|规程|章程|标准"
_DOC_TYPE_RE = re.compile(rf"本({_DOC_TYPES})")
_TITLE_LIKE = re.compile(rf"({_DOC_TYPES})(（[^）]*）)?$")
_DOCNUM = re.compile(r"^(\S{1,16}?)[〔\[［(（](\d{4})[〕\]］)）]\s*第?(\d{1,4})\s*号$")
_DOCNUM_ANY = re.compile(r"[〔\[［]\d{4}[〕\]］]")
_YEAR = r"(\d{4}|[〇零一二三四五六七八九]{4})"
_MD = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"
_DATE = rf"{_YEAR} ?年 ?{_MD} ?月 ?{_MD} ?日"
_DATE_RE = re.compile(_DATE)
_DATE_LINE = re.compile(rf"^(.*?) *{_DATE} *(印发|发布|印)?$")


def _parse_date(match: re.Match[str], first_group: int = 1) -> date | None:
    y, m, d = match.group(first_group, first_group + 1, first_group + 2)
    try:
        year = int(y) if y.isdigit() else cn_digits_to_int(y)
        month = int(m) if m.isdigit() else cn_to_int(m)
        day = int(d) if d.isdigit() else cn_to_int(d)
        return date(year, month, day)
    except ValueError:
        return None


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


@dataclass
class _Line:
    no: int
    text: str


# --------------------------------------------------------------------------- entry point


def parse_policy(text: str, *, title: str | None = None, ocr_fixes: bool | None = None) -> ParsedPolicy:
    """Parse the plain text of a policy.

    ``title`` overrides the title found in (or inferred from) the text; it is used
    in citations. ``ocr_fixes`` switches the OCR repairs on or off; by default they
    are applied when the text looks like a scan (:func:`cleanup.looks_like_ocr`).
    """
    if not isinstance(text, str) or not text.strip():
        raise PolicyParseError(1, "文本为空")
    problems: list[Problem] = []
    ocr = cleanup.looks_like_ocr(text) if ocr_fixes is None else ocr_fixes
    lines, ocr_count = _clean_lines(text, ocr, problems)
    if not lines:
        raise PolicyParseError(1, "文本为空")

    start = _find_body_start(lines)
    if start is None:
        raise PolicyParseError(lines[0].no, "未找到任何条文（第一条、第二条……）")
    front = _parse_front(lines[:start])
    body = lines[start:]

    trailer = _split_trailer(body)
    _drop_running_headers(body, front)

    # A labelled line much shorter than the text's usual line is a heading, not a broken line.
    lengths = sorted(len(line.text) for line in body)
    caption_width = 0.6 * lengths[(3 * len(lengths)) // 4] if lengths else 0
    builder = _BodyBuilder(ocr=ocr, problems=problems, caption_width=caption_width)
    for line in body:
        builder.feed(line)
    articles, chapters = builder.finish()
    if not articles:
        raise PolicyParseError(body[0].no, "未找到任何条文（第一条、第二条……）")

    # ---- metadata
    issuer = front.issuer
    issue_date = front.notice.date if front.notice and front.notice.date else front.date
    if trailer is not None:
        if issuer is None and trailer[0]:
            issuer = trailer[0]
        if issue_date is None:
            issue_date = trailer[1]
    if issuer is None and front.notice and front.notice.signatory:
        issuer = front.notice.signatory

    doc_type = _doc_type(articles)
    title_source: str | None
    if title:
        policy_title, title_source = cleanup.normalize_content(title), "override"
    elif front.title:
        policy_title, title_source = front.title, "text"
    elif front.notice and (m := re.search(r"《(.+)》", front.notice.title)):
        policy_title, title_source = m.group(1), "notice"
    else:
        policy_title = _infer_title(articles, doc_type)
        title_source = "inferred" if policy_title else None
        if policy_title:
            problems.append(Problem.at(None, f"文中没有标题行，标题“{policy_title}”系根据正文推断"))
        else:
            problems.append(Problem.at(None, "文中没有标题行，也无法根据正文推断标题"))

    effective = _find_effective(articles, issue_date, problems)

    policy = ParsedPolicy(
        title=policy_title,
        title_source=title_source,
        issuer=issuer,
        document_number=front.document_number,
        issue_date=issue_date,
        effective_date=effective[0],
        effective_clause=effective[1],
        validity_years=effective[2],
        expiry_date=effective[3],
        notice=front.notice,
        chapters=chapters,
        articles=articles,
        problems=problems,
        ocr_fixed=ocr,
        ocr_fix_count=ocr_count,
    )
    _assign_ids(policy)
    _check_complete(policy, body, trailer, problems)
    problems.sort(key=lambda p: p.line_no or 0)
    return policy


# --------------------------------------------------------------------------- lines


def _clean_lines(text: str, ocr: bool, problems: list[Problem]) -> tuple[list[_Line], int]:
    lines: list[_Line] = []
    ocr_count = 0
    for no, raw in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        line = cleanup.normalize_line(raw)
        if not line:
            continue
        if ocr:
            line, n = cleanup.fix_ocr_line(line)
            ocr_count += n
        line = cleanup.normalize_punctuation(line)
        if cleanup.is_page_number(line):
            continue
        if cleanup.is_symbol_line(line):
            problems.append(Problem.at(no, f"忽略只有符号的行“{line}”（疑为版面或扫描残留）"))
            continue
        if ocr and cleanup.is_ocr_fragment(line):
            problems.append(Problem.at(no, f"忽略孤立的扫描残片“{line}”，无法确定其位置"))
            continue
        # an article that starts in the middle of a line: "…其他人才。 第五条 申领对象…"
        pieces = _INLINE_ARTICLE.split(line)
        lines.extend(_Line(no, piece.strip()) for piece in pieces if piece.strip())
    return lines, ocr_count


def _article_heading(text: str, *, boundary: bool) -> tuple[int, int] | None:
    """(number, end of heading) if ``text`` starts with an article heading.

    Only at a sentence boundary: ``第X条`` at the start of a line whose previous
    line ended a sentence. Without a following space (as in the 白云 scan) it must
    not read like a reference (第六条至第三十条, 第五条规定的…, 第五条所列…).
    """
    if not boundary:
        return None
    m = _ARTICLE_AT.match(text)
    if not m:
        return None
    try:
        number = parse_number(m.group(1))
    except ValueError:
        return None
    rest = text[m.end() :]
    if m.group(2) or not rest or rest[0] not in _REFERENCE_FOLLOWERS:
        return number, m.end()
    return None


def _chapter_heading(text: str) -> tuple[int, str] | None:
    m = _CHAPTER_LINE.match(text)
    if not m:
        return None
    title = (m.group(2) if m.group(2) is not None else m.group(3) or "").strip()
    if len(title) > 30 or (title and cleanup.ends_sentence(title)) or "。" in title:
        return None
    try:
        return parse_number(m.group(1)), cleanup.normalize_content(title)
    except ValueError:
        return None


def _find_body_start(lines: list[_Line]) -> int | None:
    """The first chapter or article heading: the end of the front matter."""
    for i, line in enumerate(lines):
        chapter = _chapter_heading(line.text)
        if chapter and chapter[0] == 1:
            return i
        if _article_heading(line.text, boundary=True):
            return i
    return None


# --------------------------------------------------------------------------- front matter


@dataclass
class _Front:
    issuer: str | None = None
    document_number: str | None = None
    title: str | None = None
    notice: CoverNotice | None = None
    date: date | None = None
    header: str | None = None


def _is_title_like(text: str) -> bool:
    t = text.replace(" ", "")
    return bool(_TITLE_LIKE.search(t)) and not cleanup.ends_sentence(t)


_ORGANISATION_END = re.compile(r"(厅|局|委|办|室|组|府|会|部|院|中心|公司|银行)$")


def _date_line(text: str) -> tuple[str | None, date | None] | None:
    """A signature or imprint line: ``2023年8月7日``, ``发文机关 2022年9月13日印发``.

    Returns (organisation or None, date). A sentence that merely ends with a date
    (有效期至2025年12月31日) is not one.
    """
    compact = text.replace(" ", "")
    m = _DATE_LINE.match(compact)
    if not m:
        return None
    org = m.group(1)
    if org and (re.search(r"[，。；：、,;:]|至|起|自|于", org) or _DOCNUM_ANY.search(org)):
        return None
    if org and not m.group(5) and not _ORGANISATION_END.search(org):
        return None
    return org or None, _parse_date(m, 2)


def _parse_front(lines: list[_Line]) -> _Front:
    front = _Front()
    if not lines:
        return front
    texts = [ln.text for ln in lines]
    compact = [t.replace(" ", "") for t in texts]

    # 文号
    docnum_idx = None
    for i, t in enumerate(compact):
        m = _DOCNUM.match(t)
        if m:
            front.document_number = f"{m.group(1)}〔{m.group(2)}〕{m.group(3)}号"
            docnum_idx = i
            break

    # header: "XX文件", or an organisation name right above the 文号
    if compact[0].endswith("文件") and len(compact[0]) > 2:
        front.header = compact[0]
        front.issuer = compact[0][: -len("文件")]
    elif docnum_idx == 1 and not cleanup.ends_sentence(compact[0]) and not compact[0].startswith("关于"):
        front.header = front.issuer = compact[0]

    # the policy's own title: the last line(s) before the first article
    end = len(lines)
    last = compact[end - 1]
    if (
        last.startswith("（")
        and end >= 2
        and not cleanup.ends_sentence(compact[end - 2])
        and _is_title_like(compact[end - 2] + last)
    ):
        # a title broken before its bracket: 白云区云聚英才卡实施细则 / （试行）
        front.title = cleanup.normalize_content(compact[end - 2] + last)
        end -= 2
    elif _is_title_like(last):
        front.title = cleanup.normalize_content(last)
        end -= 1

    # a date line above the title
    for i in range(end - 1, -1, -1):
        found = _date_line(compact[i])
        if found:
            front.date = found[1]
            break

    # the cover notice: 关于印发《…》的通知
    n_start = next((i for i in range(end) if compact[i].startswith("关于")), None)
    if n_start is not None:
        n_end = n_start
        while n_end < end - 1 and not re.search(r"(通知|决定|批复|通告|公告)$", compact[n_end]):
            n_end += 1
        if not re.search(r"(通知|决定|批复|通告|公告)$", compact[n_end]):
            n_end = n_start
        front.notice = _parse_notice(lines, n_start, n_end, end, docnum_idx)
    return front


def _parse_notice(lines: list[_Line], n_start: int, n_end: int, end: int, docnum_idx: int | None) -> CoverNotice:
    texts = [ln.text for ln in lines]
    notice_title = cleanup.normalize_content("".join(texts[n_start : n_end + 1]))
    i = n_end + 1
    if docnum_idx is not None and i == docnum_idx:
        i += 1
    addressee = None
    if i < end and re.search(r"[：:]$", texts[i]) and len(texts[i]) <= 200:
        addressee = cleanup.normalize_content(texts[i])
        i += 1
    # the body runs to its last full stop; what follows is the signature block
    last = max((k for k in range(i, end) if cleanup.ends_sentence(texts[k])), default=i - 1)
    body_paragraphs: list[str] = []
    for k in range(i, last + 1):
        if body_paragraphs and not cleanup.ends_sentence(body_paragraphs[-1]):
            body_paragraphs[-1] = cleanup.join_lines(body_paragraphs[-1], texts[k])
        else:
            body_paragraphs.append(texts[k])
    body = cleanup.normalize_content("\n".join(body_paragraphs))
    signatory_lines, notice_date, date_text = [], None, None
    for k in range(last + 1, end):
        found = _date_line(texts[k])
        if found:
            org, notice_date = found
            date_text = texts[k].replace(" ", "")
            if org:
                signatory_lines.append(org)
                date_text = date_text[len(org) :]
        elif k != docnum_idx:
            signatory_lines.append(texts[k])
    signatory = cleanup.normalize_content(" ".join(signatory_lines)) or None
    text = "\n".join(p for p in (notice_title, addressee, body, signatory, date_text) if p)
    return CoverNotice(
        title=notice_title,
        addressee=addressee,
        body=body,
        signatory=signatory,
        date=notice_date,
        text=text,
        line_no=lines[n_start].no,
    )


def _split_trailer(body: list[_Line]) -> tuple[str | None, date | None] | None:
    """Remove the closing ``发文机关 2022年9月13日印发`` line(s); return (organisation, date)."""
    if not body or _ARTICLE_AT.match(body[-1].text):
        return None
    found = _date_line(body[-1].text)
    if not found:
        return None
    body.pop()
    org, imprint_date = found
    previous = body[-1].text.replace(" ", "") if body else ""
    if org is None and previous and _ORGANISATION_END.search(previous) and len(previous) <= 40:
        org = body.pop().text.replace(" ", "")
    return org, imprint_date


def _drop_running_headers(body: list[_Line], front: _Front) -> None:
    """Page headers repeated in the body: the title or the 文件 header line."""
    repeated = {t for t in (front.title, front.header) if t}
    if repeated:
        body[:] = [ln for ln in body if cleanup.normalize_content(ln.text) not in repeated]


# --------------------------------------------------------------------------- body


class _BodyBuilder:
    def __init__(self, *, ocr: bool, problems: list[Problem], caption_width: float):
        self.ocr = ocr
        self.caption_width = caption_width
        self.problems = problems
        self.articles: list[Article] = []
        self.chapters: list[Chapter] = []
        self.article: Article | None = None
        self.stack: list[Item] = []  # the open items, outermost first
        self.target: tuple[Article | Item, str] | None = None
        self.boundary = True  # did the previous line end a sentence?

    # -- lines

    def feed(self, line: _Line) -> None:
        text = line.text
        chapter = _chapter_heading(text) if self.boundary else None
        if chapter:
            self._start_chapter(line, *chapter)
            self.boundary = True
            return
        heading = _article_heading(text, boundary=self.boundary)
        if heading:
            self._start_article(line, heading[0])
            self._add_content(line, text[heading[1] :], labelled=True, line_length=len(text))
            return
        if self.article is None:
            self.problems.append(Problem.at(line.no, f"第一条之前的文字“{text[:20]}”不属于任何条文，已忽略"))
            self.boundary = cleanup.ends_sentence(text)
            return
        label = match_item_label(text)
        if label and label.style != "circled" and (self.boundary or self._continues_list(label, text)):
            self._start_item(line, label.style, label.number)
            self._add_content(line, text[label.end :], labelled=True, line_length=len(text))
            return
        if self.boundary and self.ocr and (m := re.match(r"^(\d{1,2})(?=[" + cleanup.CJK + "])", text)):
            # the scan lost the full stop after an item number: "8在我区…"
            number = int(m.group(1))
            if self.stack and self.stack[-1].style == "arabic" and self.stack[-1].number == number - 1:
                self.problems.append(Problem.at(line.no, f"编号“{number}”后缺少标点，按第{number}项处理"))
                self._start_item(line, "arabic", number)
                self._add_content(line, text[m.end() :], labelled=True, line_length=len(text))
                return
        if self.boundary:
            self._start_paragraph()
        self._add_content(line, text, labelled=False)

    def _continues_list(self, label: ItemLabel, text: str) -> bool:
        """A label after a line without a full stop (白云 第四条 "…可享受以下待遇" / "（一）…").

        Accepted only if it is the next number in its list (or opens a new list at
        one) and is not a reference such as （一）项, （二）类.
        """
        if text[label.end : label.end + 1] in ("项", "款", "目", "条", "类", "至", "、", ""):
            return False
        for item in reversed(self.stack):
            if item.style == label.style:
                return label.number == item.number + 1
        return label.number == 1

    def _add_content(self, line: _Line, content: str, *, labelled: bool, line_length: int = 0) -> None:
        pieces = _CIRCLED_SPLIT.split(content)
        self._append(pieces[0])
        for k in range(1, len(pieces), 2):
            self._start_item(line, "circled", circled_to_int(pieces[k]))
            self._append(pieces[k + 1])
        stripped = content.strip()
        if len(pieces) > 1 and not pieces[-1].strip():
            self.boundary = False  # "…之一：①" continues on the next line
        elif not stripped:
            self.boundary = True
        else:
            # a short labelled line without a full stop is a heading: （八）出入境服务
            caption = (
                labelled
                and len(pieces) == 1
                and len(stripped) <= _CAPTION_MAX
                and line_length <= self.caption_width
            )
            self.boundary = caption or cleanup.ends_sentence(stripped)

    def _append(self, text: str) -> None:
        if self.target is None:
            return
        node, attr = self.target
        current = getattr(node, attr)
        if current.endswith("\n"):
            setattr(node, attr, current + text.strip())
        else:
            setattr(node, attr, cleanup.join_lines(current, text.strip()) if current else text.strip())

    def _start_paragraph(self) -> None:
        assert self.article is not None
        if not self.stack:
            node: Article | Item = self.article
            attr = "tail" if self.article.items else "text"
        else:
            deepest = self.stack[-1]
            heading = deepest.text.split("\n", 1)[0]
            if not deepest.children and (not heading or not cleanup.ends_sentence(heading)):
                # an item that opened with a heading line: （八）出入境服务 / 持卡的…
                node, attr = deepest, "text"
            else:
                node = self.stack[-2] if len(self.stack) > 1 else self.article
                attr = "tail"
        if getattr(node, attr):
            setattr(node, attr, getattr(node, attr) + "\n")
        self.target = (node, attr)

    # -- structure

    def _start_chapter(self, line: _Line, number: int, title: str) -> None:
        self._close_article()
        label = f"第{int_to_cn(number)}章"
        if self.chapters:
            prev = self.chapters[-1]
            if number == prev.number:
                raise PolicyParseError(line.no, f"章编号重复：{label}出现两次")
            if number != prev.number + 1:
                raise PolicyParseError(line.no, f"章编号不连续：{prev.label}之后出现{label}")
        elif number != 1:
            raise PolicyParseError(line.no, f"章编号不连续：首章应为第一章，实为{label}")
        if self.articles and not self.chapters:
            self.problems.append(Problem.at(line.no, f"{label}之前已有条文，这些条文不属于任何一章"))
        self.chapters.append(Chapter(number=number, label=label, title=title, line_no=line.no))
        self.target = None

    def _start_article(self, line: _Line, number: int) -> None:
        self._close_article()
        label = f"第{int_to_cn(number)}条"
        if self.articles:
            prev = self.articles[-1]
            if number == prev.number:
                raise PolicyParseError(line.no, f"条文编号重复：{label}出现两次")
            if number != prev.number + 1:
                raise PolicyParseError(line.no, f"条文编号不连续：{prev.label}之后出现{label}")
        elif number != 1:
            raise PolicyParseError(line.no, f"条文编号不连续：首条应为第一条，实为{label}")
        chapter = self.chapters[-1] if self.chapters else None
        article = Article(
            number=number, label=label, line_no=line.no, chapter_number=chapter.number if chapter else None
        )
        if chapter:
            chapter.articles.append(article)
        self.articles.append(article)
        self.article = article
        self.stack = []
        self.target = (article, "text")

    def _start_item(self, line: _Line, style: str, number: int) -> None:
        article = self.article
        assert article is not None
        label = format_item_label(style, number)
        styles = [it.style for it in self.stack]
        if style in styles:
            idx = len(styles) - 1 - styles[::-1].index(style)
            prev = self.stack[idx]
            del self.stack[idx:]
            if number == prev.number:
                raise PolicyParseError(line.no, f"{article.label}中项目编号重复：{label}出现两次")
            if number != prev.number + 1:
                raise PolicyParseError(line.no, f"{article.label}中项目编号不连续：{prev.label}之后出现{label}")
        elif number != 1:
            first = format_item_label(style, 1)
            raise PolicyParseError(line.no, f"{article.label}中项目编号不连续：第一项应为{first}，实为{label}")
        parent = self.stack[-1] if self.stack else None
        item = Item(
            article_number=article.number,
            numbers=(parent.numbers if parent else ()) + (number,),
            style=style,
            label=label,
            line_no=line.no,
        )
        (parent.children if parent else article.items).append(item)
        self.stack.append(item)
        self.target = (item, "text")

    def _close_article(self) -> None:
        article = self.article
        if article is None:
            return
        if self.ocr:
            _remove_scan_duplicate(article, self.problems)
        for node in [article, *article.iter_items()]:
            node.text = cleanup.normalize_content(node.text)
            node.tail = cleanup.normalize_content(node.tail)
            children = node.items if isinstance(node, Article) else node.children
            node.caption = _caption(node.text, has_items=bool(children))
        _close_lists(article)
        for item in article.iter_items():
            if not item.text and not item.children and not item.tail:
                self.problems.append(Problem.at(item.line_no, f"{article.label}{item.label}没有内容"))
        if not article.text and not article.items:
            self.problems.append(Problem.at(article.line_no, f"{article.label}没有内容"))
        self.article = None
        self.stack = []
        self.target = None

    def finish(self) -> tuple[list[Article], list[Chapter]]:
        self._close_article()
        for chapter in self.chapters:
            if not chapter.articles:
                self.problems.append(Problem.at(chapter.line_no, f"{chapter.label}中没有条文"))
        return self.articles, self.chapters


def _close_lists(node: Article | Item) -> None:
    """Move a paragraph that follows a whole list out of its last item, to the node the list belongs to.

    While reading, an unnumbered paragraph after sub-items goes to the tail of the item that holds them: between
    two items it can belong to nothing else (楚雄 第五条（一）1.–2. / 服务事项责任单位：… / （二）). After the last
    item of a list the text alone cannot say whether the paragraph is that item's or closes the list, so the
    list's other items decide: items are drafted alike, and if an earlier item with sub-items ends with its last
    sub-item (no tail), the last item's sub-items end it too, and the paragraph after them closes the list
    (楚雄 第三条（一）1.–6. then （二）1.–4. / 楚雄州柔性引进的…, the article's closing paragraph, its 末款). If
    every earlier item with sub-items has a paragraph after them, so does the last one (楚雄 第五条（十二）);
    without an earlier item with sub-items nothing is moved. Deeper lists are settled first, so a paragraph
    can close several levels at once.
    """
    items = node.items if isinstance(node, Article) else node.children
    for item in items:
        _close_lists(item)
    if not items or not items[-1].tail or not items[-1].children:
        return
    earlier = [item for item in items[:-1] if item.children]
    if not earlier or any(item.tail for item in earlier):
        return
    last = items[-1]
    node.tail = "\n".join(part for part in (last.tail, node.tail) if part)
    last.tail = ""


def _caption(text: str, *, has_items: bool) -> str | None:
    """A short heading at the start: 注销 in "注销。有下列情形…", or a heading-only first line.

    A text that is only one short sentence is not a heading, unless items follow it
    (通化 第九条 "1.出行服务。①…②…").
    """
    if not text:
        return None
    first = text.split("\n", 1)[0]
    if not cleanup.ends_sentence(first) and len(first) <= _CAPTION_MAX:
        return first
    m = re.match(r"^([^。，；：！？\n]{1,12})。", text)
    if m and (has_items or len(text) > m.end()):
        return m.group(1)
    return None


def _remove_scan_duplicate(article: Article, problems: list[Problem]) -> None:
    """A scan may repeat the start of an article inside it (白云 第七条)."""
    text = article.text
    if len(text) < 4:
        return
    probe = article.label + text[:4]
    pos = text.find(probe, 1)
    if pos < 0:
        return
    rest = text[pos + len(article.label) :]
    length = 0
    while length < len(rest) and length < len(text) and rest[length] == text[length]:
        length += 1
    fragment = text[pos : pos + len(article.label) + length]
    article.text = text[:pos] + text[pos + len(fragment) :]
    problems.append(Problem.at(article.line_no, f"{article.label}中重复出现扫描片段“{fragment}”，已删除"))


# --------------------------------------------------------------------------- metadata


def _doc_type(articles: list[Article]) -> str | None:
    counts = Counter(m.group(1) for art in articles for m in _DOC_TYPE_RE.finditer(art.full_text))
    return counts.most_common(1)[0][0] if counts else None


def _infer_title(articles: list[Article], doc_type: str | None) -> str | None:
    """A title from the text itself: 通化市“英才卡”管理服务工作 + 本办法 → 通化市“英才卡”管理服务办法."""
    if not doc_type:
        return None
    name = rf"[{cleanup.CJK}]{{2,12}}“[^”]{{1,12}}”|[{cleanup.CJK}]{{2,16}}卡"
    subject = re.compile(rf"(?:^|[。；：\n])({name})(管理服务|管理|服务)工作")
    for art in articles:
        m = subject.search(art.full_text)
        if m:
            return f"{m.group(1)}{m.group(2)}{doc_type}"
    names = Counter(
        m.group(0)
        for art in articles
        for m in re.finditer(rf"[{cleanup.CJK}]{{2,6}}“[^”]{{1,10}}”", art.full_text)
    )
    if names:
        return f"{names.most_common(1)[0][0]}{doc_type}"
    return None


_EFFECTIVE_ON_ISSUE = re.compile(r"自(?:印发|发布|公布|下发|发文|颁布)之日起(?:正式)?(?:施行|实施|执行|生效)")
_EFFECTIVE_ON_DATE = re.compile(rf"自{_DATE}起(?:正式)?(?:施行|实施|执行|生效)")
_VALIDITY_YEARS = re.compile(r"有效期(?:为|暂定为?)?([0-9]+|[一二三四五六七八九十两]+)年")
_VALID_UNTIL = re.compile(rf"有效期至{_DATE}")


def _find_effective(
    articles: list[Article], issue_date: date | None, problems: list[Problem]
) -> tuple[date | None, str | None, int | None, date | None]:
    """(effective date, clause, validity in years, expiry date) from the final provisions."""
    for art in reversed(articles):
        for sentence in re.findall(r"[^。]*。?", art.full_text.replace("\n", "")):
            on_issue = _EFFECTIVE_ON_ISSUE.search(sentence)
            on_date = _EFFECTIVE_ON_DATE.search(sentence)
            if not (on_issue or on_date):
                continue
            clause = sentence.strip()
            if on_date:
                effective = _parse_date(on_date)
            else:
                effective = issue_date
                if issue_date is None:
                    problems.append(
                        Problem.at(art.line_no, f"{art.label}规定自印发（发布）之日起施行，但文中未注明印发日期")
                    )
            years = None
            expiry = None
            if m := _VALIDITY_YEARS.search(sentence):
                years = parse_number(m.group(1))
                expiry = _add_years(effective, years) if effective else None
            elif m := _VALID_UNTIL.search(sentence):
                expiry = _parse_date(m)
            return effective, clause, years, expiry
    return None, None, None, None


def _assign_ids(policy: ParsedPolicy) -> None:
    prefix = f"《{policy.title}》" if policy.title else ""
    units = ("项", "目")
    for chapter in policy.chapters:
        chapter.anchor = f"ch-{chapter.number}"
    for art in policy.articles:
        art.anchor = f"art-{art.number}"
        art.ref = str(art.number)
        art.citation = f"{prefix}{art.label}"
        for item in art.iter_items():
            path = item.numbers
            item.anchor = f"art-{art.number}-" + "-".join(map(str, path))
            item.ref = f"{art.number}." + ".".join(map(str, path))
            parts = [art.citation]
            node_numbers: tuple[int, ...] = ()
            for depth, number in enumerate(path):
                node_numbers += (number,)
                node = art.item(*node_numbers)
                unit = units[depth] if depth < len(units) else "子目"
                parts.append(f"第{_citation_label(node.style, number)}{unit}")
            item.citation = "".join(parts)


def _citation_label(style: str, number: int) -> str:
    if style in ("paren_cn", "cn"):
        return f"（{int_to_cn(number)}）"
    if style == "paren_arabic":
        return f"（{number}）"
    if style == "circled":
        return format_item_label(style, number)
    return str(number)


def _check_complete(
    policy: ParsedPolicy,
    body: list[_Line],
    trailer: tuple[str | None, date | None] | None,
    problems: list[Problem],
) -> None:
    last = policy.articles[-1]
    last_line = body[-1].no if body else last.line_no
    if policy.effective_clause is None:
        if trailer is None:
            problems.append(
                Problem.at(
                    last_line,
                    f"文本似乎不完整：止于{last.label}，其后没有施行日期条款或落款；已保留现有内容",
                )
            )
        else:
            problems.append(Problem.at(None, "文中未规定施行日期"))
    if body and not cleanup.ends_sentence(body[-1].text):
        problems.append(Problem.at(last_line, "文本末句不完整"))
