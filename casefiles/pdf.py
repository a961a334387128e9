"""PDFs of cards: certificates, batch print files, public notices and exit announcements (WeasyPrint).

Fonts: Noto Serif/Sans CJK SC, embedded (subset) in every PDF. The system fonts are 20–27 MB collections
with 65,000 glyphs; opening and subsetting them costs ~0.3 s per document. So on first use we cut each one
down once (with HarfBuzz, under a second) to GB 2312 plus every character of the scheme data, and keep the
result in ``HUICAI_PDF_FONT_DIR``; the CSS falls back to the full system font for any rarer character in a
name. One ``FontConfiguration`` is shared by all renders of the process, and a trimmed user-agent stylesheet
(``pdf_ua.css``) replaces WeasyPrint's HTML5 one. Timings: docs/PERFORMANCE.md, section "pdfs".
"""

import ctypes.util
import functools
import hashlib
import io
import logging
import os
import threading
from pathlib import Path

import segno
from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape

FONT_SOURCES = {
    # name: (system file, face index of the SC font in the collection)
    "serif": ("NotoSerifCJK-Regular.ttc", 2),
    "serif-bold": ("NotoSerifCJK-Bold.ttc", 2),
    "sans": ("NotoSansCJK-Regular.ttc", 2),
    "sans-bold": ("NotoSansCJK-Bold.ttc", 2),
}
SYSTEM_FONT_DIR = Path("/usr/share/fonts/opentype/noto")
HB_NO_HINTING, HB_DESUBROUTINIZE = 0x1, 0x4
SIGNER_SALT = "casefiles.card.verify"
_lock = threading.Lock()
# WeasyPrint logs every rendering step at INFO; with thousands of pages that is noise (and time).
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


# --- verification tokens ---------------------------------------------------------------------------------


def _signer():
    return signing.Signer(salt=SIGNER_SALT, sep=".")


def verification_token(card):
    """The value printed in the QR code: the card's random token, signed (so forged values never reach the
    database)."""
    return _signer().sign(card.verification_token)


def unsign_token(value):
    """The stored random token inside a signed value, or None when the signature is wrong."""
    try:
        return _signer().unsign(value)
    except signing.BadSignature:
        return None


def verification_url(card):
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("card-verify", args=[verification_token(card)])


QR_QUIET_ZONE = 4  # modules of light margin a scanner needs around the code (ISO/IEC 18004)


def qr_svg(data, scale=4, label=""):
    """A QR code as inline SVG for web pages, with its quiet zone: ``width``/``height`` are ``scale`` px a module,
    the ``viewBox`` counts modules, and ``data-modules`` says how many, so a page (and a test) can keep it from
    being drawn smaller than its module grid."""
    qr = segno.make(data, error="m")
    modules = qr.symbol_size(border=QR_QUIET_ZONE)[0]
    svg = qr.svg_inline(scale=1, border=QR_QUIET_ZONE, omitsize=True, light="#fff")
    size = modules * scale
    name = f'role="img" aria-label="{escape(label)}"' if label else 'aria-hidden="true"'
    return svg.replace(
        "<svg ", f'<svg width="{size}" height="{size}" data-modules="{modules}" shape-rendering="crispEdges" {name} ', 1
    )


def qr_img(data):
    """A QR code for PDFs: a one-pixel-per-module PNG, drawn with ``image-rendering: pixelated`` so it stays
    sharp at any size. WeasyPrint parses an SVG path of a QR code in ~0.1 s; a PNG costs nothing."""
    uri = segno.make(data, error="m").png_data_uri(scale=1, border=0)
    return f'<img class="qrcode" src="{uri}" alt="QR">'


# --- fonts -----------------------------------------------------------------------------------------------


def font_dir():
    return Path(getattr(settings, "HUICAI_PDF_FONT_DIR", None) or (Path(settings.BASE_DIR) / "var" / "fonts"))


def _subset_text():
    chars = {chr(c) for c in range(0x20, 0x7F)} | set("（）【】〔〕《》“”‘’、，。：；！？—…·￥％＋－×÷℃①②③④⑤⑥⑦⑧⑨⑩　")
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    for path in (Path(settings.BASE_DIR) / "casefiles" / "schemes").glob("*.yaml"):
        chars |= set(path.read_text(encoding="utf-8"))
    return {c for c in chars if c.isprintable() or c == "　"}


