"""Moderation (政策审核) and the article-level history of a policy."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse
from wagtail.models import PageLogEntry, WorkflowState

from casefiles.models import Membership, Role
from policypages import selectors, services
from policypages.models import PolicyPage
from policypages.testing import published_policy, section_for, seed_text

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def member_of(section, code, username):
    department = section.scheme.departments.get(code=code)
    user = get_user_model().objects.create_user(username, password="pw-123456789", is_staff=True)
    Membership.objects.create(user=user, department=department, role=Role.REVIEWER)
    user.groups.add(department.group)
    return user


def test_a_draft_goes_through_the_talent_office_review_before_it_is_live():
    section = section_for("liaocheng")
    workflow = services.policy_workflow_ensure(section=section)
    assert workflow.name == "政策审核 · 聊城市人才服务金卡"
    assert [t.specific.groups.get().name for t in workflow.tasks] == ["liaocheng.talent-office"]
    editor = member_of(section, "hr-bureau", "lc-editor")
    approver = member_of(section, "talent-office", "lc-approver")

    result = services.policy_import(section=section, text=seed_text("liaocheng"), user=editor)
    page = PolicyPage.objects.get(pk=result.page.pk)
    assert not page.live and page.get_workflow() == workflow
    assert page.permissions_for_user(editor).can_edit()
    assert Client().get(page.url).status_code == 404  # a draft is not public

    state = services.policy_submit_for_review(page=page, user=editor)
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    task_state = state.current_task_state
    url = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", task_state.pk))

    # the HR bureau drafted it and may not approve it
    client = Client()
    client.force_login(editor)
    client.post(url, {"comment": ""})
    page.refresh_from_db()
    assert not page.live
    task_state.refresh_from_db()
    assert task_state.status == "in_progress"

    # the talent office approves in the admin; the workflow ends and publishes
    client = Client()
    client.force_login(approver)
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    response = client.post(url, {"comment": "同意发布"})
    assert response.status_code == 302
    page.refresh_from_db()
    state.refresh_from_db()
    assert page.live and state.status == WorkflowState.STATUS_APPROVED
    publish = PageLogEntry.objects.filter(page=page, action="wagtail.publish").get()
    assert publish.user == approver
    assert Client().get(page.url).status_code == 200


def test_the_workflow_setup_is_idempotent():
    section = section_for("tonghua")
    first = services.policy_workflow_ensure(section=section)
    second = services.policy_workflow_ensure(section=section)
    assert first.pk == second.pk and second.workflow_tasks.count() == 1
    # 通化 has no talent office: its organisation department reviews (第三条 市委组织部统筹协调)
    assert second.tasks.get().specific.groups.get().name == "tonghua.org-dept"


def amend(page, article_number, new_text, *, publish):
    """Change one article's text in a new revision."""
    page = page.get_latest_revision_as_object()
    data = page.body.raw_data
    for block in data:
        if block["type"] == "article" and block["value"]["number"] == article_number:
            block["value"]["text"] = new_text
    page.body = list(data)
    revision = page.save_revision()
    if publish:
        revision.publish()
    return revision


def test_compare_shows_the_changed_article_with_an_escaped_text_diff():
    _section, result = published_policy("jilin")
    page = result.page
    first = page.get_latest_revision()
    second = amend(page, 13, "本办法由省人社厅负责解释。<script>alert(1)</script>", publish=True)
    comparison = services.policy_revisions_compare(second, first)  # order does not matter
    assert comparison["from"] == first and comparison["to"] == second
    assert [a["number"] for a in comparison["changed"]] == [13]
    assert comparison["added"] == [] and comparison["removed"] == []
    assert comparison["unchanged_count"] == 13
    diff = str(comparison["changed"][0]["diff_html"])
    assert "<ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins>" in diff
    assert "<script>" not in diff

    page.refresh_from_db()
    history = Client().get(page.url + "history/").content.decode()
    compare_url = page.url + f"history/compare/{first.pk}/{second.pk}/"
    assert compare_url in history
    html = Client().get(compare_url).content.decode()
    assert 'data-article="13"' in html and "第十三条" in html
    assert "&lt;script&gt;" in html and "<script>alert(1)" not in html


def test_added_and_removed_articles_are_listed():
    section = section_for("jilin")
    text = seed_text("jilin")
    result = services.policy_import(section=section, text=text, publish=True)
    first = result.page.get_latest_revision()
    # the last article dropped: the new version has 13 articles
    shorter = re.sub(r"\s*第十四条\s+本办法自印发之日起实施。\s*$", "\n", text)
    second = services.policy_import(section=section, text=shorter, publish=True).revision
    comparison = services.policy_revisions_compare(first, second)
    assert [a["label"] for a in comparison["removed"]] == ["第十四条"]
    back = services.policy_revisions_compare(second, first)  # still from older to newer
    assert back["removed"] == comparison["removed"]
    assert services.policy_revisions_compare(second, services.policy_import(section=section, text=text, publish=True).revision)[
        "added"
    ][0]["number"] == 14


def test_reimporting_the_same_text_makes_no_revision():
    section, result = published_policy("baiyun")
    count = result.page.revisions.count()
    again = services.policy_import(section=section, text=seed_text("baiyun"), publish=True)
    assert not again.changed and not again.created and again.revision is None
    assert again.page.pk == result.page.pk and result.page.revisions.count() == count


def test_public_sees_only_published_revisions_staff_sees_drafts():
    section, result = published_policy("jilin")
    page = result.page
    published = page.get_latest_revision()
    draft = amend(page, 12, "吉林省人才服务卡实行动态管理（草稿）。", publish=False)
    page.refresh_from_db()
    assert selectors.published_revision_ids(page) == {published.pk}

    public = Client()
    assert [r.pk for r in selectors.policy_revisions_visible(page, AnonymousUser())] == [published.pk]
    assert public.get(page.url + f"history/compare/{published.pk}/{draft.pk}/").status_code == 404
    history = public.get(page.url + "history/").content.decode()
    assert f'data-revision="{draft.pk}"' not in history and f'data-revision="{published.pk}"' in history
    # the live page still shows the published text
    assert "（草稿）" not in public.get(page.url).content.decode()

    editor = member_of(section, "hr-bureau", "jl-editor")
    services.policy_workflow_ensure(section=section)
    staff = Client()
    staff.force_login(editor)
    assert [r.pk for r in selectors.policy_revisions_visible(page, editor)] == [draft.pk, published.pk]
    response = staff.get(page.url + f"history/compare/{published.pk}/{draft.pk}/")
    assert response.status_code == 200
    assert 'data-article="12"' in response.content.decode()
    assert f'data-revision="{draft.pk}"' in staff.get(page.url + "history/").content.decode()
