"""Reads of the public pages: policy units, status, visible revisions, tier tables."""

from __future__ import annotations

import datetime
import re
from functools import partial

from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from wagtail.models import PageLogEntry

from casefiles.models import ServiceItem, Tier
from casefiles.selectors_schemes import tier_service_ids

FAMILY_LABELS = {
    "self": "本人",
    "spouse": "配偶",
    "children": "子女",
    "parents": "父母",
    "parents_in_law": "配偶父母",
    "companions": "随行人员",
}


# --------------------------------------------------------------------------- policy body


def body_articles(body):
    """(chapter heading or "", article value) for every article of a policy body, in order."""
    chapter_heading = ""
    for child in body:
        if child.block_type == "chapter":
            value = child.value
            chapter_heading = f"{value['label']} {value['title']}".strip()
        elif child.block_type == "article":
            yield chapter_heading, child.value


def article_items(article):
    """The item values of an article, depth first (the stored order)."""
    return list(article["items"])


def item_plain_text(items, ref):
    """An item's own text, its sub-items and its tail, one paragraph per line (like the parser's full_text)."""
    own = next(it for it in items if it["ref"] == ref)
    lines = [own["label"] + (own["text"] or "")]
    for it in items:
        if it["ref"].startswith(ref + ".") and it["ref"].count(".") == ref.count(".") + 1:
            lines.append(item_plain_text(items, it["ref"]))
    if own["tail"]:
        lines.append(own["tail"])
    return "\n".join(lines)


def article_plain_text(article, *, with_label=False):
    items = article_items(article)
    lines = [article["text"]] if article["text"] else []
    for it in items:
        if it["ref"].count(".") == 1:
            lines.append(item_plain_text(items, it["ref"]))
    if article["tail"]:
        lines.append(article["tail"])
    text = "\n".join(lines)
    return f"{article['label']} {text}" if with_label else text


def raw_values(page, block_type):
    """The stored values of a policy body's top-level blocks of one type, from the JSON as saved: turning ~100
    blocks into StructValues costs more than the rest of the page."""
    return [child["value"] for child in page.body.raw_data if child["type"] == block_type]


def policy_counts(page):
    articles = raw_values(page, "article")
    return {
        "articles": len(articles),
        "items": sum(len(article.get("items") or []) for article in articles),
        "chapters": len(raw_values(page, "chapter")),
    }


def policy_chapters(page):
    """Label, title and anchor of each chapter, for the table of contents."""
    return raw_values(page, "chapter")


def policy_anchors(page) -> set[str]:
    """Every article and item anchor of a policy (art-16, art-16-6, art-3-2-3)."""
    anchors = set()

    def walk(values):
        for value in values:
            if value.get("anchor"):
                anchors.add(value["anchor"])
            walk(item.get("value", item) for item in value.get("items") or [] if isinstance(item, dict))

    walk(raw_values(page, "article"))
    return anchors


def policy_search_units(page):
    """One dict per article and per item: the contract of the search indexer.

    Each unit's ``text`` is its own text only (an article's lead and tail; an item's label, text and
    tail, without its sub-items), so that every sentence belongs to exactly one citable unit, as in
    ``search.documents.seed_content_documents``. An article made of items alone gets its full text.
    ``url`` is the page's URL with the unit's fragment.
    """
    base = public_path(page)
    units = []
    for chapter, article in body_articles(page.body):
        items = article_items(article)
        title = article["label"] + (f" {article['caption']}" if article["caption"] else "")
        units.append(
            {
                "key": f"policy:{page.pk}:{article['anchor']}",
                "title": f"{page.title} {title}",
                "citation": article["citation"],
                "text": "\n".join(p for p in (article["text"], article["tail"]) if p) or article_plain_text(article),
                "anchor": article["anchor"],
                "url": f"{base}#{article['anchor']}",
                "chapter": chapter,
            }
        )
        for item in items:
            label = article["label"] + item["label"]
            units.append(
                {
                    "key": f"policy:{page.pk}:{item['anchor']}",
                    "title": f"{page.title} {label}" + (f" {item['caption']}" if item["caption"] else ""),
                    "citation": item["citation"],
                    "text": "\n".join(p for p in (item["label"] + (item["text"] or ""), item["tail"]) if p),
                    "anchor": item["anchor"],
                    "url": f"{base}#{item['anchor']}",
                    "chapter": chapter,
                }
            )
    return units


