"""Separation of duties on pages (issue #16 part 6): the submitter of a page, or an author of the change, cannot
approve it (``policypages.workflows.FourEyesApprovalTask``), and a live page cannot be published, unpublished,
moved or deleted outside the workflow by someone who is not an approver.

Swept over every page type under a scheme section's 政策审核 workflow (policy, tier table, service guide, notice,
exit announcement) and the roles: the HR bureau's editor (not an approver), two members of the approving
department, in the admin's edit view, its workflow action view and its unpublish view."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from wagtail.admin.rich_text import DraftailRichTextArea
from wagtail.models import GroupPagePermission, Workflow, WorkflowState
from wagtail.test.utils.form_data import rich_text

from casefiles.models import Membership, Role
from casefiles.schemes.loader import SCHEME_SLUGS
from policypages import services
from policypages.announcements import ExitAnnouncementPage
from policypages.models import NoticePage, PolicyPage, ServiceGuidePage, TierTablePage
from policypages.testing import published_policy, section_for
from policypages.workflows import FourEyesApprovalTask

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

PAGE_TYPES = [PolicyPage, TierTablePage, ServiceGuidePage, NoticePage, ExitAnnouncementPage]
APPROVE = 'data-workflow-action-name="approve"'
PUBLISH = 'name="action-publish"'


def member_of(section, department, username):
    user = get_user_model().objects.create_user(username, password="pw-123456789", is_staff=True)
    Membership.objects.create(user=user, department=department, role=Role.REVIEWER)
    user.groups.add(department.group)
    return user


@pytest.fixture(scope="module")
def site_once(django_db_setup, django_db_blocker):
    """``site``'s rows, made once for the module inside a transaction rolled back at its end (each test runs in a
    savepoint inside it): the primary keys of the section, the pages and the users."""
    from tests.conftest import rolled_back

    with rolled_back(django_db_blocker):
        section, pages, users = make_site()
        yield section.pk, {cls: page.pk for cls, page in pages.items()}, {k: u.pk for k, u in users.items()}


@pytest.fixture
def site(site_once, db):
    """楚雄's section with its workflow and one live page of each type, an editor and two approvers: fresh instances
    from the database for each test (what a test changes is rolled back with its savepoint)."""
    from policypages.models import SchemeSectionPage

    section_pk, page_pks, user_pks = site_once
    users = {role: get_user_model().objects.get(pk=pk) for role, pk in user_pks.items()}
    return (SchemeSectionPage.objects.get(pk=section_pk), {cls: cls.objects.get(pk=pk) for cls, pk in page_pks.items()},
            users)


def make_site():
    section, result = published_policy("chuxiong")
    services.policy_workflow_ensure(section=section)
    services.service_guides_generate(section=section, policy=result.page)
    services.tier_table_ensure(section=section)
    index = services.notice_index_ensure(section=section)
    notice = NoticePage(title="关于人才服务事项调整的通知", date=datetime.date(2026, 11, 2), body="<p>原文。</p>")
    announcement = ExitAnnouncementPage(
        title="2026年度退出情况公告",
        scheme=section.scheme,
        year=2026,
        issuing_body="楚雄州人才工作领导小组办公室",
        document_number="楚人才办〔2026〕1号",
        issued_on=datetime.date(2026, 12, 1),
        intro="原文。",
    )
    for page in (notice, announcement):
        index.add_child(instance=page)
        page.save_revision().publish()
    approving = services.scheme_department(section.scheme, services.APPROVER_KINDS)
    editing = services.scheme_department(section.scheme, services.EDITOR_KINDS)
    assert approving.group_id != editing.group_id
    users = {
        "editor": member_of(section, editing, "cx-editor"),
        "approver": member_of(section, approving, "cx-approver"),
        "second": member_of(section, approving, "cx-second-approver"),
    }
    pages = {cls: cls.objects.descendant_of(section).live().order_by("pk").first() for cls in PAGE_TYPES}
    assert all(pages.values()), pages
    return section, pages, users


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def amend(page, user, suffix):
    """A new revision by ``user`` with a changed title (every page type has one)."""
    page = page.get_latest_revision_as_object()
    page.title = f"{page.title}{suffix}"
    return page.save_revision(user=user, log_action=True)


def edit_data(page, user, **changes):
    """The admin edit form's data for ``page`` as it stands (flat-field pages), with ``changes``."""
    form = page.get_edit_handler().get_form_class()(instance=page, for_user=user)
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, DraftailRichTextArea):
            data[name] = rich_text(value or "")
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    for formset in form.formsets.values():
        for name in formset.management_form.fields:
            data[f"{formset.prefix}-{name}"] = formset.management_form[name].value()
    data.update(changes)
    return data


