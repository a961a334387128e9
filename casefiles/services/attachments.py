"""Attachments: checked by content, stored privately, opened only through a permission check.

A file is accepted when its bytes are a PDF (without JavaScript or auto-actions), a JPEG, a PNG, or an OFD
package (the Chinese fixed-layout format: a ZIP with ``OFD.xml``). The extension and the browser's
content type are not trusted. Anything else is refused with a clear message and nothing is stored.

A PDF is read as a viewer reads it (pypdf): every object, also those packed in object streams, with every
stream decoded through its whole filter chain and ``/DecodeParms``; scripts, actions that run on their own,
embedded files, rich media and XML forms refuse it, and so does anything that cannot be parsed or decoded
(encrypted, damaged, unknown filters). A scan of the raw bytes outside compressed streams (with ``#xx`` name
escapes decoded) is a second line; image and font streams are not scanned, so their bytes cannot trip it by
chance.
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
from django.utils.translation import gettext as _
from pypdf.errors import PyPdfError

from ..exceptions import CaseFileError
from ..models import OTHER_MATERIAL, Attachment
from ..selectors import row_of_visible_dossier, sees_dossier
from .journal import journal_write

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_OFD_UNCOMPRESSED = 50 * 1024 * 1024
MAX_ZIP_ENTRIES = 2000
MAX_ZIP_RATIO = 100  # an entry of more than 1 MB that inflates more than 100-fold is refused
ZIP_RATIO_FLOOR = 1024 * 1024
MAX_PDF_INFLATED = 50 * 1024 * 1024  # total inflated size of the object streams a PDF check may read
# The raw-bytes second line. /OpenAction is judged by the structured check alone: a page destination there
# (Word and Acrobat write one) is harmless, and an action behind it carries one of these names.
PDF_ACTIVE_CONTENT = re.compile(
    rb"/(JavaScript|JS|Launch|AA|EmbeddedFiles?|RichMedia|XFA|SubmitForm|ImportData|GoToR|GoToE)\b"
)
PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
PDF_STREAM_START = re.compile(rb">>\s*stream(?:\r\n|\n|\r)")
# Whatever pypdf raises on a file it cannot read: the file is refused, never half-checked.
_PYPDF_ERRORS = (
    PyPdfError, AssertionError, AttributeError, EOFError, IndexError, KeyError, NotImplementedError, OSError,
    TypeError, ValueError, zlib.error,
)


def _pdf_unescape(chunk: bytes) -> bytes:
    """``/J#61vaScript`` is ``/JavaScript``: PDF names may spell any byte as ``#xx``."""
    return PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), chunk)


def _pdf_dictionary_parts(data: bytes):
    """The parts of a PDF where dictionaries can be seen without decoding: everything outside stream bodies
    and unfiltered stream bodies. Filtered streams (object streams among them) are decoded by
    :class:`_PdfInspector`; image and font streams would match by chance."""
    pos = 0
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
        dictionary = _pdf_unescape(head[head.rfind(b"obj"):] if b"obj" in head else head[-2000:])
        if b"/Filter" not in dictionary:
            yield data[match.end():end]
        pos = end + len(b"endstream")


PDF_OBJECT_HEADER = re.compile(rb"(?<![0-9])(\d{1,10})\s+(\d{1,5})\s+obj\b")
# Keys and name values that make a PDF act on its own: scripts, actions that open, send, fetch or run
# something, embedded files and rich media, XML forms. Links (/URI) and page destinations stay allowed.
PDF_ACTIVE_NAMES = frozenset(
    "/" + name
    for name in (
        "JavaScript", "JS", "Launch", "AA", "EmbeddedFile", "EmbeddedFiles", "EF", "RichMedia", "XFA",
        "SubmitForm", "ImportData", "GoToR", "GoToE", "Rendition", "Movie", "Sound", "Screen", "3D",
        "FileAttachment",
    )
)


class _PdfRefused(Exception):
    """Internal: the PDF is refused; ``error`` is the CaseFileError to raise."""

    def __init__(self, error):
        super().__init__(error.message)
        self.error = error


def _pdf_active(what):
    return _PdfRefused(CaseFileError(_("PDF files with scripts or embedded files are not accepted."), code="pdf_active_content"))


def _pdf_damaged():
    return _PdfRefused(CaseFileError(_("The PDF file is damaged or uses an encoding that cannot be checked, and is refused."), code="pdf_unreadable"))


