"""Service guides as a 政务服务 portal's 办事指南, for every scheme: the fields, drawn from the scheme data where the
policy states them and "请咨询责任单位" where it does not; duplicate titles told apart by tier; editing by each guide's
own responsible units only (tested for a user of every department of every scheme), through the approval workflow."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from casefiles.models import Department, ServiceItem
from casefiles.schemes.loader import schemes_load
from policypages import selectors, services
from policypages.demo import load_pages
from policypages.models import SchemeSectionPage, ServiceGuidePage

LABELS = ["事项名称", "设定依据", "服务对象", "服务内容", "受理条件", "申请材料", "办理流程", "办理时限", "办理地点/窗口",
          "咨询电话", "收费标准", "责任单位"]
ASK = "请咨询责任单位"

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def site(pages_once, db):
    """The schemes and the demo pages, loaded once for the module (``pages_once``); each test in a savepoint."""
    return pages_once


def test_every_guide_reads_as_a_service_guide(site):
    client = Client()
    guides = list(ServiceGuidePage.objects.live().select_related("service_item__scheme"))
    assert len(guides) == ServiceItem.objects.count() > 50
    for section in SchemeSectionPage.objects.all():
        titles = [g.title for g in ServiceGuidePage.objects.child_of(section)]
        assert len(titles) == len(set(titles)), section.title  # 吉林's 吉享卡 and 吉健卡 items share three titles
    for guide in guides:
        item = guide.service_item
        html = client.get(guide.url).content.decode()
        positions = [html.find(f"<dt>{label}</dt>") for label in LABELS]
        assert -1 not in positions and positions == sorted(positions), (guide.url, positions)
        # the time limit is the data's, in its unit (聊城 第十三条: 1个月); what the data does not state is not made up
        limit = item.time_limit
        if limit:
            words = {"working_days": "个工作日", "months": "个月", "calendar_days": "个自然日"}[limit[1]]
            assert f"{limit[0]}{words}" in html
        for field in ("materials", "procedure", "location", "phone", "fees"):
            assert getattr(guide, field) == "", (guide.url, field)
        assert html.count(ASK) >= 5 + (0 if limit else 1)
        # the legal basis links to the article; the conditions name the tiers that get the service
        assert f'href="{selectors.guide_source_url(guide)}"' in html and "#art-" in selectors.guide_source_url(guide)
        assert guide.conditions.startswith("持有在有效期内的") and guide.tiers_text.split("、")[0] in guide.conditions
        assert "持卡人凭本人人才服务卡及有效身份证件" not in html  # the old sentence on every guide
    # a filled-in field shows as written
    guide = guides[0]
    guide.phone, guide.materials = "0435-1234567", "人才服务卡\n身份证"
    guide.save_revision().publish()
    html = client.get(guide.url).content.decode()
    assert "0435-1234567" in html and "<li>人才服务卡</li><li>身份证</li>" in html


def test_duplicate_titles_name_their_tier():
    schemes_load()
    for scheme_items in _items_by_scheme().values():
        duplicates = {item.title for item in scheme_items if sum(i.title == item.title for i in scheme_items) > 1}
        titles = [services.guide_title(item) for item in scheme_items]
        assert len(set(titles)) == len(titles)
        for item, title in zip(scheme_items, titles, strict=True):
            if item.title in duplicates:
                direct = [t.name for t in item.tiers.all()]
                assert title.startswith(item.title + "（") and all(name in title for name in direct), title
            else:
                assert title == item.title


def _items_by_scheme():
    result = {}
    for item in ServiceItem.objects.select_related("scheme").prefetch_related("tiers"):
        result.setdefault(item.scheme_id, []).append(item)
    return result


def test_each_department_edits_its_own_guides_only(site):
    """A user in every department of every scheme: the guides they may edit are exactly those their department
    is responsible for, plus every page of the section for the departments that run the section (its approver
    and its editor, as before). No responsible unit may publish: changes go through the section's workflow."""
    User = get_user_model()
    checked = own_total = 0
    officers = {}
    for department in Department.objects.filter(group__isnull=False).order_by("pk"):
        user = User.objects.create_user(username=f"officer-{department.pk}", password="x-Long-enough-1")
        officers[department.pk] = user
        officers[department.pk].groups.add(department.group)
    for section in SchemeSectionPage.objects.select_related("scheme"):
        scheme = section.scheme
        guides = list(ServiceGuidePage.objects.child_of(section).prefetch_related("service_item__responsible_units"))
        runs_section = {
            d.pk for d in (services.scheme_department(scheme, services.APPROVER_KINDS),
                           services.scheme_department(scheme, services.EDITOR_KINDS)) if d is not None
        }
        for department in Department.objects.filter(group__isnull=False).order_by("pk"):
            user = officers[department.pk]
            for guide in guides:
                own = any(d.pk == department.pk for d in guide.service_item.responsible_units.all())
                perms = guide.permissions_for_user(user)
                expected = own or department.pk in runs_section
                assert perms.can_edit() == expected, (section.title, department.name, guide.title)
                if own and department.pk not in runs_section:
                    assert not perms.can_publish(), (department.name, guide.title)
                    assert guide.get_workflow() is not None  # the section's 政策审核 workflow
                    own_total += 1
                checked += 1
    assert own_total > 20
    print(f"guide permissions: {checked} (department, guide) cells checked, {own_total} own-guide grants")