def policy_status(page, today: datetime.date | None = None) -> str:
    """The status as of ``today``: a repeal is recorded by hand, an expiry follows from the dates."""
    from .models import PolicyStatus

    today = today or timezone.localdate()
    if page.status == PolicyStatus.REPEALED:
        return PolicyStatus.REPEALED
    if page.expiry_date and page.expiry_date <= today:
        return PolicyStatus.EXPIRED
    # the stored status is a snapshot taken at import; the dates decide
    return PolicyStatus.IN_FORCE


def user_can_edit(page, user) -> bool:
    return bool(user and user.is_authenticated and page.permissions_for_user(user).can_edit())


def policy_page_context(page, request):
    from .models import PolicyStatus

    status = policy_status(page)
    can_edit = user_can_edit(page, getattr(request, "user", None))
    return {
        "status": status,
        "status_label": PolicyStatus(status).label,
        # from the body, which is read only when a fragment that shows them is not kept
        "counts": SimpleLazyObject(partial(policy_counts, page)),
        "chapters": SimpleLazyObject(partial(policy_chapters, page)),
        "can_edit": can_edit,
        "problems": page.import_problems if can_edit else [],
        "print_url": page.url + page.reverse_subpage("print") if page.url else "",
        "history_url": page.url + page.reverse_subpage("history") if page.url else "",
        "section": page.get_parent(),  # the breadcrumb needs its title and URL only
        "body_cache_key": body_cache_key(page, request),
        # the title, metadata and contents above the body: the same for every reader who may not edit the page
        "head_cache_key": None if can_edit else body_cache_key(page, request, part=f"policy-head:{status}"),
    }


def body_cache_key(page, request, part="policy-body"):
    """Key of the rendered article body of a live policy (``{% fragment %}`` in the template), or None.

    Rendering ~100 StreamField blocks through their templates is most of an uncached policy page. The body holds
    only the policy's own text, so the live revision identifies it; ``fragment_key`` adds the language and the
    content version (links inside the text may point at pages that move). Previews render afresh, and so does
    everything under the test settings (HUICAI_FRAGMENT_CACHE off)."""
    from . import cache as page_cache

    if not page.live or not page.live_revision_id:
        return None
    return page_cache.fragment_key(request, part, page.pk, page.live_revision_id)


# --------------------------------------------------------------------------- revisions


def published_revision_ids(page) -> set[int]:
    """Revisions that went live: those with a publish entry in the page's log (scheduled ones included)."""
    return set(
        PageLogEntry.objects.filter(page=page, action="wagtail.publish", revision__isnull=False).values_list(
            "revision_id", flat=True
        )
    )


def policy_revisions_visible(page, user):
    """Revisions, newest first, each with ``was_published``; the public sees only the published ones."""
    published = published_revision_ids(page)
    revisions = list(page.revisions.order_by("-created_at", "-id").select_related("user"))
    for rev in revisions:
        rev.was_published = rev.pk in published
        rev.is_live = rev.pk == page.live_revision_id
    if user_can_edit(page, user):
        return revisions
    return [rev for rev in revisions if rev.was_published]


def policy_compare_url(page, revision_a, revision_b) -> str:
    return page.url + page.reverse_subpage("compare", args=(revision_a.pk, revision_b.pk))


def policy_history_context(page, user):
    revisions = policy_revisions_visible(page, user)
    chronological = list(reversed(revisions))
    pairs = [
        {"old": old, "new": new, "url": policy_compare_url(page, old, new)}
        for old, new in zip(chronological, chronological[1:], strict=False)
    ]
    pairs.reverse()
    compare_base = page.url + page.reverse_subpage("history") + "compare/"
    return {"revisions": revisions, "pairs": pairs, "compare_base": compare_base}


# --------------------------------------------------------------------------- service guides and tiers


def family_text(scope):
    return "、".join(FAMILY_LABELS.get(member, member) for member in scope)


def ref_key(ref: str) -> list[int]:
    """Sort key of an article/item path: "9.10" after "9.9"."""
    return [int(p) if p.isdigit() else 0 for p in ref.split(".")]


def ref_anchor(ref: str, anchors=None) -> str:
    """The anchor of an article/item path; with ``anchors`` (those the policy has), the nearest
    existing one: 楚雄's data splits 第五条（十二）1 into clauses "5.12.1.1"/"5.12.1.2" → art-5-12-1."""
    parts = ref.split(".")
    if anchors is not None:
        for n in range(len(parts), 0, -1):
            anchor = "art-" + "-".join(parts[:n])
            if anchor in anchors:
                return anchor
    return "art-" + "-".join(parts)


