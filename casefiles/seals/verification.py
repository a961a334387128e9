"""Says whether an uploaded PDF's signatures hold (pyHanko's validator against our trust roots) and which card it
certifies (from the licence metadata in its signed XMP).

Outcomes: ``valid`` (every signature intact, its certificate chains to a trusted root, and the last one covers the
whole file), ``tampered`` (a signed byte changed), ``untrusted`` (intact, but not signed under a root we trust),
``modified`` (intact, but changed after signing beyond adding further signatures), ``unsigned``, ``unreadable``.
The licence is only read from a valid file: an invalid one could say anything.
"""

import io
import logging
from dataclasses import dataclass, field

from . import keys

logger = logging.getLogger(__name__)

VALID, TAMPERED, UNTRUSTED, MODIFIED, UNSIGNED, UNREADABLE = (
    "valid", "tampered", "untrusted", "modified", "unsigned", "unreadable",
)


@dataclass
class Verdict:
    outcome: str
    signers: list = field(default_factory=list)  # [(department name, signed at)] in signing order
    reason: str = ""  # what the (first) signature attests: 颁发证书, 发布公示, ...
    licence: object = None

    @property
    def valid(self):
        return self.outcome == VALID


def _signer_name(embedded):
    subject = embedded.signer_cert.subject.native
    return subject.get("common_name") or subject.get("organization_name") or ""


def verify_pdf(content):
    """The verdict on ``content`` (bytes of an uploaded file)."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    from .licence import licence_from_reader

    try:
        reader = PdfFileReader(io.BytesIO(content), strict=False)
        signatures = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, IndexError) as error:
        logger.info("Uploaded PDF unreadable: %s", type(error).__name__)
        return Verdict(UNREADABLE)
    if not signatures:
        return Verdict(UNSIGNED)
    context = ValidationContext(trust_roots=keys.trust_roots(), allow_fetching=False)
    outcome, signers, reason = VALID, [], ""
    for index, embedded in enumerate(signatures):
        try:
            status = validate_pdf_signature(embedded, context)
        except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as error:
            logger.info("Uploaded PDF signature not validated: %s", type(error).__name__)
            return Verdict(TAMPERED)
        if not status.intact or not status.valid:
            return Verdict(TAMPERED)
        signers.append((_signer_name(embedded), status.signer_reported_dt))
        reason = reason or str(embedded.sig_object.get("/Reason", ""))
        if not status.trusted:
            outcome = UNTRUSTED
        elif outcome == VALID and index == len(signatures) - 1 \
                and status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
            outcome = MODIFIED
        elif outcome == VALID and status.modification_level is not None and not status.docmdp_ok:
            outcome = MODIFIED
    licence = licence_from_reader(reader) if outcome == VALID else None
    return Verdict(outcome, signers=signers, reason=reason, licence=licence)
