"""Signs a rendered PDF (PAdES baseline B-B, pyHanko) by each of its issuing departments in turn.

Where the seal goes: the templates put an element with ``id="seal-spot"`` where the seal belongs; WeasyPrint writes
every id as a named destination (page and top-left corner), which we read here. The seal image is centred on that
spot's box; a second department's seal sits to the left of the first (jointly issued certificates, 通化 第十四条).
A document without the spot (a long announcement joined from chunks) gets its seals at the bottom right of the last
page.

A department without a seal image signs without a visible seal (an invisible signature): the templates print
"electronically signed, no seal image" where the seal would be (``seal_note``). A department without a key: when
``HUICAI_SIGNING_REQUIRED`` (production) the document is refused with ``SigningUnavailable``; otherwise (development,
tests) it is left unsigned and a warning naming the department is logged — never key material.
"""

import functools
import io
import logging
from dataclasses import dataclass

from django.utils import translation

from . import keys

logger = logging.getLogger(__name__)

MM = 72 / 25.4
SEAL_SIZE = 36 * MM
SEAL_STEP = 40 * MM  # from one department's seal to the next, leftwards
SPOT_ID = "seal-spot"
# Room for the CMS signature: pyHanko would otherwise make a dummy signature first to measure it (half the time of
# signing). An EC P-256 signature with its certificate and the CA's takes ~1.5 KB; a 4096-bit RSA key with a
# three-certificate chain ~7 KB.
SIGNATURE_BYTES = 16384
FALLBACK_RIGHT, FALLBACK_BOTTOM = 30 * MM, 30 * MM  # the seal's box from the last page's bottom right


@dataclass(frozen=True)
class Kind:
    reason: str  # the signature's /Reason: what the department attests


CERTIFICATE = Kind(reason="颁发证书")
PUBLIC_NOTICE = Kind(reason="发布公示")
EXIT_ANNOUNCEMENT = Kind(reason="发布公告")
PRINT_FILE = Kind(reason="证书打印文件")


def department_signers(departments):
    """[(department, signer)] of those that have a key. Raises SigningUnavailable when one has none and signing is
    required."""
    found, missing = [], []
    for department in departments:
        signer = keys.signer_for(department)
        (found if signer is not None else missing).append((department, signer))
    if missing and keys.signing_required():
        names = "、".join(d.name for d, _ in missing)
        raise keys.SigningUnavailable(f"No signing key for {names} (HUICAI_SIGNING_BACKEND={keys.backend()}).")
    for department, _ in missing:
        logger.warning("Document left unsigned: department %s has no signing key (development).",
                       keys.department_label(department))
    return found


def fingerprint(departments):
    """What changes a signed document besides its HTML: each department's certificate and seal image. Cached
    documents are keyed on it, so a new key or a new seal makes them again."""
    parts = []
    for department in departments:
        signer = keys.signer_for(department)
        cert = signer.signing_cert.sha256.hex()[:16] if signer is not None else "unsigned"
        parts.append(f"{department.pk}:{cert}:{department.seal_image.name or ''}")
    return "|".join(parts)


@functools.lru_cache(maxsize=64)
def _seal_pil(path, _mtime):
    from PIL import Image

    image = Image.open(path)
    image.load()
    return image


def seal_image(department):
    """The department's seal as a Pillow image, or None."""
    if not department.seal_image:
        return None
    try:
        path = department.seal_image.path
        import os

        return _seal_pil(path, os.stat(path).st_mtime_ns)
    except (OSError, ValueError):
        logger.warning("Seal image of department %s cannot be read; signing without a visible seal.",
                       keys.department_label(department))
        return None


def seal_places(content, count):
    """[(page index, box)] for ``count`` seals: from the ``seal-spot`` destination, else the last page."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    page_index, left, top = -1, None, None
    try:
        destination = reader.named_destinations.get(SPOT_ID)
    except Exception:  # an unexpected destination tree: fall back rather than fail to sign
        destination = None
    if destination is not None and destination.get("/Left") is not None:
        page_index = reader.get_destination_page_number(destination)
        left, top = float(destination["/Left"]), float(destination["/Top"])
    if left is None:
        box = reader.pages[-1].mediabox
        right, bottom = float(box.right) - FALLBACK_RIGHT, float(box.bottom) + FALLBACK_BOTTOM
    else:
        right, bottom = left + SEAL_SIZE, top - SEAL_SIZE
    places = []
    for i in range(count):
        x2 = right - i * SEAL_STEP
        places.append((page_index, (round(x2 - SEAL_SIZE), round(bottom), round(x2), round(bottom + SEAL_SIZE))))
    return places


def sign_pdf(content, *, departments, kind, licence=None, visible=True):
    """``content`` signed by each of ``departments`` that has a key, in order; the licence (``licence.Licence``)
    written into the XMP of the first signed revision (and kept in each later one). Unsigned when none has a key and
    signing is not required; the licence is then still written. ``visible=False``: invisible signatures (a print
    file, whose pages carry the seal images themselves)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import StaticStampStyle

    from .licence import xmp_structure

    signing = department_signers(departments)
    extra = [xmp_structure(licence)] if licence is not None else []
    if not signing:
        if not extra:
            return content
        writer = IncrementalPdfFileWriter(io.BytesIO(content))
        writer.document_meta.xmp_extra = extra
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    places = seal_places(content, len(signing)) if visible else [(0, None)] * len(signing)
    for index, ((department, signer), (page, box)) in enumerate(zip(signing, places, strict=True)):
        writer = IncrementalPdfFileWriter(io.BytesIO(content))
        writer.document_meta.xmp_extra = extra  # written again in every revision: pyHanko rewrites the XMP
        if licence is not None:
            writer.document_meta.title = licence.licence_name
        image = seal_image(department) if visible else None
        name = f"Seal{index + 1}"
        if image is not None:
            from pyhanko.pdf_utils.images import PdfImage

            style = StaticStampStyle(background=PdfImage(image), border_width=0, background_opacity=1.0)
            spec = fields.SigFieldSpec(name, on_page=page, box=box)
        else:
            style, spec = None, fields.SigFieldSpec(name)  # no box: an invisible signature
        meta = signers.PdfSignatureMetadata(
            field_name=name, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256", reason=kind.reason,
            location=department.jurisdiction.name, name=department.name,
        )
        pdf_signer = signers.PdfSigner(meta, signer=signer, stamp_style=style, new_field_spec=spec)
        with translation.override(None):
            content = pdf_signer.sign_pdf(writer, bytes_reserved=SIGNATURE_BYTES).getvalue()
    return content
