"""Reads behind the public policy and notice endpoints: published content only.

A policy is read from its live page row (the row holds the published content; a draft lives only in revisions) or,
for an older version, from a revision that went live (``published_revision_ids``); a revision that was never
published is as absent as an unknown id.
"""

from __future__ import annotations

import re

from casefiles.models import Scheme

from ..importer.numerals import MAX_CN, int_to_cn, parse_number
from ..models import PolicyPage
from ..paragraphs import article_paragraphs
from ..selectors import policy_status, public_path, published_revision_ids, raw_values

_NUMBER = "[0-9０-９零〇一二两三四五六七八九十百千]+"
# 第三条, 第三条第二款, 第三条末款, 第三条第二款第（三）项, 第3条第（三）项第1目: article, paragraph, last, rest
UNIT_CITATION = re.compile(rf"^第({_NUMBER})条(?:第({_NUMBER})款|(末款))?((?:第[^第]+(?:项|目))*)$")
LAST = "last"
NUMERIC_ID = re.compile(r"^[0-9]+(\.[0-9]+)*$")


def published_policies(scheme_slug=None):
    """Live, public policy pages with a scheme, in a stable order (scheme slug, then tree order)."""
    pages = PolicyPage.objects.live().public().filter(scheme__isnull=False).select_related("scheme", "jurisdiction")
    if scheme_slug is not None:
        pages = pages.filter(scheme__slug=scheme_slug)
    return pages.order_by("scheme__slug", "path")


def scheme_policy(scheme_slug):
    """The scheme's published policy (the first in tree order, as the tier tables link it), or None."""
    if not Scheme.objects.filter(slug=scheme_slug).exists():
        return None
    return published_policies(scheme_slug).first()


def _publish_times(page):
    from wagtail.models import PageLogEntry

    entries = PageLogEntry.objects.filter(page=page, action="wagtail.publish", revision__isnull=False)
    times = {}
    for revision_id, timestamp in entries.order_by("timestamp", "pk").values_list("revision_id", "timestamp"):
        times.setdefault(revision_id, timestamp)
    return times


def policy_revisions(page):
    """The revisions of ``page`` that went live, newest first: [{id, published_at, is_live}]."""
    times = _publish_times(page)
    ids = published_revision_ids(page)
    revisions = page.revisions.filter(pk__in=ids).order_by("-created_at", "-pk").only("pk", "created_at")
    return [
        {"id": rev.pk, "published_at": times.get(rev.pk) or rev.created_at, "is_live": rev.pk == page.live_revision_id}
        for rev in revisions
    ]


def policy_at_revision(page, revision_id):
    """The page as it was published in ``revision_id`` (a revision of this page that went live), or None."""
    if revision_id not in published_revision_ids(page):
        return None
    revision = page.revisions.filter(pk=revision_id).first()
    return revision.as_object() if revision is not None else None


def policy_summary(page, revision=None):
    scheme = page.scheme
    return {
        "id": page.pk,
        "scheme": scheme.slug if scheme else "",
        "scheme_name": scheme.name if scheme else "",
        "title": page.title,
        "document_type": page.document_type,
        "document_number": page.document_number,
        "issuer": page.issuer,
        "is_trial": page.is_trial,
        "issue_date": page.issue_date,
        "effective_date": page.effective_date,
        "expiry_date": page.expiry_date,
        "status": policy_status(page),
        "url": public_path(page),
        "revision": revision if revision is not None else _live_revision(page),
    }


def _live_revision(page):
    return {"id": page.live_revision_id, "published_at": page.last_published_at, "is_live": True}


def revision_info(page, revision_id):
    for revision in policy_revisions(page):
        if revision["id"] == revision_id:
            return revision
    return None


