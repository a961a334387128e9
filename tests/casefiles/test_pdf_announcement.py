"""The annual exit announcement page: compiled from card history, masked, published with its PDF."""

import datetime
import io
import subprocess
import tempfile

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import storages
from pypdf import PdfReader

from casefiles.demo_cards import issue_card, prepare_schemes
from casefiles.models import BackgroundJob, JobKind, JobStatus, RevocationReason
from casefiles.services import cards as svc
from policypages.announcements import ExitAnnouncementPage

pytestmark = [pytest.mark.django_db]


def _site_root():
    """The default site's root page, made as the product makes it (``ensure_home_page``): the site Wagtail's migration
    made is gone once a transactional test has flushed the database, which a pytest-xdist worker may run first."""
    from policypages.demo import ensure_home_page

    return ensure_home_page()


def test_announcement_compiles_exits_masks_names_and_publishes_pdf(client, django_capture_on_commit_callbacks):
    prepare_schemes(["chuxiong"])
    office = get_user_model().objects.get(username="chuxiong.talent-office")
    gone = issue_card("chuxiong", applicant_name="赵子涵")
    stays = issue_card("chuxiong", applicant_name="钱明")
    svc.card_revoke(card=gone, reason=RevocationReason.objects.get(scheme=gone.scheme, ref="9.2"), user=office, comment="学术不端。")
    root = _site_root()
    year = datetime.date.today().year
    page = ExitAnnouncementPage(title=f"{year}年度“兴楚惠才卡”退出情况公告", slug="exits", scheme=gone.scheme, year=year,
                                issuing_body="中共楚雄州委人才工作领导小组办公室", document_number=f"楚人才办〔{year + 1}〕2号",
                                issued_on=datetime.date(year + 1, 1, 15), intro="根据第九条规定，现予公告。", live=False)
    root.add_child(instance=page)
    assert [r["card"] for r in page.rows] == [gone.number]
    assert page.rows[0]["name"] == "赵*涵" and page.rows[0]["article"] == "第九条第（二）项"
    assert stays.number not in str(page.rows)
    # a draft has no public PDF
    assert client.get(page.url + "pdf/").status_code == 404
    revision = page.save_revision()
    storages["private"].delete(f"announcements/{page.pk}-{revision.pk}.pdf")  # a file left by an earlier run
    # Publishing asks the worker for the PDF (run on commit by the immediate backend here).
    with django_capture_on_commit_callbacks(execute=True):
        revision.publish()
    page.refresh_from_db()
    (job,) = BackgroundJob.objects.filter(kind=JobKind.EXIT_ANNOUNCEMENT, object_id=page.pk)
    assert job.status == JobStatus.DONE and job.key == str(revision.pk) and job.result == {"rows": 1}
    assert storages["private"].exists(page.pdf_name())
    response = client.get(page.url + "pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(response.content)
        handle.flush()
        text = "".join(subprocess.run(["pdftotext", handle.name, "-"], capture_output=True, text=True, check=True).stdout.split())
    assert "中共楚雄州委人才工作领导小组办公室" in text and f"楚人才办〔{year + 1}〕2号" in text and "赵*涵" in text
    assert "赵子涵" not in text and gone.dossier.id_number not in text
    assert PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    html = client.get(page.url).content.decode()
    assert "赵*涵" in html and "赵子涵" not in html


def test_long_announcement_pdf_from_the_page_is_chunked_masked_and_numbered(monkeypatch):
    """The page's own rows (as exit_rows compiles them) through the chunked renderer: every row once and in order,
    names masked, no ID number, page numbers 1…n across chunk boundaries, the signature only at the end."""
    import re

    from casefiles import pdf

    prepare_schemes(["chuxiong"])
    office = get_user_model().objects.get(username="chuxiong.talent-office")
    gone = issue_card("chuxiong", applicant_name="孙思邈")
    reason = RevocationReason.objects.get(scheme=gone.scheme, ref="9.1")
    svc.card_revoke(card=gone, reason=reason, user=office, comment="材料不实。")
    year = datetime.date.today().year
    page = ExitAnnouncementPage(title=f"{year}年度退出情况公告", slug="exits-long", scheme=gone.scheme, year=year,
                                issuing_body="中共楚雄州委人才工作领导小组办公室", document_number=f"楚人才办〔{year + 1}〕5号",
                                issued_on=datetime.date(year + 1, 1, 20), intro="现予公告。", live=False)
    _site_root().add_child(instance=page)
    assert len(page.rows) == 1 and page.rows[0]["name"] == "孙*邈"
    template = page.rows[0]
    page.rows = [template] + [{**template, "card": f"XCHC2099{i:05d}"} for i in range(1, 90)]
    monkeypatch.setattr(pdf, "ANNOUNCEMENT_CHUNK_ROWS", 25)
    content = page.pdf_bytes()
    texts = ["".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(content)).pages]
    whole = "".join(texts)
    assert [int(n) for n in re.findall(r"XCHC2099(\d{5})", whole)] == list(range(1, 90))
    assert whole.count(gone.number) == 1 and whole.count("孙*邈") == 90
    assert "孙思邈" not in whole and gone.dossier.id_number not in whole
    assert [re.findall(r"—(\d+)—", t)[-1] for t in texts] == [str(n) for n in range(1, len(texts) + 1)]
    assert len(texts) >= 4 and f"{year + 1}年1月20日" in texts[-1] and f"{year + 1}年1月20日" not in texts[0]


def test_a_visitor_before_the_worker_gets_a_page_saying_so_and_asks_once(client, django_capture_on_commit_callbacks):
    """Published, but the worker has not run yet (its task waits): the PDF URL answers at once with 202 and a page
    that reloads; visitors asking again add no job; once the task runs, the same URL serves the PDF."""
    prepare_schemes(["chuxiong"])
    office = get_user_model().objects.get(username="chuxiong.talent-office")
    gone = issue_card("chuxiong", applicant_name="周子轩")
    svc.card_revoke(card=gone, reason=RevocationReason.objects.get(scheme=gone.scheme, ref="9.2"), user=office, comment="调离。")
    year = datetime.date.today().year
    page = ExitAnnouncementPage(title=f"{year}年度退出情况公告", slug="exits-wait", scheme=gone.scheme, year=year,
                                issuing_body="中共楚雄州委人才工作领导小组办公室", document_number=f"楚人才办〔{year + 1}〕7号",
                                issued_on=datetime.date(year + 1, 1, 16), intro="现予公告。", live=False)
    _site_root().add_child(instance=page)
    revision = page.save_revision()
    storages["private"].delete(f"announcements/{page.pk}-{revision.pk}.pdf")
    with django_capture_on_commit_callbacks(execute=False) as waiting:  # enqueued, not run
        revision.publish()
        page.refresh_from_db()
        for _ in range(3):
            response = client.get(page.url + "pdf/")
            assert response.status_code == 202 and response["Retry-After"] == "10"
            assert 'data-job-status="queued"' in response.content.decode()
    (job,) = BackgroundJob.objects.filter(kind=JobKind.EXIT_ANNOUNCEMENT, object_id=page.pk)
    assert job.status == JobStatus.QUEUED and not storages["private"].exists(page.pdf_name())
    for callback in waiting:  # the worker's turn
        callback()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    response = client.get(page.url + "pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "周*轩" in "".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