def _harfbuzz():
    from cffi import FFI

    ffi = FFI()
    ffi.cdef(
        """
        typedef struct hb_blob_t hb_blob_t; typedef struct hb_face_t hb_face_t; typedef struct hb_set_t hb_set_t;
        typedef struct hb_subset_input_t hb_subset_input_t; typedef uint32_t hb_codepoint_t;
        hb_blob_t * hb_blob_create_from_file (const char *file_name);
        hb_face_t * hb_face_create (hb_blob_t *blob, unsigned int index);
        void hb_face_destroy (hb_face_t *face);
        void hb_blob_destroy (hb_blob_t *blob);
        hb_subset_input_t * hb_subset_input_create_or_fail (void);
        void hb_subset_input_destroy (hb_subset_input_t *input);
        void hb_subset_input_set_flags (hb_subset_input_t *input, unsigned value);
        hb_set_t * hb_subset_input_unicode_set (hb_subset_input_t *input);
        void hb_set_add (hb_set_t *set, hb_codepoint_t codepoint);
        hb_face_t * hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
        hb_blob_t * hb_face_reference_blob (hb_face_t *face);
        const char * hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
        """
    )
    hb = ffi.dlopen(ctypes.util.find_library("harfbuzz") or "libharfbuzz.so.0")
    hbs = ffi.dlopen(ctypes.util.find_library("harfbuzz-subset") or "libharfbuzz-subset.so.0")
    return ffi, hb, hbs


def _subset_font(source, index, target, chars):
    ffi, hb, hbs = _harfbuzz()
    blob = hb.hb_blob_create_from_file(str(source).encode())
    face = hb.hb_face_create(blob, index)
    request = hbs.hb_subset_input_create_or_fail()
    unicodes = hbs.hb_subset_input_unicode_set(request)
    for char in chars:
        hb.hb_set_add(unicodes, ord(char))
    # Desubroutinized and unhinted up front: WeasyPrint subsets each document with DESUBROUTINIZE, which
    # is much cheaper on a font that has no subroutines left to expand.
    hbs.hb_subset_input_set_flags(request, HB_NO_HINTING | HB_DESUBROUTINIZE)
    result = hbs.hb_subset_or_fail(face, request)
    if result == ffi.NULL:
        raise RuntimeError(f"HarfBuzz could not subset {source}")
    out = hb.hb_face_reference_blob(result)
    length = ffi.new("unsigned int *")
    data = ffi.buffer(hb.hb_blob_get_data(out, length), length[0])[:]
    for destroy, obj in ((hb.hb_blob_destroy, out), (hb.hb_face_destroy, result), (hbs.hb_subset_input_destroy, request),
                         (hb.hb_face_destroy, face), (hb.hb_blob_destroy, blob)):
        destroy(obj)
    # Each process writes its own temporary file: two test workers (or server processes) making the same font at
    # once renamed one .tmp between them, and the second rename found it gone (FileNotFoundError).
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(target)


@functools.cache
def font_files():
    """{name: path} of the subset fonts, made on first use; None for a face whose system font is missing."""
    with _lock:
        directory = font_dir()
        directory.mkdir(parents=True, exist_ok=True)
        chars = None
        files = {}
        for name, (filename, index) in FONT_SOURCES.items():
            source, target = SYSTEM_FONT_DIR / filename, directory / f"huicai-{name}.otf"
            if not target.exists() and source.exists():
                chars = chars or _subset_text()
                _subset_font(source, index, target, chars)
            files[name] = target if target.exists() else None
        return files


def font_css():
    faces = []
    for name, family, weight in (("serif", "HuicaiSerif", 400), ("serif-bold", "HuicaiSerif", 700),
                                 ("sans", "HuicaiSans", 400), ("sans-bold", "HuicaiSans", 700)):
        path = font_files().get(name)
        if path:
            faces.append(f"@font-face {{ font-family: {family}; font-weight: {weight}; src: url('{path.as_uri()}'); }}")
    return "\n".join(faces)


@functools.cache
def font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


# --- rendering -------------------------------------------------------------------------------------------


def render_html(template, context):
    return render_to_string(template, {"font_css": font_css(), **context})


UA_STYLESHEET_PATH = Path(__file__).with_name("pdf_ua.css")


@functools.cache
def _pdf_html_class():
    """WeasyPrint's ``HTML`` with our trimmed user-agent stylesheet (``pdf_ua.css``) in place of its HTML5 one:
    every element is matched against every UA rule, and the full sheet costs ~10 % of a long table's CPU time."""
    from weasyprint import CSS, HTML
    from weasyprint.html import UA_COUNTER_STYLE

    sheets = [CSS(filename=str(UA_STYLESHEET_PATH), counter_style=UA_COUNTER_STYLE)]

    class PdfHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return sheets

    return PdfHTML