def _item_data(item, base):
    return {
        "kind": "item",
        "id": item.get("ref") or "",
        "label": item.get("label") or "",
        "caption": item.get("caption") or "",
        "text": item.get("text") or "",
        "tail": item.get("tail") or "",
        "citation": item.get("citation") or "",
        "anchor": item.get("anchor") or "",
        "url": f"{base}#{item['anchor']}" if item.get("anchor") else base,
        "parent": (item.get("ref") or "").rsplit(".", 1)[0],
    }


def _item_values(article):
    return [entry.get("value", entry) for entry in article.get("items") or [] if isinstance(entry, dict)]


def _paragraph_data(paragraph, article):
    return {
        "kind": "paragraph",
        "id": paragraph["id"],
        "number": paragraph["number"],
        "label": paragraph["label"],
        "caption": "",
        "text": paragraph["text"],
        "tail": "",
        "citation": paragraph["citation"],
        "anchor": paragraph["anchor"],
        "url": paragraph["url"],
        "parent": str(article.get("number") or ""),
        "item_ids": list(paragraph["items"]),
    }


def _article_data(article, base, chapter):
    return {
        "kind": "article",
        "id": str(article.get("number") or ""),
        "number": article.get("number"),
        "label": article.get("label") or "",
        "chapter": chapter,
        "caption": article.get("caption") or "",
        "text": article.get("text") or "",
        "tail": article.get("tail") or "",
        "citation": article.get("citation") or "",
        "anchor": article.get("anchor") or "",
        "url": f"{base}#{article['anchor']}" if article.get("anchor") else base,
        "paragraphs": [_paragraph_data(p, article) for p in article_paragraphs(article, base)],
        "items": [_item_data(item, base) for item in _item_values(article)],
    }


def policy_structure(page, base=None):
    """Chapters and articles (with their paragraphs (款) and their items, flat in document order: an item's
    ``parent`` names the enclosing unit, a paragraph's ``item_ids`` the top-level items it
    introduces)."""
    base = public_path(page) if base is None else base
    chapters, articles, chapter = [], [], None
    for child in page.body.raw_data:
        value = child["value"]
        if child["type"] == "chapter":
            chapter = value.get("number")
            chapters.append(
                {
                    "number": chapter,
                    "label": value.get("label") or "",
                    "title": value.get("title") or "",
                    "anchor": value.get("anchor") or "",
                    "url": f"{base}#{value['anchor']}" if value.get("anchor") else base,
                }
            )
        elif child["type"] == "article":
            articles.append(_article_data(value, base, chapter))
    return {"chapters": chapters, "articles": articles}


def _normalise(citation: str) -> str:
    text = "".join((citation or "").split())
    text = re.sub(r"^《[^》]*》", "", text)
    return text.replace("(", "（").replace(")", "）")


def _parse_citation(wanted):
    """(article number, paragraph number or LAST or None, the rest with the article written 第X条) of a citation
    that starts with an article, or None. The article and paragraph numbers may be Chinese or Arabic."""
    match = UNIT_CITATION.match(wanted)
    if not match:
        return None
    try:
        article = parse_number(match.group(1))
        paragraph = parse_number(match.group(2)) if match.group(2) else (LAST if match.group(3) else None)
    except ValueError:
        return None
    if not 0 < article <= MAX_CN or (isinstance(paragraph, int) and not 0 < paragraph <= MAX_CN):
        return None
    rest = match.group(4)
    return article, paragraph, (f"第{int_to_cn(article)}条{rest}" if rest else "")


def _top_ref(item):
    return ".".join(item["id"].split(".")[:2])


def _with_items(paragraph, article):
    """A paragraph as a unit of its own: with its items (项 and their 目, in document order)."""
    return {**paragraph, "items": [item for item in article["items"] if _top_ref(item) in paragraph["item_ids"]]}


def _brief(article):
    return {key: article[key] for key in ("id", "label", "caption", "citation", "anchor", "url")}


