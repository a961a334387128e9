"""Active PDFs: scripts and auto-actions hidden behind filter chains, predictors, object streams and name
escapes, encrypted and damaged files. Every hostile file is refused, through the API and through the
portal, with a Chinese message and nothing stored (no row, no file); clean PDFs from WeasyPrint and pypdf
are accepted. Attachments are always served as downloads with nosniff and a sandboxed policy.

The files are built here, byte by byte, with real cross-reference tables (and cross-reference streams
where objects are packed in object streams), so that a viewer would open them and run what they carry."""

import base64
import hashlib
import io
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfWriter
from pypdf._codecs._codecs import LzwCodec
from rest_framework.authtoken.models import Token

from casefiles.exceptions import CaseFileError
from casefiles.models import Attachment
from casefiles.services.attachments import sniff_content_type
from tests.casefiles.factories import PASSWORD, new_dossier, setup_schemes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("schemes_once")]

ACTIVE = "PDF files with scripts or embedded files are not accepted."
UNREADABLE = "The PDF file is damaged or uses an encoding that cannot be checked, and is refused."
ENCRYPTED = "Encrypted or password-protected PDF files are not accepted."
TOO_BIG = "The file expands to more than 50 MB and is refused."

JS = b"<< /S /JavaScript /JS (app.alert\\(document.cookie\\)) >>"
CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"


def zh(message):
    with translation.override("zh-hans"):
        return gettext(message)


# --- building PDFs -----------------------------------------------------------------------------------------


def stream(entries: bytes, data: bytes) -> bytes:
    return b"<< " + entries + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def build(direct: dict, packed: dict | None = None, *, filters=b"/FlateDecode", encode=zlib.compress, parms=b"",
          container_type=b"/Type /ObjStm "):
    """A PDF with ``direct`` objects ({number: bytes}) and, when ``packed`` is given, those objects in one
    object stream encoded with ``encode`` and declared with ``filters`` / ``parms``, located by a
    cross-reference stream (as PDF 1.5 writers do). Object 1 is the catalog."""
    body = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    offsets = {}

    def add(number, obj):
        nonlocal body
        offsets[number] = len(body)
        body += b"%d 0 obj\n" % number + obj + b"\nendobj\n"

    for number, obj in sorted(direct.items()):
        add(number, obj)
    size = max([*direct, *(packed or {})]) + 1
    if not packed:
        xref = len(body)
        body += b"xref\n0 %d\n0000000000 65535 f \n" % size
        for number in range(1, size):
            body += b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n"
        return body + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    container, xref_number = size, size + 1
    header = b" ".join(b"%d %d" % pair for pair in _packed_offsets(packed)) + b" "
    content = header + b"".join(obj + b" " for _number, obj in sorted(packed.items()))
    entries = container_type + b"/N %d /First %d /Filter %s" % (len(packed), len(header), filters)
    if parms:
        entries += b" /DecodeParms " + parms
    add(container, stream(entries, encode(content)))
    rows = b""
    for number in range(xref_number + 1):
        if number in offsets:
            rows += bytes([1]) + offsets[number].to_bytes(4, "big") + (0).to_bytes(2, "big")
        elif number in packed:
            index = sorted(packed).index(number)
            rows += bytes([2]) + container.to_bytes(4, "big") + index.to_bytes(2, "big")
        elif number == xref_number:
            rows += bytes([1]) + len(body).to_bytes(4, "big") + (0).to_bytes(2, "big")
        else:
            rows += bytes([0]) + (0).to_bytes(4, "big") + (65535).to_bytes(2, "big")
    xref = len(body)
    add(xref_number, stream(b"/Type /XRef /Size %d /W [1 4 2] /Root 1 0 R" % (xref_number + 1), rows))
    return body + b"startxref\n%d\n%%%%EOF\n" % xref


def _packed_offsets(packed):
    offset = 0
    for number, obj in sorted(packed.items()):
        yield number, offset
        offset += len(obj) + 1


def double_flate(data):
    return zlib.compress(zlib.compress(data))


