"""Build the documents the backends store, from the database (dossiers) and from pages or policy text
(content). Backends never touch models; this module never touches a backend.

A dossier document carries no ID number and no phone number: free text is scrubbed, and identity
fields other than the name are left out. Its ``principals`` are read from the guardian direct-FK
tables (``view_dossier``) at indexing time, so the index holds exactly the grants the workflow
service wrote: ``u:<user id>`` for users, ``g:<group id>`` for department groups.
"""

import datetime
import logging
from collections import defaultdict
from pathlib import Path

from django.apps import apps
from django.utils import timezone
from django.utils.html import strip_tags

from casefiles.masking import scrub_text

from .tokens import word_text

logger = logging.getLogger(__name__)

VIEW = "view_dossier"


def user_principal(user_id):
    return f"u:{user_id}"


def group_principal(group_id):
    return f"g:{group_id}"


def principals_for(user):
    """What a user can be granted through; None for superusers (they see every dossier)."""
    if not user or not user.is_authenticated:
        return []
    if user.is_superuser:
        return None
    return [user_principal(user.pk)] + [group_principal(g) for g in user.groups.values_list("pk", flat=True)]


def dossier_principals(ids):
    """{dossier id: sorted principals holding view_dossier}, read from the guardian tables."""
    from casefiles.models import DossierGroupObjectPermission, DossierUserObjectPermission

    result = defaultdict(set)
    ids = list(ids)
    for i in range(0, len(ids), 5000):
        chunk = ids[i : i + 5000]
        for dossier_id, group_id in DossierGroupObjectPermission.objects.filter(
            content_object_id__in=chunk, permission__codename=VIEW
        ).values_list("content_object_id", "group_id"):
            result[dossier_id].add(group_principal(group_id))
        for dossier_id, user_id in DossierUserObjectPermission.objects.filter(
            content_object_id__in=chunk, permission__codename=VIEW
        ).values_list("content_object_id", "user_id"):
            result[dossier_id].add(user_principal(user_id))
    return {k: sorted(v) for k, v in result.items()}


def _iso(value):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    return value.isoformat()


def dossier_url(pk):
    return f"/applications/{pk}/"


def dossier_queryset():
    from casefiles.models import Dossier

    return Dossier.objects.select_related(
        "scheme__jurisdiction", "state", "requested_tier", "granted_tier", "employer", "authority"
    ).prefetch_related("opinions", "cards")


def current_versions(ids, *, stream=True):
    """(dossier id, document id, title, version, text status, text) of the current version of every document of
    the dossiers not withdrawn, by document: the version the dossier's search text holds. ``stream``: read in chunks
    (a rebuild's many dossiers); off for one page of hits, where PostgreSQL's server-side cursor costs two more round
    trips than the rows themselves."""
    from casefiles.models import Attachment

    seen = set()
    rows = (
        Attachment.objects.filter(dossier_id__in=list(ids), document__withdrawn_at__isnull=True)
        .order_by("document_id", "-version")
        .values_list("dossier_id", "document_id", "document__title", "version", "text_status", "text")
    )
    for row in (rows.iterator(chunk_size=500) if stream else rows):
        if row[1] in seen:
            continue  # an earlier version: the current one stands for the document
        seen.add(row[1])
        yield row


def documents_text(ids):
    """{dossier id: the text of the current version of each of its documents not withdrawn}, scrubbed of ID and
    phone numbers. Staff search only: it goes to ``search_text`` (analysed, never returned or exported)."""
    from casefiles.models import TextStatus

    result = defaultdict(list)
    for dossier_id, _document_id, title, _version, status, text in current_versions(ids):
        result[dossier_id].append(title)
        if status == TextStatus.EXTRACTED and text:
            result[dossier_id].append(text)
    return {k: scrub_text("\n".join(v)) for k, v in result.items()}


def documents_for_snippets(ids):
    """{dossier id: [(document id, title, version, text)]}: what a staff hit's snippets are cut from, read from the
    database for the dossiers of one page of hits (the index never hands the text back). The caller has the hits
    from a search filtered on the user's principals: these are dossiers the user may see."""
    from casefiles.models import TextStatus

    result = defaultdict(list)
    for dossier_id, document_id, title, version, status, text in current_versions(ids, stream=False):
        result[dossier_id].append((document_id, title, version, text if status == TextStatus.EXTRACTED else ""))
    return dict(result)


