"""StreamField blocks of a policy body: chapters (章) and articles (条) with their items (项/目).

The body is a flat stream of ``chapter`` headings and ``article`` blocks rather than chapters
containing articles: a policy without chapters (吉林, 楚雄, 白云) then needs no dummy chapter, an editor can
move a chapter heading without re-nesting articles, and revision comparison keys articles by number
whatever chapter they sit in. Items are a flat list inside their article, in reading order; the
nesting (项 → 目 → 子目) is carried by ``ref`` ("9.1.2") and rebuilt for display by
:meth:`ArticleBlock.get_context`. A recursive block definition is not possible in a StreamField,
and the parser's depth is open-ended, so a flat list with paths is the faithful representation.

``anchor`` and ``citation`` come from the importer (``policypages.importer``); they are stored, not
computed at render time, so that a citation stays exactly as published in each revision. The paragraphs (款) of
an article are the exception: they are read from the stored text (``policypages.paragraphs``), which is what a
revision keeps, and each is rendered with its anchor (art-3-k2).
"""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks

from .paragraphs import article_paragraphs


class ChapterBlock(blocks.StructBlock):
    number = blocks.IntegerBlock(label=_("number"), min_value=1)
    label = blocks.CharBlock(label=_("label"), max_length=20, help_text=_("e.g. 第二章"))
    title = blocks.CharBlock(label=_("title"), max_length=100, required=False)
    anchor = blocks.CharBlock(label=_("anchor"), max_length=40, required=False, help_text=_("e.g. ch-2"))

    class Meta:
        icon = "title"
        template = "blocks/chapter_block.html"
        label = _("Chapter")
        description = _("A chapter heading (章); the articles that follow belong to it.")


class ItemBlock(blocks.StructBlock):
    ref = blocks.CharBlock(
        label=_("number path"), max_length=40, help_text=_("Article and item numbers, e.g. 16.6 or 9.1.2")
    )
    label = blocks.CharBlock(label=_("label"), max_length=20, help_text=_("As printed: （六）, 3., ②"))
    text = blocks.TextBlock(label=_("text"), required=False)
    tail = blocks.TextBlock(label=_("text after the sub-items"), required=False)
    caption = blocks.CharBlock(label=_("caption"), max_length=40, required=False)
    anchor = blocks.CharBlock(label=_("anchor"), max_length=40, required=False, help_text=_("e.g. art-16-6"))
    citation = blocks.CharBlock(label=_("citation"), max_length=200, required=False)

    class Meta:
        icon = "list-ol"
        template = "blocks/item_block.html"
        label = _("Item")
        description = _("An item (项) or sub-item (目) of an article.")


class ArticleBlock(blocks.StructBlock):
    number = blocks.IntegerBlock(label=_("number"), min_value=1)
    label = blocks.CharBlock(label=_("label"), max_length=20, help_text=_("e.g. 第十六条"))
    chapter = blocks.IntegerBlock(label=_("chapter number"), required=False)
    caption = blocks.CharBlock(label=_("caption"), max_length=40, required=False)
    text = blocks.TextBlock(label=_("text"), required=False, help_text=_("Text before the first item."))
    items = blocks.ListBlock(ItemBlock(), label=_("items"), default=[])
    tail = blocks.TextBlock(label=_("text after the items"), required=False)
    anchor = blocks.CharBlock(label=_("anchor"), max_length=40, required=False, help_text=_("e.g. art-16"))
    citation = blocks.CharBlock(label=_("citation"), max_length=200, required=False)

    class Meta:
        icon = "doc-full"
        template = "blocks/article_block.html"
        label = _("Article")
        description = _("An article (条) with its items.")

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context["item_tree"] = item_tree(value["items"])
        paragraphs = article_paragraphs(value)
        context["lead"] = paragraphs[0]
        context["text_paragraphs"] = [p for p in paragraphs[1:] if p["part"] == "text"]
        context["tail_paragraphs"] = [p for p in paragraphs[1:] if p["part"] == "tail"]
        return context


def item_tree(items):
    """Nest a flat, ordered list of item values by their ``ref`` paths: [{"value", "children"}]."""
    roots, by_ref = [], {}
    for value in items:
        ref = value["ref"]
        node = {"value": value, "children": []}
        by_ref[ref] = node
        parent_ref = ref.rsplit(".", 1)[0]
        parent = by_ref.get(parent_ref) if parent_ref.count(".") >= 1 else None
        (parent["children"] if parent else roots).append(node)
    return roots


class PolicyBodyBlock(blocks.StreamBlock):
    chapter = ChapterBlock()
    article = ArticleBlock()

    class Meta:
        label = _("Policy body")
