"""The electronic licence metadata of a certificate (after GB/T 36901–36905: 证照名称、证照编号、持证主体、颁发机构、
有效期) as XMP: one ``rdf:Description`` in our own namespace next to pyHanko's, inside the signed revision, so a
verifier can read which card a signed certificate is and trust it as far as it trusts the signature.

The holder appears by name only, as printed on the certificate: never an ID number (持证主体代码 is left out
on purpose — the file is handed to employers and checked by strangers).
"""

import io
from dataclasses import asdict, dataclass

NAMESPACE = "urn:x-huicai:elicence:1.0/"
PREFIX = "elicence"
# property name -> (the standard's field, the attribute below)
FIELDS = {
    "LicenceName": "licence_name",  # 证照名称
    "LicenceNumber": "licence_number",  # 证照编号
    "Holder": "holder",  # 持证主体
    "IssuingAuthority": "issuing_authority",  # 颁发机构
    "ValidFrom": "valid_from",  # 有效期起始日期
    "ValidUntil": "valid_until",  # 有效期截止日期（"长期" when there is no fixed end）
}
NO_FIXED_END = "长期"


@dataclass(frozen=True)
class Licence:
    licence_name: str
    licence_number: str
    holder: str
    issuing_authority: str
    valid_from: str
    valid_until: str

    def as_dict(self):
        return asdict(self)


def licence_for_card(card, *, title, bodies):
    return Licence(
        licence_name=title, licence_number=card.number, holder=card.holder_name, issuing_authority="、".join(bodies),
        valid_from=card.valid_from.isoformat(),
        valid_until=card.valid_until.isoformat() if card.valid_until else NO_FIXED_END,
    )


def _register():
    from lxml import etree

    etree.register_namespace(PREFIX, NAMESPACE)  # elicence:LicenceNumber, not ns0:LicenceNumber


def xmp_structure(licence):
    from pyhanko.pdf_utils.metadata.model import ExpandedName, XmpStructure, XmpValue

    _register()
    values = licence.as_dict()
    return XmpStructure.of(*(
        (ExpandedName(ns=NAMESPACE, local_name=name), XmpValue(values[attribute])) for name, attribute in FIELDS.items()
    ))


def licence_from_xmp(data):
    """The licence in an XMP packet (bytes), or None when it holds none."""
    from pyhanko.pdf_utils.metadata.xmp_xml import parse_xmp

    found = {}
    for root in parse_xmp(io.BytesIO(data)):
        for name, value in root:
            if name.ns == NAMESPACE and name.local_name in FIELDS and isinstance(value.value, str):
                found[FIELDS[name.local_name]] = value.value
    if set(found) != set(FIELDS.values()):
        return None
    return Licence(**found)


def licence_from_reader(reader):
    """The licence in the document's catalogue XMP as ``reader`` (pyHanko) sees it, or None."""
    try:
        stream = reader.root["/Metadata"]
    except KeyError:
        return None
    try:
        return licence_from_xmp(stream.get_object().data)
    except Exception:  # a broken packet is "no licence", not a server error
        return None
