"""Public notices found from the front door (issue #18 item 4), on a 390×844 phone and a desktop: the home page and
the scheme section link the notice indexes and verification; the indexes list notices, exit announcements and 公示
lists; the exit announcement has a short URL, numbers its rows 序号 (not 卡号) and stacks its rows on a phone."""

import datetime
import os

import pytest
from django.contrib.auth import get_user_model

from casefiles.demo_cards import issue_card, prepare_schemes
from casefiles.models import PublicNotice, RevocationReason
from casefiles.services import cards as svc
from policypages import services
from policypages.announcements import ExitAnnouncementPage
from policypages.demo import ensure_home_page, ensure_scheme_section

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def shot(page, artifacts_dir, name):
    path = os.path.join(artifacts_dir, f"notices-{name}.png")
    page.screenshot(path=path, full_page=True)
    assert os.path.getsize(path) > 10_000
    return path


@pytest.fixture
def announced():
    from policypages.testing import ensure_wagtail_root

    ensure_wagtail_root()
    (scheme,) = prepare_schemes(["chuxiong"])
    office = get_user_model().objects.get(username="chuxiong.talent-office")
    reasons = list(RevocationReason.objects.filter(scheme=scheme).order_by("pk"))
    for i, name in enumerate(["赵子涵", "钱明远", "孙丽"]):
        card = issue_card("chuxiong", applicant_name=name)
        svc.card_revoke(card=card, reason=reasons[i % len(reasons)], user=office, comment="按规定退出。")
    home = ensure_home_page()
    section = ensure_scheme_section(home, scheme)
    site_index = services.notice_index_ensure(section=home)
    index = services.notice_index_ensure(section=section)
    year = datetime.date.today().year
    title = f"{year}年度“兴楚惠才卡”退出情况公告"
    # what the admin sends when the editor leaves the slug it made from the title
    page = ExitAnnouncementPage(title=title, slug=title, scheme=scheme, year=year, issuing_body="中共楚雄州委人才工作领导小组办公室",
                                document_number=f"楚人才办〔{year}〕2号", issued_on=datetime.date(year, 12, 1),
                                intro="根据第九条规定，现将本年度退出情况予以公告。")
    index.add_child(instance=page)
    page.save_revision().publish()
    PublicNotice.objects.create(scheme=scheme, number=f"楚人才公示〔{year}〕1号", title="兴楚惠才卡拟发放人选公示",
                                opens_on=datetime.date(year, 11, 2), working_days=5,
                                closes_on=datetime.date(year, 11, 9), how_to_object="书面反映。", created_by=office)
    page.refresh_from_db()
    return {"home": home, "section": section, "site_index": site_index, "index": index, "page": page, "year": year}


def test_notices_from_the_front_door_on_a_desktop(live_server, desktop, artifacts_dir, announced, axe_violations):
    page, year = announced["page"], announced["year"]
    assert page.slug == f"{year}-exits" and page.url == f"/chuxiong/notices/{year}-exits/"
    desktop.goto(live_server.url + "/")
    assert desktop.locator('a[href="/verify/"]').count() >= 1
    with desktop.expect_navigation():
        desktop.get_by_role("link", name="通知公告").first.click()
    assert desktop.url == live_server.url + "/notices/"
    entries = desktop.locator(".notice-entry").all_inner_texts()
    assert any("退出情况公告" in e and page.document_number in e for e in entries)
    assert any("拟发放人选公示" in e and "5个工作日" in e for e in entries)
    assert axe_violations(desktop) == []
    shot(desktop, artifacts_dir, "site-index-desktop")
    with desktop.expect_navigation():
        desktop.get_by_role("link", name=page.title).click()
    assert desktop.url == live_server.url + f"/chuxiong/notices/{year}-exits/"
    headers = desktop.locator("table.exit-table thead th").all_inner_texts()
    assert headers[0] == "序号" and headers[3] == "卡号"
    rows = desktop.locator("table.exit-table tbody tr")
    assert rows.count() == 3 == len(page.rows)
    assert rows.first.locator("td").first.inner_text() == "1"
    assert rows.first.locator("td.card-no").inner_text() == page.rows[0]["card"]
    assert "赵*涵" in desktop.content() and "赵子涵" not in desktop.content()
    assert desktop.evaluate("document.documentElement.scrollWidth") <= desktop.viewport_size["width"]
    assert axe_violations(desktop) == []
    shot(desktop, artifacts_dir, "announcement-desktop")


def test_notices_on_a_phone(live_server, mobile, artifacts_dir, announced, axe_violations):
    page, section = announced["page"], announced["section"]
    mobile.goto(live_server.url + section.url)
    links = mobile.locator(".section-links a")
    assert links.nth(0).get_attribute("href") == announced["index"].url
    assert links.nth(1).get_attribute("href") == "/verify/"
    with mobile.expect_navigation():
        links.nth(0).click()
    assert mobile.locator("h1").inner_text() == announced["index"].title
    # the exit announcement and every 公示 of the scheme (the three cards issued went through their own notices)
    notices = PublicNotice.objects.filter(scheme=page.scheme).count()
    assert notices >= 1 and mobile.locator(".notice-entry").count() == 1 + notices
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(mobile) == []
    shot(mobile, artifacts_dir, "scheme-index-phone")
    mobile.goto(live_server.url + page.url)
    width = mobile.viewport_size["width"]
    assert mobile.evaluate("document.documentElement.scrollWidth") <= width
    row = mobile.locator("table.exit-table tbody tr").first
    assert row.evaluate("r => getComputedStyle(r).display") == "block"
    cells = row.locator("td")
    assert cells.count() == 6
    boxes = [cells.nth(i).bounding_box() for i in range(6)]
    # stacked: each cell below the last, each inside the screen, each labelled
    assert all(b["y"] > a["y"] for a, b in zip(boxes, boxes[1:], strict=False))
    assert all(b["x"] >= 0 and b["x"] + b["width"] <= width for b in boxes)
    labels = [cells.nth(i).evaluate("c => getComputedStyle(c, '::before').content") for i in range(6)]
    assert labels[0] == '"序号"' and labels[3] == '"卡号"'
    assert axe_violations(mobile) == []
    shot(mobile, artifacts_dir, "announcement-phone")