def refused(response):
    """The admin's answer to a PermissionDenied: 403, or (for a logged-in user) a redirect to the dashboard."""
    return response.status_code == 403 or (response.status_code == 302 and response.url == reverse("wagtailadmin_home"))


def approve_url(page):
    return reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", page.current_workflow_task_state.pk))


def test_every_scheme_workflow_is_four_eyes_and_only_its_approver_publishes():
    """For the five schemes: the section's workflow has the four-eyes task, and no group but the approver's holds
    publish permission on the section (the editor's group may add and change only)."""
    cells = 0
    for slug in SCHEME_SLUGS:
        section = section_for(slug)
        workflow = services.policy_workflow_ensure(section=section)
        if workflow is None:
            continue
        (task,) = [t.specific for t in workflow.tasks]
        assert isinstance(task, FourEyesApprovalTask), slug
        approver = services.scheme_department(section.scheme, services.APPROVER_KINDS)
        publishers = set(
            GroupPagePermission.objects.filter(page=section, permission__codename="publish_page").values_list(
                "group", flat=True
            )
        )
        assert publishers == {approver.group_id}, slug
        cells += 1
    assert cells == len(SCHEME_SLUGS)


def test_a_plain_group_approval_task_becomes_four_eyes_in_place():
    """What the migration and the setup do to a database made before: the same task row, groups and workflow."""
    section = section_for("liaocheng")
    workflow = services.policy_workflow_ensure(section=section)
    task = workflow.tasks.get().specific
    # as the old code made it: a plain GroupApprovalTask
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import GroupApprovalTask, Task

    FourEyesApprovalTask.objects.get(pk=task.pk).delete(keep_parents=True)
    Task.objects.filter(pk=task.pk).update(content_type=ContentType.objects.get_for_model(GroupApprovalTask))
    assert type(Workflow.objects.get(pk=workflow.pk).tasks.get().specific) is GroupApprovalTask
    again = services.policy_workflow_ensure(section=section).tasks.get().specific
    assert isinstance(again, FourEyesApprovalTask) and again.pk == task.pk
    assert [g.pk for g in again.groups.all()] == [g.pk for g in task.groups.all()]


@pytest.mark.parametrize("page_type", PAGE_TYPES, ids=lambda cls: cls.__name__)
def test_the_submitter_cannot_approve_and_another_approver_can(site, page_type):
    section, pages, users = site
    page = pages[page_type]
    live_before = page.live_revision_id
    submitter, second = users["approver"], users["second"]
    revision = amend(page, submitter, "（修订）")
    state = services.policy_submit_for_review(page=page_type.objects.get(pk=page.pk), user=submitter)
    page = page_type.objects.get(pk=page.pk)
    task = page.current_workflow_task
    assert isinstance(task, FourEyesApprovalTask)

    # the submitter is offered no approve action, in the task, the edit view and the workflow action view
    assert [name for name, _label, _modal in task.get_actions(page, submitter)] == ["reject"]
    html = client_for(submitter).get(reverse("wagtailadmin_pages:edit", args=(page.pk,))).content.decode()
    assert APPROVE not in html
    assert refused(client_for(submitter).get(approve_url(page)))
    # posted anyway: refused, nothing published
    assert refused(client_for(submitter).post(approve_url(page), {"comment": "自己审批"}))
    page.refresh_from_db()
    state.refresh_from_db()
    assert page.live_revision_id == live_before and state.status == WorkflowState.STATUS_IN_PROGRESS
    assert page.current_workflow_task_state.status == "in_progress"
    # nor may the submitter publish the submission directly (the Publish button is gone from their menu)
    assert PUBLISH not in html

    # another member of the approving department sees the approve action and approves: published
    html = client_for(second).get(reverse("wagtailadmin_pages:edit", args=(page.pk,))).content.decode()
    assert APPROVE in html
    response = client_for(second).post(approve_url(page), {"comment": "同意"})
    assert response.status_code == 302
    page.refresh_from_db()
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_APPROVED and page.live_revision_id == revision.pk


