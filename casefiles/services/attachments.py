"""Attachments: checked by content, stored privately, opened only through a permission check.

A file is accepted when its bytes are a PDF (without JavaScript or auto-actions), a JPEG, a PNG, or an OFD
package (the Chinese fixed-layout format: a ZIP with ``OFD.xml``). The extension and the browser's
content type are not trusted. Anything else is refused with a clear message and nothing is stored.
"""

import hashlib
import io
import os
import re
import unicodedata
import zipfile

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
PDF_ACTIVE_CONTENT = re.compile(rb"/(JavaScript|JS|Launch|OpenAction|AA|EmbeddedFile|RichMedia|XFA)\b")


def sniff_content_type(data: bytes):
    """The real type of a file from its bytes, or None when it is not an accepted type."""
    if data.startswith(b"%PDF-"):
        if PDF_ACTIVE_CONTENT.search(data):
            raise CaseFileError(_("PDF files with scripts or embedded files are not accepted."), code="pdf_active_content")
        return "application/pdf", ".pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ".jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ".png"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
                total = sum(info.file_size for info in archive.infolist())
        except zipfile.BadZipFile:
            return None
        if total > MAX_OFD_UNCOMPRESSED:
            raise CaseFileError(_("The file expands to more than 50 MB and is refused."), code="zip_bomb")
        if "OFD.xml" in names:
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
