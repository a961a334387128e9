"""Documents in the case file (issue #24 items 1, 3, 4): versions, withdrawal, and their text in staff search.

Real components throughout: the upload checks, private storage, the task worker's immediate backend (the on-commit
callbacks are run), pdftotext and Tesseract with its Simplified Chinese model, the embedded search backend (and
Elasticsearch when ``ELASTICSEARCH_URL`` is set). The award certificate is a scan made here with Pillow and a CJK
font; the text PDF is made by WeasyPrint.
"""

import io
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from casefiles.actions.documents import (
    AddDocument,
    AddDocumentVersion,
    DocumentDenied,
    WithdrawDocument,
    dossier_decided,
)
from casefiles.demo_dossiers import drive_to
from casefiles.exceptions import CaseFileError
from casefiles.models import Attachment, Document, DocumentSide, JournalEntry, StateKind, TextStatus
from casefiles.selectors_materials import materials_missing
from casefiles.testing import demo_user_for
from search import service
from tests.casefiles.factories import decided_dossier, new_dossier, other_scheme_officer, setup_schemes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("schemes_once")]

AWARD = "国务院政府特殊津贴"
PDF_PHRASE = "青藏高原冻土工程联合实验室"


def cjk_font():
    files = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=True).stdout.split("\n")
    paths = sorted(line.split(":")[0] for line in files if line.strip())
    assert paths, "no CJK font installed (fonts-noto-cjk)"
    return next((p for p in paths if "Sans" in p), paths[0])