@pytest.mark.parametrize("page_type", PAGE_TYPES, ids=lambda cls: cls.__name__)
def test_an_approver_who_edits_during_the_workflow_cannot_approve_the_edit(site, page_type):
    """The editor submits; an approver changes the page in the workflow: that approver wrote part of the change."""
    _section, pages, users = site
    page = pages[page_type]
    live_before = page.live_revision_id
    amend(page, users["editor"], "（修订）")
    services.policy_submit_for_review(page=page_type.objects.get(pk=page.pk), user=users["editor"])
    amend(page_type.objects.get(pk=page.pk), users["approver"], "（审核人改）")
    page = page_type.objects.get(pk=page.pk)
    assert "approve" not in [name for name, _l, _m in page.current_workflow_task.get_actions(page, users["approver"])]
    assert refused(client_for(users["approver"]).post(approve_url(page), {"comment": ""}))
    page.refresh_from_db()
    assert page.live_revision_id == live_before
    assert "approve" in [name for name, _l, _m in page.current_workflow_task.get_actions(page, users["second"])]


@pytest.mark.parametrize("page_type", PAGE_TYPES, ids=lambda cls: cls.__name__)
def test_a_non_approver_cannot_change_a_live_page_outside_the_workflow(site, page_type):
    """The HR bureau's editor: no Publish, unpublish, move or delete of a live page; a publish posted anyway
    leaves the live revision as it was; the amendment goes live only when an approver approves it."""
    _section, pages, users = site
    page = pages[page_type]
    editor = users["editor"]
    live_before = page.live_revision_id
    perms = page.permissions_for_user(editor)
    assert perms.can_edit()
    assert not (perms.can_publish() or perms.can_unpublish() or perms.can_delete() or perms.can_move())
    editor_client = client_for(editor)
    edit_url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    html = editor_client.get(edit_url).content.decode()
    assert PUBLISH not in html and 'name="action-submit"' in html

    # unpublish posted anyway: refused, still live
    editor_client.post(reverse("wagtailadmin_pages:unpublish", args=(page.pk,)))
    page.refresh_from_db()
    assert page.live and page.live_revision_id == live_before

    if page_type is not PolicyPage:  # the policy's StreamField body is not posted here; its permissions are above
        editor_client.post(
            edit_url, edit_data(page, editor, title=page.title + "（直接发布）", **{"action-publish": "1"})
        )
        page.refresh_from_db()
        assert page.live_revision_id == live_before and "直接发布" not in page.title

    # the amendment goes through the workflow: submitted by the editor, approved by an approver
    revision = amend(page, editor, "（修订）")
    services.policy_submit_for_review(page=page_type.objects.get(pk=page.pk), user=editor)
    page = page_type.objects.get(pk=page.pk)
    assert page.live_revision_id == live_before
    assert refused(client_for(editor).post(approve_url(page), {"comment": ""}))
    assert client_for(users["approver"]).post(approve_url(page), {"comment": "同意"}).status_code == 302
    page.refresh_from_db()
    assert page.live_revision_id == revision.pk and page.title.endswith("（修订）")


def test_an_approver_publishes_directly_in_the_edit_view():
    """The positive control of the direct-publish POST above: the same form data, posted by an approver with no
    workflow in progress, publishes (so the refusal above is the permission, not a bad form)."""
    section = section_for("chuxiong")
    services.policy_workflow_ensure(section=section)
    index = services.notice_index_ensure(section=section)
    notice = NoticePage(title="通知", date=datetime.date(2026, 11, 2), body="<p>原文。</p>")
    index.add_child(instance=notice)
    notice.save_revision().publish()
    approver = member_of(section, services.scheme_department(section.scheme, services.APPROVER_KINDS),
                         "cx-direct-approver")  # not site's cx-approver: the module's site may be loaded
    response = client_for(approver).post(
        reverse("wagtailadmin_pages:edit", args=(notice.pk,)),
        edit_data(notice, approver, title="通知（更正）", **{"action-publish": "1"}),
    )
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.title == "通知（更正）" and notice.live_revision.user == approver
