"""Notices and announcements over the API (issue #23 item 2): the notice list, 公示 lists during their period with
the names masked, exit announcements with their masked rows and PDF link, catalogue additions; drafts and closed
lists never. Every response body is swept for the raw name, ID number and phone number of every dossier."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import storages
from django.utils import timezone
from rest_framework.test import APIClient

from casefiles.demo_cards import issue_card, prepare_schemes
from casefiles.masking import mask_name
from casefiles.models import BackgroundJob, Dossier, JobKind, JobStatus, PublicNotice, RevocationReason
from casefiles.services import cards as svc
from casefiles.services.jobs import job_run
from policypages import services
from policypages.announcements import ExitAnnouncementPage
from policypages.models import NoticePage
from policypages.testing import section_for
from programmes.models import ChangeStatus, ServiceChangeRequest

pytestmark = [pytest.mark.django_db]

NAMES = ["欧阳明华", "司马文静", "诸葛晓东"]


def _publish(parent, page):
    parent.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


@pytest.fixture
def world():
    prepare_schemes(["chuxiong"])
    section = section_for("chuxiong")
    index = services.notice_index_ensure(section=section)
    root = get_user_model().objects.create_superuser("notice-root", "root@example.org", "x")
    cards = [issue_card("chuxiong", applicant_name=name) for name in NAMES]
    reasons = RevocationReason.objects.filter(scheme=section.scheme).order_by("pk")
    reason = next((r for r in reasons if "department" in (r.requested_by or [])), None)
    assert reason is not None
    svc.card_revoke(card=cards[0], reason=reason, user=root, comment="核实情况属实。")
    today = timezone.localdate()
    notice = _publish(index, NoticePage(title="关于新增服务事项的公告", slug="new-services", date=today))
    exits = _publish(
        index,
        ExitAnnouncementPage(
            title=f"{today.year}年度退出情况公告",
            slug="exits",
            scheme=section.scheme,
            year=today.year,
            issuing_body="人才办",
            document_number="〔2026〕2号",
            issued_on=today,
        ),
    )
    draft = ExitAnnouncementPage(
        title="草稿退出公告",
        slug="draft-exits",
        scheme=section.scheme,
        year=today.year,
        issuing_body="人才办",
        document_number="〔2026〕9号",
        issued_on=today,
        live=False,
    )
    index.add_child(instance=draft)
    dossiers = [card.dossier for card in cards]
    open_list = PublicNotice.objects.create(
        scheme=section.scheme,
        number="楚人才公示〔2026〕3号",
        title="拟发放人选公示",
        opens_on=today,
        working_days=5,
        closes_on=today + datetime.timedelta(days=7),
        how_to_object="书面反映。",
        created_by=root,
    )
    open_list.dossiers.set(dossiers)
    closed_list = PublicNotice.objects.create(
        scheme=section.scheme,
        number="楚人才公示〔2025〕1号",
        title="已结束的公示",
        opens_on=today - datetime.timedelta(days=30),
        working_days=5,
        closes_on=today - datetime.timedelta(days=20),
        how_to_object="书面反映。",
        created_by=root,
    )
    closed_list.dossiers.set(dossiers)
    ServiceChangeRequest.objects.create(
        scheme=section.scheme,
        ref="5.99",
        article="第五条",
        title="新增：人才公寓保洁服务",
        text="提供保洁服务。",
        status=ChangeStatus.APPROVED,
        requested_by=root,
        announced_on=today,
    )
    ServiceChangeRequest.objects.create(
        scheme=section.scheme,
        ref="5.98",
        article="第五条",
        title="待批：未公布的服务",
        text="未批准。",
        status=ChangeStatus.SUBMITTED,
        requested_by=root,
    )
    return {"notice": notice, "exits": exits, "draft": draft, "open": open_list, "closed": closed_list}


def test_notices_masked_and_only_what_is_public(world):
    api = APIClient()
    bodies = {}

    def get(url, status=200):
        response = api.get(url)
        assert response.status_code == status, (url, response.status_code, response.content[:300])
        bodies[url] = response.content.decode()
        return response.json()

    listed = get("/api/v1/notices/")["results"]
    kinds = {(e["kind"], e["id"]) for e in listed}
    assert kinds == {
        ("notice", world["notice"].pk),
        ("exit_announcement", world["exits"].pk),
        ("public_notice", world["open"].pk),
    }
    assert get("/api/v1/notices/?scheme=chuxiong")["results"] == listed
    assert get("/api/v1/notices/?scheme=tonghua")["results"] == []

    open_list = get(f"/api/v1/notices/public-notices/{world['open'].pk}/")
    assert [row["name"] for row in open_list["rows"]] == [mask_name(name) for name in NAMES]
    get(f"/api/v1/notices/public-notices/{world['closed'].pk}/", status=404)

    exits = get(f"/api/v1/notices/exit-announcements/{world['exits'].pk}/")
    assert [row["name"] for row in exits["rows"]] == [mask_name(NAMES[0])]
    assert exits["pdf_url"].endswith("/pdf/")
    page = ExitAnnouncementPage.objects.get(pk=world["exits"].pk)
    storages["private"].delete(page.pdf_name())  # a file an earlier run left under the same ids
    pdf = api.get(exits["pdf_url"])
    assert pdf.status_code == 202, "the worker makes the PDF; until then the URL says so"
    (job,) = BackgroundJob.objects.filter(kind=JobKind.EXIT_ANNOUNCEMENT, object_id=page.pk, status=JobStatus.QUEUED)
    job_run(job.pk)  # the worker's turn (no worker in this test, and on-commit callbacks do not run)
    pdf = api.get(exits["pdf_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    get(f"/api/v1/notices/exit-announcements/{world['draft'].pk}/", status=404)

    changes = get("/api/v1/notices/catalogue-changes/")["results"]
    assert [c["title"] for c in changes] == ["新增：人才公寓保洁服务"]
    assert get("/api/v1/notices/catalogue-changes/?scheme=chuxiong")["results"] == changes

    # no response body carries the raw name, ID number or phone number of any dossier
    secrets = set()
    for name, id_number, phone in Dossier.objects.values_list("applicant_name", "id_number", "phone"):
        secrets |= {value for value in (name, id_number, phone) if value}
    assert len(secrets) >= 3 * len(NAMES)
    leaks = [(url, secret) for url, body in bodies.items() for secret in secrets if secret in body]
    assert leaks == []
    assert "草稿退出公告" not in "".join(bodies.values())
    print(f"notices API: {len(bodies)} responses swept for {len(secrets)} raw values: no leak")