def scanned_certificate(title=AWARD):
    """A grey scan of an award certificate (PNG), its text only in pixels."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1400, 600), 255)
    draw = ImageDraw.Draw(image)
    draw.text((80, 80), "荣誉证书", font=ImageFont.truetype(cjk_font(), 72), fill=0)
    draw.text((80, 250), title, font=ImageFont.truetype(cjk_font(), 72), fill=0)
    draw.text((80, 420), "中华人民共和国人力资源和社会保障部", font=ImageFont.truetype(cjk_font(), 48), fill=0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def text_pdf(body):
    from weasyprint import HTML

    html = f'<html lang="zh"><body style="font-family: \'Noto Sans CJK SC\'"><h1>聘用合同</h1><p>{body}</p></body></html>'
    return HTML(string=html).write_pdf()


def upload(name, data, content_type):
    return SimpleUploadedFile(name, data, content_type=content_type)


def api(person):
    client = APIClient()
    client.force_authenticate(person)
    return client


def submitted(dossier):
    """The dossier handed over to its first review stage (read from the scheme data)."""
    stage = dossier.scheme.states.filter(kind=StateKind.STAGE).order_by("order").first()
    return drive_to(dossier, stage.code)


def officer_of(dossier):
    return demo_user_for(dossier, dossier.state.actor)




def found(person, phrase):
    return {hit.key for hit in service.search_staff(person, phrase).hits}


@pytest.fixture
def two_dossiers(search_backend, django_capture_on_commit_callbacks):
    schemes = setup_schemes()
    slug = sorted(schemes)[0]
    with django_capture_on_commit_callbacks(execute=True):
        scan_dossier = new_dossier(slug, seed=241)
        pdf_dossier = new_dossier(slug, seed=242)
        client = api(scan_dossier.applicant)
        response = client.post(reverse("api-dossier-attachments", args=[scan_dossier.pk]),
                               {"file": upload("获奖证书.png", scanned_certificate(), "image/png"), "kind": "other",
                                "title": "国务院政府特殊津贴证书", "issuing_body": "人力资源和社会保障部", "issue_date": "2019-10-01"},
                               format="multipart")
        assert response.status_code == 201, response.content
        first_pdf = text_pdf(f"甲方：{PDF_PHRASE}。乙方受聘从事冻土工程研究工作，聘期五年。")
        response = client.post(reverse("api-dossier-attachments", args=[pdf_dossier.pk]),
                               {"file": upload("聘用合同.pdf", first_pdf, "application/pdf"), "kind": "other"}, format="multipart")
        assert response.status_code == 201, response.content
        pdf_document = Document.objects.get(pk=response.json()["document"])
        second_pdf = text_pdf(f"甲方：{PDF_PHRASE}。乙方受聘从事冻土工程研究工作，聘期六年（补正后）。")
        response = client.post(reverse("api-dossier-attachments", args=[pdf_dossier.pk]),
                               {"file": upload("聘用合同（补正）.pdf", second_pdf, "application/pdf"), "document": pdf_document.pk,
                                "note": "按退回意见补正聘期"}, format="multipart")
        assert response.status_code == 201, response.content
        assert response.json()["version"] == 2
        scan_dossier, pdf_dossier = submitted(scan_dossier), submitted(pdf_dossier)
    return scan_dossier, pdf_dossier, pdf_document, first_pdf, second_pdf


def test_text_of_a_scan_and_of_a_pdf_finds_the_dossier_for_permitted_officers_only(two_dossiers):
    scan_dossier, pdf_dossier, pdf_document, _first, _second = two_dossiers
    scan = Attachment.objects.get(dossier=scan_dossier, document__title="国务院政府特殊津贴证书")
    assert scan.text_status == TextStatus.EXTRACTED, scan.text_error
    assert AWARD in scan.text  # OCR (chi_sim) of pixels, spaces between the characters removed
    current = pdf_document.versions.get(version=2)
    assert current.text_status == TextStatus.EXTRACTED and PDF_PHRASE in current.text

    officer = officer_of(scan_dossier)
    stranger = other_scheme_officer(scan_dossier.scheme)
    assert str(scan_dossier.pk) in found(officer, AWARD)
    assert str(pdf_dossier.pk) in found(officer_of(pdf_dossier), PDF_PHRASE)
    assert str(pdf_dossier.pk) not in found(officer, AWARD)
    assert found(stranger, AWARD) == set() and found(stranger, PDF_PHRASE) == set()
    # never in public search, and the text is not handed back with a staff hit
    assert not [h for h in service.search_public(AWARD).hits if h.kind == "dossier"]
    hit = next(h for h in service.search_staff(officer, AWARD).hits if h.key == str(scan_dossier.pk))
    assert AWARD not in str(hit.fields)
    # nor in the journal
    assert not JournalEntry.objects.filter(data__icontains=AWARD).exists()


def test_a_new_version_keeps_the_earlier_one_and_both_download(two_dossiers):
    _scan, pdf_dossier, pdf_document, first_pdf, second_pdf = two_dossiers
    officer = officer_of(pdf_dossier)
    listing = api(officer).get(reverse("api-dossier-documents", args=[pdf_dossier.pk]))
    assert listing.status_code == 200
    document = next(d for d in listing.json()["results"] if d["id"] == pdf_document.pk)
    assert [v["version"] for v in document["versions"]] == [1, 2]
    assert document["versions"][1]["note"] == "按退回意见补正聘期"
    assert document["side"] == DocumentSide.APPLICANT and document["side_name"] == "申请人"
    for version, data in zip(document["versions"], (first_pdf, second_pdf), strict=True):
        response = api(officer).get(version["download"])
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == data
    # the other scheme's officer: neither the list nor a version
    stranger = other_scheme_officer(pdf_dossier.scheme)
    assert api(stranger).get(reverse("api-dossier-documents", args=[pdf_dossier.pk])).status_code == 404
    assert api(stranger).get(document["versions"][0]["download"]).status_code == 404
    assert JournalEntry.objects.filter(dossier=pdf_dossier, action="casefiles.document.version").exists()


def test_the_portal_lists_every_version(two_dossiers, client):
    _scan, pdf_dossier, pdf_document, _first, _second = two_dossiers
    client.force_login(pdf_dossier.applicant)
    page = client.get(reverse("portal_application_detail", args=[pdf_dossier.pk])).content.decode()
    for version in pdf_document.versions.all():
        assert reverse("portal_attachment_download", args=[version.pk]) in page


def test_staff_add_documents_only_while_they_act_and_withdrawal_is_recorded(search_backend, django_capture_on_commit_callbacks):
    schemes = setup_schemes()
    dossier = submitted(new_dossier(sorted(schemes)[0], seed=243))
    officer = officer_of(dossier)
    minutes = text_pdf("评审会议纪要：同意报送。")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(officer).post(reverse("api-dossier-documents", args=[dossier.pk]),
                                     {"file": upload("会议纪要.pdf", minutes, "application/pdf"), "title": "评审会议纪要",
                                      "issuing_body": "评审委员会"}, format="multipart")
    assert response.status_code == 201, response.content
    document = Document.objects.get(pk=response.json()["document"])
    assert document.side == DocumentSide.DEPARTMENT and document.added_by == officer
    # the applicant may not add while the departments hold the dossier; another scheme's officer sees nothing
    refused = api(dossier.applicant).post(reverse("api-dossier-documents", args=[dossier.pk]),
                                          {"file": upload("x.pdf", minutes, "application/pdf")}, format="multipart")
    assert refused.status_code == 400 and "草稿" in refused.json()["error"]["message"]
    stranger = other_scheme_officer(dossier.scheme)
    assert api(stranger).post(reverse("api-dossier-documents", args=[dossier.pk]),
                              {"file": upload("x.pdf", minutes, "application/pdf")}, format="multipart").status_code == 404
    # bad input: Chinese message, nothing stored
    before = Attachment.objects.count(), Document.objects.count()
    bad = api(officer).post(reverse("api-dossier-documents", args=[dossier.pk]),
                            {"file": upload("x.pdf", b"not a pdf", "application/pdf")}, format="multipart")
    assert bad.status_code == 400 and bad.json()["error"]["message"] == "仅接受 PDF、JPEG、PNG 和 OFD 格式的文件。"
    future = api(officer).post(reverse("api-dossier-documents", args=[dossier.pk]),
                               {"file": upload("x.pdf", minutes, "application/pdf"), "issue_date": "2999-01-01"}, format="multipart")
    assert future.status_code == 400 and future.json()["error"]["code"] == "issue_date"
    assert (Attachment.objects.count(), Document.objects.count()) == before
    # neither the applicant (not theirs to edit now) nor an officer of the same scheme who does not act on the
    # dossier may withdraw the department's document; a withdrawal needs a reason and keeps every row
    with pytest.raises(CaseFileError):
        WithdrawDocument(document, dossier.applicant, reason="x").execute()
    with pytest.raises(DocumentDenied):
        WithdrawDocument(document, other_scheme_officer(dossier.scheme), reason="x").execute()
    no_reason = api(officer).post(reverse("api-document-withdraw", args=[document.pk]), {"reason": " "}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["error"]["code"] == "reason_required"
    done = api(officer).post(reverse("api-document-withdraw", args=[document.pk]), {"reason": "误传，应为另一份纪要"}, format="json")
    assert done.status_code == 200, done.content
    document.refresh_from_db()
    assert document.withdrawn_by == officer and document.withdrawal_reason and document.versions.count() == 1
    assert JournalEntry.objects.filter(dossier=dossier, action="casefiles.document.withdraw").exists()


def test_a_withdrawn_material_counts_as_missing_again(search_backend):
    schemes = setup_schemes()
    dossier = new_dossier(sorted(schemes)[0], seed=244)
    assert materials_missing(dossier) == []
    document = dossier.documents.exclude(kind="other").first()
    assert document is not None
    WithdrawDocument(document, dossier.applicant, reason="上传错了文件").execute()
    assert [m.code for m in materials_missing(dossier)] == [document.kind]
    assert document.versions.exists()  # the record stays


def test_nothing_changes_once_the_dossier_is_decided(search_backend):
    setup_schemes()
    dossier, document = decided_dossier(seed=245)
    assert dossier_decided(dossier)
    for person in (dossier.applicant, officer_of(dossier) or dossier.applicant):
        with pytest.raises(CaseFileError) as refused:
            WithdrawDocument(document, person, reason="撤回").execute()
        assert refused.value.code == "decided"
    with pytest.raises(CaseFileError) as refused:
        WithdrawDocument(Document.objects.get(pk=document.pk), dossier.applicant, reason="撤回").check()
    assert "已" in refused.value.message  # in Chinese, saying it has been decided
    with pytest.raises(CaseFileError):
        AddDocumentVersion(document, dossier.applicant, upload("x.png", scanned_certificate(), "image/png")).execute()
    document.refresh_from_db()
    assert document.withdrawn_at is None and document.versions.count() == 1


def test_an_unreadable_file_is_kept_marked_and_retried_once(search_backend, django_capture_on_commit_callbacks):
    schemes = setup_schemes()
    dossier = new_dossier(sorted(schemes)[0], seed=246)
    broken = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200  # a PNG's signature and nothing an image reader can use
    with django_capture_on_commit_callbacks(execute=True):
        version = AddDocument(dossier, dossier.applicant, upload("坏图.png", broken, "image/png")).execute()
    version.refresh_from_db()
    assert version.text_status == TextStatus.FAILED and version.text_error
    assert version.text_attempts == 2  # the first run and one retry
    assert version.file.open("rb").read() == broken


def test_a_hit_inside_a_document_names_the_document_and_version_with_an_escaped_snippet(two_dossiers, client):
    """Staff search (service and the admin page) on both backends: the hit names the document and the version the
    phrase is in, marks it in a snippet of that text (escaped, personal numbers masked); public search never."""
    scan_dossier, pdf_dossier, pdf_document, _first, _second = two_dossiers
    officer = officer_of(scan_dossier)
    hit = next(h for h in service.search_staff(officer, AWARD).hits if h.key == str(scan_dossier.pk))
    [in_scan] = hit.documents
    assert (in_scan.title, in_scan.version) == ("国务院政府特殊津贴证书", 1)
    assert f"<mark>{AWARD}</mark>" in in_scan.snippet
    assert hit.snippet == ""  # the dossier's own text does not hold the phrase: the document says why it was found

    # the current version of a re-uploaded PDF: version 2, not the text of version 1 (no longer searched)
    pdf_officer = officer_of(pdf_dossier)
    hit = next(h for h in service.search_staff(pdf_officer, "聘期六年").hits if h.key == str(pdf_dossier.pk))
    assert [(d.document_id, d.title, d.version) for d in hit.documents] == [(pdf_document.pk, pdf_document.title, 2)]
    assert "<mark>聘期六年</mark>" in hit.documents[0].snippet
    assert str(pdf_dossier.pk) not in found(pdf_officer, "聘期五年")

    # text that is markup, an ID and a mobile number: escaped and masked in the snippet, the service's and the page's
    current = pdf_document.versions.get(version=2)
    Attachment.objects.filter(pk=current.pk).update(text=(
        f'乙方<img src=x onerror="alert(1)">{PDF_PHRASE}<script>alert(2)</script>联系电话13912345678，'
        "身份证号110101199003074514"))
    service.index_dossiers([pdf_dossier.pk], refresh=True)
    hit = next(h for h in service.search_staff(pdf_officer, PDF_PHRASE).hits if h.key == str(pdf_dossier.pk))
    html = hit.documents[0].snippet
    assert f"<mark>{PDF_PHRASE}</mark>" in html and hit.documents[0].version == 2
    assert "<img" not in html and "<script" not in html and "&lt;script&gt;alert(2)" in html
    assert "13912345678" not in html and "110101199003074514" not in html
    client.force_login(pdf_officer)
    page = client.get(reverse("huicai_search_staff"), {"q": PDF_PHRASE}).content.decode()
    assert f"<mark>{PDF_PHRASE}</mark>" in page and "&lt;script&gt;alert(2)" in page
    assert "<script>alert(2)" not in page and 'onerror="alert(1)"' not in page
    assert f"在文件“{pdf_document.title}”（第 2 版）中：" in page
    assert reverse("casefiles_dossiers:detail", args=[pdf_dossier.pk]) in page

    # public search: neither the service, the API nor the page ever shows a dossier or its documents' text
    client.logout()
    for phrase, other_words in ((AWARD, "人力资源和社会保障部"), (PDF_PHRASE, "联系电话")):
        assert not [h for h in service.search_public(phrase).hits if h.kind == "dossier" or h.documents]
        body = client.get(reverse("api-search"), {"q": phrase}).content.decode()
        assert phrase not in body and other_words not in body
        page = client.get("/search/", {"q": phrase}).content.decode()
        assert other_words not in page and "<mark>" not in page
    # and the stranger: no hit, so no snippet
    assert service.search_staff(other_scheme_officer(pdf_dossier.scheme), PDF_PHRASE).hits == []