def find_unit(page, citation):
    """The article, paragraph (款) or item of ``page`` that ``citation`` names, with the enclosing article's brief
    (None for an article), or None.

    ``citation`` is a numeric id ("31", "5.2.3", "3.k2" for 第三条第二款), a citation as the policy prints it
    (第三十一条, 第三条第二款, 第五条第（二）项第3目, with or without the policy's title in 《》), the same with the
    article and paragraph in Arabic numerals (第31条, 第3条第2款, 第3条第（二）项), 第N条末款 (the article's last
    paragraph) or an anchor (art-5-2-3, art-3-k2).

    A citation through a paragraph to an item (第五条第二款第（三）项) names the item: in law a 项 belongs to a 款, but
    the policy body hangs items on the article (``policypages.paragraphs`` says which 款 introduces them), so the
    answer is the item itself, and only if that paragraph is the one that introduces it."""
    wanted = _normalise(citation)
    if not wanted:
        return None
    parsed = _parse_citation(wanted)
    paragraph_number, item_citation = None, ""
    if parsed is not None:
        article_number, paragraph_number, item_citation = parsed
        if paragraph_number is None and not item_citation:
            wanted = str(article_number)
        else:
            wanted = str(article_number) if not item_citation else item_citation
    base = public_path(page)
    chapter = None
    for child in page.body.raw_data:
        value = child["value"]
        if child["type"] == "chapter":
            chapter = value.get("number")
            continue
        if child["type"] != "article":
            continue
        article = _article_data(value, base, chapter)
        if parsed is not None and paragraph_number is not None:
            if article["id"] != str(article_number):
                continue
            paragraphs = article["paragraphs"]
            index = len(paragraphs) - 1 if paragraph_number is LAST else paragraph_number - 1
            if not 0 <= index < len(paragraphs):
                return None
            paragraph = paragraphs[index]
            if not item_citation:
                return _with_items(paragraph, article), _brief(article)
            for item in article["items"]:
                if _normalise(item["citation"]) == item_citation:
                    return (item, _brief(article)) if _top_ref(item) in paragraph["item_ids"] else None
            return None
        if wanted in (article["id"], _normalise(article["citation"]), article["anchor"]):
            return article, None
        for paragraph in article["paragraphs"]:
            if wanted in (paragraph["id"], paragraph["anchor"]):
                return _with_items(paragraph, article), _brief(article)
        for item in article["items"]:
            if wanted in (item["id"], _normalise(item["citation"]), item["anchor"]):
                return item, _brief(article)
    return None


def is_numeric_id(text):
    return bool(NUMERIC_ID.match(text or ""))


def article_anchors(page):
    return {value.get("anchor") for value in raw_values(page, "article")}


# --------------------------------------------------------------------------- notices and announcements


def _today():
    from django.utils import timezone

    return timezone.localdate()


def public_notices_open(scheme_slug=None, today=None):
    """The 公示 lists during their period (opens_on ≤ today ≤ closes_on), newest first."""
    from casefiles.models import PublicNotice

    today = today or _today()
    notices = PublicNotice.objects.filter(opens_on__lte=today, closes_on__gte=today).select_related("scheme")
    if scheme_slug is not None:
        notices = notices.filter(scheme__slug=scheme_slug)
    return notices.order_by("-opens_on", "-pk")


def public_notice_data(notice):
    """A 公示 list with its candidates: names masked (casefiles.masking), employer and tier; no other data."""
    from casefiles.masking import mask_name

    dossiers = notice.dossiers.select_related("employer", "granted_tier", "requested_tier").order_by("pk")
    return {
        "id": notice.pk,
        "scheme": notice.scheme.slug,
        "scheme_name": notice.scheme.name,
        "number": notice.number,
        "title": notice.title,
        "opens_on": notice.opens_on,
        "closes_on": notice.closes_on,
        "working_days": notice.working_days,
        "how_to_object": notice.how_to_object,
        "rows": [
            {
                "name": mask_name(d.applicant_name),
                "employer": d.employer.name if d.employer else "",
                "tier": (d.granted_tier or d.requested_tier).name if (d.granted_tier or d.requested_tier) else "",
            }
            for d in dossiers
        ],
    }


