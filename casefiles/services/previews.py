"""Page images of document versions, for the thumbnails and the reader in the dossier page (issue #24 item 2).

A PDF page is drawn by ``pdftoppm`` (poppler-utils) with a timeout and its longest side capped; an image (JPEG,
PNG) is read by Pillow, turned upright by its EXIF orientation, shrunk and flattened onto white, and refused when
it would decode to more pixels than ``MAX_IMAGE_PIXELS`` (a decompression bomb). Either way the result is a PNG we
wrote ourselves, never the uploaded bytes.

Previews are cached in private storage (no URL maps to it) under ``previews/<sha256>/``: the content's digest, so
a second request costs one file read and two versions with the same bytes share their images. A file that cannot
be drawn (damaged, an OFD package, missing) raises :class:`PreviewUnavailable` with the reason in English source
(shown through the catalogue); a lasting reason is remembered beside the images so that a broken file is not
drawn again on every request, a timeout is not. Who may see a preview is decided by the caller through
``attachment_for``, the same check as the download; :func:`preview_journal` records the access.
"""

import datetime
import io
import os
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from huicai.conflicts import is_lock_failure

from ..models import JournalEntry
from .journal import journal_write

PDFTOPPM = "pdftoppm"
PDFINFO = "pdfinfo"
PDF_TIMEOUT = 20  # seconds for one page (or for reading the page count)
#: Longest side in pixels of each size: a thumbnail in the dossier page, a page in the reader.
SIZES = {"thumb": 320, "page": 1400}
MAX_IMAGE_PIXELS = 40_000_000  # an image larger than this (e.g. 8000 × 5000) is not decoded
MAX_SOURCE_BYTES = 25 * 1024 * 1024  # uploads stop at 10 MB; anything larger here is not ours to draw
MAX_READER_PAGES = 30  # the reader shows up to this many pages; the rest of a long PDF is in the download
PREVIEW_TYPES = ("application/pdf", "image/jpeg", "image/png")

REASON_UNSUPPORTED = gettext_noop("No preview can be shown for this file type; please download it.")
REASON_BROKEN_PDF = gettext_noop("The PDF file could not be read, so no preview can be shown.")
REASON_BROKEN_IMAGE = gettext_noop("The image could not be read, so no preview can be shown.")
REASON_TOO_LARGE = gettext_noop("The image is too large to be shown as a preview; please download it.")
REASON_TIMEOUT = gettext_noop("The preview took too long to prepare; please try again later or download the file.")
REASON_MISSING = gettext_noop("The stored file is missing.")
REASON_NO_PAGE = gettext_noop("The document has no such page.")
_LASTING = {REASON_BROKEN_PDF, REASON_BROKEN_IMAGE, REASON_TOO_LARGE, REASON_NO_PAGE}


class PreviewUnavailable(Exception):
    """No preview of this version (page); ``reason`` is one of the REASON_ messages (English source)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def _storage(attachment):
    return attachment.file.storage


def _key(attachment, name):
    return f"previews/{attachment.sha256[:2]}/{attachment.sha256}/{name}"


def _read(storage, name):
    with storage.open(name, "rb") as handle:
        return handle.read()


def _write(storage, name, data):
    """Store ``data`` under ``name``. On a local disk the file appears whole or not at all (written beside it, then
    renamed): a request reading the cache while another writes it must never get half a PNG. Two requests drawing
    the same page write the same bytes, so the last rename wins harmlessly."""
    try:
        path = Path(storage.path(name))
    except NotImplementedError:  # a remote storage: its save is its own (a faster twin's file is kept)
        if not storage.exists(name):
            saved = storage.save(name, ContentFile(data))
            if saved != name:
                storage.delete(saved)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as handle:
        handle.write(data)
    os.replace(handle.name, path)


def _source(attachment, workdir):
    """The stored file copied into ``workdir`` (the storage need not be a local disk)."""
    if attachment.size > MAX_SOURCE_BYTES:
        raise PreviewUnavailable(REASON_TOO_LARGE)
    path = Path(workdir) / ("source" + Path(attachment.file.name).suffix)
    try:
        with attachment.file.open("rb") as handle:
            path.write_bytes(handle.read(MAX_SOURCE_BYTES + 1))
    except (FileNotFoundError, ValueError):
        raise PreviewUnavailable(REASON_MISSING) from None
    return path


def _run(args):
    try:
        return subprocess.run(args, capture_output=True, timeout=PDF_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise PreviewUnavailable(REASON_TIMEOUT) from None


def pdf_page_png(path, page, side, workdir):
    """One page of the PDF at ``path`` as PNG bytes, its longest side ``side`` pixels."""
    prefix = Path(workdir) / "page"
    result = _run([PDFTOPPM, "-png", "-f", str(page), "-l", str(page), "-scale-to", str(side), "-singlefile",
                   str(path), str(prefix)])
    out = prefix.with_suffix(".png")
    if result.returncode != 0 or not out.exists():
        raise PreviewUnavailable(REASON_BROKEN_PDF)
    # read back through Pillow as any image: the bytes we serve are always our own PNG
    return image_png(out.read_bytes(), side)


def pdf_page_count(path):
    result = _run([PDFINFO, str(path)])
    if result.returncode != 0:
        raise PreviewUnavailable(REASON_BROKEN_PDF)
    for line in result.stdout.decode("latin-1").splitlines():
        if line.startswith("Pages:"):
            try:
                pages = int(line.split(":", 1)[1])
            except ValueError:
                break
            if pages > 0:
                return pages
    raise PreviewUnavailable(REASON_BROKEN_PDF)


def image_png(data, side):
    """PNG bytes of the image ``data`` (JPEG or PNG): upright (EXIF), at most ``side`` pixels on its longest side,
    RGB on white. Decompression bombs and damaged files raise PreviewUnavailable."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size  # from the header: nothing decoded yet
                if width <= 0 or height <= 0 or width * height > MAX_IMAGE_PIXELS:
                    raise PreviewUnavailable(REASON_TOO_LARGE)
                image.draft("RGB", (side, side))  # JPEG: decode at a reduced scale where it can
                image = ImageOps.exif_transpose(image)
                image.thumbnail((side, side))
                if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
                    rgba = image.convert("RGBA")
                    flat = Image.new("RGB", rgba.size, "white")
                    flat.paste(rgba, mask=rgba.getchannel("A"))
                    image = flat
                else:
                    image = image.convert("RGB")
                out = io.BytesIO()
                image.save(out, format="PNG")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PreviewUnavailable(REASON_TOO_LARGE) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, ZeroDivisionError):
        raise PreviewUnavailable(REASON_BROKEN_IMAGE) from None
    return out.getvalue()


