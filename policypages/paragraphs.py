"""The paragraphs (款) of an article, read from its stored block value.

An article block stores its text before the items (``text``), its items (项/目, flat, with ``ref`` paths) and its
text after the items (``tail``); the importer keeps the seed's paragraph breaks in ``text`` and ``tail`` as newlines.
A 款 is one of those paragraphs, with two joins that follow how the texts are drafted:

* a heading line printed alone above the first paragraph (楚雄 第四条 “兴楚惠才卡”申报程序, stored as the
  article's ``caption``) is part of the first 款, not a 款 of its own;
* a paragraph that ends with a colon introduces what follows it: the next paragraph is its enumeration and
  belongs to the same 款 (白云 第三条: 申领人所在单位应符合以下条件之一： / 在本区注册……科研机构。 is 第一款).

The items hang on the 款 that introduces them, the last paragraph of ``text`` (an article made of items alone has
one 款 with no text of its own, whose items they are); every paragraph of ``tail`` is a 款 after them. An article
with one paragraph has 第一款 only.

An unnumbered paragraph printed after a list of sub-items is the enclosing item's ``tail`` when the items of
that list are drafted with one (楚雄 第五条（一）… 服务事项责任单位：…) and the article's ``tail`` when they end with
their last sub-item (楚雄 第三条 楚雄州柔性引进的…, which the scheme file cites as 第三条末款): the parser decides
(``importer.parser._close_lists``), so here the first is part of its item and the second is a 款 of its own,
the article's last (楚雄 第三条 has two: 第一款 with items （一）（二）, 第二款 the closing paragraph).

Ids follow the item ids and anchors: 第三条第二款 is ``3.k2``, anchored ``art-3-k2`` on the policy page (an item's
anchor is digits only, art-3-2, so the two never collide), cited 《title》第三条第二款. They are computed, not
stored: the split depends on the stored text only, so every revision, old or new, has the same 款 it was
published with.
"""

from __future__ import annotations

from .importer.numerals import int_to_cn

COLONS = ("：", ":")


def _lines(text):
    return [line for line in (text or "").split("\n") if line.strip()]


def _groups(lines, *, caption=""):
    groups = []
    for index, line in enumerate(lines):
        previous = lines[index - 1] if index else ""
        joins = index and (previous.rstrip().endswith(COLONS) or (index == 1 and caption and previous == caption))
        if joins and groups:
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


def _top_refs(article):
    refs = []
    for entry in article.get("items") or []:
        value = entry.get("value", entry) if isinstance(entry, dict) else entry
        ref = (value.get("ref") or "") if hasattr(value, "get") else ""
        if ref.count(".") == 1:
            refs.append(ref)
    return refs


def article_paragraphs(article, base=""):
    """The 款 of an article value (a block value or its raw dict), in order.

    Each: ``number`` (1…), ``id`` (3.k2), ``label`` (第二款), ``citation`` (the article's citation + 第二款),
    ``anchor`` (art-3-k2), ``url`` (``base`` + #anchor), ``text`` (its paragraphs, one per line), ``items`` (the
    refs of the top-level items it introduces), ``part`` (``text`` or ``tail``: where the paragraph is stored)
    and ``lines`` (the stored lines it is made of)."""
    number = article.get("number")
    caption = article.get("caption") or ""
    groups = [("text", group) for group in _groups(_lines(article.get("text")), caption=caption)]
    refs = _top_refs(article)
    if refs and not groups:
        groups.append(("text", []))
    tail = [("tail", group) for group in _groups(_lines(article.get("tail")))]
    if not groups and not tail:
        groups.append(("text", []))
    groups += tail
    last_text = max((k for k, (part, _g) in enumerate(groups) if part == "text"), default=None)
    citation = article.get("citation") or ""
    paragraphs = []
    for k, (part, lines) in enumerate(groups, start=1):
        anchor = f"art-{number}-k{k}"
        paragraphs.append(
            {
                "kind": "paragraph",
                "number": k,
                "id": f"{number}.k{k}",
                "label": f"第{int_to_cn(k)}款",
                "citation": f"{citation}第{int_to_cn(k)}款" if citation else "",
                "anchor": anchor,
                "url": f"{base}#{anchor}",
                "text": "\n".join(lines),
                "items": refs if k - 1 == last_text else [],
                "part": part,
                "lines": lines,
            }
        )
    return paragraphs


def paragraph_anchors(articles) -> list[str]:
    """Every 款 anchor of a sequence of article values, in document order."""
    return [p["anchor"] for article in articles for p in article_paragraphs(article)]