def test_a_responsible_unit_officer_edits_in_the_admin(site):
    """The admin's edit view answers the officer for their own guide and refuses another's."""
    item = ServiceItem.objects.filter(responsible_units__kind="responsible_unit").order_by("pk").first()
    department = item.responsible_units.filter(kind="responsible_unit").first()
    own = ServiceGuidePage.objects.get(service_item=item)
    other = ServiceGuidePage.objects.exclude(service_item__responsible_units=department).order_by("pk").first()
    user = get_user_model().objects.create_user(username="unit-officer", password="x-Long-enough-1")
    user.groups.add(department.group)
    client = Client()
    client.force_login(user)
    with translation.override("zh-hans"):
        assert client.get(f"/admin/pages/{own.pk}/edit/").status_code == 200
        assert client.get(f"/admin/pages/{other.pk}/edit/").status_code in (302, 403)


def test_regenerating_guides_never_publishes_a_units_pending_draft(site):
    """In every section: one guide edited by its responsible unit and submitted to the section's workflow, one
    guide without a draft, both lacking their conditions (what the generator fills). Running load_demo's step
    again fills the guide without a draft, and leaves the other for its editor: the draft stays unpublished and
    in the workflow, and the live page is as it was."""
    User = get_user_model()
    pending, plain = [], []
    for section in SchemeSectionPage.objects.select_related("scheme").order_by("pk"):
        guides = [
            g for g in ServiceGuidePage.objects.child_of(section).order_by("pk") if g.conditions and g.get_workflow()
        ]
        if len(guides) < 2:
            continue
        for guide in guides[:2]:  # an old guide, generated before the conditions existed
            guide.conditions = ""
            guide.save_revision().publish()
        draft_guide, plain_guide = guides[0], guides[1]
        unit = draft_guide.service_item.responsible_units.exclude(group=None).first()
        officer = User.objects.create_user(username=f"unit-{section.pk}", password="x-Long-enough-1")
        officer.groups.add(unit.group)
        draft = draft_guide.get_latest_revision_as_object()
        draft.summary = "责任单位修改稿，待审核。"
        draft.save_revision(user=officer)
        draft_guide.get_workflow().start(draft_guide, officer)
        pending.append(draft_guide.pk)
        plain.append(plain_guide.pk)
    assert len(pending) >= 3  # every scheme with a workflow
    load_pages()  # load_demo's step, run again
    for pk in pending:
        guide = ServiceGuidePage.objects.get(pk=pk)
        live = guide.specific
        assert guide.has_unpublished_changes and guide.workflow_in_progress, guide.title
        assert live.summary != "责任单位修改稿，待审核。" and live.conditions == "", guide.title
        assert guide.get_latest_revision_as_object().summary == "责任单位修改稿，待审核。"
    for pk in plain:
        guide = ServiceGuidePage.objects.get(pk=pk)
        assert guide.conditions and not guide.has_unpublished_changes, guide.title  # filled and published
    print(f"guide regeneration: {len(pending)} pending drafts kept, {len(plain)} guides filled")
