"""Mutations of the public pages: import a policy, publish it, generate guides and tier tables,
set up the review workflow, and compare two revisions of a policy.

The parser (``policypages.importer``) is pure Python; everything that touches pages is here.
"""

from __future__ import annotations

import datetime
import difflib
import re
from dataclasses import dataclass, field

from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from wagtail.models import (
    GroupApprovalTask,
    GroupPagePermission,
    Revision,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from casefiles.models import DepartmentKind, ServiceItem, TimeLimitUnit

from . import selectors
from .importer import ParsedPolicy, int_to_cn, parse_policy
from .models import (
    DocumentType,
    PolicyPage,
    PolicyStatus,
    SchemeSectionPage,
    ServiceGuidePage,
    TierTablePage,
)
from .workflows import FourEyesApprovalTask, four_eyes_task_from

POLICY_WORKFLOW_NAME = "政策审核"
# Who approves a scheme's pages, in order of preference (see the scheme's departments). 吉林 has
# neither a talent office nor an organisation department among its departments, and its "leading
# group" is the provincial Party committee and government; its policy is the HR department's own
# (吉人社规), so the HR department approves there.
APPROVER_KINDS = (
    DepartmentKind.TALENT_OFFICE,
    DepartmentKind.ORG_DEPT,
    DepartmentKind.HR_BUREAU,
    DepartmentKind.LEADING_GROUP,
)
# Who drafts them: the HR bureau (or supervising HR department) runs most schemes day to day.
EDITOR_KINDS = (DepartmentKind.HR_BUREAU, DepartmentKind.SUPERVISING_HR)


# --------------------------------------------------------------------------- parsed text → page fields


def policy_stream_from_parsed(parsed: ParsedPolicy) -> list[dict]:
    """The raw StreamField data of a policy body: chapter headings and articles, items flattened."""
    chapters = {ch.number: ch for ch in parsed.chapters}
    stream: list[dict] = []
    current_chapter = None
    for art in parsed.articles:
        if art.chapter_number is not None and art.chapter_number != current_chapter:
            ch = chapters[art.chapter_number]
            stream.append(
                {
                    "type": "chapter",
                    "value": {"number": ch.number, "label": ch.label, "title": ch.title, "anchor": ch.anchor},
                }
            )
            current_chapter = art.chapter_number
        stream.append(
            {
                "type": "article",
                "value": {
                    "number": art.number,
                    "label": art.label,
                    "chapter": art.chapter_number,
                    "caption": art.caption or "",
                    "text": art.text,
                    "items": [
                        {
                            "ref": item.ref,
                            "label": item.label,
                            "text": item.text,
                            "tail": item.tail,
                            "caption": item.caption or "",
                            "anchor": item.anchor,
                            "citation": item.citation,
                        }
                        for item in art.iter_items()
                    ],
                    "tail": art.tail,
                    "anchor": art.anchor,
                    "citation": art.citation,
                },
            }
        )
    return stream


def document_type_for(title: str | None) -> str:
    title = re.sub(r"（[^）]*）$", "", title or "")
    for suffix, kind in (("办法", DocumentType.MEASURES), ("细则", DocumentType.DETAILED_RULES), ("规定", DocumentType.PROVISIONS)):
        if title.endswith(suffix):
            return kind
    return DocumentType.OTHER


def search_description_for(parsed: ParsedPolicy) -> str:
    """One sentence for search engines and the sitemap: who issued what, how many articles."""
    parts = []
    if parsed.issuer:
        parts.append(parsed.issuer)
    if parsed.document_number:
        parts.append(f"（{parsed.document_number}）")
    if parsed.issue_date:
        parts.append(f"{parsed.issue_date.year}年{parsed.issue_date.month}月{parsed.issue_date.day}日")
    lead = "".join(parts)
    count = f"共{int_to_cn(len(parsed.articles))}条"
    if parsed.chapters:
        count = f"共{int_to_cn(len(parsed.chapters))}章{int_to_cn(len(parsed.articles))}条"
    title = f"《{parsed.title}》" if parsed.title else ""
    sentence = f"{title}全文，{count}，可逐条引用。"
    return f"{lead}印发的{sentence}" if lead else sentence


def policy_fields_from_parsed(parsed: ParsedPolicy, *, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    expired = parsed.expiry_date is not None and parsed.expiry_date <= today
    return {
        "title": parsed.title or "",
        "document_type": document_type_for(parsed.title),
        "is_trial": parsed.is_trial,
        "issuer": parsed.issuer or "",
        "document_number": parsed.document_number or "",
        "issue_date": parsed.issue_date,
        "effective_date": parsed.effective_date,
        "effective_clause": (parsed.effective_clause or "")[:300],
        "validity_years": parsed.validity_years,
        "expiry_date": parsed.expiry_date,
        "status": PolicyStatus.EXPIRED if expired else PolicyStatus.IN_FORCE,
        "notice_title": parsed.notice.title if parsed.notice else "",
        "notice_text": parsed.notice.text if parsed.notice else "",
        "import_problems": [p.message for p in parsed.problems],
        "search_description": search_description_for(parsed),
    }


def _strip_ids(data):
    """Raw stream data without the block ids, which change on every save."""
    if isinstance(data, list):
        return [_strip_ids(v) for v in data]
    if isinstance(data, dict):
        return {k: _strip_ids(v) for k, v in data.items() if k != "id"}
    return data


def _comparable(page: PolicyPage, field_names) -> dict:
    values = {name: getattr(page, name) for name in field_names}
    # through the blocks, so that freshly assigned raw data and data read back compare equal
    values["body"] = [(child.block_type, _strip_ids(child.block.get_prep_value(child.value))) for child in page.body]
    return values


@dataclass
class PolicyImportResult:
    page: PolicyPage
    parsed: ParsedPolicy
    created: bool
    changed: bool
    revision: Revision | None = None
    published: bool = False
    scheduled: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def article_count(self) -> int:
        return len(self.parsed.articles)

    @property
    def item_count(self) -> int:
        return sum(1 for _ in self.parsed.iter_items())


def _unique_slug(parent, base: str) -> str:
    slug, n = base, 2
    while parent.get_children().filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def policy_import(
    *,
    section: SchemeSectionPage,
    text: str,
    title: str | None = None,
    user=None,
    publish: bool = False,
    source_name: str = "",
    slug: str | None = None,
    today: datetime.date | None = None,
) -> PolicyImportResult:
    """Parse ``text`` and create or update the policy page of that title under ``section``.

    An unchanged text makes no new revision. A changed one makes a draft revision, published when
    ``publish`` (scheduled for the effective date when that lies ahead). Raises
    :class:`~policypages.importer.PolicyParseError` (with the line) on malformed input.
    """
    parsed = parse_policy(text, title=title)
    fields = policy_fields_from_parsed(parsed, today=today)
    fields["source_name"] = source_name[:200]
    scheme = section.scheme
    fields["scheme"] = scheme
    fields["jurisdiction"] = scheme.jurisdiction if scheme else None
    body = policy_stream_from_parsed(parsed)

    existing = PolicyPage.objects.child_of(section).filter(title=fields["title"]).first()
    if existing is None and slug:
        existing = PolicyPage.objects.child_of(section).filter(slug=slug).first()
    created = existing is None
    if created:
        page = PolicyPage(slug=_unique_slug(section, slug or "policy"), **fields)
        page.body = body
        page.live = False
        section.add_child(instance=page)
        changed = True
    else:
        page = existing.get_latest_revision_as_object()
        before = _comparable(page, fields.keys())
        for name, value in fields.items():
            setattr(page, name, value)
        page.body = body
        changed = _comparable(page, fields.keys()) != before

    result = PolicyImportResult(page=page, parsed=parsed, created=created, changed=changed, problems=fields["import_problems"])
    if changed:
        page.go_live_at = _go_live_at(parsed.effective_date, today)
        result.revision = page.save_revision(user=user, log_action=True)
    if publish and (changed or not page.live):
        revision = result.revision or page.get_latest_revision()
        policy_publish(page=page, revision=revision, user=user)
        page.refresh_from_db()
        result.published = page.live
        result.scheduled = not page.live and page.go_live_at is not None
    return result


def _go_live_at(effective_date: datetime.date | None, today: datetime.date | None):
    """Scheduled publishing for a policy that takes effect later; an effective policy goes live at once."""
    today = today or timezone.localdate()
    if effective_date is None or effective_date <= today:
        return None
    return timezone.make_aware(datetime.datetime.combine(effective_date, datetime.time.min))


def policy_publish(*, page: PolicyPage, revision: Revision | None = None, user=None) -> Revision:
    """Publish a revision directly (the demo and the import command; editors go through the workflow)."""
    revision = revision or page.get_latest_revision()
    revision.publish(user=user, skip_permission_checks=True)
    return revision


# --------------------------------------------------------------------------- revision comparison


def _articles_of(revision: Revision) -> dict[int, dict]:
    page = revision.as_object()
    return {
        article["number"]: {
            "number": article["number"],
            "label": article["label"],
            "anchor": article["anchor"],
            "citation": article["citation"],
            "text": selectors.article_plain_text(article),
            "chapter": chapter,
        }
        for chapter, article in selectors.body_articles(page.body)
    }, page


def text_diff_html(old: str, new: str) -> str:
    """Character-level difference (Chinese has no spaces between words), escaped, with <del>/<ins>.

    An unchanged run of one or two characters between two changes is folded into them (人<ins>力资源和
    </ins>社<ins>会保障</ins>厅 reads better as 人<del>社</del><ins>力资源和社会保障</ins>厅).
    """
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    ops = [[op != "equal", old[a1:a2], new[b1:b2]] for op, a1, a2, b1, b2 in matcher.get_opcodes()]
    merged: list[list] = []
    for i, (changed, a, b) in enumerate(ops):
        between_changes = 0 < i < len(ops) - 1 and ops[i - 1][0] and ops[i + 1][0]
        if not changed and between_changes and len(a) <= 2:
            changed = True
        if merged and changed and merged[-1][0]:
            merged[-1][1] += a
            merged[-1][2] += b
        else:
            merged.append([changed, a, b])
    out = []
    for changed, a, b in merged:
        if not changed:
            out.append(escape(a))
            continue
        if a:
            out.append(f"<del>{escape(a)}</del>")
        if b:
            out.append(f"<ins>{escape(b)}</ins>")
    return mark_safe("".join(out).replace("\n", "<br>"))


def policy_revisions_compare(revision_a: Revision, revision_b: Revision) -> dict:
    """Article-level comparison of two revisions of a policy: added, removed and changed articles.

    Articles are matched by number. The older revision is always the "from" side.
    """
    if (revision_a.created_at, revision_a.pk) > (revision_b.created_at, revision_b.pk):
        revision_a, revision_b = revision_b, revision_a
    old, old_page = _articles_of(revision_a)
    new, new_page = _articles_of(revision_b)
    added = [new[n] for n in sorted(new.keys() - old.keys())]
    removed = [old[n] for n in sorted(old.keys() - new.keys())]
    changed, unchanged = [], 0
    for n in sorted(old.keys() & new.keys()):
        a, b = old[n], new[n]
        if a["text"] == b["text"]:
            unchanged += 1
            continue
        changed.append({**b, "old_text": a["text"], "diff_html": text_diff_html(a["text"], b["text"])})
    metadata = []
    for name in ("title", "issuer", "document_number", "issue_date", "effective_date", "expiry_date", "status"):
        before, after = getattr(old_page, name), getattr(new_page, name)
        if before != after:
            metadata.append({"field": PolicyPage._meta.get_field(name).verbose_name, "old": before, "new": after})
    return {
        "from": revision_a,
        "to": revision_b,
        "added": added,
        "removed": removed,
        "changed": changed,
        "unchanged_count": unchanged,
        "metadata": metadata,
    }


# --------------------------------------------------------------------------- guides and tier tables


#: How a guide words a time limit in each unit (guides are generated content, in Chinese).
LIMIT_WORDS = {
    TimeLimitUnit.WORKING_DAYS: "个工作日",
    TimeLimitUnit.CALENDAR_DAYS: "个自然日",
    TimeLimitUnit.MONTHS: "个月",
}


def _time_limit_text(service: ServiceItem) -> str:
    """The policy's own limit in its unit: "10个工作日", "1个月" (聊城 第十三条), or empty."""
    limit = service.time_limit
    return f"{limit[0]}{LIMIT_WORDS[limit[1]]}" if limit else ""


def guide_title(service: ServiceItem, duplicates=None) -> str:
    """The item's title; where another item of the scheme has the same title, the tiers that get it directly
    (or else its article) tell them apart: 旅游服务：国有景区免费门票（吉享卡） / （吉健卡）."""
    if duplicates is None:
        duplicates = selectors.duplicate_service_titles(service.scheme)
    if service.title not in duplicates:
        return service.title
    direct = "、".join(t.name for t in service.tiers.order_by("-rank"))
    return f"{service.title}（{direct or service.article}）"


def guide_conditions(tiers, family_scope) -> str:
    """受理条件 as the scheme data states it: who holds which card, and for whom the service may be used."""
    if not tiers:
        return ""
    text = f"持有在有效期内的{'、'.join(t.name for t in tiers)}"
    family = selectors.family_text(family_scope)
    if family and family != selectors.FAMILY_LABELS["self"]:
        text += f"；可为{family}申请"
    return text + "。"


# The guide fields the scheme data fills in; the rest (materials, procedure, place, phone, fees, how to use) are the
# responsible unit's own words and are never overwritten by a later generation that does not overwrite.
GENERATED_GUIDE_FIELDS = (
    "title", "summary", "tiers_text", "family_text", "responsible_units_text", "time_limit_text", "conditions",
    "source_citation", "source_policy", "source_anchor",
)


def guide_fields_for(service: ServiceItem, policy: PolicyPage | None, *, citations=None, tier_grants=None,
                     duplicates=None) -> dict:
    """Fields of a generated guide; ``citations`` (anchor → citation), ``tier_grants`` (tier → service ids) and
    ``duplicates`` (shared titles) may be passed in when generating many guides at once."""
    if tier_grants is None:
        tier_grants = selectors.tier_grants(service.scheme)
    tiers = [t for t, ids in tier_grants.items() if service.pk in ids]
    units = [d.name for d in service.responsible_units.all()]
    limit = _time_limit_text(service)
    if citations is None and policy is not None:
        citations = {u["anchor"]: u["citation"] for u in selectors.policy_search_units(policy)}
    anchor = selectors.ref_anchor(service.ref, citations.keys() if citations else None)
    citation = service.article
    if citations and anchor in citations and citations[anchor].endswith(service.article):
        # the policy's own citation carries the title: 《…》第九条第2项第①目
        citation = citations[anchor]
    elif policy is not None:
        citation = f"《{policy.title}》{service.article}"
    return {
        "title": guide_title(service, duplicates),
        "summary": service.text,
        "tiers_text": "、".join(t.name for t in tiers),
        "family_text": selectors.family_text(service.family_scope),
        "responsible_units_text": "、".join(units),
        "time_limit_text": limit,
        "conditions": guide_conditions(tiers, service.family_scope),
        "source_citation": citation,
        "source_policy": policy,
        "source_anchor": anchor,
        "search_description": service.text[:150],
    }


def _guide_fill_from_data(guide, service, fields) -> bool:
    """What a guide generated before the 办事指南 fields existed lacks: its conditions, and a title that tells it
    from another item's guide of the same name. An edited title or condition is left as the editor wrote it."""
    changed = False
    if not guide.conditions and fields["conditions"]:
        guide.conditions, changed = fields["conditions"], True
    if guide.title == service.title and fields["title"] != service.title:
        guide.title, changed = fields["title"], True
    if guide.how_to_use and guide.how_to_use.startswith(GENERATED_HOW_TO_USE):
        guide.how_to_use, changed = "", True  # the old generator's sentence, the same on every guide
    return changed


# What the old generator put in every guide's 办理方式 (the same sentence for all): not the policy's word.
GENERATED_HOW_TO_USE = "<p>持卡人凭本人人才服务卡及有效身份证件，向"


def guide_permissions_ensure(*, section: SchemeSectionPage | None = None, guides=None) -> int:
    """Each guide may be edited by the officers of its own responsible units, and only that guide: a Wagtail
    page permission (change, not publish) on the guide page itself, so what they change goes through the
    section's approval workflow (``policy_workflow_ensure``). For the guides of ``section`` or the given
    ``guides`` (a published guide gets its grants through ``policypages.apps``); returns how many grants exist.
    Read and written set-wise: a section's hundred guides take a handful of queries."""
    from django.contrib.auth.models import Group

    change = Permission.objects.get(content_type__app_label="wagtailcore", codename="change_page")
    access_admin = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    if guides is None:
        guides = ServiceGuidePage.objects.child_of(section)
    services = dict(guides.exclude(service_item=None).values_list("pk", "service_item_id"))
    if not services:
        return 0
    units = ServiceItem.responsible_units.through.objects.filter(
        serviceitem_id__in=set(services.values()), department__group__isnull=False)
    groups_of = {}
    for service_id, group_id in units.values_list("serviceitem_id", "department__group_id"):
        groups_of.setdefault(service_id, set()).add(group_id)
    wanted = {(page, group) for page, service in services.items() for group in groups_of.get(service, ())}
    held = {(row.page_id, row.group_id): row.pk
            for row in GroupPagePermission.objects.filter(page_id__in=services, permission=change)}
    stale = [pk for pair, pk in held.items() if pair not in wanted]
    if stale:
        GroupPagePermission.objects.filter(pk__in=stale).delete()
    GroupPagePermission.objects.bulk_create([GroupPagePermission(page_id=page, group_id=group, permission=change)
                                             for page, group in sorted(wanted - held.keys())])
    # the units' officers work in the admin
    granted = Group.permissions.through.objects.filter(permission=access_admin)
    groups = {group for _page, group in wanted}
    missing = groups - set(granted.filter(group_id__in=groups).values_list("group_id", flat=True))
    Group.permissions.through.objects.bulk_create([Group.permissions.through(group_id=group, permission=access_admin)
                                                   for group in sorted(missing)])
    return len(wanted)


def _guide_slug(service: ServiceItem) -> str:
    return "service-" + slugify(service.ref.replace(".", "-"))


@transaction.atomic
def service_guides_generate(
    *, section: SchemeSectionPage, policy: PolicyPage | None = None, overwrite: bool = False, publish: bool = True
) -> list[ServiceGuidePage]:
    """A guide page per ServiceItem of the section's scheme. Existing guides are kept as edited unless
    ``overwrite``; a guide is found by its service item, so a renamed guide is still the same guide."""
    guides = []
    scheme = section.scheme
    if scheme is None:
        return guides
    services = ServiceItem.objects.filter(scheme=scheme).prefetch_related("responsible_units")
    citations = {u["anchor"]: u["citation"] for u in selectors.policy_search_units(policy)} if policy else {}
    tier_grants = selectors.tier_grants(scheme)
    duplicates = selectors.duplicate_service_titles(scheme)
    for service in sorted(services, key=lambda s: selectors.ref_key(s.ref)):
        fields = guide_fields_for(service, policy, citations=citations, tier_grants=tier_grants, duplicates=duplicates)
        guide = ServiceGuidePage.objects.child_of(section).filter(service_item=service).first()
        if guide is None:
            guide = ServiceGuidePage(slug=_unique_slug(section, _guide_slug(service)), service_item=service, **fields)
            section.add_child(instance=guide)
        elif overwrite:
            guide = guide.get_latest_revision_as_object()
            for name, value in fields.items():
                setattr(guide, name, value)
        else:
            # The live page's fields only. A guide with a draft (a responsible unit's change waiting for approval)
            # or a workflow in progress is left to its editor: publishing here would publish the draft with it,
            # past the section's workflow.
            if guide.has_unpublished_changes or guide.workflow_in_progress:
                guides.append(guide)
                continue
            if not _guide_fill_from_data(guide, service, fields):
                guides.append(guide)
                continue
        revision = guide.save_revision()
        if publish:
            revision.publish(skip_permission_checks=True)
        guides.append(guide)
    return guides


@transaction.atomic
def tier_table_ensure(*, section: SchemeSectionPage, publish: bool = True) -> TierTablePage | None:
    if section.scheme is None:
        return None
    table = TierTablePage.objects.child_of(section).first()
    if table is None:
        table = TierTablePage(
            title=f"{section.scheme.name}服务对照表",
            slug="tiers",
            scheme=section.scheme,
            search_description=f"{section.scheme.name}各卡种可享受的服务事项一览。",
        )
        section.add_child(instance=table)
        revision = table.save_revision()
        if publish:
            revision.publish(skip_permission_checks=True)
    return table


@transaction.atomic
def notice_index_ensure(*, section, publish: bool = True):
    """The notice index (通知公告, at <section>/notices/) of a scheme section or, under the home page, of the site."""
    from .models import NoticeIndexPage

    index = NoticeIndexPage.objects.child_of(section).first()
    if index is None:
        scheme = getattr(section, "scheme", None)
        title = f"{scheme.name}通知公告" if scheme is not None else "通知公告"
        index = NoticeIndexPage(title=title, slug=_unique_slug(section, "notices"),
                                search_description=f"{title}：公示名单、退出情况公告、服务事项调整。")
        section.add_child(instance=index)
        revision = index.save_revision()
        if publish:
            revision.publish(skip_permission_checks=True)
    return index


# --------------------------------------------------------------------------- moderation


def scheme_department(scheme, kinds):
    for kind in kinds:
        department = scheme.departments.filter(kind=kind).order_by("code").first()
        if department is not None:
            return department
    return None


@transaction.atomic
def policy_workflow_ensure(*, section: SchemeSectionPage) -> Workflow | None:
    """The review workflow of a scheme's pages: one four-eyes group-approval task for its talent office.

    One workflow per scheme (named 政策审核 · scheme), so that a scheme's talent office approves
    only its own scheme's pages. The approving group gets edit and publish permission on the section
    and admin access; the HR bureau's group may draft (add, change) and submit, never publish: a publish
    permission any other group holds on the section is withdrawn. Nobody approves what they submitted or
    wrote (``policypages.workflows.FourEyesApprovalTask``).
    """
    scheme = section.scheme
    if scheme is None:
        return None
    approver = scheme_department(scheme, APPROVER_KINDS)
    if approver is None:
        return None
    name = f"{POLICY_WORKFLOW_NAME} · {scheme.name}"
    workflow, _ = Workflow.objects.get_or_create(name=name, defaults={"active": True})
    task_name = f"{approver.name}审核（{scheme.name}）"
    link = WorkflowTask.objects.filter(workflow=workflow).order_by("sort_order").select_related("task").first()
    task = link.task.specific if link else None
    if isinstance(task, GroupApprovalTask) and not isinstance(task, FourEyesApprovalTask):
        task = four_eyes_task_from(task)  # the submitter cannot approve (policypages.workflows)
    if not isinstance(task, FourEyesApprovalTask):
        task = FourEyesApprovalTask.objects.create(name=task_name)
        WorkflowTask.objects.filter(workflow=workflow).delete()
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    elif task.name != task_name:
        task.name = task_name
        task.save(update_fields=["name"])
    task.groups.set([approver.group])
    WorkflowPage.objects.update_or_create(page=section, defaults={"workflow": workflow})

    access_admin = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    grants = [(approver.group, ("add_page", "change_page", "publish_page"))]
    editor = scheme_department(scheme, EDITOR_KINDS)
    if editor is not None and editor.group_id != approver.group_id:
        grants.append((editor.group, ("add_page", "change_page")))
    for group, codenames in grants:
        group.permissions.add(access_admin)
        for codename in codenames:
            permission = Permission.objects.get(content_type__app_label="wagtailcore", codename=codename)
            GroupPagePermission.objects.get_or_create(group=group, page=section, permission=permission)
    GroupPagePermission.objects.filter(
        page__path__startswith=section.path, permission__content_type__app_label="wagtailcore",
        permission__codename="publish_page",
    ).exclude(group=approver.group).delete()
    return workflow


def policy_submit_for_review(*, page, user):
    """Start the page's workflow on its latest revision (what the admin's "Submit for moderation" does)."""
    workflow = page.get_workflow()
    if workflow is None:
        raise ValueError("no workflow applies to this page")
    if page.latest_revision is None:
        page.save_revision(user=user)
    return workflow.start(page, user)
