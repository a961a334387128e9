"""Attachments: checked by content, stored privately, opened only through a permission check.

A file is accepted when its bytes are a PDF (without JavaScript or auto-actions), a JPEG, a PNG, or an OFD
package (the Chinese fixed-layout format: a ZIP with ``OFD.xml``). The extension and the browser's
content type are not trusted. Anything else is refused with a clear message and nothing is stored.

PDF actions are looked for outside stream bodies and inside compressed object streams (with ``#xx`` name
escapes decoded); image and font streams are not scanned, so their bytes cannot trip the check by chance.
ZIP archives (OFD here, .xlsx in the registry import) are judged by their directory alone: declared
uncompressed size, entry count and per-entry ratio; nothing is extracted.
"""

import hashlib
import io
import os
import re
import unicodedata
import zipfile
import zlib

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from search import outbox

from ..exceptions import CaseFileError, TransitionDenied
from ..models import Attachment, AttachmentKind, Dossier, StateKind
from ..selectors import dossiers_visible_to
from .journal import journal_write

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_OFD_UNCOMPRESSED = 50 * 1024 * 1024
MAX_ZIP_ENTRIES = 2000
MAX_ZIP_RATIO = 100  # an entry of more than 1 MB that inflates more than 100-fold is refused
ZIP_RATIO_FLOOR = 1024 * 1024
MAX_PDF_INFLATED = 50 * 1024 * 1024  # total inflated size of the object streams a PDF check may read
PDF_ACTIVE_CONTENT = re.compile(rb"/(JavaScript|JS|Launch|OpenAction|AA|EmbeddedFile|RichMedia|XFA)\b")
PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
PDF_STREAM_START = re.compile(rb">>\s*stream(?:\r\n|\n|\r)")


def _pdf_unescape(chunk: bytes) -> bytes:
    """``/J#61vaScript`` is ``/JavaScript``: PDF names may spell any byte as ``#xx``."""
    return PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), chunk)


def _pdf_dictionary_parts(data: bytes):
    """The parts of a PDF where dictionaries (and so actions) can be: everything outside stream bodies,
    unfiltered stream bodies, and the inflated content of compressed object streams (PDF 1.5 hides
    dictionaries there). Image and font streams are skipped: their bytes would match by chance."""
    pos, budget = 0, MAX_PDF_INFLATED
    while True:
        match = PDF_STREAM_START.search(data, pos)
        if match is None:
            yield data[pos:]
            return
        head = data[pos:match.start()]
        yield head
        end = data.find(b"endstream", match.end())
        if end < 0:
            yield data[match.end():]
            return
        body = data[match.end():end]
        dictionary = _pdf_unescape(head[head.rfind(b"obj"):] if b"obj" in head else head[-2000:])
        if b"/Filter" not in dictionary:
            yield body
        elif b"/ObjStm" in dictionary:
            if b"/FlateDecode" not in dictionary:
                # An object stream we cannot read could hide anything.
                raise CaseFileError(_("PDF files with scripts or embedded files are not accepted."), code="pdf_active_content")
            try:
                inflated = zlib.decompressobj().decompress(body, budget + 1)
            except zlib.error:
                raise CaseFileError(_("The file is damaged and cannot be read."), code="damaged") from None
            budget -= len(inflated)
            if budget < 0:
                raise CaseFileError(_("The file expands to more than 50 MB and is refused."), code="zip_bomb")
            yield inflated
        pos = end + len(b"endstream")


def pdf_has_active_content(data: bytes) -> bool:
    """True when a PDF carries JavaScript, auto-actions, launch actions, embedded files, rich media or XFA."""
    return any(PDF_ACTIVE_CONTENT.search(_pdf_unescape(part)) for part in _pdf_dictionary_parts(data))