def guide_source_url(guide):
    policy = guide.source_policy
    if policy is None or not policy.live:
        return ""
    url = policy.get_url()
    return f"{url}#{guide.source_anchor}" if url and guide.source_anchor else (url or "")


def public_path(page) -> str:
    """The URL the public uses for a page: Wagtail's own, or else the path below the site's root page (the home
    page), never the tree's internal ``url_path`` (/home-huicai/chuxiong/…), which no visitor can open."""
    url = page.get_url()
    if url:
        return url
    from .models import HomePage

    home = HomePage.objects.ancestor_of(page, inclusive=True).only("url_path").first()
    if home is not None and page.url_path.startswith(home.url_path):
        return "/" + page.url_path[len(home.url_path) :]
    return ""


def guide_rows(guide, source_url=""):
    """The 办事指南 of a guide, in the order a 政务服务 portal shows it: (label, value, kind) with kind "text",
    "lines" (one entry per line), "link" (the article) or "ask" (not stated: ask the responsible unit)."""
    from django.utils.translation import gettext as _

    def lines(text):
        return [line.strip() for line in (text or "").splitlines() if line.strip()]

    for_whom = _("for: %(who)s") % {"who": guide.family_text} if guide.family_text else ""
    rows = [
        (_("Name of the service item"), guide.title, "text"),
        (_("Legal basis"), (guide.source_citation, source_url), "link"),
        (_("Who can apply"), "；".join(p for p in (guide.tiers_text, for_whom) if p), "text"),
        (_("What the service is"), guide.summary, "text"),
        (_("Conditions of acceptance"), guide.conditions, "text"),
        (_("Materials to bring"), lines(guide.materials), "lines"),
        (_("Procedure"), lines(guide.procedure), "lines"),
        (_("Time limit"), guide.time_limit_text, "text"),
        (_("Place / window"), guide.location, "text"),
        (_("Enquiry telephone"), guide.phone, "text"),
        (_("Fees"), guide.fees, "text"),
        (_("Responsible unit"), guide.responsible_units_text, "text"),
    ]
    result = []
    for label, value, kind in rows:
        empty = not (value[0] if kind == "link" else value)
        result.append({"label": label, "value": value, "kind": "ask" if empty else kind})
    return result


def guide_search_units(guide):
    parts = [
        guide.summary,
        guide.tiers_text,
        guide.family_text,
        guide.responsible_units_text,
        guide.time_limit_text,
        guide.conditions,
        guide.materials,
        guide.procedure,
        guide.location,
    ]
    return [
        {
            "key": f"guide:{guide.pk}",
            "title": guide.title,
            "citation": guide.source_citation,
            "text": "\n".join(p for p in parts if p),
            "anchor": "",
            "url": public_path(guide),
            "chapter": "",
        }
    ]


def duplicate_service_titles(scheme) -> set[str]:
    """Titles that more than one service item of a scheme shares (吉林's 吉享卡 and 吉健卡 both list 旅游服务…)."""
    from collections import Counter

    counts = Counter(ServiceItem.objects.filter(scheme=scheme).values_list("title", flat=True))
    return {title for title, n in counts.items() if n > 1}


def tier_grants(scheme) -> dict:
    """{tier: ids of the services it brings} for every tier of a scheme, best tier first."""
    tiers = list(scheme.tiers.order_by("-rank"))
    ids = tier_service_ids(tiers)
    return {tier: ids[tier.pk] for tier in tiers}


def _article_number(ref: str) -> int:
    return int(ref.split(".", 1)[0])


def article_ranges(numbers) -> list[tuple[int, int]]:
    """[6, 7, 8, 10] → [(6, 8), (10, 10)]."""
    ranges: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], n)
        else:
            ranges.append((n, n))
    return ranges


def format_article_ranges(ranges) -> str:
    from .importer import int_to_cn

    parts = []
    for first, last in ranges:
        if first == last:
            parts.append(f"第{int_to_cn(first)}条")
        else:
            parts.append(f"第{int_to_cn(first)}条至第{int_to_cn(last)}条")
    return "、".join(parts)