class _PdfInspector:
    """Reads a PDF as a viewer would and refuses active content.

    Every object is parsed with pypdf: those the cross-reference table lists, every ``N G obj`` found in the
    bytes (a viewer repairing a damaged file finds those too), and every object packed in an object stream.
    Every stream that is not an image is decoded through its whole filter chain with its ``/DecodeParms``
    (predictors included); one that cannot be decoded is refused, since what we cannot read could hide
    anything. Dictionaries and arrays are walked to the bottom: a key or a name value in
    ``PDF_ACTIVE_NAMES``, or an ``/OpenAction`` that is an action rather than a page destination, refuses
    the file."""

    def __init__(self, data):
        from pypdf import PdfReader
        from pypdf.errors import FileNotDecryptedError

        self.data = data
        self.budget = MAX_PDF_INFLATED
        # id() of containers already walked -> the container itself: holding it keeps its id from being
        # reused by a later temporary (an object read at a byte offset), which would then look walked.
        self.seen = {}
        self.decoded_digests = {}  # raw stream bytes already decoded -> decoded bytes (charged once)
        self.object_streams = []
        try:
            self.reader = PdfReader(io.BytesIO(data), strict=False)
            encrypted = self.reader.is_encrypted
        except FileNotDecryptedError:
            encrypted = True
        except _PYPDF_ERRORS:
            raise _pdf_damaged() from None
        if encrypted:
            raise _PdfRefused(CaseFileError(_("Encrypted or password-protected PDF files are not accepted."), code="pdf_encrypted"))

    def run(self):
        from pypdf.generic import DictionaryObject, IndirectObject, NullObject, StreamObject

        reader = self.reader
        self.walk(reader.trailer)
        for generation, numbers in reader.xref.items():
            for number in numbers:
                self.walk(self.resolve(IndirectObject(number, generation, reader)))
        if not isinstance(self.resolve(reader.trailer.get("/Root")), DictionaryObject):
            raise _pdf_damaged()  # no document catalog: nothing a viewer shows, nothing we could check
        for number in reader.xref_objStm:
            found = self.resolve(IndirectObject(number, 0, reader))
            if isinstance(found, NullObject):
                # Named as packed in an object stream but unreadable there: a broken or hidden object.
                raise _pdf_damaged()
            self.walk(found)
        # The streams a cross-reference stream names as object streams, whatever their /Type says.
        for container in {number for number, _index in reader.xref_objStm.values()}:
            found = self.resolve(IndirectObject(container, 0, reader))
            if isinstance(found, StreamObject):
                self.object_streams.append(found)
        for match in PDF_OBJECT_HEADER.finditer(self.data):
            self.walk(self.read_at(match.start()))
        # Object streams found anywhere, also those no cross-reference table names.
        while self.object_streams:
            for obj in self.unpack(self.object_streams.pop()):
                self.walk(obj)

    def resolve(self, reference):
        try:
            return reference.get_object() if reference is not None else None
        except _PYPDF_ERRORS:
            raise _pdf_damaged() from None

    def read_at(self, offset):
        from pypdf.generic import read_object

        stream = self.reader.stream
        try:
            stream.seek(offset)
            self.reader.read_object_header(stream)
            return read_object(stream, self.reader)
        except _PYPDF_ERRORS:
            # A stray "1 0 obj" inside a string or a binary stream is not an object; what matters is that
            # no object a viewer could find escapes the walk, and the raw-bytes scan still sees this one.
            return None

    def decoded(self, stream):
        key = hashlib.sha256(getattr(stream, "_data", b"") or b"").digest() + repr(stream.get("/Filter")).encode() + repr(stream.get("/DecodeParms")).encode()
        if key in self.decoded_digests:
            return self.decoded_digests[key]
        try:
            data = stream.get_data()
        except _PYPDF_ERRORS:
            raise _pdf_damaged() from None
        self.decoded_digests[key] = data
        self.budget -= len(data)
        if self.budget < 0:
            raise _PdfRefused(CaseFileError(_("The file expands to more than 50 MB and is refused."), code="zip_bomb"))
        return data

    def unpack(self, stream):
        """The objects packed in an object stream (PDF 1.5), decoded with its whole filter chain."""
        from pypdf.generic import read_object

        data = self.decoded(stream)
        if PDF_ACTIVE_CONTENT.search(_pdf_unescape(data)):
            raise _pdf_active("object stream")
        try:
            count, first = int(stream.get("/N", 0)), int(stream.get("/First", 0))
            header = [int(token) for token in data[:first].split()]
            if count < 0 or len(header) < 2 * count:
                raise ValueError("object stream header")
            buffer = io.BytesIO(data)
            objects = []
            for offset in header[1 : 2 * count : 2]:
                buffer.seek(first + int(offset))
                objects.append(read_object(buffer, self.reader))
        except (*_PYPDF_ERRORS, ValueError):
            raise _pdf_damaged() from None
        return objects

    def walk(self, obj):
        from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

        stack = [obj]
        while stack:
            obj = stack.pop()
            if isinstance(obj, NameObject):
                if obj in PDF_ACTIVE_NAMES:
                    raise _pdf_active(obj)
            elif isinstance(obj, (DictionaryObject, ArrayObject)):
                if id(obj) in self.seen:
                    continue
                self.seen[id(obj)] = obj
                if isinstance(obj, DictionaryObject):
                    for key, value in obj.items():
                        if key in PDF_ACTIVE_NAMES:
                            raise _pdf_active(key)
                        if key == "/OpenAction" and not isinstance(value, ArrayObject):
                            # A page destination is an array; anything else is an action run on opening.
                            target = self.resolve(value) if isinstance(value, IndirectObject) else value
                            if not isinstance(target, ArrayObject):
                                raise _pdf_active(key)
                        stack.append(value)
                    if isinstance(obj, StreamObject):
                        self.stream(obj)
                else:
                    stack.extend(obj)

    def stream(self, obj):
        if obj.get("/Type") == "/ObjStm":
            self.object_streams.append(obj)
        elif obj.get("/Subtype") != "/Image":
            # Images are pixels to a viewer; every other stream (contents, fonts, cross-reference streams)
            # must decode, or the file is refused.
            self.decoded(obj)