def zip_check(data: bytes, max_total=MAX_OFD_UNCOMPRESSED):
    """The entry names of a ZIP archive (OFD, .xlsx), read from its directory without extracting anything.

    Refuses a damaged archive (None is returned), and a zip bomb: more than ``max_total`` bytes declared
    uncompressed, too many entries, or an entry that inflates suspiciously much."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        return None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise CaseFileError(_("The archive has too many entries and is refused."), code="zip_bomb")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > max_total or (info.file_size > ZIP_RATIO_FLOOR and ratio > MAX_ZIP_RATIO):
            raise CaseFileError(_("The file expands to more than 50 MB and is refused."), code="zip_bomb")
    return [info.filename for info in infos]


def sniff_content_type(data: bytes):
    """The real type of a file from its bytes, or None when it is not an accepted type."""
    if data.startswith(b"%PDF-"):
        if pdf_has_active_content(data):
            raise CaseFileError(_("PDF files with scripts or embedded files are not accepted."), code="pdf_active_content")
        return "application/pdf", ".pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ".jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ".png"
    if data.startswith(b"PK\x03\x04"):
        names = zip_check(data)
        if names is not None and "OFD.xml" in names:
            return "application/ofd", ".ofd"
    return None


def safe_name(name: str, extension: str) -> str:
    """A display name without paths or control characters, ending in the real extension."""
    name = unicodedata.normalize("NFC", os.path.basename((name or "").replace("\\", "/")))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in '<>:"/\\|?*')
    stem = os.path.splitext(name)[0].strip(" .")[:80] or "attachment"
    return stem + extension


@transaction.atomic
def attachment_add(*, dossier, user, uploaded_file, kind=AttachmentKind.OTHER):
    """The applicant adds a file to their draft or returned dossier."""
    dossier = Dossier.objects.select_for_update(of=("self",)).select_related("state").get(pk=dossier.pk)
    if dossier.applicant_id != user.pk:
        raise TransitionDenied(_("Only the applicant may add attachments."))
    if dossier.state.kind != StateKind.START and dossier.state.code != "returned":
        raise CaseFileError(_("Attachments can only be added while the application is a draft or returned for supplement."))
    if kind not in AttachmentKind.values:
        raise CaseFileError(_("Unknown attachment kind."))
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > MAX_ATTACHMENT_BYTES:
        raise CaseFileError(_("The file is larger than 10 MB."), code="too_large")
    data = uploaded_file.read(MAX_ATTACHMENT_BYTES + 1)
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise CaseFileError(_("The file is larger than 10 MB."), code="too_large")
    if not data:
        raise CaseFileError(_("The file is empty."), code="empty")
    sniffed = sniff_content_type(data)
    if sniffed is None:
        raise CaseFileError(_("Only PDF, JPEG, PNG and OFD files are accepted."), code="bad_type")
    content_type, extension = sniffed
    digest = hashlib.sha256(data).hexdigest()
    attachment = Attachment(
        dossier=dossier,
        kind=kind,
        original_name=safe_name(getattr(uploaded_file, "name", ""), extension),
        content_type=content_type,
        size=len(data),
        sha256=digest,
        uploaded_by=user,
    )
    # The stored name is random-ish (the digest), never the uploader's name.
    attachment.file.save(f"{digest[:32]}{extension}", ContentFile(data), save=False)
    attachment.save()
    journal_write(action="casefiles.attachment.add", actor=user, dossier=dossier, obj=attachment,
                  data={"name": attachment.original_name, "type": content_type, "size": len(data), "sha256": digest})
    outbox.enqueue("dossier", dossier.pk)
    return attachment


def attachment_for(user, pk):
    """An attachment of a dossier the user may see, else Attachment.DoesNotExist (404)."""
    visible = dossiers_visible_to(user)
    return Attachment.objects.select_related("dossier").get(pk=pk, dossier__in=visible)


def attachment_open(*, attachment, user):
    """Open the stored file for download and journal it. The caller must have got it via attachment_for."""
    if not dossiers_visible_to(user).filter(pk=attachment.dossier_id).exists():
        raise Attachment.DoesNotExist
    journal_write(action="casefiles.attachment.download", actor=user, dossier=attachment.dossier, obj=attachment,
                  data={"name": attachment.original_name})
    return attachment.file.open("rb")