def html_to_pdf(html):
    buffer = io.BytesIO()
    _pdf_html_class()(string=html, base_url=str(settings.BASE_DIR)).write_pdf(buffer, font_config=font_config())
    return buffer.getvalue()


@functools.cache
def warm_up():
    """Render a tiny document once in this process: loads Pango, fontconfig and our fonts (~0.5 s). Called before
    forking renderers, so that every child starts warm instead of paying for it per chunk."""
    html_to_pdf(f"<html><head><style>{font_css()} html {{ font-family: HuicaiSerif }} .s {{ font-family: HuicaiSans }}"
                "</style></head><body><p>一1<b>一1</b></p><p class=s>一1<b>一1</b></p></body></html>")


def issuing_departments(scheme):
    """The departments that issue the scheme's certificates (``cards.certificate.issuing_bodies`` in the scheme file,
    e.g. 通化 第十四条: the organisation department and the HR bureau jointly), in the file's order: each signs."""
    from .services.cards import card_rules

    codes = (card_rules(scheme)["certificate"] or {}).get("issuing_bodies")
    departments = {d.code: d for d in scheme.departments.select_related("jurisdiction")}
    return [departments[c] for c in codes or () if c in departments]


def issuing_body(scheme):
    """The names of the departments named on the scheme's certificates, else its jurisdiction's."""
    return [d.name for d in issuing_departments(scheme)] or [scheme.jurisdiction.name]


def seal_note(departments):
    """The line printed where the seal would be when a signing department has no seal image (else "")."""
    from .seals import keys

    if any(not d.seal_image and keys.signer_for(d) is not None for d in departments):
        return "本文件已加盖电子签名（未上传印章图像）"
    return ""


def seal_image_uris(departments):
    """file: URIs of the departments' seal images, for the print file (drawn on every page; the file is signed
    once, invisibly)."""
    from .seals.signing import seal_image

    return [Path(d.seal_image.path).as_uri() for d in departments if seal_image(d) is not None]


def certificate_wording(card):
    """The certificate's title and sentence (``cards.certificate.title`` / ``.text`` in the scheme file, else the
    default wording), the sentence as HTML: the holder's name and the tier in bold, everything escaped."""
    from django.utils.html import escape, format_html
    from django.utils.safestring import mark_safe

    from .schemes.validate import CERTIFICATE_FIELD_RE, CERTIFICATE_TEXT, CERTIFICATE_TITLE
    from .services.cards import card_rules

    rule = card_rules(card.scheme)["certificate"] or {}
    values = {"holder_name": card.holder_name, "policy_title": card.scheme.policy_title, "tier": card.tier.name,
              "scheme": card.scheme.name}
    parts = []
    for i, piece in enumerate(CERTIFICATE_FIELD_RE.split(rule.get("text") or CERTIFICATE_TEXT)):
        if i % 2 == 0:
            parts.append(escape(piece))
        elif piece in ("holder_name", "tier"):
            parts.append(format_html("<b>{}</b>", values[piece]))
        else:
            parts.append(escape(values.get(piece, "")))
    return rule.get("title") or CERTIFICATE_TITLE, mark_safe("".join(parts))


def certificate_context(card):
    from django.utils import translation

    from .selectors_cards import card_status

    with translation.override(settings.LANGUAGE_CODE):  # a certificate is a Chinese document in any UI language
        state = card_status(card)
    title, text = certificate_wording(card)
    departments = issuing_departments(card.scheme)
    return {
        "card": card,
        "title": title,
        "text": text,
        "state": state,
        "scheme": card.scheme,
        "bodies": [d.name for d in departments] or [card.scheme.jurisdiction.name],
        "verify_url": verification_url(card),
        "qr": qr_img(verification_url(card)),
        "seal_note": seal_note(departments),
    }


def certificate_html(cards):
    return render_html("pdf/certificate.html", {"certificates": [certificate_context(c) for c in cards]})


def certificate_licence(card):
    from .seals.licence import licence_for_card

    title, _text = certificate_wording(card)
    return licence_for_card(card, title="".join(title.split()), bodies=issuing_body(card.scheme))