def pdf_check(data: bytes):
    """Refuse (CaseFileError) a PDF that carries JavaScript, actions that run on their own, embedded files,
    rich media or XFA, or that cannot be read to the bottom (encrypted, damaged, unknown filters)."""
    try:
        _PdfInspector(data).run()
    except _PdfRefused as refused:
        raise refused.error from None
    except RecursionError:
        raise _pdf_damaged().error from None
    # Second line: the raw bytes, should pypdf ever read less than a viewer does.
    if pdf_has_active_content(data):
        raise _pdf_active("raw").error


def pdf_has_active_content(data: bytes) -> bool:
    """The raw-bytes scan: True when an action name shows outside compressed streams."""
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
        pdf_check(data)
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


def read_upload(uploaded_file):
    """The bytes of an upload with their real (content type, extension); CaseFileError when refused."""
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
    return data, content_type, extension


def version_store(*, document, user, data, content_type, extension, name, version, note=""):
    """Write one version's file and row (inside the caller's transaction; the actions call it)."""
    digest = hashlib.sha256(data).hexdigest()
    attachment = Attachment(
        dossier_id=document.dossier_id,
        document=document,
        version=version,
        note=note,
        kind=document.kind,
        original_name=safe_name(name, extension),
        content_type=content_type,
        size=len(data),
        sha256=digest,
        uploaded_by=user,
    )
    # The stored name is random-ish (the digest), never the uploader's name.
    attachment.file.save(f"{digest[:32]}{extension}", ContentFile(data), save=False)
    attachment.save()
    return attachment


def attachment_add(*, dossier, user, uploaded_file, kind=OTHER_MATERIAL, document=None, note="", title="",
                   issuing_body="", issue_date=None):
    """The applicant adds a file to their draft or returned dossier: a new document, or with ``document`` a new
    version of one of theirs (casefiles/actions/documents.py)."""
    from ..actions.documents import AddDocument, AddDocumentVersion

    if document is not None:
        return AddDocumentVersion(document, user, uploaded_file, note=note, applicant_only=True).execute()
    return AddDocument(dossier, user, uploaded_file, kind=kind, title=title, issuing_body=issuing_body,
                       issue_date=issue_date, note=note, applicant_only=True).execute()


def attachment_for(user, pk):
    """An attachment of a dossier the user may see, else Attachment.DoesNotExist (404)."""
    return row_of_visible_dossier(user, Attachment.objects.select_related("dossier"), pk)


def attachment_open(*, attachment, user):
    """Open the stored file for download and journal it. The caller must have got it via attachment_for."""
    if not sees_dossier(user, attachment.dossier_id):
        raise Attachment.DoesNotExist
    journal_write(action="casefiles.attachment.download", actor=user, dossier=attachment.dossier, obj=attachment,
                  data={"name": attachment.original_name})
    return attachment.file.open("rb")