def png_predicted(columns):
    """Flate with PNG predictors (/Predictor 12): each row starts with its filter type; Sub and Up rows
    alternate, so no byte of the original text survives in the inflated stream."""

    def encode(data):
        data += b" " * (-len(data) % columns)
        previous, out = bytes(columns), b""
        for start in range(0, len(data), columns):
            row = data[start : start + columns]
            if (start // columns) % 2:
                out += b"\x02" + bytes((row[i] - previous[i]) % 256 for i in range(columns))
            else:
                out += b"\x01" + bytes((row[i] - (row[i - 1] if i else 0)) % 256 for i in range(columns))
            previous = row
        return zlib.compress(out)

    return encode


def ascii_hex_flate(data):
    return zlib.compress(data).hex().encode() + b">"


def ascii85(data):
    return base64.a85encode(data) + b"~>"


def ascii85_flate(data):
    return base64.a85encode(zlib.compress(data)) + b"~>"


def lzw(data):
    return LzwCodec().encode(data)


def run_length(data):
    out = b""
    for start in range(0, len(data), 128):
        chunk = data[start : start + 128]
        out += bytes([len(chunk) - 1]) + chunk
    return out + b"\x80"


def encrypted(user_password):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PREDICTOR_12 = b"<< /Predictor 12 /Columns 5 >>"
# The catalog and its action both packed in the object stream: nothing shows in the raw bytes.
OPEN_JS = b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"
BASE = {2: PAGES, 3: PAGE}

def appended(obj: bytes, number=99) -> bytes:
    """A valid PDF with one more object after its end, named by no cross-reference table: only the
    ``N G obj`` byte scan finds it (as a viewer repairing the file would)."""
    return build({1: CATALOG, **BASE}) + b"%d 0 obj\n" % number + obj + b"\nendobj\n"


HOSTILE = {
    # the two the probe found: the old check inflated an object stream once and ignored /DecodeParms
    "double_flate_openaction": (build(BASE, {1: OPEN_JS, 4: JS}, filters=b"[/FlateDecode /FlateDecode]", encode=double_flate), ACTIVE),
    "flate_predictor12_openaction": (build(BASE, {1: OPEN_JS, 4: JS}, parms=PREDICTOR_12, encode=png_predicted(5)), ACTIVE),
    # every other filter chain pypdf decodes
    "asciihex_flate_openaction": (build(BASE, {1: OPEN_JS, 4: JS}, filters=b"[/ASCIIHexDecode /FlateDecode]", encode=ascii_hex_flate), ACTIVE),
    "ascii85_openaction": (build(BASE, {1: OPEN_JS, 4: JS}, filters=b"/ASCII85Decode", encode=ascii85), ACTIVE),
    "ascii85_flate_openaction": (build(BASE, {1: OPEN_JS, 4: JS}, filters=b"[/ASCII85Decode /FlateDecode]", encode=ascii85_flate), ACTIVE),
    "lzw_openaction": (build(BASE, {1: OPEN_JS, 4: JS}, filters=b"/LZWDecode", encode=lzw), ACTIVE),
    "runlength_openaction": (build(BASE, {1: OPEN_JS, 4: JS}, filters=b"/RunLengthDecode", encode=run_length), ACTIVE),
    "flate_predictor12_in_array_parms": (
        build(BASE, {1: OPEN_JS, 4: JS}, filters=b"[/FlateDecode]", parms=b"[" + PREDICTOR_12 + b"]", encode=png_predicted(5)), ACTIVE),
    # the catalog itself packed, the action direct in it
    "catalog_in_double_flate_stream": (
        build(BASE, {1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction " + JS + b" >>"}, filters=b"[/FlateDecode /FlateDecode]", encode=double_flate), ACTIVE),
    # where actions hide
    "hex_escaped_names_packed": (build(BASE, {1: OPEN_JS, 4: b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"}, encode=double_flate, filters=b"[/FlateDecode /FlateDecode]"), ACTIVE),
    "hex_escaped_names_direct": (build({1: b"<< /Type /Catalog /Pages 2 0 R /Op#65nAction 4 0 R >>", **BASE, 4: b"<< /S /J#61vaScript /J#53 (1) >>"}), ACTIVE),
    "annotation_action_js": (
        build({1: CATALOG, 2: PAGES, 3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>"},
              {4: b"<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] /A " + JS + b" >>"}, parms=PREDICTOR_12, encode=png_predicted(5)), ACTIVE),
    "page_additional_actions": (
        build({1: CATALOG, 2: PAGES}, {3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /A#41 << /O " + JS + b" >> >>"},
              filters=b"[/FlateDecode /FlateDecode]", encode=double_flate), ACTIVE),
    "embedded_files_name_tree": (
        build({**BASE, 5: b"<< /Type /Filespec /F (a.exe) /E#46 << /F 6 0 R >> >>", 6: stream(b"/Type /EmbeddedFile", b"MZ")},
              {1: b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >> >>"},
              filters=b"[/ASCIIHexDecode /FlateDecode]", encode=ascii_hex_flate), ACTIVE),
    "javascript_name_tree": (
        build(BASE, {1: b"<< /Type /Catalog /Pages 2 0 R /Names << /JavaScript << /Names [(x) 4 0 R] >> >> >>", 4: JS},
              filters=b"/LZWDecode", encode=lzw), ACTIVE),
    "launch_action": (build(BASE, {1: OPEN_JS, 4: b"<< /S /Launch /F (cmd.exe) >>"}, encode=double_flate, filters=b"[/FlateDecode /FlateDecode]"), ACTIVE),
    "submit_form": (build(BASE, {1: OPEN_JS, 4: b"<< /S /SubmitForm /F (https://x.example/) >>"}, parms=PREDICTOR_12, encode=png_predicted(5)), ACTIVE),
    "remote_goto": (build(BASE, {1: OPEN_JS, 4: b"<< /S /GoToR /F (\\\\\\\\host\\\\share\\\\x.pdf) /D [0 /Fit] >>"}, encode=double_flate, filters=b"[/FlateDecode /FlateDecode]"), ACTIVE),
    "acroform_xfa": (build(BASE, {1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /XFA 4 0 R >> >>", 4: b"[(x) 5 0 R]"}, encode=double_flate, filters=b"[/FlateDecode /FlateDecode]"), ACTIVE),
    "rich_media_annotation": (
        build({1: CATALOG, 2: PAGES, 3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>"},
              {4: b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 9 9] >>"}, filters=b"/ASCII85Decode", encode=ascii85), ACTIVE),
    "openaction_any_action": (build(BASE, {1: OPEN_JS, 4: b"<< /S /Named /N /Print >>"}, encode=double_flate, filters=b"[/FlateDecode /FlateDecode]"), ACTIVE),
    "objstm_typed_otherwise": (  # the cross-reference stream, not /Type, says where objects are
        build(BASE, {1: OPEN_JS, 4: JS}, filters=b"[/FlateDecode /FlateDecode]", encode=double_flate,
              container_type=b"/Type /XObject "), (ACTIVE, UNREADABLE)),
    # what cannot be read is refused
    "encrypted_empty_user_password": (encrypted(""), ENCRYPTED),
    "encrypted_with_password": (encrypted("secret"), ENCRYPTED),
    # (pypdf recovers what it can of a broken deflate stream, as viewers do: the action it then finds, or
    # cannot resolve, refuses the file either way)
    "corrupt_object_stream": (build(BASE, {1: OPEN_JS, 4: JS}, encode=lambda data: b"\x78\x9c" + bytes(range(200))), (ACTIVE, UNREADABLE)),
    "corrupt_predictor_rows": (build({1: CATALOG, **BASE, 4: stream(b"/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 5 >>",
                                                                     zlib.compress(b"\x09abcde" * 3))}), UNREADABLE),
    "corrupt_hex_stream": (build({1: CATALOG, **BASE, 4: stream(b"/Filter /ASCIIHexDecode", b"zz not hex")}), UNREADABLE),
    "unknown_filter_content_stream": (build({1: CATALOG, 2: PAGES, 3: b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
                                             4: stream(b"/Filter /RotDecode", b"0 0 m")}), UNREADABLE),
    "unknown_filter": (build(BASE, {1: OPEN_JS, 4: JS}, filters=b"/RotDecode", encode=lambda data: data[::-1]), UNREADABLE),
    # objects only the byte scan finds (an earlier temporary's reused id() once made them look walked)
    "appended_unknown_filter": (appended(stream(b"/Filter /BogusDecode", b"hidden")), UNREADABLE),
    "appended_object_stream_flate_js": (
        appended(stream(b"/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", zlib.compress(b"4 0 " + JS + b" "))), ACTIVE),
    "no_cross_reference": (b"%PDF-1.7\n1 0 obj\n" + CATALOG + b"\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n", UNREADABLE),
    "inflates_past_the_limit": (
        build({1: CATALOG, 2: PAGES, 3: b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
               4: stream(b"/Filter /FlateDecode", zlib.compress(b"0" * (60 * 1024 * 1024), 9))}), TOO_BIG),
}


def refusals(message):
    """The accepted refusal messages of a case (one, or either of two where both are right)."""
    return message if isinstance(message, tuple) else (message,)


def clean_weasyprint():
    from weasyprint import HTML

    png = base64.b64encode(_png()).decode()
    html = (
        "<h1>聘用合同</h1><p>甲方：某某科技有限公司 <a href='https://www.example.cn/'>链接</a></p>"
        f"<img src='data:image/png;base64,{png}' width='40'><p>/JavaScript /OpenAction /AA</p>"
    )
    return HTML(string=html).write_pdf()


def _png():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def clean_pypdf():
    from pypdf.annotations import Link

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_annotation(0, Link(rect=(50, 50, 200, 80), url="https://www.example.cn/"))
    writer.add_annotation(0, Link(rect=(50, 100, 200, 130), target_page_index=0))
    writer.compress_identical_objects()
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def clean_packed():
    """Our own builder, with object streams behind every filter chain, and no action: accepted."""
    return build({1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] >>", 2: PAGES},
                 {3: PAGE, 4: b"<< /Producer (x) >>"}, filters=b"[/ASCII85Decode /FlateDecode]",
                 encode=lambda data: ascii85(png_predicted(5)(data)),
                 parms=b"[null << /Predictor 12 /Columns 5 >>]")


# --- the check itself, case by case ----------------------------------------------------------------------


@pytest.mark.smoke
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_pdf_is_refused_by_the_check(case):
    content, message = HOSTILE[case]
    with pytest.raises(CaseFileError) as refused:
        sniff_content_type(content)
    assert refused.value.message in [zh(m) for m in refusals(message)]


@pytest.mark.smoke
@pytest.mark.parametrize("make", [clean_weasyprint, clean_pypdf, clean_packed], ids=lambda f: f.__name__)
def test_clean_pdf_is_accepted(make):
    assert sniff_content_type(make()) == ("application/pdf", ".pdf")


# --- through the real endpoints, nothing stored ------------------------------------------------------------


@pytest.fixture
def draft(db):
    setup_schemes()
    return new_dossier("jilin")


def stored_files():
    root = Path(settings.PRIVATE_ROOT) / "attachments"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def upload_api(client, dossier, content):
    token, _ = Token.objects.get_or_create(user=dossier.applicant)
    response = client.post(
        f"/api/v1/dossiers/{dossier.pk}/attachments/",
        {"kind": "other", "file": SimpleUploadedFile("合同.pdf", content, content_type="application/pdf")},
        HTTP_AUTHORIZATION=f"Token {token.key}",
        HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9",
    )
    return response.status_code, response.content.decode()


def upload_portal(client, dossier, content):
    client.login(username=dossier.applicant.username, password=PASSWORD)
    response = client.post(
        reverse("portal_attachment_upload", args=[dossier.pk]),
        {"kind": "other", "file": SimpleUploadedFile("合同.pdf", content, content_type="application/pdf")},
        follow=True,
    )
    return response.status_code, response.content.decode()


@pytest.mark.smoke
@pytest.mark.parametrize("upload", [upload_api, upload_portal], ids=["api", "portal"])
def test_every_hostile_pdf_is_refused_and_nothing_stored(client, draft, upload):
    files_before, rows_before = stored_files(), Attachment.objects.count()
    failures = []
    for case, (content, message) in sorted(HOSTILE.items()):
        status, body = upload(client, draft, content)
        if status not in (200, 400) or not any(zh(m) in body for m in refusals(message)):
            failures.append((case, status, body[:300]))
        if Attachment.objects.filter(sha256=hashlib.sha256(content).hexdigest()).exists():
            failures.append((case, "row stored"))
    assert failures == []
    assert Attachment.objects.count() == rows_before
    assert stored_files() == files_before
    # the clean ones go through the same door
    for make in (clean_weasyprint, clean_pypdf, clean_packed):
        status, _body = upload(client, draft, make())
        assert status in (201, 200)
    assert Attachment.objects.count() == rows_before + 3


@pytest.mark.smoke
def test_attachments_are_always_downloads_with_a_sandbox(client, draft):
    """PDFs and images alike: Content-Disposition attachment, nosniff, a sandboxed policy without scripts,
    from the portal/admin view and from the API."""
    upload_api(client, draft, clean_pypdf())
    upload_api(client, draft, _png())
    assert client.login(username=draft.applicant.username, password=PASSWORD)
    token = Token.objects.get(user=draft.applicant)
    for attachment in Attachment.objects.filter(dossier=draft):
        for url, extra in (
            (reverse("portal_attachment_download", args=[attachment.pk]), {}),
            (f"/api/v1/attachments/{attachment.pk}/", {"HTTP_AUTHORIZATION": f"Token {token.key}"}),
        ):
            response = client.get(url, **extra)
            assert response.status_code == 200, url
            assert response["Content-Disposition"].startswith("attachment"), (url, attachment.content_type)
            assert response["X-Content-Type-Options"] == "nosniff"
            policy = response["Content-Security-Policy"]
            assert policy.startswith("sandbox") and "default-src 'none'" in policy and "script-src" not in policy