def dossier_document(dossier, principals, document_text=""):
    tier = dossier.granted_tier or dossier.requested_tier
    opinions = [
        " ".join(part for part in (o.decision, o.comment, o.minutes) if part) for o in dossier.opinions.all()
    ]
    cards = list(dossier.cards.all())
    card_numbers = [c.number for c in cards]
    opinions_text = scrub_text("\n".join(opinions))
    lines = [
        dossier.reference,
        dossier.applicant_name,
        dossier.employer.name if dossier.employer_id else "",
        dossier.authority.name if dossier.authority_id else "",
        dossier.sector,
        dossier.scheme.name,
        tier.name,
        dossier.state.name,
        " ".join(card_numbers),
        opinions_text,
        scrub_text(dossier.missing_items),
    ]
    text = "\n".join(line for line in lines if line)
    search_text = f"{text}\n{document_text}" if document_text else text
    return {
        "key": str(dossier.pk),
        "kind": "dossier",
        "title": f"{dossier.reference} · {dossier.applicant_name}",
        "citation": "",
        "url": dossier_url(dossier.pk),
        "text": text,
        "search_text": search_text,
        "reference": dossier.reference,
        "applicant_name": dossier.applicant_name,
        "employer": dossier.employer.name if dossier.employer_id else "",
        "scheme": dossier.scheme.slug,
        "scheme_name": dossier.scheme.name,
        "jurisdiction": dossier.scheme.jurisdiction.code,
        "jurisdiction_name": dossier.scheme.jurisdiction.name,
        "tier": tier.name,
        "stage": dossier.state.name,
        "state": dossier.state.code,
        "state_kind": dossier.state.kind,
        "year": dossier.year,
        "created_at": _iso(dossier.created_at),
        "submitted_at": _iso(dossier.submitted_at),
        "updated_at": _iso(dossier.updated_at),
        "due_date": _iso(dossier.due_date),
        "cards": card_numbers,
        "card_status": cards[0].status if cards else "",
        "opinions": opinions_text,
        "principals": principals,
        "public": False,
        "sort": _iso(dossier.created_at) or "",
    }


def dossier_documents(ids):
    """(documents of the dossiers that exist, keys of those that no longer do)."""
    ids = sorted({int(i) for i in ids})
    dossiers = list(dossier_queryset().filter(pk__in=ids))
    principals = dossier_principals([d.pk for d in dossiers])
    texts = documents_text([d.pk for d in dossiers])
    docs = [dossier_document(d, principals.get(d.pk, []), texts.get(d.pk, "")) for d in dossiers]
    found = {d.pk for d in dossiers}
    return docs, [str(i) for i in ids if i not in found]


def iter_all_dossier_documents(chunk=1000):
    """Every dossier, in chunks (for rebuilding): yields lists of documents."""
    from casefiles.models import Dossier

    last = 0
    while True:
        ids = list(Dossier.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:chunk])
        if not ids:
            return
        docs, _gone = dossier_documents(ids)
        yield docs
        last = ids[-1]


# --------------------------------------------------------------------------- content


def _status(effective, expiry, today=None):
    today = today or timezone.localdate()
    if effective and effective > today:
        return "pending"
    if expiry and expiry <= today:
        return "expired"
    return "in_force"


def _scheme_info(scheme):
    if scheme is None:
        return {"scheme": "", "scheme_name": "", "jurisdiction": "", "jurisdiction_name": ""}
    return {
        "scheme": scheme.slug,
        "scheme_name": scheme.name,
        "jurisdiction": scheme.jurisdiction.code,
        "jurisdiction_name": scheme.jurisdiction.name,
    }


def content_document(unit, *, kind, scheme=None, policy="", issue_date=None, effective_date=None, expiry_date=None,
                     page_id=None, public=True, published=None):
    """A document from a search unit {"key", "title", "citation", "text", "anchor", "url", "chapter"}.

    Its ``year`` is the year of issue, else of taking effect, else of publication (``published``, a guide's), so
    that the 年度 facet counts every result and no document falls out of it."""
    # Published text may still quote a mobile or ID number: it is masked before it is even indexed,
    # so a public search can neither show nor confirm one.
    text = scrub_text(unit.get("text") or "")
    title = unit.get("title") or policy or ""
    dated = issue_date or effective_date or published
    year = dated.year if dated else None
    doc = {
        "key": str(unit["key"]),
        "kind": kind,
        "title": title,
        "citation": unit.get("citation") or "",
        "url": unit.get("url") or "",
        "anchor": unit.get("anchor") or "",
        "chapter": unit.get("chapter") or "",
        "policy": policy or title,
        "text": text,
        "search_text": "\n".join(p for p in (title, unit.get("chapter") or "", text) if p),
        "status": _status(effective_date, expiry_date),
        "issue_date": _iso(issue_date),
        "effective_date": _iso(effective_date),
        "year": year,
        "page_id": str(page_id) if page_id else "",
        "public": public,
        "principals": [],
        "sort": _iso(issue_date) or "",
        **_scheme_info(scheme),
    }
    return doc


def _page_scheme(page):
    scheme = getattr(page, "scheme", None)
    if scheme is not None:
        return scheme
    section_model = _policypages_model("SchemeSectionPage")
    if section_model is not None:
        section = section_model.objects.ancestor_of(page).first()
        if section is not None:
            return section.scheme
    return None


def _policypages_model(name):
    try:
        return apps.get_model("policypages", name)
    except LookupError:
        return None


# Page types whose content is indexed as a whole page when they have no search_units().
ANNOUNCEMENT_MODELS = ("AnnouncementPage", "NoticePage", "ExitAnnouncementPage")
UNIT_MODELS = {"PolicyPage": "policy", "ServiceGuidePage": "guide"}