def sign_certificate(content, card, departments=None):
    """The rendered certificate signed by its issuing departments, the licence metadata in its XMP."""
    from .seals import signing

    departments = issuing_departments(card.scheme) if departments is None else departments
    return signing.sign_pdf(content, departments=departments, kind=signing.CERTIFICATE,
                            licence=certificate_licence(card))


def certificate_pdf(card, cache=True, sign=True):
    """The certificate of one card, signed (``seals.signing``). Rendering takes ~60 ms CPU; the result is kept in
    private storage under a hash of its HTML and of the signers' certificates and seal images, so a repeated download
    (nothing on the certificate changed) is a file read."""
    from .seals.signing import fingerprint

    html = certificate_html([card])
    departments = issuing_departments(card.scheme)
    if not cache or not sign:
        content = html_to_pdf(html)
        return sign_certificate(content, card, departments) if sign else content
    storage = storages["private"]
    key = hashlib.sha256((html + fingerprint(departments)).encode()).hexdigest()[:24]
    name = f"certificates/{card.pk}-{key}.pdf"
    if storage.exists(name):
        with storage.open(name, "rb") as handle:
            return handle.read()
    content = sign_certificate(html_to_pdf(html), card, departments)
    storage.save(name, ContentFile(content))
    return content


def certificates_pdf(cards, workers=None, sign=True):
    """One print file for a production batch: one page per card, the issuing departments' seal images drawn on
    every page, the file signed once (invisibly) by those departments."""
    from .seals import signing

    contexts = [certificate_context(c) for c in cards]
    departments = issuing_departments(cards[0].scheme) if cards else []
    seals = seal_image_uris(departments)
    for context in contexts:
        context["seal_images"] = seals
        context["print_file"] = True
    content = certificates_pdf_from_contexts(contexts, workers=workers)
    if not sign or not departments:
        return content
    return signing.sign_pdf(content, departments=departments, kind=signing.PRINT_FILE, visible=False)


CHUNK_MIN = 100  # below this many pages one process is quicker than starting more
CHUNK_MAX = 250