def _remember_failure(storage, name, reason):
    if reason in _LASTING:
        _write(storage, name, reason.encode("utf-8"))


def page_count(attachment):
    """How many pages the reader can show of this version (1 for an image); PreviewUnavailable when none."""
    if attachment.content_type not in PREVIEW_TYPES:
        raise PreviewUnavailable(REASON_UNSUPPORTED)
    if attachment.content_type != "application/pdf":
        return 1
    storage = _storage(attachment)
    name, failed = _key(attachment, "pages.txt"), _key(attachment, "pages.failed")
    if storage.exists(name):
        return int(_read(storage, name))
    if storage.exists(failed):
        raise PreviewUnavailable(_read(storage, failed).decode("utf-8"))
    with tempfile.TemporaryDirectory(prefix="huicai-preview-") as workdir:
        try:
            pages = pdf_page_count(_source(attachment, workdir))
        except PreviewUnavailable as error:
            _remember_failure(storage, failed, error.reason)
            raise
    _write(storage, name, str(pages).encode())
    return pages


def preview_png(attachment, *, page=1, size="thumb"):
    """PNG bytes of ``page`` (1-based) of the version at ``size`` ("thumb" or "page"), from the cache when it was
    drawn before; PreviewUnavailable with the reason when it cannot be drawn."""
    if size not in SIZES:
        raise ValueError(size)
    if attachment.content_type not in PREVIEW_TYPES:
        raise PreviewUnavailable(REASON_UNSUPPORTED)
    storage = _storage(attachment)
    name, failed = _key(attachment, f"{size}-{page}.png"), _key(attachment, f"{size}-{page}.failed")
    if storage.exists(name):
        return _read(storage, name)
    if storage.exists(failed):
        raise PreviewUnavailable(_read(storage, failed).decode("utf-8"))
    if page < 1 or page > page_count(attachment):
        raise PreviewUnavailable(REASON_NO_PAGE)
    with tempfile.TemporaryDirectory(prefix="huicai-preview-") as workdir:
        try:
            source = _source(attachment, workdir)
            if attachment.content_type == "application/pdf":
                png = pdf_page_png(source, page, SIZES[size], workdir)
            else:
                png = image_png(source.read_bytes(), SIZES[size])
        except PreviewUnavailable as error:
            _remember_failure(storage, failed, error.reason)
            raise
    _write(storage, name, png)
    return png


def preview_journal(*, attachment, user, action="preview"):
    """Record that ``user`` saw the version's content: ``casefiles.attachment.read`` each time the reader opens,
    ``casefiles.attachment.preview`` for page images once per user, version and day (a dossier page shows a
    thumbnail of every document on each visit, which would bury the journal's decisions under one entry per
    image). Version numbers only: a file name may carry a person's name."""
    if action == "preview":
        start = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time.min))
        if JournalEntry.objects.filter(dossier_id=attachment.dossier_id, action="casefiles.attachment.preview",
                                       actor=user, object_id=str(attachment.pk), created_at__gte=start).exists():
            return None
    # A dossier page asks for all its thumbnails at once, so their entries race for the chain's head. PostgreSQL
    # queues them on the head's row lock; SQLite may instead give two of them the same place in the chain, or
    # refuse one the lock outright (its shared in-memory test database does not wait): the loser tries again
    # behind the winner, a few times, before the request fails as any lost lock race does (409).
    attempts = 5
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                return journal_write(action=f"casefiles.attachment.{action}", actor=user, dossier=attachment.dossier,
                                     obj=attachment, data={"document": attachment.document_id,
                                                           "version": attachment.version})
        except (IntegrityError, OperationalError) as error:
            if attempt == attempts - 1 or transaction.get_connection().in_atomic_block:
                raise
            if isinstance(error, OperationalError) and not is_lock_failure(error):
                raise
            time.sleep(0.05 * (attempt + 1))
    return None
