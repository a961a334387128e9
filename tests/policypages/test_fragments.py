"""Fragments of public pages kept between requests (policypages.cache.fragment_key, ``{% fragment %}``): with the
page cache off, a repeat visit reads only the page's own row, and any change to what a fragment shows (a tier's
services, a new guide, a view restriction, a jurisdiction's name, a published body) shows at the next request.
Readers who may edit a policy get its header rendered for them."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from casefiles.models import ServiceItem, Tier
from policypages import services
from policypages.models import HomePage, NoticeIndexPage, NoticePage, PolicyPage, ServiceGuidePage, TierTablePage
from policypages.testing import with_first_article_text

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


@pytest.fixture(autouse=True)
def fragments_on(settings, local_caches):
    settings.HUICAI_FRAGMENT_CACHE_ENABLED = True
    settings.HUICAI_PAGE_CACHE_ENABLED = False


@pytest.fixture
def section(policy):
    section = policy.get_parent().specific
    services.tier_table_ensure(section=section)
    services.service_guides_generate(section=section, policy=policy)
    return section


def visit(url, client=None):
    client = client or Client()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode(), len(queries)


def test_a_repeat_visit_reads_only_the_page_row(policy, section):
    table = section.get_children().type(TierTablePage).first()
    home = HomePage.objects.get()
    for url in (policy.url, section.url, table.url, home.url):
        first, first_queries = visit(url)
        second, second_queries = visit(url)
        assert second == first, url
        assert second_queries == 1 < first_queries, (url, first_queries, second_queries)


def test_a_tier_losing_a_service_shows_at_once(section):
    table = section.get_children().type(TierTablePage).first().specific
    before, _ = visit(table.url)
    tier = Tier.objects.filter(scheme=table.scheme).order_by("-rank").first()
    service = ServiceItem.objects.filter(tiers=tier).order_by("pk").first()
    assert f'data-ref="{service.ref}"' in before
    service.delete()
    after, _ = visit(table.url)
    assert f'data-ref="{service.ref}"' not in after


def test_a_new_guide_and_a_restriction_reach_the_section_listing(section):
    before, _ = visit(section.url)
    guide = ServiceGuidePage(title="缓存测试服务指南", slug="fragment-test-guide")
    section.add_child(instance=guide)
    guide.save_revision().publish()
    listed, _ = visit(section.url)
    assert "缓存测试服务指南" in listed and "缓存测试服务指南" not in before
    PageViewRestriction.objects.create(page=guide, restriction_type=PageViewRestriction.LOGIN)
    hidden, _ = visit(section.url)
    assert "缓存测试服务指南" not in hidden


def test_a_renamed_jurisdiction_reaches_the_home_page(section):
    home = HomePage.objects.get()
    visit(home.url)
    jurisdiction = section.scheme.jurisdiction
    jurisdiction.short_name = "片段缓存测试市"
    jurisdiction.save()
    after, _ = visit(home.url)
    assert "片段缓存测试市" in after


def test_an_editor_gets_the_header_with_the_edit_link_after_anonymous_visits(policy):
    anonymous, _ = visit(policy.url)
    assert "/admin/pages/" not in anonymous and "import-problems" not in anonymous
    editor = get_user_model().objects.create_superuser("fragment-editor", "editor@example.org", "x-pass-12345")
    client = Client()
    client.force_login(editor)
    edited, _ = visit(policy.url, client)
    edit_link = f'<a class="button-link" href="/admin/pages/{policy.pk}/edit/">'
    assert edit_link in edited and 'class="import-problems' in edited  # the importer's notes, for editors only
    again, _ = visit(policy.url)
    assert edit_link not in again and "import-problems" not in again


def test_a_published_title_and_a_passed_expiry_reach_the_header(policy):
    visit(policy.url)
    policy.title = "通化市英才卡管理服务办法（片段测试）"
    policy.expiry_date = datetime.date(2020, 1, 1)
    policy.save_revision().publish()
    after, _ = visit(policy.url)
    assert "（片段测试）" in after and "status-expired" in after


def test_off_means_rendered_every_time(policy, settings):
    settings.HUICAI_FRAGMENT_CACHE_ENABLED = False
    visit(policy.url)
    _, queries = visit(policy.url)
    assert queries > 1  # the body is read (deferred) to be rendered again


def test_a_published_notice_reaches_the_notice_list_at_once(section):
    index = section.add_child(instance=NoticeIndexPage(title="通知公告", slug="notices"))
    index.save_revision().publish()
    first, first_queries = visit(index.url)
    again, again_queries = visit(index.url)
    assert again == first and again_queries == 1
    notice = NoticePage(title="关于片段缓存测试的公告", slug="fragment-notice", date=datetime.date(2026, 11, 20),
                        body="<p>公告正文。</p>")
    index.add_child(instance=notice)
    notice.save_revision().publish()
    listed, _ = visit(index.url)
    assert "关于片段缓存测试的公告" in listed and "2026-11-20" in listed


def test_a_preview_shows_the_draft_not_the_kept_fragments(policy):
    visit(policy.url)  # the live header and body are now kept
    draft = PolicyPage.objects.get(pk=policy.pk)
    draft.title = "通化市英才卡管理服务办法（预览草稿）"
    with_first_article_text(draft, "预览草稿中的条文。")
    html = draft.make_preview_request().content.decode()
    assert "（预览草稿）" in html and "预览草稿中的条文。" in html
    live, _ = visit(policy.url)
    assert "（预览草稿）" not in live and "预览草稿中的条文。" not in live
