"""Certificates, batch print files, public notices and announcements, read back from the PDFs."""

import io
import os
import subprocess
import tempfile

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from pypdf import PdfReader

from casefiles import pdf
from casefiles.demo_cards import issue_card, prepare_schemes
from casefiles.exceptions import StateConflict, TransitionDenied
from casefiles.models import BackgroundJob, CardStatus, Dossier, JobKind, JobStatus, JournalEntry, ObjectionStatus
from casefiles.services import cards as svc
from casefiles.services import notices
from casefiles.testing import fire, identity, path_to

pytestmark = [pytest.mark.django_db]


def text_of(content):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(content)
        handle.flush()
        return subprocess.run(["pdftotext", "-layout", handle.name, "-"], capture_output=True, check=True, text=True).stdout


def embedded_fonts(content):
    """{font name: embedded?} over all pages, from the PDF's font dictionaries."""
    fonts = {}
    for page in PdfReader(io.BytesIO(content)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font).get("/FontDescriptor").get_object()
            fonts[str(font["/BaseFont"])] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return fonts


def save_page_one(content, artifacts_dir, name):
    path = os.path.join(artifacts_dir, f"{name}.pdf")
    with open(path, "wb") as handle:
        handle.write(content)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", path,
                    os.path.join(artifacts_dir, name)], check=True)
    return os.path.join(artifacts_dir, f"{name}.png")


@pytest.fixture
def tonghua_card(db):
    prepare_schemes(["tonghua"])
    return issue_card("tonghua", applicant_name="欧阳明华")


def test_certificate_has_chinese_text_and_embedded_cjk_fonts(tonghua_card, artifacts_dir):
    content = pdf.certificate_pdf(tonghua_card)
    text = text_of(content)
    compact = "".join(text.split())
    assert "证书" in compact and "欧阳明华" in compact and tonghua_card.number in compact
    assert tonghua_card.tier.name in compact and "通化市人力资源和社会保障局" in compact
    assert f"{tonghua_card.valid_until.year}年{tonghua_card.valid_until.month}月{tonghua_card.valid_until.day}日" in compact
    assert tonghua_card.dossier.id_number not in compact
    fonts = embedded_fonts(content)
    assert fonts and all(fonts.values()), fonts
    assert any("Huicai" in name or "CJK" in name for name in fonts)
    assert len(PdfReader(io.BytesIO(content)).pages) == 1
    assert os.path.getsize(save_page_one(content, artifacts_dir, "certificate-tonghua")) > 5000


def test_certificate_wording_comes_from_the_scheme_file(tonghua_card):
    """``cards.certificate.title`` / ``.text`` (issue #17 item 1): the default wording where the file gives none, the
    file's where it does — placeholders filled, the holder's name and the tier in bold, the file's text escaped."""
    from casefiles.models import Scheme

    html = pdf.certificate_html([tonghua_card])
    assert "<h1>证　书</h1>" in html
    assert f"<b>欧阳明华</b>同志：经审核认定，您符合《{tonghua_card.scheme.policy_title}》规定的条件" in html
    scheme = tonghua_card.scheme
    rules = {**scheme.card_rules, "certificate": {**scheme.card_rules["certificate"], "title": "荣誉证书",
             "text": "兹认定{holder_name}为{scheme}持卡人<{tier}>，依据《{policy_title}》享受服务。"}}
    Scheme.objects.filter(pk=scheme.pk).update(card_rules=rules)
    tonghua_card.refresh_from_db()
    html = pdf.certificate_html([tonghua_card])
    assert "<h1>荣誉证书</h1>" in html and "<h1>证　书</h1>" not in html
    assert (f"兹认定<b>欧阳明华</b>为{scheme.name}持卡人&lt;<b>{tonghua_card.tier.name}</b>&gt;，"
            f"依据《{scheme.policy_title}》享受服务。") in html
    assert "经审核认定" not in html
    compact = "".join(text_of(pdf.certificate_pdf(tonghua_card, cache=False)).split())
    assert "荣誉证书" in compact and "兹认定欧阳明华为" in compact


