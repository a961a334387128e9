"""Bad input through the real endpoints: uploads of the wrong type or size, zip bombs, traversal names,
malformed spreadsheets for the registry import, overlong and malformed dossier fields. Each is refused
with a Chinese message and nothing is stored."""

import hashlib
import io
import random
import struct
import zlib
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from rest_framework.authtoken.models import Token

from casefiles.exceptions import CaseFileError
from casefiles.models import Attachment, Card, Dossier
from casefiles.services.attachments import MAX_ATTACHMENT_BYTES, safe_name, sniff_content_type
from casefiles.services.registry_import import HEADERS
from casefiles.testing import identity, resident_id
from tests.casefiles.factories import PASSWORD, new_dossier, setup_schemes, user

pytestmark = [pytest.mark.django_db, pytest.mark.smoke, pytest.mark.usefixtures("schemes_once")]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
BAD_TYPE = "Only PDF, JPEG, PNG and OFD files are accepted."
PDF_SCRIPT = "PDF files with scripts or embedded files are not accepted."
TOO_LARGE = "The file is larger than 10 MB."
ZIP_BOMB = "The file expands to more than 50 MB and is refused."


def zh(message):
    with translation.override("zh-hans"):
        return gettext(message)


def has_cjk(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# --- payloads ---------------------------------------------------------------------------------------------


def pdf(*objects):
    """A small PDF whose objects are the given dictionaries (bytes), with its cross-reference table (a file
    without one is refused as damaged)."""
    body = b"%PDF-1.7\n"
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return body + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [] /Count 0 >>"


def object_stream(dictionary):
    """A PDF 1.5 compressed object stream hiding ``dictionary``."""
    inner = b"3 0 " + dictionary
    data = zlib.compress(inner)
    return (b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n" % len(data)) + data + b"\nendstream"


def image_stream(raw):
    return (b"<< /Type /XObject /Subtype /Image /Filter /DCTDecode /Length %d >>\nstream\n" % len(raw)) + raw + b"\nendstream"


def zip_bytes(entries):
    """A ZIP of {name: bytes}."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def zip_bomb():
    """A ~2 MB .docx-shaped ZIP whose two entries really inflate to 1 GiB each (2 GiB in all).

    Built from a deflate block that encodes 1 MiB of zeros after a full flush (so it can be repeated),
    written with its true sizes and CRC: nothing is faked, and the test never inflates it."""
    megabyte = b"\0" * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    unit = compressor.compress(megabyte) + compressor.flush(zlib.Z_FULL_FLUSH)
    stream = unit * 1024 + compressor.flush()
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(megabyte, crc)
    size = 1 << 30
    small = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
    entries = [("[Content_Types].xml", zlib.compress(small)[2:-4], zlib.crc32(small), len(small)),
               ("word/document.xml", stream, crc, size), ("word/media/image1.xml", stream, crc, size)]
    out, central = io.BytesIO(), io.BytesIO()
    for name, data, crc32, plain in entries:
        offset = out.tell()
        encoded = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc32, len(data), plain, len(encoded), 0))
        out.write(encoded + data)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc32, len(data), plain,
                                  len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    out.write(central.getvalue())
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central.getvalue()), start, 0))
    return out.getvalue()


def test_zip_bomb_fixture_is_a_real_archive(zip_bomb):
    import zipfile

    with zipfile.ZipFile(io.BytesIO(zip_bomb)) as archive:
        infos = archive.infolist()
        assert sum(i.file_size for i in infos) > 2 * 10**9
        with archive.open("word/document.xml") as member:  # inflate a little: it is genuine deflate data
            assert member.read(1 << 16) == b"\0" * (1 << 16)
    assert len(zip_bomb) < 3 * 1024 * 1024


BAD_UPLOADS = {
    "exe_as_pdf": ("report.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode", BAD_TYPE),
    "html_as_pdf": ("report.pdf", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", BAD_TYPE),
    "html_as_jpg": ("photo.jpg", b"<html><img src=x onerror=alert(1)></html>", BAD_TYPE),
    "svg_with_script": ("photo.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', BAD_TYPE),
    "pdf_openaction_js": ("a.pdf", pdf(b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>", PAGES), PDF_SCRIPT),
    "pdf_js_only": ("a.pdf", pdf(CATALOG, PAGES, b"<< /S /JavaScript /JS 4 0 R >>"), PDF_SCRIPT),
    "pdf_aa": ("a.pdf", pdf(CATALOG, b"<< /Type /Page /AA << /O 5 0 R >> >>"), PDF_SCRIPT),
    "pdf_escaped_name": ("a.pdf", pdf(CATALOG, PAGES, b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>"), PDF_SCRIPT),
    "pdf_js_in_object_stream": ("a.pdf", pdf(CATALOG, PAGES, object_stream(b"<< /S /JavaScript /JS (app.alert(1)) >>")), PDF_SCRIPT),
    "pdf_launch": ("a.pdf", pdf(CATALOG, b"<< /S /Launch /F (cmd.exe) >>"), PDF_SCRIPT),
    "pdf_embedded_file": ("a.pdf", pdf(CATALOG, b"<< /Type /EmbeddedFile /Length 0 >>"), PDF_SCRIPT),
    "docx_not_accepted": ("cv.docx", zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}), BAD_TYPE),
    "ofd_high_ratio": ("a.ofd", zip_bytes({"OFD.xml": b"<ofd:OFD/>", "Doc_0/Res/x.bin": b"\0" * (3 * 1024 * 1024)}), ZIP_BOMB),
    "oversized_pdf": ("big.pdf", b"%PDF-1.4\n" + b"0" * MAX_ATTACHMENT_BYTES, TOO_LARGE),
    "empty": ("empty.pdf", b"", "The file is empty."),
    "truncated_zip": ("a.ofd", b"PK\x03\x04" + b"\x00" * 40, BAD_TYPE),
}


@pytest.fixture
def draft(db):
    setup_schemes()
    dossier = new_dossier("jilin")
    return dossier


def stored_files_with(digest):
    root = Path(settings.PRIVATE_ROOT) / "attachments"
    return [p for p in root.rglob(f"{digest[:32]}*")] if root.exists() else []


def assert_nothing_stored(dossier, before, content):
    assert Attachment.objects.filter(dossier=dossier).count() == before
    assert not Attachment.objects.filter(sha256=hashlib.sha256(content).hexdigest()).exists()
    assert stored_files_with(hashlib.sha256(content).hexdigest()) == []


def payload(case, zip_bomb):
    if case == "zip_bomb_docx":
        return "cv.docx", zip_bomb, ZIP_BOMB
    return BAD_UPLOADS[case]


CASES = list(BAD_UPLOADS) + ["zip_bomb_docx"]


@pytest.mark.parametrize("case", CASES)
def test_bad_upload_through_the_api(client, draft, zip_bomb, case):
    name, content, message = payload(case, zip_bomb)
    token = Token.objects.create(user=draft.applicant)
    before = draft.attachments.count()
    response = client.post(
        f"/api/v1/dossiers/{draft.pk}/attachments/",
        {"kind": "other", "file": SimpleUploadedFile(name, content, content_type="application/pdf")},
        HTTP_AUTHORIZATION=f"Token {token.key}",
        HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9",
    )
    assert response.status_code == 400, response.content[:500]
    body = response.json()
    assert body["error"]["code"] == "invalid"
    assert body["error"]["message"] == f"file: {zh(message)}"
    assert has_cjk(body["error"]["message"])
    assert_nothing_stored(draft, before, content)


@pytest.mark.parametrize("case", ["exe_as_pdf", "svg_with_script", "pdf_openaction_js", "oversized_pdf", "zip_bomb_docx"])
def test_bad_upload_through_the_portal(client, draft, zip_bomb, case):
    name, content, message = payload(case, zip_bomb)
    assert client.login(username=draft.applicant.username, password=PASSWORD)
    before = draft.attachments.count()
    response = client.post(
        reverse("portal_attachment_upload", args=[draft.pk]),
        {"kind": "other", "file": SimpleUploadedFile(name, content, content_type="application/pdf")},
        follow=True,
    )
    assert response.status_code == 200
    assert zh(message) in response.content.decode() and has_cjk(zh(message))
    assert_nothing_stored(draft, before, content)


def test_a_clean_pdf_with_an_image_is_accepted(draft):
    """Random image bytes that happen to contain “/JS” or “/AA” are not mistaken for actions."""
    noise = b"\xff\xd8\xff\xe0" + bytes(random.Random(3).randrange(256) for _ in range(4000)) + b" /JS /AA /OpenAction "
    content = pdf(CATALOG, PAGES, image_stream(noise))
    assert sniff_content_type(content) == ("application/pdf", ".pdf")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.png"),
        ("..\\..\\windows\\system32\\evil.exe", "evil.png"),
        ("/abs/path/证书.pdf", "证书.png"),
        ("nul\x00byte.pdf", "nulbyte.png"),
        ("rtl\u202egnp.exe", "rtlgnp.png"),
        ("..", "attachment.png"),
        ("x" * 5000 + ".pdf", "x" * 80 + ".png"),
    ],
)
def test_safe_name(name, expected):
    assert safe_name(name, ".png") == expected


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "..\\..\\boot.ini.pdf", "a" * 3000 + ".pdf"])
def test_traversal_names_are_stored_under_a_digest_name(client, draft, name):
    token = Token.objects.create(user=draft.applicant)
    content = PNG + name.encode()[:16]
    response = client.post(
        f"/api/v1/dossiers/{draft.pk}/attachments/",
        {"kind": "other", "file": SimpleUploadedFile(name, content, content_type="image/png")},
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 201, response.content[:300]
    attachment = Attachment.objects.get(pk=response.json()["id"])
    assert "/" not in attachment.original_name and "\\" not in attachment.original_name
    assert ".." not in attachment.original_name and len(attachment.original_name) <= 84
    stored = Path(attachment.file.path).resolve()
    assert stored.is_relative_to(Path(settings.PRIVATE_ROOT).resolve() / "attachments")
    # the digest names the file (Django adds a suffix when an earlier run left the same file behind)
    assert stored.name.startswith(hashlib.sha256(content).hexdigest()[:32]) and stored.suffix == ".png"


def test_service_refuses_without_reading_past_the_limit():
    class Endless(io.RawIOBase):
        name = "endless.pdf"
        read_bytes = 0

        def read(self, n=-1):
            n = 1 << 20 if n is None or n < 0 else n
            self.read_bytes += n
            return b"%PDF" + b"0" * (n - 4) if self.read_bytes == n else b"0" * n

    from casefiles.services.attachments import attachment_add

    setup_schemes()
    dossier = new_dossier("jilin")
    upload = Endless()
    with pytest.raises(CaseFileError) as info:
        attachment_add(dossier=dossier, user=dossier.applicant, uploaded_file=upload)
    assert info.value.code == "too_large"
    assert upload.read_bytes <= MAX_ATTACHMENT_BYTES + 1


# --- registry import (Excel) --------------------------------------------------------------------------

IMPORT_URL = "/admin/card-registry/import/"
EMPLOYER = "楚雄示范医药有限公司"


@pytest.fixture
def office(client, db):
    from casefiles.models import Scheme

    setup_schemes()
    staff = user("chuxiong.talent-office")
    staff.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    client.force_login(staff)
    return Scheme.objects.get(slug="chuxiong")


def xlsx(rows, headers=HEADERS):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def import_upload(client, scheme, content, name="holders.xlsx"):
    counts = (Dossier.objects.count(), Card.objects.count())
    response = client.post(IMPORT_URL, {"scheme": scheme.pk, "file": SimpleUploadedFile(name, content)})
    assert (Dossier.objects.count(), Card.objects.count()) == counts
    return response


def good_id(seed):
    return resident_id(random.Random(seed), birth="19850315", area="532301")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.4 not a spreadsheet", "The file is not an .xlsx spreadsheet."),
        (b"PK\x03\x04 truncated", "The file is not an .xlsx spreadsheet."),
        (zip_bytes({"word/document.xml": b"<w:document/>"}), "The file is not an .xlsx spreadsheet."),
        (b"\x00" * (10 * 1024 * 1024 + 1), "The file is larger than 10 MB."),
    ],
)
def test_import_refuses_files_that_are_not_spreadsheets(client, office, content, message):
    response = import_upload(client, office, content)
    assert response.status_code == 400
    assert zh(message) in response.content.decode() and has_cjk(zh(message))


def test_import_refuses_an_xlsx_zip_bomb_without_inflating_it(client, office, zip_bomb):
    response = import_upload(client, office, zip_bomb)
    assert response.status_code == 400
    assert zh(ZIP_BOMB) in response.content.decode()


def test_import_refuses_wrong_headers(client, office):
    response = import_upload(client, office, xlsx([["李明", good_id(1)]], headers=["名字", "身份证"]))
    assert response.status_code == 400
    html = response.content.decode()
    assert zh("Missing columns: %(columns)s").split("%")[0] in html and "姓名" in html


def test_import_lists_every_bad_row_in_chinese_and_stores_nothing(client, office):
    bad_checksum = good_id(2)[:-1] + ("0" if good_id(2)[-1] != "0" else "1")
    rows = [
        ["李明", "居民身份证", good_id(1), "13800000001", EMPLOYER, "A", "3.1.2", ""],  # row 2: fine
        ["王芳", "居民身份证", bad_checksum, "13800000002", EMPLOYER, "A", "3.1.2", ""],  # 3
        ["张伟", "居民身份证", good_id(3), "13800000003", EMPLOYER, "A", "3.1.2", "2026-02-30"],  # 4: no such date
        ["=cmd|' /C calc'!A0", "居民身份证", good_id(4), "13800000004", EMPLOYER, "A", "3.1.2", ""],  # 5
        ["赵六", "居民身份证", good_id(5), "13800000005", "@SUM(1+1)*cmd|' /C calc'!A0", "A", "3.1.2", ""],  # 6
        ["钱\u202e七", "居民身份证", good_id(6), "13800000006", EMPLOYER, "A", "3.1.2", ""],  # 7
        ["孙" * 300, "居民身份证", good_id(7), "13800000007", EMPLOYER, "A", "3.1.2", ""],  # 8
        ["周八", "居民身份证", good_id(8), "call me", EMPLOYER, "A", "3.1.2", "明年"],  # 9
        ["吴九", "身份证件", "12345", "13800000009", EMPLOYER, "A", "3.1.2", ""],  # 10
    ]
    response = import_upload(client, office, xlsx(rows))
    assert response.status_code == 200
    html = response.content.decode()
    errors = response.context["errors"]
    assert [e.split("：", 1)[0] for e in errors] == [f"第{n}行" for n in range(3, 11)]
    assert "校验位不正确" in errors[0]
    assert "不是日期" in errors[1]
    assert zh("%(column)s is a formula or starts with = + - @; enter plain text") % {"column": "姓名"} in errors[2]
    assert zh("%(column)s is a formula or starts with = + - @; enter plain text") % {"column": "工作单位"} in errors[3]
    assert zh("%(column)s contains control characters") % {"column": "姓名"} in errors[4]
    assert zh("%(column)s is longer than %(max)s characters") % {"column": "姓名", "max": 100} in errors[5]
    assert "手机号码无效" in errors[6] and "不是日期" in errors[6]
    assert "证件类型“身份证件”无法识别" in errors[7]
    assert "cmd|" not in html.split("第5行", 1)[-1].split("</li>", 1)[0]  # the formula is not echoed back
    assert 'name="confirm"' not in html  # all or nothing: one bad row blocks the whole file


def test_import_formula_cell_with_cached_value_is_refused(client, office):
    """A real formula cell (not text) is refused too, whatever value the file says it computed."""
    rows = [["=CONCATENATE(\"李\",\"明\")", "居民身份证", good_id(1), "13800000001", EMPLOYER, "A", "3.1.2", ""]]
    response = import_upload(client, office, xlsx(rows))
    assert response.status_code == 200
    assert len(response.context["errors"]) == 1 and response.context["errors"][0].startswith("第2行")


# --- dossier fields through the API -------------------------------------------------------------------


@pytest.fixture
def applicant_api(client, db):
    setup_schemes()
    token = Token.objects.create(user=user("jilin.applicant"))
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
    return client


def dossier_body(**overrides):
    from casefiles.models import Scheme

    scheme = Scheme.objects.get(slug="jilin")
    person = identity(random.Random(11))
    body = {
        "scheme": "jilin", "tier": scheme.tiers.order_by("rank").first().code, "criteria": [],
        "applicant_name": person["applicant_name"], "id_type": "resident_id", "id_number": person["id_number"],
        "phone": person["phone"],
    }
    body.update(overrides)
    return body


def test_valid_dossier_is_created(applicant_api):
    response = applicant_api.post("/api/v1/dossiers/", dossier_body(id_number="11010519491231002X"), content_type="application/json")
    assert response.status_code == 201, response.content[:500]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"applicant_name": "张" * 10_000}, "applicant_name", None),
        ({"id_number": "1" * 10_000}, "id_number", None),
        ({"phone": "1" * 10_000}, "phone", None),
        ({"applicant_name": "张\x07三"}, "applicant_name", "The %(field)s contains control characters or invisible formatting characters."),
        ({"applicant_name": "张\u202e三"}, "applicant_name", "The %(field)s contains control characters or invisible formatting characters."),
        ({"applicant_name": "张\x00三"}, "applicant_name", None),
        ({"phone": "call me maybe"}, "phone", "Please enter a valid phone number."),
        ({"phone": "12"}, "phone", "Please enter a valid phone number."),
        ({"id_number": "110105194912310021"}, "id_number", "The resident ID number is not valid (18 digits with a correct check digit)."),
        ({"id_number": "11010519491231002"}, "id_number", "The resident ID number is not valid (18 digits with a correct check digit)."),
        ({"email": "not-an-email"}, "email", None),
        ({"criteria": "not-a-list"}, "criteria", None),
        ({"facts": ["not", "a", "dict"]}, "facts", None),
        ({"employer": "drop table"}, "employer", None),
        ({"scheme": "../../etc"}, "scheme", None),
    ],
)
def test_malformed_dossier_fields_get_a_chinese_400(applicant_api, overrides, field, message):
    count = Dossier.objects.count()
    response = applicant_api.post("/api/v1/dossiers/", dossier_body(**overrides), content_type="application/json")
    assert response.status_code == 400, response.content[:500]
    error = response.json()["error"]
    assert error["message"].startswith(f"{field}: ")
    if message:
        with translation.override("zh-hans"):
            from casefiles.models import Dossier as D

            expected = gettext(message) % {"field": D._meta.get_field(field).verbose_name}
        assert error["message"] == f"{field}: {expected}"
    assert has_cjk(error["message"]) or message and "%(field)s" in message, error["message"]
    assert Dossier.objects.count() == count


def test_overlong_fields_are_refused_by_the_service_too(db):
    """Whatever the caller (import, portal, API), the service refuses an overlong value with a message
    instead of letting the database fail."""
    from casefiles.services.dossiers import dossier_create
    from casefiles.models import Scheme

    setup_schemes()
    scheme = Scheme.objects.get(slug="jilin")
    with pytest.raises(CaseFileError) as info:
        dossier_create(applicant=user("jilin.applicant"), scheme=scheme, requested_tier=scheme.tiers.first(),
                       **identity(random.Random(1), applicant_name="张" * 101))
    assert info.value.code == "applicant_name"
