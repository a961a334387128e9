"""Sealed documents (issue #22 item 4): development keys, PAdES signatures on every kind of document validated with
pyHanko's validator against the development CA, tampering detected, the licence XMP read back, the seal image,
production refusing to issue unsigned, and the public page that checks an uploaded PDF."""

import datetime
import io
import os

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from casefiles import pdf
from casefiles.demo_cards import issue_card, prepare_schemes
from casefiles.models import Department, Dossier, RevocationReason
from casefiles.seals import keys, verification
from casefiles.seals.licence import NO_FIXED_END, licence_from_reader
from casefiles.services import cards as svc
from casefiles.services import notices
from casefiles.testing import identity

pytestmark = [pytest.mark.django_db]


def validate_all(content, trust_roots):
    """[(signer common name, status)] for every signature, as pyHanko's validator reports it."""
    reader = PdfFileReader(io.BytesIO(content))
    context = ValidationContext(trust_roots=trust_roots, allow_fetching=False)
    return [(s.signer_cert.subject.native["common_name"], validate_pdf_signature(s, context))
            for s in reader.embedded_signatures]


def assert_signed_by(content, names):
    statuses = validate_all(content, keys.trust_roots())
    assert [name for name, _status in statuses] == names
    for _name, status in statuses:
        assert status.intact and status.valid and status.trusted and status.bottom_line, status.pretty_print_details()
    assert statuses[-1][1].coverage == SignatureCoverageLevel.ENTIRE_FILE
    for signature in PdfFileReader(io.BytesIO(content)).embedded_signatures:
        assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES


