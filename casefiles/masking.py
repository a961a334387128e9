"""Masking rules for personal data, in one place.

Public notices, card verification, search snippets and logs all call these functions, so a change of
rule reaches every surface at once.
"""

import re

# 18-digit resident ID (last may be X), 15-digit legacy ID, mainland mobile numbers.
RESIDENT_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
LEGACY_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{6})(\d{3})(?![0-9A-Za-z])")
MOBILE_RE = re.compile(r"(?<![0-9])(\+?86[- ]?)?(1[3-9]\d)(\d{4})(\d{4})(?![0-9])")

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def mask_name(name: str) -> str:
    """张三 → 张*, 张小明 → 张*明, 欧阳小明 → 欧**明; Latin names keep their first letter per word."""
    name = (name or "").strip()
    if not name:
        return ""
    if name.isascii():
        return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split())
    if len(name) == 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(value: str) -> str:
    value = (value or "").strip()
    if len(value) <= 4:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) > 7 else value[0] + "*" * (len(value) - 1)


def mask_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "****" + digits[-4:]


def mask_email(value: str) -> str:
    """zhang.san@example.cn → z*******@example.cn"""
    value = (value or "").strip()
    local, at, domain = value.partition("@")
    if not at:
        return "*" * len(value)
    return (local[:1] + "*" * max(len(local) - 1, 1)) + "@" + domain


def resident_id_checksum_ok(value: str) -> bool:
    """GB 11643-1999 check digit of an 18-digit resident ID."""
    value = (value or "").strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == value[17]


def birth_date_from_resident_id(value: str):
    """The birth date an 18-digit resident ID carries (digits 7–14), or None when the number is not a valid one."""
    import datetime

    value = (value or "").strip().upper()
    if not resident_id_checksum_ok(value):
        return None
    try:
        return datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def scrub_text(text: str) -> str:
    """Mask anything in free text that looks like an ID number or a mobile number."""
    if not text:
        return text
    text = RESIDENT_ID_RE.sub(lambda m: m.group(1)[:3] + "*" * 11 + m.group(3)[-4:], text)
    text = LEGACY_ID_RE.sub(lambda m: m.group(1)[:3] + "*" * 12, text)
    text = MOBILE_RE.sub(lambda m: (m.group(1) or "") + m.group(2) + "****" + m.group(4), text)
    return text