def tier_table(scheme, request=None):
    """Rows of services × columns of tiers, best tier first, with the articles each tier covers.

    A constant number of queries whatever the number of services and tiers; with ``request`` the site's root
    paths are read once for all the links (Wagtail keeps them on the request)."""
    from .models import PolicyPage, ServiceGuidePage

    tiers = list(Tier.objects.filter(scheme=scheme).order_by("-rank"))
    services = list(ServiceItem.objects.filter(scheme=scheme))
    services.sort(key=lambda s: ref_key(s.ref))
    granted = tier_service_ids(tiers)
    guides = {
        g.service_item_id: g
        for g in ServiceGuidePage.objects.live()
        .filter(service_item__scheme=scheme)
        .only("id", "path", "depth", "url_path", "locale_id", "service_item_id")
        .order_by("path")
    }
    policy = PolicyPage.objects.live().filter(scheme=scheme).order_by("path").first()
    policy_url = policy.get_url(request) if policy else ""
    anchors = policy_anchors(policy) if policy else None
    rows = []
    for service in services:
        guide = guides.get(service.pk)
        rows.append(
            {
                "service": service,
                "title": service.title,
                "article": service.article,
                "article_url": f"{policy_url}#{ref_anchor(service.ref, anchors)}" if policy_url else "",
                "guide_url": guide.get_url(request) if guide else "",
                "cells": [service.pk in granted[tier.pk] for tier in tiers],
            }
        )
    summaries = []
    for tier in tiers:
        ids = granted[tier.pk]
        refs = [s.ref for s in services if s.pk in ids]
        summaries.append(
            {
                "tier": tier,
                "count": len(refs),
                "articles": format_article_ranges(article_ranges(_article_number(r) for r in refs)),
            }
        )
    headers = [tier_short_name(tier) for tier in tiers]
    return {"tiers": tiers, "headers": headers, "rows": rows, "summaries": summaries, "policy": policy}


_TIER_SHORT = re.compile(r"[（(]([A-Za-z0-9]+)[)）]$")


def tier_short_name(tier) -> str:
    """A column header that fits a phone: 聊城市人才服务金卡（A） → A卡; A卡 and 吉享卡 stay."""
    m = _TIER_SHORT.search(tier.name)
    return f"{m.group(1)}卡" if m else tier.name


# What a link to a page needs (its title, its URL, its type), and all a listing reads of each page: a full row costs a
# policy's whole text (its StreamField JSON) and Wagtail's ~30 page fields per link.
LISTED_PAGE_FIELDS = ("id", "path", "depth", "url_path", "title", "content_type_id", "locale_id")


def home_sections(home):
    """The live scheme sections under the home page, each with its scheme's jurisdiction, and the url_path of the
    site's notice index as ``notice_index_path`` on each (one query)."""
    from django.db.models import Subquery

    from .models import NoticeIndexPage, SchemeSectionPage

    notice_index = NoticeIndexPage.objects.child_of(home).live().order_by("path").values("url_path")[:1]
    return list(
        SchemeSectionPage.objects.child_of(home)
        .live()
        .select_related("scheme__jurisdiction")
        .only(
            *LISTED_PAGE_FIELDS,
            "scheme__jurisdiction__name",
            "scheme__jurisdiction__short_name",
        )
        .annotate(notice_index_path=Subquery(notice_index))
        .order_by("path")
    )


def home_notice_url(home, sections) -> str:
    """The site notice index's URL below the home page (the site root it is served as), from ``home_sections``'
    annotation, or read on its own when there is no section yet."""
    path = sections[0].notice_index_path if sections else None
    if not sections:
        index = notice_index_for(home)
        path = index.url_path if index is not None else None
    if not path or not path.startswith(home.url_path):
        return ""
    return "/" + path[len(home.url_path) :]