def _page_text(page):
    parts = []
    for field in page._meta.get_fields():
        text_like = field.concrete and not field.is_relation
        if text_like and field.get_internal_type() in ("TextField", "RichTextField", "StreamField"):
            value = getattr(page, field.name, None)
            if value:
                parts.append(strip_tags(str(value)))
    return "\n".join(parts)


def _public_path(page):
    """The page's public URL (policypages.selectors.public_path), never its internal url_path."""
    from policypages.selectors import public_path

    return public_path(page)


def _published_on(page):
    value = page.first_published_at or page.last_published_at or timezone.now()
    return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()


def page_documents(page):
    """The documents of one live, public page (empty for pages that are not searchable)."""
    page = page.specific
    model_name = type(page).__name__
    scheme = _page_scheme(page)
    dates = {
        "issue_date": (
            getattr(page, "issue_date", None) or getattr(page, "issued_on", None) or getattr(page, "date", None)
        ),
        "effective_date": getattr(page, "effective_date", None),
        "expiry_date": getattr(page, "expiry_date", None),
        "published": _published_on(page),
    }
    if hasattr(page, "search_units"):
        kind = UNIT_MODELS.get(model_name, "policy")
        docs = []
        for unit in page.search_units() or []:
            unit = dict(unit)
            if not unit.get("url"):
                unit["url"] = _public_path(page)
            if unit.get("anchor") and "#" not in unit["url"]:
                unit["url"] = f"{unit['url']}#{unit['anchor']}"
            docs.append(content_document(unit, kind=kind, scheme=scheme, policy=page.title, page_id=page.pk, **dates))
        return _with_page_jurisdiction(docs, page)
    if model_name in ANNOUNCEMENT_MODELS:
        unit = {"key": f"page-{page.pk}", "title": page.title, "text": _page_text(page), "url": _public_path(page)}
        return [content_document(unit, kind="announcement", scheme=scheme, policy=page.title, page_id=page.pk, **dates)]
    return []


def _with_page_jurisdiction(docs, page):
    """A policy page without a scheme may still name its jurisdiction: facet on that."""
    jurisdiction = getattr(page, "jurisdiction", None)
    if jurisdiction is not None:
        for doc in docs:
            if not doc["jurisdiction"]:
                doc["jurisdiction"], doc["jurisdiction_name"] = jurisdiction.code, jurisdiction.name
    return docs


def page_content_documents():
    """Documents of every live, public searchable page; [] when the policy pages do not exist yet."""
    docs = []
    for name in (*UNIT_MODELS, *ANNOUNCEMENT_MODELS):
        model = _policypages_model(name)
        if model is None:
            continue
        for page in model.objects.live().public().specific():
            try:
                docs += page_documents(page)
            except Exception:  # one broken page must not stop the others from being indexed
                logger.exception("search: could not build documents for page %s", page.pk)
    return docs


SEED_DIR = Path("/work/shared/seeds")


def seed_content_documents(paths=None):
    """Documents built straight from policy text files (seeds/<scheme slug>-*.txt), one per article and
    per item: each unit holds its own text (an article's intro and tail, an item's label, text and tail),
    so every sentence belongs to exactly one citable unit."""
    from casefiles.models import Scheme
    from policypages.importer.parser import parse_policy

    paths = sorted(paths or SEED_DIR.glob("*.txt"))
    docs = []
    for path in paths:
        path = Path(path)
        slug = path.stem.split("-")[0]
        scheme = Scheme.objects.select_related("jurisdiction").filter(slug=slug).first()
        try:
            policy = parse_policy(path.read_text(encoding="utf-8"))
        except ValueError:  # a text the importer cannot read must not keep the others out of the index
            logger.exception("search: could not parse %s", path)
            continue
        title = policy.title or path.stem
        chapters = {c.number: f"{c.label} {c.title}" for c in policy.chapters}
        common = {
            "kind": "policy",
            "scheme": scheme,
            "policy": title,
            "issue_date": policy.issue_date,
            "effective_date": policy.effective_date,
            "expiry_date": policy.expiry_date,
        }
        base_url = f"/{slug}/policy/"

        def unit(node, text, article):
            return {
                "key": f"seed-{slug}-{node.anchor}",
                "title": title,
                "citation": node.citation,
                "text": text,
                "anchor": node.anchor,
                "url": f"{base_url}#{node.anchor}",
                "chapter": chapters.get(article.chapter_number, ""),
            }

        for article in policy.articles:
            own = "\n".join(p for p in (article.text, article.tail) if p)
            if own or not article.items:
                docs.append(content_document(unit(article, own, article), **common))
            for item in article.iter_items():
                item_text = "\n".join(p for p in (item.label + item.text, item.tail) if p)
                docs.append(content_document(unit(item, item_text, article), **common))
    return docs


def add_words(docs):
    """Segment the search text with jieba once, before a document reaches either backend.

    Only content gets words: policy prose is where a query's words may appear apart. Dossiers hold
    names, numbers and short opinions, found exactly by the character phrase; segmenting them would
    cost most of the indexing time (jieba runs at about 2,000 short documents a second)."""
    for doc in docs:
        if "words" not in doc:
            doc["words"] = "" if doc.get("kind") == "dossier" else word_text(doc.get("search_text") or "")
    return docs