def certificates_pdf_from_contexts(contexts, workers=None):
    """Each certificate is exactly one page, so a large batch splits into chunks rendered in parallel processes
    (WeasyPrint is single-threaded, ~30 ms CPU per certificate) and joined with pypdf."""
    import os

    workers = workers or min(os.cpu_count() or 1, max(1, len(contexts) // CHUNK_MIN))
    if workers <= 1:
        return html_to_pdf(render_html("pdf/certificate.html", {"certificates": contexts}))
    # chunks of at most CHUNK_MAX pages, a multiple of the workers in number: a 500-page chunk holds ~230 MB of
    # layout in its worker
    count = workers * -(-len(contexts) // (workers * CHUNK_MAX))
    size = -(-len(contexts) // count)
    htmls = [render_html("pdf/certificate.html", {"certificates": contexts[i:i + size]})
             for i in range(0, len(contexts), size)]
    return _render_parallel(htmls, recycle=True)


WORKER_CHUNKS = 4


def _render_parallel(htmls, recycle=False, finish=None):
    """The PDFs of ``htmls`` rendered side by side and joined in order; ``finish(writer)`` may change the joined
    document before it is written."""
    import multiprocessing
    import os

    from pypdf import PdfWriter

    warm_up()  # fonts made and loaded before forking: the children inherit them
    workers = min(len(htmls), os.cpu_count() or 1)
    # fork: the children inherit Django's configuration and only render HTML (no database use). With
    # ``recycle`` a worker is replaced after ``WORKER_CHUNKS`` chunks (returning the memory long tables left).
    with multiprocessing.get_context("fork").Pool(workers, maxtasksperchild=WORKER_CHUNKS if recycle else None) as pool:
        parts = pool.map(html_to_pdf, htmls, chunksize=1)
    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    if finish:
        finish(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def public_notice_html(notice):
    from .masking import mask_name

    rows = [
        {"name": mask_name(d.applicant_name), "employer": d.employer.name if d.employer else "",
         "tier": (d.granted_tier or d.requested_tier).name}
        for d in notice.dossiers.select_related("employer", "granted_tier", "requested_tier").order_by("pk")
    ]
    from .services.notices import notice_departments

    return render_html("pdf/public_notice.html", {"notice": notice, "scheme": notice.scheme, "rows": rows,
                                                   "bodies": issuing_body(notice.scheme),
                                                   "seal_note": seal_note(notice_departments(notice.scheme)[:1])})


def public_notice_pdf(notice):
    """The notice signed by the scheme's notice department."""
    from .seals import signing
    from .services.notices import notice_departments

    departments = notice_departments(notice.scheme)[:1]
    return signing.sign_pdf(html_to_pdf(public_notice_html(notice)), departments=departments,
                            kind=signing.PUBLIC_NOTICE)


ANNOUNCEMENT_CHUNK_ROWS = 400


def announcement_html(*, title, issuing_body_name, document_number, date, intro, rows, scheme_name="", part="whole",
                      offset=0, page_numbers=True, seal_note=""):
    """``part``: ``whole``, or for chunked rendering ``first`` (header and table head), ``middle`` (rows only),
    ``last`` (rows and signature)."""
    numbered = [{**row, "n": offset + i} for i, row in enumerate(rows, start=1)]
    return render_html("pdf/exit_announcement.html", {
        "title": title, "issuing_body": issuing_body_name, "document_number": document_number, "date": date,
        "intro": intro, "rows": numbered, "scheme_name": scheme_name, "head": part in ("whole", "first"),
        "tail": part in ("whole", "last"), "page_numbers": page_numbers, "seal_note": seal_note,
    })


def announcement_pdf(*, rows, chunk_rows=None, **kwargs):
    """The announcement as PDF. Up to ``chunk_rows`` rows it is one WeasyPrint document. Longer lists are cut
    into chunks laid out in parallel worker processes, forked warm and each reused for a few chunks —
    WeasyPrint holds a whole document's layout in memory (~0.2 MB a row), so chunks keep the peak low and use
    every core — then joined, and the page numbers stamped on afterwards (a chunk cannot know on which page it
    starts: rows wrap to one, two or three lines, so rows per page vary)."""
    chunk_rows = chunk_rows or ANNOUNCEMENT_CHUNK_ROWS
    if len(rows) <= chunk_rows:
        return html_to_pdf(announcement_html(rows=rows, **kwargs))
    import os

    # as many chunks as it takes to stay within chunk_rows, rounded up to a multiple of the cores so that every
    # core gets the same share (13 chunks on 2 cores would leave one core idle for the last one)
    cores = os.cpu_count() or 1
    count = -(-len(rows) // chunk_rows)
    count = -(-count // cores) * cores
    size = -(-len(rows) // count)
    chunks = [rows[i:i + size] for i in range(0, len(rows), size)]
    htmls = []
    for index, chunk in enumerate(chunks):
        part = "first" if index == 0 else "last" if index == len(chunks) - 1 else "middle"
        htmls.append(announcement_html(rows=chunk, part=part, offset=index * size, page_numbers=False, **kwargs))
    return _render_parallel(htmls, recycle=True, finish=_stamp_page_numbers)


def _stamp_page_numbers(writer):
    """Page numbers onto the joined pages of ``writer``, from a small render of the numbers alone. Each page gets
    the number page's content as one more content stream (its own drawing wrapped in q/Q first) and the number
    page's resources under prefixed names — one shared font object for all pages. (pypdf's ``merge_page`` would
    parse and rewrite every page's content stream: ~5 ms a page.)"""
    import re

    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    numbers_html = render_html("pdf/page_numbers.html", {"pages": range(len(writer.pages))})
    numbers = PdfReader(io.BytesIO(html_to_pdf(numbers_html)))

    def stream(data):
        obj = DecodedStreamObject()
        obj.set_data(data)
        return writer._add_object(obj)

    save, restore = stream(b"q\n"), stream(b"\nQ\n")
    for page, overlay in zip(writer.pages, numbers.pages, strict=True):
        data = overlay.get_contents().get_data()
        resources = page["/Resources"]
        for category, entries in overlay["/Resources"].items():
            entries = entries.get_object()
            if category == "/ProcSet" or not isinstance(entries, DictionaryObject) or not entries:
                continue
            if category not in resources:
                resources[NameObject(category)] = DictionaryObject()
            target = resources[category]
            for name, value in entries.items():
                new = "/hn" + name[1:]
                data = re.sub(rb"/" + re.escape(name[1:].encode()) + rb"(?=[\s/\[\]<>(){}%]|$)", new.encode(), data)
                target[NameObject(new)] = value.clone(writer)
        contents = page.raw_get("/Contents")
        contents = list(contents.get_object()) if isinstance(contents.get_object(), ArrayObject) else [contents]
        page[NameObject("/Contents")] = ArrayObject([save, *contents, restore, stream(data)])
