"""Full text of a document version, for staff search: the text layer of a PDF (pdftotext), else OCR (Tesseract,
Simplified Chinese and English) of an image or of a PDF without text.

Runs in the background worker (casefiles/tasks.py ``extract_document_text``), never in the request. A file that
cannot be read (encrypted or broken PDF, broken image, OCR timeout, OFD) keeps its version as it is, marked "text
not extracted" with the reason; the task tries once more, then leaves it. The text is personal data: it goes to
the version row and the dossier's staff-search document, never to a log line, an export or public search.
"""

import re
import subprocess
import tempfile
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext_noop

from search import outbox

from ..models import Attachment, TextStatus

PDFTOTEXT = "pdftotext"
PDFTOPPM = "pdftoppm"
TESSERACT = "tesseract"
OCR_LANGUAGES = "chi_sim+eng"
OCR_TIMEOUT = 120  # seconds per page
PDF_TIMEOUT = 60
OCR_MAX_PAGES = 10  # a scanned PDF is read up to here; the rest of a long scan is rarely what is searched for
OCR_DPI = 300
MIN_TEXT_CHARS = 20  # a PDF whose text layer holds less is treated as a scan
MIN_IMAGE_SIDE = 32  # smaller images carry no readable text (and OCR of the 1×1 demo files would only cost time)
MAX_TEXT_CHARS = 200_000
MAX_ATTEMPTS = 2  # the first run and one retry

# The reasons are stored in English source and shown through the catalogue (gettext on display).
REASON_UNREADABLE_PDF = gettext_noop("The PDF could not be read.")
REASON_UNREADABLE_IMAGE = gettext_noop("The image could not be read.")
REASON_TIMEOUT = gettext_noop("Text recognition took too long.")
REASON_UNSUPPORTED = gettext_noop("Text is not extracted from this file type.")
REASON_TOO_SMALL = gettext_noop("The image is too small to carry readable text.")
REASON_NO_TEXT = gettext_noop("No text was found in the file.")
REASON_MISSING = gettext_noop("The stored file is missing.")

# Tesseract writes Chinese with spaces between the characters; they are noise to a phrase search.
_CJK = r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]"
_CJK_GAP = re.compile(rf"(?<={_CJK})[ \t]+(?={_CJK})")


class ExtractionFailed(Exception):
    """The file's text could not be read; ``reason`` is one of the REASON_ messages (English source)."""

    def __init__(self, reason, retry=True):
        super().__init__(reason)
        self.reason, self.retry = reason, retry


def normalise(text):
    text = _CJK_GAP.sub("", text or "")
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r"\n\s*\n+", "\n", text)
    return text.strip()[:MAX_TEXT_CHARS]


def _run(args, timeout):
    try:
        result = subprocess.run(args, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ExtractionFailed(REASON_TIMEOUT) from None
    return result


def ocr_image(path):
    result = _run([TESSERACT, str(path), "stdout", "-l", OCR_LANGUAGES], OCR_TIMEOUT)
    if result.returncode != 0:
        raise ExtractionFailed(REASON_UNREADABLE_IMAGE)
    return result.stdout.decode("utf-8", "replace")


def pdf_text(path):
    result = _run([PDFTOTEXT, "-enc", "UTF-8", "-layout", str(path), "-"], PDF_TIMEOUT)
    if result.returncode != 0:
        raise ExtractionFailed(REASON_UNREADABLE_PDF)
    return result.stdout.decode("utf-8", "replace")


def pdf_ocr(path, workdir):
    prefix = Path(workdir) / "page"
    result = _run([PDFTOPPM, "-r", str(OCR_DPI), "-gray", "-png", "-l", str(OCR_MAX_PAGES), str(path), str(prefix)],
                  PDF_TIMEOUT)
    if result.returncode != 0:
        raise ExtractionFailed(REASON_UNREADABLE_PDF)
    return "\n".join(ocr_image(page) for page in sorted(Path(workdir).glob("page*.png")))


def _image_ok(path):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ExtractionFailed(REASON_UNREADABLE_IMAGE) from None
    if min(width, height) < MIN_IMAGE_SIDE:
        raise ExtractionFailed(REASON_TOO_SMALL, retry=False)


def extract_file(path, content_type):
    """The text of the file at ``path``; ExtractionFailed with the reason when there is none."""
    with tempfile.TemporaryDirectory(prefix="huicai-ocr-") as workdir:
        if content_type == "application/pdf":
            text = normalise(pdf_text(path))
            if len(text) < MIN_TEXT_CHARS:
                text = normalise(pdf_ocr(path, workdir)) or text
        elif content_type in ("image/png", "image/jpeg"):
            _image_ok(path)
            text = normalise(ocr_image(path))
        else:
            raise ExtractionFailed(REASON_UNSUPPORTED, retry=False)
    if not text:
        raise ExtractionFailed(REASON_NO_TEXT, retry=False)
    return text


def version_extract_text(version_id):
    """Extract and store one version's text; returns whether the task should run once more."""
    version = Attachment.objects.filter(pk=version_id).first()
    if version is None or version.text_status == TextStatus.EXTRACTED:
        return False
    suffix = Path(version.file.name).suffix
    retry = False
    try:
        with version.file.open("rb") as handle, tempfile.NamedTemporaryFile(suffix=suffix) as copy:
            copy.write(handle.read())
            copy.flush()
            text = extract_file(copy.name, version.content_type)
    except FileNotFoundError:
        status, text, error = TextStatus.FAILED, "", REASON_MISSING
    except ExtractionFailed as failed:
        status, text, error = TextStatus.FAILED, "", failed.reason
        retry = failed.retry
    else:
        status, error = TextStatus.EXTRACTED, ""
    attempts = version.text_attempts + 1
    retry = retry and attempts < MAX_ATTEMPTS
    with transaction.atomic():
        Attachment.objects.filter(pk=version.pk).update(text=text, text_status=status, text_error=error,
                                                        text_attempts=attempts)
        if status == TextStatus.EXTRACTED:
            outbox.enqueue("dossier", version.dossier_id)
    return retry