def exit_announcements(scheme_slug=None):
    from ..announcements import ExitAnnouncementPage

    pages = ExitAnnouncementPage.objects.live().public().select_related("scheme")
    if scheme_slug is not None:
        pages = pages.filter(scheme__slug=scheme_slug)
    return pages.order_by("-issued_on", "-pk")


def exit_announcement_data(page):
    """A live exit announcement with its rows (compiled with the names masked) and the URL of its PDF."""
    from casefiles.masking import mask_name

    url = public_path(page)
    return {
        "id": page.pk,
        "scheme": page.scheme.slug,
        "scheme_name": page.scheme.name,
        "year": page.year,
        "title": page.title,
        "issuing_body": page.issuing_body,
        "document_number": page.document_number,
        "issued_on": page.issued_on,
        "intro": page.intro,
        "url": url,
        "pdf_url": (url + page.reverse_subpage("pdf")) if url else "",
        # the rows were masked when compiled; masking again keeps a row typed in by hand from leaking a name
        "rows": [{**row, "name": mask_name(row.get("name") or "")} for row in page.rows or []],
    }


def notice_pages(scheme_slug=None):
    from ..models import NoticePage, SchemeSectionPage

    pages = NoticePage.objects.live().public()
    if scheme_slug is not None:
        sections = SchemeSectionPage.objects.filter(scheme__slug=scheme_slug)
        if not sections.exists():
            return NoticePage.objects.none()
        from django.db.models import Q

        within = Q()
        for section in sections:
            within |= Q(path__startswith=section.path)
        pages = pages.filter(within)
    return pages.order_by("-date", "-pk")


def notice_entries(scheme_slug=None, today=None):
    """Everything the notice indexes list, for the API: notices, exit announcements and the 公示 lists in their
    period, newest first (then by kind and id: a stable order)."""
    from wagtail.rich_text import expand_db_html

    entries = []
    for page in notice_pages(scheme_slug):
        entries.append(
            {
                "kind": "notice",
                "id": page.pk,
                "title": page.title,
                "date": page.date,
                "scheme": "",
                "number": "",
                "url": public_path(page),
                "body": expand_db_html(page.body or ""),
            }
        )
    for page in exit_announcements(scheme_slug):
        data = exit_announcement_data(page)
        entries.append(
            {
                "kind": "exit_announcement",
                "id": page.pk,
                "title": page.title,
                "date": page.issued_on,
                "scheme": page.scheme.slug,
                "number": page.document_number,
                "url": data["url"],
                "body": "",
            }
        )
    for notice in public_notices_open(scheme_slug, today):
        entries.append(
            {
                "kind": "public_notice",
                "id": notice.pk,
                "title": notice.title,
                "date": notice.opens_on,
                "scheme": notice.scheme.slug,
                "number": notice.number,
                "url": "",
                "body": "",
            }
        )
    entries.sort(key=lambda e: (e["kind"], e["id"]))
    entries.sort(key=lambda e: e["date"], reverse=True)
    return entries


def catalogue_additions(scheme_slug=None):
    """Approved catalogue changes (聊城 第三十九条), newest announcement first."""
    from programmes.selectors import catalogue_changes_public

    schemes = Scheme.objects.order_by("slug")
    if scheme_slug is not None:
        schemes = schemes.filter(slug=scheme_slug)
    changes = [change for scheme in schemes for change in catalogue_changes_public(scheme).select_related("scheme")]
    changes.sort(key=lambda c: (c.announced_on or c.created_at.date(), c.pk), reverse=True)
    return [
        {
            "id": change.pk,
            "scheme": change.scheme.slug,
            "ref": change.ref,
            "article": change.article,
            "title": change.title,
            "text": change.text,
            "category": change.category,
            "tiers": [tier.name for tier in change.tiers.all()],
            "responsible_units": [unit.name for unit in change.responsible_units.all()],
            "announced_on": change.announced_on,
        }
        for change in changes
    ]