def tampered(content):
    """The file with one byte flipped inside the first signature's signed range (in a content stream)."""
    reader = PdfFileReader(io.BytesIO(content))
    byte_range = [int(x) for x in reader.embedded_signatures[0].sig_object["/ByteRange"]]
    start, length = byte_range[0], byte_range[1]
    signed = content[start:start + length]
    position = signed.index(b"stream", len(signed) // 3) + 20
    data = bytearray(content)
    data[start + position] ^= 0x01
    return bytes(data)


def seal_png(colour=(200, 22, 29, 255)):
    image = Image.new("RGBA", (240, 240), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((6, 6, 234, 234), outline=colour, width=10)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def issuers(card):
    return pdf.issuing_departments(card.scheme)


# --- keys ------------------------------------------------------------------------------------------------


def test_make_signing_keys_writes_a_ca_and_a_key_per_department_under_the_private_root(settings, tmp_path):
    prepare_schemes(["chuxiong"])
    settings.HUICAI_SIGNING_DIR = None
    settings.PRIVATE_ROOT = tmp_path / "private"
    out = io.StringIO()
    call_command("make_signing_keys", stdout=out)
    directory = tmp_path / "private" / "signing"
    departments = Department.objects.exclude(kind="employer")
    assert (directory / keys.CA_CERT).exists() and oct((directory / keys.CA_KEY).stat().st_mode)[-3:] == "600"
    for department in departments:
        key_path, cert_path = keys.dev_department_paths(department)
        assert key_path.parent == directory / "departments" and oct(key_path.stat().st_mode)[-3:] == "600"
        assert keys.signer_for(department).signing_cert.subject.native["common_name"] == department.name
    assert not str(directory).startswith(str(settings.MEDIA_ROOT))
    assert "PRIVATE KEY" not in out.getvalue() and f"made: {departments.count()}" in out.getvalue()
    before = keys.dev_department_paths(departments[0])[1].read_bytes()
    call_command("make_signing_keys", stdout=out)  # kept, not re-issued
    assert keys.dev_department_paths(departments[0])[1].read_bytes() == before
    settings.HUICAI_SIGNING_BACKEND = keys.PKCS12_BACKEND
    with pytest.raises(Exception, match="not 'dev'"):
        call_command("make_signing_keys", stdout=out)


def test_pkcs12_backend_loads_each_department_from_the_environment(settings, signing_keys, tmp_path, monkeypatch):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509 import load_pem_x509_certificate

    prepare_schemes(["chuxiong"])
    department = Department.objects.get(jurisdiction__code="chuxiong", code="talent-office")
    signing_keys(department)
    key_path, cert_path = keys.dev_department_paths(department)
    key = serialization.load_pem_private_key(key_path.read_bytes(), None)
    bundle = pkcs12.serialize_key_and_certificates(
        b"talent-office", key, load_pem_x509_certificate(cert_path.read_bytes()), None,
        serialization.BestAvailableEncryption(b"s3cret-phrase"),
    )
    (tmp_path / "office.p12").write_bytes(bundle)
    settings.HUICAI_SIGNING_BACKEND = keys.PKCS12_BACKEND
    monkeypatch.setenv("HUICAI_SIGNING_PKCS12_CHUXIONG_TALENT_OFFICE", str(tmp_path / "office.p12"))
    monkeypatch.setenv("HUICAI_SIGNING_PASSPHRASE_CHUXIONG_TALENT_OFFICE", "s3cret-phrase")
    signer = keys.signer_for(department)
    assert signer.signing_cert.subject.native["common_name"] == department.name
    other = Department.objects.get(jurisdiction__code="chuxiong", code="hr-bureau")
    assert keys.signer_for(other) is None  # no file for it
    monkeypatch.setenv("HUICAI_SIGNING_PASSPHRASE_CHUXIONG_TALENT_OFFICE", "Xq9-bad-phrase")
    keys._signer_from_pkcs12.cache_clear()
    with pytest.raises(keys.SigningUnavailable) as refused:
        keys.signer_for(department)
    assert "Xq9-bad-phrase" not in str(refused.value) and "s3cret" not in str(refused.value)
    assert "HUICAI_SIGNING_PASSPHRASE_CHUXIONG_TALENT_OFFICE" in str(refused.value)


def test_required_signing_refuses_a_certificate_whose_department_has_no_key(settings, tmp_path, client):
    prepare_schemes(["jilin"])
    card = issue_card("jilin")
    settings.HUICAI_SIGNING_DIR = str(tmp_path / "empty")
    settings.HUICAI_SIGNING_REQUIRED = True
    with pytest.raises(keys.SigningUnavailable, match=issuers(card)[0].name):
        pdf.certificate_pdf(card, cache=False)
    client.force_login(card.holder)
    response = client.get(f"/cards/{card.pk}/certificate.pdf")  # refused, in words, not a PDF without a seal
    assert response.status_code == 503 and response["Content-Type"].startswith("text/plain")
    settings.HUICAI_SIGNING_REQUIRED = False  # development: unsigned, and the PDF says nothing false
    assert not PdfFileReader(io.BytesIO(pdf.certificate_pdf(card, cache=False))).embedded_signatures


# --- every kind of document -------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["tonghua", "chuxiong"])
def test_certificate_is_signed_by_each_issuing_department_with_its_licence_metadata(slug, signing_keys):
    """通化 issues jointly (two departments, two signatures), 楚雄 alone; both validate against the development CA,
    fail once a signed byte changes, and carry the five licence fields in their XMP."""
    prepare_schemes([slug])
    card = issue_card(slug, applicant_name="欧阳明华")
    departments = issuers(card)
    signing_keys(*departments)
    content = pdf.certificate_pdf(card)
    assert_signed_by(content, [d.name for d in departments])
    licence = licence_from_reader(PdfFileReader(io.BytesIO(content)))
    assert licence.licence_number == card.number and licence.holder == "欧阳明华"
    assert licence.issuing_authority == "、".join(d.name for d in departments)
    assert licence.valid_from == card.valid_from.isoformat()
    assert licence.valid_until == (card.valid_until.isoformat() if card.valid_until else NO_FIXED_END)
    assert licence.licence_name and card.dossier.id_number not in content.decode("latin-1")
    bad = tampered(content)
    statuses = validate_all(bad, keys.trust_roots())
    assert not statuses[0][1].intact and not statuses[0][1].bottom_line
    assert verification.verify_pdf(bad).outcome == verification.TAMPERED
    assert verification.verify_pdf(content).outcome == verification.VALID
    # trusted only under our root: another CA's root makes the same file untrusted
    other_root = keys.dev_ca(os.path.join(str(keys.signing_dir()), "other-ca"))[1]
    from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1

    statuses = validate_all(content, [translate_pyca_cryptography_cert_to_asn1(other_root)])
    assert all(s.intact and not s.trusted for _n, s in statuses)


def test_public_notice_and_exit_announcement_are_signed_and_validate(signing_keys, client):
    from policypages.announcements import ExitAnnouncementPage
    from policypages.demo import ensure_home_page

    prepare_schemes(["chuxiong"])
    from casefiles.models import Scheme

    scheme = Scheme.objects.get(slug="chuxiong")
    office = get_user_model().objects.get(username="chuxiong.talent-office")
    notice_department = notices.notice_departments(scheme)[0]
    signing_keys(*scheme.departments.exclude(kind="employer"))
    from casefiles.services.dossiers import dossier_create

    applicant = get_user_model().objects.create_user("seal-notice")
    dossier = dossier_create(applicant=applicant, scheme=scheme, requested_tier=scheme.tiers.first(),
                             employer=scheme.jurisdiction.departments.filter(kind="employer").first(),
                             **identity(applicant_name="李文博"))
    Dossier.objects.filter(pk=dossier.pk).update(state=scheme.states.get(code="public_notice"))
    notice = notices.public_notice_open(scheme=scheme, user=office, dossiers=[Dossier.objects.get(pk=dossier.pk)],
                                        working_days=5, how_to_object="如有异议，请书面反映。")
    client.force_login(office)
    content = client.get(f"/cards/notices/{notice.pk}/notice.pdf").content
    assert_signed_by(content, [notice_department.name])
    assert verification.verify_pdf(tampered(content)).outcome == verification.TAMPERED

    gone = issue_card("chuxiong", applicant_name="孙思邈")
    svc.card_revoke(card=gone, reason=RevocationReason.objects.get(scheme=scheme, ref="9.1"), user=office,
                    comment="材料不实。")
    year = datetime.date.today().year
    page = ExitAnnouncementPage(title=f"{year}年度退出情况公告", slug="exits-sealed", scheme=scheme, year=year,
                                issuing_body=notice_department.name, document_number=f"楚人才办〔{year + 1}〕9号",
                                issued_on=datetime.date(year + 1, 1, 20), intro="现予公告。", live=False)
    ensure_home_page().add_child(instance=page)
    content = page.pdf_bytes()
    assert_signed_by(content, [notice_department.name])
    verdict = verification.verify_pdf(content)
    assert verdict.valid and verdict.licence is None and verdict.reason == "发布公告"
    assert verification.verify_pdf(tampered(content)).outcome == verification.TAMPERED


def test_batch_print_file_is_signed_once_and_draws_the_seal_on_every_page(signing_keys):
    prepare_schemes(["chuxiong"])
    cards = [issue_card("chuxiong") for _ in range(3)]
    department = issuers(cards[0])[0]
    signing_keys(department)
    department.seal_image.save("office.png", ContentFile(seal_png()), save=True)
    content = pdf.certificates_pdf(cards)
    assert_signed_by(content, [department.name])
    reader = PdfFileReader(io.BytesIO(content))
    assert len(reader.embedded_signatures) == 1
    from pypdf import PdfReader

    pages = PdfReader(io.BytesIO(content)).pages
    assert len(pages) == 3 and all(page["/Resources"].get("/XObject") for page in pages)


# --- the visible seal -------------------------------------------------------------------------------------


def test_the_visible_seal_is_the_departments_image_or_the_pdf_says_there_is_none(signing_keys):
    from pypdf import PdfReader

    prepare_schemes(["chuxiong"])
    card = issue_card("chuxiong")
    department = issuers(card)[0]
    signing_keys(department)

    content = pdf.certificate_pdf(card)  # no image yet: an invisible signature, and the page says so
    widget = PdfReader(io.BytesIO(content)).trailer["/Root"]["/AcroForm"]["/Fields"][0].get_object()
    assert [float(x) for x in widget["/Rect"]] == [0, 0, 0, 0]
    assert "未上传印章图像" in "".join(PdfReader(io.BytesIO(content)).pages[0].extract_text().split())

    department.seal_image.save("office.png", ContentFile(seal_png()), save=True)
    content = pdf.certificate_pdf(card)  # a new image: a new file, not the cached one
    assert_signed_by(content, [department.name])
    reader = PdfReader(io.BytesIO(content))
    widget = reader.trailer["/Root"]["/AcroForm"]["/Fields"][0].get_object()
    left, bottom, right, top = (float(x) for x in widget["/Rect"])
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert right - left > 90 and top - bottom > 90  # ~36 mm
    assert left > width / 2 and top < height / 2  # bottom right, where the template keeps the seal's spot
    appearance = widget["/AP"]["/N"].get_object()
    images = [x.get_object() for x in appearance["/Resources"]["/XObject"].values()]
    assert any(x.get("/Subtype") == "/Image" and x["/Width"] == 240 for x in images)
    assert "未上传印章图像" not in "".join(reader.pages[0].extract_text().split())


def test_seal_image_upload_is_validated():
    from django.core.exceptions import ValidationError

    from casefiles.models.organisations import validate_seal_image

    prepare_schemes(["chuxiong"])
    department = Department.objects.get(jurisdiction__code="chuxiong", code="talent-office")
    department.seal_image.save("ok.png", ContentFile(seal_png()), save=False)
    validate_seal_image(department.seal_image)
    tiny = io.BytesIO()
    Image.new("RGB", (20, 20)).save(tiny, "PNG")
    for content, code in ((tiny.getvalue(), "seal_dimensions"), (b"not an image" * 10, "seal_image")):
        department.seal_image.save("bad.png", ContentFile(content), save=False)
        with pytest.raises(ValidationError) as refused:
            validate_seal_image(department.seal_image)
        assert refused.value.code == code


def test_superuser_uploads_a_seal_in_the_admin_and_others_cannot(client):
    prepare_schemes(["chuxiong"])
    department = Department.objects.get(jurisdiction__code="chuxiong", code="talent-office")
    office = get_user_model().objects.get(username="chuxiong.talent-office")
    client.force_login(office)
    for view in ("", "new/", f"edit/{department.pk}/", f"delete/{department.pk}/", f"history/{department.pk}/",
                 f"history-results/{department.pk}/", f"usage/{department.pk}/"):  # every route of the viewset
        assert client.get(f"/admin/department_seals/{view}").status_code in (302, 403, 404), view
    admin = get_user_model().objects.create_superuser("seal-admin", password="x")
    client.force_login(admin)
    index = client.get("/admin/department_seals/")
    assert index.status_code == 200 and department.name in index.content.decode()
    upload = ContentFile(seal_png(), name="seal.png")
    response = client.post(f"/admin/department_seals/edit/{department.pk}/", {"seal_image": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    department.refresh_from_db()
    assert department.seal_image.name.startswith("seals/")
    from django.core.files.storage import storages

    assert department.seal_image.path.startswith(str(storages["private"].location))  # no URL serves it


# --- the public page -------------------------------------------------------------------------------------


def upload(client, content, name="certificate.pdf"):
    return client.post("/verify/document/", {"document": ContentFile(content, name=name)})


def test_verification_page_checks_an_uploaded_pdf_and_shows_the_cards_current_status(signing_keys, client):
    prepare_schemes(["tonghua"])
    card = issue_card("tonghua", applicant_name="张小明")
    signing_keys(*issuers(card))
    content = pdf.certificate_pdf(card)
    page = client.get("/verify/document/").content.decode()
    assert 'data-testid="verify-document-form"' in page and 'enctype="multipart/form-data"' in page

    html = upload(client, content).content.decode()
    assert 'data-status="valid"' in html and 'data-status="active"' in html
    assert "张*明" in html and "张小明" not in html and card.dossier.id_number not in html
    assert all(d.name in html for d in issuers(card))

    staff = card.scheme.departments.get(code="service-center").group.user_set.first()
    svc.card_revoke(card=card, reason=RevocationReason.objects.get(scheme=card.scheme, ref="16.5"), user=staff,
                    comment="转借他人。")
    html = upload(client, content).content.decode()  # the old, validly signed certificate of a revoked card
    assert 'data-status="valid"' in html and 'data-status="revoked"' in html

    html = upload(client, tampered(content)).content.decode()
    assert 'data-status="tampered"' in html and 'data-status="revoked"' not in html and "张*明" not in html


def test_verification_page_refuses_what_is_not_a_signed_pdf_in_words(settings, client):
    from django.utils import translation

    with translation.override("zh-hans"):
        response = upload(client, b"hello, not a pdf", name="x.pdf")
        assert response.status_code == 400 and _("The file is not a PDF.") in response.content.decode()
        settings.HUICAI_VERIFY_UPLOAD_MAX_BYTES = 2048
        response = upload(client, b"%PDF-1.7\n" + b"0" * 4096)
        assert response.status_code == 400 and "2048" not in response.content.decode()
        assert _("The file is larger than %(size)s MB. Upload the PDF as you received it.") % {"size": 0} in \
            response.content.decode()
        settings.HUICAI_VERIFY_UPLOAD_MAX_BYTES = 10 * 2**20
        unsigned = pdf.html_to_pdf("<p>未签名</p>")
        assert 'data-status="unsigned"' in upload(client, unsigned).content.decode()
        assert 'data-status="unreadable"' in upload(client, b"%PDF-1.7\n garbage").content.decode()