def test_certificate_download_permissions_and_journal(client, tonghua_card):
    client.force_login(tonghua_card.holder)
    response = client.get(f"/cards/{tonghua_card.pk}/certificate.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "欧阳明华" in "".join(text_of(response.content).split())
    assert JournalEntry.objects.filter(action="casefiles.card.certificate_download", object_id=str(tonghua_card.pk)).exists()
    client.force_login(get_user_model().objects.get(username="tonghua.service-center"))
    assert client.get(f"/cards/{tonghua_card.pk}/certificate.pdf").status_code == 200
    client.force_login(get_user_model().objects.get(username="tonghua.employer2"))
    assert client.get(f"/cards/{tonghua_card.pk}/certificate.pdf").status_code == 404
    client.logout()
    assert client.get(f"/cards/{tonghua_card.pk}/certificate.pdf").status_code == 302


def _to_production(scheme_slug, n):
    import random

    from casefiles.demo_dossiers import dossier_in_state
    from casefiles.models import Scheme

    scheme = Scheme.objects.get(slug=scheme_slug)
    dossiers = []
    for i in range(n):
        user = get_user_model().objects.create_user(f"{scheme_slug}-batch-{i}")
        # a claim whose route reaches the bank's production, with the materials and the stages' controls met
        dossiers.append(dossier_in_state(scheme, user, random.Random(i), "card_production"))
    return scheme, dossiers


@pytest.mark.parametrize("slug", ["chuxiong", "baiyun"])
def test_bank_production_batch_export_produce_issue_hand_out(client, slug, django_capture_on_commit_callbacks):
    prepare_schemes([slug])
    scheme, dossiers = _to_production(slug, 3)
    bank = get_user_model().objects.get(username=f"{slug}.bank")
    with pytest.raises(TransitionDenied):
        svc.production_batch_create(scheme=scheme, user=dossiers[0].applicant)
    batch = svc.production_batch_create(scheme=scheme, user=bank)
    assert batch.items.count() == 3
    client.force_login(bank)
    response = client.get(f"/cards/batches/{batch.pk}/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("序号", "档案编号", "姓名") and len(rows) == 4
    assert {r[2] for r in rows[1:]} == {d.applicant_name for d in dossiers}
    for item in batch.items.all():
        svc.card_mark_produced(item=item, user=bank)
        with pytest.raises(StateConflict):
            svc.card_mark_produced(item=item, user=bank)
    issuer_path = path_to(scheme, "issued")
    for d in dossiers:
        d = Dossier.objects.get(pk=d.pk)
        assert d.state.code == "issuance"
        for t in [t for t in issuer_path if t.code == "issue"]:
            fire(d, t)
    items = list(batch.items.select_related("card"))
    assert all(i.card and i.card.produced_at == i.produced_at for i in items)
    svc.card_mark_handed_out(card=items[0].card, user=bank)
    items[0].card.refresh_from_db()
    assert items[0].card.handed_out_at is not None and items[0].card.events.filter(kind="hand_out").exists()
    url = f"/cards/batches/{batch.pk}/certificates.pdf"
    assert "data-jobs" not in client.get(url).content.decode(), "no print file asked for yet"
    # The request asks for the print file and answers at once; the task (run on commit by the immediate backend
    # here, by db_worker in production: tests/worker/test_jobs_worker.py) renders and stores it.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url)
    assert response.status_code == 302 and len(callbacks) == 1
    (job,) = BackgroundJob.objects.filter(kind=JobKind.BATCH_CERTIFICATES, object_id=batch.pk)
    assert job.status == JobStatus.DONE and job.requested_by == bank and (job.done, job.total) == (3, 3)
    assert job.file.name.startswith("jobs/") and job.result == {"cards": 3}
    page = client.get(url).content.decode()
    assert f'data-job="{job.pk}" data-status="done"' in page and f'href="?job={job.pk}"' in page
    response = client.get(url, {"job": job.pk})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    content = response.content
    assert len(PdfReader(io.BytesIO(content)).pages) == 3
    assert JournalEntry.objects.filter(action="casefiles.card.batch_certificates_download", object_id=str(batch.pk)).exists()
    assert client.get(url, {"job": job.pk + 1}).status_code == 404
    compact = "".join(text_of(content).split())
    assert all(i.card.number in compact for i in items) and all(d.applicant_name in compact for d in dossiers)


def test_public_notice_pdf_masks_names_and_objections_block_issuance(client, artifacts_dir):
    prepare_schemes(["chuxiong"])
    from casefiles.models import Scheme

    scheme = Scheme.objects.get(slug="chuxiong")
    office = get_user_model().objects.get(username="chuxiong.talent-office")
    dossiers = []
    for i, name in enumerate(["李文博", "王芳", "欧阳子涵"]):
        user = get_user_model().objects.create_user(f"notice-{i}")
        from casefiles.services.dossiers import dossier_create

        d = dossier_create(applicant=user, scheme=scheme, requested_tier=scheme.tiers.first(),
                           employer=scheme.jurisdiction.departments.filter(kind="employer").first(), **identity(applicant_name=name))
        # at the notice stage directly: the steps before it need materials and opinions (test_public_notice.py)
        Dossier.objects.filter(pk=d.pk).update(state=scheme.states.get(code="public_notice"))
        dossiers.append(Dossier.objects.get(pk=d.pk))
    notice = notices.public_notice_open(scheme=scheme, user=office, dossiers=dossiers, working_days=5,
                                    how_to_object="对公示人选如有异议，请于公示期内以书面形式向州委人才工作领导小组办公室反映，电话：0878-3000000。")
    assert notice.closes_on > notice.opens_on
    client.force_login(office)
    response = client.get(f"/cards/notices/{notice.pk}/notice.pdf")
    content = response.content
    compact = "".join(text_of(content).split())
    assert "李*博" in compact and "王*" in compact and "欧**涵" in compact
    assert "李文博" not in compact and "5个工作日" in compact and "第四条第（三）项" in compact
    assert all(d.id_number not in compact for d in dossiers)
    assert all(embedded_fonts(content).values())
    save_page_one(content, artifacts_dir, "public-notice-chuxiong")

    objection = notices.objection_record(notice=notice, dossier=dossiers[0], user=office, content="该人选学历信息存疑。")
    later = notice.closes_on.replace(year=notice.closes_on.year + 1)
    with pytest.raises(StateConflict):
        notices.public_notice_close_for(dossier=dossiers[0], user=office, today=later)
    notices.objection_resolve(objection=objection, user=office, upheld=False, resolution="经核实学历真实，异议不成立。")
    assert objection.__class__.objects.get(pk=objection.pk).status == ObjectionStatus.DISMISSED
    with pytest.raises(StateConflict):  # the period is still running today
        notices.public_notice_close_for(dossier=dossiers[0], user=office)
    moved = notices.public_notice_close_for(dossier=dossiers[0], user=office, today=later)
    assert moved.state.code == "card_production"
    upheld = notices.objection_record(notice=notice, dossier=dossiers[1], user=office, content="存在学术不端。")
    notices.objection_resolve(objection=upheld, user=office, upheld=True, resolution="异议成立，不予发放。")
    with pytest.raises(StateConflict):
        notices.public_notice_close_for(dossier=dossiers[1], user=office, today=later)


def test_announcement_pdf_red_header(artifacts_dir):
    rows = [{"name": "张*明", "employer": "楚雄示范医药有限公司", "card": "XCHC202600001", "article": "第九条第（四）项",
             "reason": "未按规定履行合同，或未满最低服务年限，或与州内用人单位终止合作关系的", "date": "2026-03-01"}] * 40
    content = pdf.announcement_pdf(title="2026年度楚雄州“兴楚惠才卡”退出情况公告", issuing_body_name="中共楚雄州委人才工作领导小组办公室",
                                   document_number="楚人才办〔2027〕1号", date=__import__("datetime").date(2027, 1, 10),
                                   intro="根据第九条规定，现将2026年度退出情况公告如下。", rows=rows)
    compact = "".join(text_of(content).split())
    assert "中共楚雄州委人才工作领导小组办公室" in compact and "楚人才办〔2027〕1号" in compact and "张*明" in compact
    assert len(PdfReader(io.BytesIO(content)).pages) >= 2 and all(embedded_fonts(content).values())
    save_page_one(content, artifacts_dir, "exit-announcement")


def test_certificate_status_does_not_block_reprint_of_active(tonghua_card):
    assert tonghua_card.status == CardStatus.ACTIVE


def test_long_announcement_is_chunked_numbered_and_stamped():
    import datetime

    rows = [{"name": "王*", "employer": "楚雄州示范人民医院", "card": f"XCHC2026{i:05d}", "article": "第九条第（四）项",
             "reason": "与州内用人单位终止合作关系的", "date": "2026-05-01"} for i in range(1, 251)]
    content = pdf.announcement_pdf(title="2026年度退出情况公告", issuing_body_name="中共楚雄州委人才工作领导小组办公室",
                                   document_number="楚人才办〔2027〕3号", date=datetime.date(2027, 1, 10), intro="", rows=rows,
                                   chunk_rows=100)
    reader = PdfReader(io.BytesIO(content))
    texts = ["".join(p.extract_text().split()) for p in reader.pages]
    whole = "".join(texts)
    assert whole.count("楚人才办〔2027〕3号") == 1  # the red header once, on page one
    assert "XCHC202600001" in texts[0] and "XCHC202600250" in texts[-1]
    assert all(f"XCHC2026{i:05d}" in whole for i in range(1, 251))
    assert all(f"—{n}—" in text for n, text in enumerate(texts, start=1))  # stamped page numbers, continuous
    assert "2027年1月10日" in texts[-1] and "2027年1月10日" not in texts[0]
    assert all(embedded_fonts(content).values())


def _elements_in_pdf_templates():
    import re
    from pathlib import Path

    from django.conf import settings

    tags = set()
    for path in (Path(settings.BASE_DIR) / "templates" / "pdf").glob("*.html"):
        tags |= set(re.findall(r"<([a-z][a-z0-9]*)\b", path.read_text(encoding="utf-8")))
    return tags | set(re.findall(r"<([a-z][a-z0-9]*)\b", pdf.qr_img("x")))  # markup made in casefiles/pdf.py


def test_trimmed_user_agent_stylesheet_covers_every_element_of_the_pdf_templates():
    import re

    css = re.sub(r"/\*.*?\*/", "", pdf.UA_STYLESHEET_PATH.read_text(encoding="utf-8"), flags=re.S)
    selectors = " ".join(part.split("{")[0] for part in css.split("}"))
    tags = _elements_in_pdf_templates()
    assert {"table", "td", "section", "img", "a"} <= tags  # the scan found the templates
    missing = sorted(t for t in tags if not re.search(rf"(?<![\w.#-]){t}(?![\w-])", selectors))
    assert not missing, f"add rules for {missing} to casefiles/pdf_ua.css (see WeasyPrint's css/html5_ua.css)"


def _raster(content, directory, name):
    path = os.path.join(directory, f"{name}.pdf")
    with open(path, "wb") as handle:
        handle.write(content)
    subprocess.run(["pdftoppm", "-r", "40", "-png", path, os.path.join(directory, name)], check=True)
    pages = sorted(p for p in os.listdir(directory) if p.startswith(f"{name}-") and p.endswith(".png"))
    return [open(os.path.join(directory, p), "rb").read() for p in pages]


def test_trimmed_user_agent_stylesheet_renders_like_weasyprints_own(tmp_path):
    """Same pixels as WeasyPrint's full HTML5 user-agent sheet, for a certificate, a chunk-sized announcement
    (long reasons wrap, table head repeats) and a page with a link, a list and a second-level heading."""
    import datetime
    import random

    from weasyprint import HTML

    from casefiles.testing import chinese_name

    rng = random.Random(7)
    card = type("Card", (), {"holder_name": "欧阳明华", "tier": type("T", (), {"name": "A卡"}), "number": "THYC202600001",
                             "valid_from": datetime.date(2026, 11, 22), "valid_until": None})
    certificate = pdf.render_html("pdf/certificate.html", {"certificates": [{
        "card": card, "scheme": {"name": "通化市“英才卡”", "policy_title": "通化市“英才卡”管理服务办法"},
        "bodies": ["通化市人力资源和社会保障局"], "qr": pdf.qr_img("https://example.org/v/1")}]})
    rows = [{"name": chinese_name(rng), "employer": "楚雄州示范人民医院", "card": f"XCHC2026{i:05d}",
             "article": "第九条第（四）项", "reason": "未按规定履行合同，或未满最低服务年限，或与州内用人单位终止合作关系的" * (i % 3 + 1),
             "date": "2026-05-01"} for i in range(1, 61)]
    announcement = pdf.announcement_html(title="2026年度退出情况公告", issuing_body_name="中共楚雄州委人才工作领导小组办公室",
                                         document_number="楚人才办〔2027〕3号", date=datetime.date(2027, 1, 10),
                                         intro="根据第九条规定，现予公告。", rows=rows)
    other = (f"<html><head><style>{pdf.font_css()} html {{ font-family: HuicaiSerif }}</style></head><body>"
             "<h2>一、议题</h2><p>见<a href='https://example.org/'>链接</a>，<b>加粗</b><i>斜</i></p>"
             "<ol><li>第一</li><li>第二</li></ol><ul><li>甲</li></ul><dl><dt>甲</dt><dd>乙</dd></dl></body></html>")
    for name, html in (("certificate", certificate), ("announcement", announcement), ("other", other)):
        ours = pdf.html_to_pdf(html)
        theirs = HTML(string=html, base_url=str(tmp_path)).write_pdf(font_config=pdf.font_config())
        ours_pages, their_pages = _raster(ours, tmp_path, f"{name}-ours"), _raster(theirs, tmp_path, f"{name}-theirs")
        assert len(ours_pages) == len(their_pages) >= 1, name
        assert ours_pages == their_pages, name
    assert len(ours_pages) >= 1 and len(_raster(pdf.html_to_pdf(announcement), tmp_path, "again")) >= 3


def test_chunked_announcement_reuses_workers_and_keeps_every_row_numbered(monkeypatch):
    """More chunks than workers × chunks per worker: workers are reused, then replaced; rows stay in order,
    numbered 1…n without gaps, and page numbers run on across chunk boundaries."""
    import datetime
    import re

    monkeypatch.setattr(pdf, "WORKER_CHUNKS", 2)
    rows = [{"name": "李*", "employer": "楚雄师范学院", "card": f"XCHC2026{i:05d}", "article": "第九条第（一）项",
             "reason": "弄虚作假骗取入选资格的", "date": "2026-02-01"} for i in range(1, 181)]
    content = pdf.announcement_pdf(title="2026年度退出情况公告", issuing_body_name="中共楚雄州委人才工作领导小组办公室",
                                   document_number="楚人才办〔2027〕4号", date=datetime.date(2027, 1, 10), intro="",
                                   rows=rows, chunk_rows=30)
    reader = PdfReader(io.BytesIO(content))
    texts = ["".join(p.extract_text().split()) for p in reader.pages]
    cards = re.findall(r"XCHC2026(\d{5})", "".join(texts))
    assert [int(c) for c in cards] == list(range(1, 181))
    assert [re.findall(r"—(\d+)—", t)[-1] for t in texts] == [str(n) for n in range(1, len(texts) + 1)]
    assert len(texts) >= 6


def test_batch_print_file_in_parallel_chunks_keeps_one_page_per_card_in_order(monkeypatch):
    import datetime
    import re

    monkeypatch.setattr(pdf, "CHUNK_MAX", 3)
    scheme = {"name": "通化市“英才卡”", "policy_title": "通化市“英才卡”管理服务办法"}
    contexts = []
    for i in range(1, 14):
        card = type("Card", (), {"holder_name": f"测试{i}", "tier": type("T", (), {"name": "B卡"}),
                                 "number": f"THYC2026{i:05d}", "valid_from": datetime.date(2026, 11, 22),
                                 "valid_until": datetime.date(2031, 11, 21)})
        contexts.append({"card": card, "scheme": scheme, "bodies": ["通化市人力资源和社会保障局"],
                         "qr": pdf.qr_img(f"https://example.org/v/{i}")})
    content = pdf.certificates_pdf_from_contexts(contexts, workers=2)  # 13 cards: chunks of ≤ 3 on 2 workers
    pages = PdfReader(io.BytesIO(content)).pages
    assert len(pages) == 13
    numbers = [re.findall(r"THYC2026(\d{5})", "".join(p.extract_text().split())) for p in pages]
    assert [sorted(set(n)) for n in numbers] == [[f"{i:05d}"] for i in range(1, 14)]
    assert all(embedded_fonts(content).values())