def notice_list(index):
    """What a notice index lists, newest first: the live notice pages and exit announcements below its parent (a
    scheme section, or the home page for the whole site) and the 公示 lists of that scheme (or of every scheme).

    Each entry: title, url (for a 公示: its place on the public notice page while it is open, else empty), date, kind
    (a label), number and scheme name. The 公示 rows are read from ``casefiles.PublicNotice`` (the page cache watches
    it; a notice that closed since the page was cached keeps its link until the cache expires, and the public notice
    page, never cached, no longer lists it)."""
    from django.utils.translation import gettext as _

    from casefiles.models import PublicNotice

    from .announcements import ExitAnnouncementPage
    from .models import NoticePage, SchemeSectionPage

    scope = index.get_parent()
    section = scope.specific if scope is not None and scope.specific_class is SchemeSectionPage else None
    entries = []
    notices = NoticePage.objects.descendant_of(scope).live().public().only(*LISTED_PAGE_FIELDS, "date")
    for notice in notices:
        entries.append({"title": notice.title, "url": notice.url, "date": notice.date, "kind": _("Notice"),
                        "number": "", "scheme": ""})
    exits = (
        ExitAnnouncementPage.objects.descendant_of(scope).live().public()
        .select_related("scheme").only(*LISTED_PAGE_FIELDS, "issued_on", "document_number", "scheme__name")
    )
    for page in exits:
        entries.append({"title": page.title, "url": page.url, "date": page.issued_on, "kind": _("Exit announcement"),
                        "number": page.document_number, "scheme": page.scheme.name})
    lists = PublicNotice.objects.select_related("scheme")
    if section is not None:
        lists = lists.filter(scheme_id=section.scheme_id) if section.scheme_id else lists.none()
    from django.urls import reverse
    from django.utils import timezone

    today, public_page = timezone.localdate(), reverse("public-notice-list")
    for notice in lists.only("title", "number", "opens_on", "closes_on", "working_days", "scheme__name"):
        url = f"{public_page}#notice-{notice.pk}" if notice.opens_on <= today <= notice.closes_on else ""
        entries.append({"title": notice.title, "url": url, "date": notice.opens_on, "kind": _("Public notice (公示)"),
                        "number": notice.number, "scheme": notice.scheme.name,
                        "period": (notice.opens_on, notice.closes_on, notice.working_days)})
    entries.extend(_catalogue_additions(section))
    entries.sort(key=lambda e: (e["date"], e["title"]), reverse=True)
    return entries


def _catalogue_additions(section):
    """Approved changes of a scheme's service catalogue (or of every scheme's), linked to the live guide of the item
    they wrote where there is one. Dated by their announcement, else by their decision."""
    from django.utils.translation import gettext as _

    from programmes.models import ChangeStatus, ServiceChangeRequest

    from .models import ServiceGuidePage

    changes = ServiceChangeRequest.objects.filter(status=ChangeStatus.APPROVED).select_related("scheme")
    if section is not None:
        changes = changes.filter(scheme_id=section.scheme_id) if section.scheme_id else changes.none()
    changes = list(changes.only("title", "ref", "announced_on", "decided_at", "service_item_id", "scheme__name"))
    guides = {
        guide.service_item_id: guide.url
        for guide in ServiceGuidePage.objects.live().public()
        .filter(service_item_id__in=[c.service_item_id for c in changes if c.service_item_id])
        .only(*LISTED_PAGE_FIELDS, "service_item_id")
    }
    return [
        {"title": change.title, "url": guides.get(change.service_item_id, ""),
         "date": change.announced_on or (change.decided_at.date() if change.decided_at else None),
         "kind": _("Service catalogue addition"), "number": change.ref, "scheme": change.scheme.name}
        for change in changes
        if change.announced_on or change.decided_at
    ]


def notice_index_for(page):
    """The live notice index of a section or of the home page (for their links), or None."""
    from .models import NoticeIndexPage

    return NoticeIndexPage.objects.child_of(page).live().only(*LISTED_PAGE_FIELDS).order_by("path").first()


def section_context(section):
    """The section's live, public children by type, in three queries whatever their number: the children, the
    view restrictions (as ``PageQuerySet.public`` reads them), and the policies' own rows for their 文号."""
    from wagtail.models import PageViewRestriction

    from .models import NoticeIndexPage, PolicyPage, ServiceGuidePage, TierTablePage

    restricted = list(PageViewRestriction.objects.values_list("page__path", flat=True))
    children = [
        child
        for child in section.get_children().live().order_by("path").only(*LISTED_PAGE_FIELDS)
        if not any(child.path.startswith(path) for path in restricted)
    ]
    by_type = {PolicyPage: [], TierTablePage: [], ServiceGuidePage: []}
    other = []
    for child in children:
        by_type.get(child.specific_class, other).append(child)
    notice_index = next((child for child in other if child.specific_class is NoticeIndexPage), None)
    policy_ids = [child.pk for child in by_type[PolicyPage]]
    return {
        "policies": (
            list(PolicyPage.objects.filter(pk__in=policy_ids).order_by("path").only(*LISTED_PAGE_FIELDS, "document_number"))
            if policy_ids
            else []
        ),
        # titles and URLs only: the plain Page rows do
        "tier_tables": by_type[TierTablePage],
        "guides": by_type[ServiceGuidePage],
        # notice indexes, announcements and whatever page types come later
        "other_pages": other,
        "notice_index": notice_index,
        "has_children": bool(children),
    }
