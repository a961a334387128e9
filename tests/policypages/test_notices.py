"""Notice indexes (per scheme and for the site), short notice URLs, and the page cache when a 公示 list is added."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from casefiles.models import PublicNotice
from policypages import cache as page_cache
from policypages import selectors, services
from policypages.announcements import ExitAnnouncementPage
from policypages.demo import ensure_home_page
from policypages.models import NoticePage
from policypages.testing import section_for

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def two_sections():
    sections = [section_for(slug) for slug in ("chuxiong", "tonghua")]
    home = ensure_home_page()
    indexes = [services.notice_index_ensure(section=s) for s in sections]
    return home, sections, services.notice_index_ensure(section=home), indexes


def _publish(parent, page):
    parent.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def test_short_urls_and_who_lists_what(two_sections):
    home, sections, site_index, indexes = two_sections
    assert site_index.url == "/notices/" and [i.url for i in indexes] == ["/chuxiong/notices/", "/tonghua/notices/"]
    day = datetime.date(2026, 3, 2)
    first = _publish(indexes[0], NoticePage(title="关于调整服务事项的公告", slug="关于调整服务事项的公告", date=day))
    second = _publish(indexes[0], NoticePage(title="关于新增服务事项的公告", slug="关于新增服务事项的公告", date=day))
    typed = _publish(indexes[1], NoticePage(title="通化的公告", slug="call-2026", date=day))
    exits = _publish(indexes[0], ExitAnnouncementPage(
        title="2026年度“兴楚惠才卡”退出情况公告", slug="2026年度“兴楚惠才卡”退出情况公告", scheme=sections[0].scheme, year=2026,
        issuing_body="人才办", document_number="〔2026〕2号", issued_on=datetime.date(2026, 12, 1)))
    assert [first.url, second.url, typed.url, exits.url] == [
        "/chuxiong/notices/notice-2026-03-02/", "/chuxiong/notices/notice-2026-03-02-2/", "/tonghua/notices/call-2026/",
        "/chuxiong/notices/2026-exits/"]
    assert all("%" not in page.url for page in (first, second, typed, exits))
    user = get_user_model().objects.create_user(username="notice-clerk", password="x-Long-enough-1")
    PublicNotice.objects.create(scheme=sections[1].scheme, number="通人才公示〔2026〕1号", title="英才卡拟发放人选公示",
                                opens_on=datetime.date(2026, 11, 2), working_days=5,
                                closes_on=datetime.date(2026, 11, 9), how_to_object="书面反映。", created_by=user)
    titles = {index.pk: [e["title"] for e in selectors.notice_list(index)] for index in (site_index, *indexes)}
    assert titles[indexes[0].pk][0] == "2026年度“兴楚惠才卡”退出情况公告"  # newest first; the other two share a date
    assert sorted(titles[indexes[0].pk][1:]) == sorted(["关于新增服务事项的公告", "关于调整服务事项的公告"])
    assert titles[indexes[1].pk] == ["英才卡拟发放人选公示", "通化的公告"]
    assert sorted(titles[site_index.pk]) == sorted(titles[indexes[0].pk] + titles[indexes[1].pk])
    # the home page and each section link their index and verification
    client = Client()
    home_html = client.get("/").content.decode()
    assert 'href="/notices/"' in home_html and 'href="/verify/"' in home_html
    for section, index in zip(sections, indexes, strict=True):
        html = client.get(section.url).content.decode()
        assert f'href="{index.url}"' in html and 'href="/verify/"' in html


def test_a_new_public_notice_list_reaches_the_cached_index(two_sections):
    _home, sections, _site_index, indexes = two_sections
    version = page_cache.current_version()
    user = get_user_model().objects.create_user(username="notice-clerk", password="x-Long-enough-1")
    PublicNotice.objects.create(scheme=sections[0].scheme, number="楚人才公示〔2026〕3号", title="拟发放人选公示（第三批）",
                                opens_on=datetime.date(2026, 11, 2), working_days=5,
                                closes_on=datetime.date(2026, 11, 9), how_to_object="书面反映。", created_by=user)
    assert page_cache.current_version() != version


def test_approved_catalogue_additions_are_listed_in_their_scheme_and_the_site(two_sections):
    """A notice index lists the catalogue additions (服务事项调整) approved for its scheme, and the site index all of
    them; a change still under review or refused is not listed, and approving one changes the cached page."""
    from programmes.models import ChangeStatus, ServiceChangeRequest

    home, sections, site_index, indexes = two_sections
    clerk = get_user_model().objects.create_user(username="catalogue-clerk", password="x-Long-enough-1")

    def change(section, title, status, announced_on=None):
        return ServiceChangeRequest.objects.create(
            scheme=section.scheme, ref=f"C-{ServiceChangeRequest.objects.count() + 1}", article="第五条", title=title,
            text="新增服务事项。", status=status, requested_by=clerk, announced_on=announced_on)

    approved = change(sections[0], "新增：人才公寓租金减免", ChangeStatus.APPROVED, datetime.date(2026, 10, 8))
    change(sections[0], "仍在审核的调整", ChangeStatus.SUBMITTED)
    change(sections[1], "被驳回的调整", ChangeStatus.REJECTED, datetime.date(2026, 10, 9))
    listed = {index.pk: selectors.notice_list(index) for index in (site_index, *indexes)}
    assert [e["title"] for e in listed[indexes[0].pk]] == ["新增：人才公寓租金减免"]
    assert listed[indexes[0].pk][0]["number"] == approved.ref and listed[indexes[0].pk][0]["date"] == approved.announced_on
    assert listed[indexes[1].pk] == []
    assert [e["title"] for e in listed[site_index.pk]] == ["新增：人才公寓租金减免"]

    client = Client()
    assert "又一项新增服务" not in client.get(indexes[1].url).content.decode()
    version = page_cache.current_version()
    change(sections[1], "又一项新增服务", ChangeStatus.APPROVED, datetime.date(2026, 11, 1))
    assert page_cache.current_version() != version
    assert "又一项新增服务" in client.get(indexes[1].url).content.decode()
