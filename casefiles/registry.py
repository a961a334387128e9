"""Spreadsheets of the cardholder registry (持卡人信息库) and of bank production batches (openpyxl)."""

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .exports import xlsx_row
from .masking import mask_id_number


def _workbook(title, headers, rows, widths=None):
    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = title[:31]
    # every cell through the one sanitiser: text stays text, never a formula (casefiles/exports.py)
    xlsx_row(sheet, headers, font=Font(bold=True))
    for row in rows:
        xlsx_row(sheet, row)
    for i, width in enumerate(widths or [], start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def batch_workbook(batch):
    """The list the partner bank needs to make the cards: full identity (the bank opens accounts), tier, employer.
    Sent to the bank only; the download is journalled.

    The one export that carries raw ID and phone numbers, on purpose: the bank cannot open an account or
    print a card from a masked number. Only the bank and the card departments of the scheme may download it
    (``views_cards._batch``); every other export masks them."""
    headers = ["序号", "档案编号", "姓名", "证件类型", "证件号码", "手机号码", "卡种等级", "工作单位", "制卡状态"]
    rows = []
    items = batch.items.select_related("dossier__employer", "dossier__granted_tier", "dossier__requested_tier", "card")
    for n, item in enumerate(items, start=1):
        d = item.dossier
        rows.append([n, d.reference, d.applicant_name, d.get_id_type_display(), d.id_number, d.phone,
                     (d.granted_tier or d.requested_tier).name, d.employer.name if d.employer else "",
                     "已制卡" if item.produced_at else "待制卡"])
    return _workbook(batch.number, headers, rows, [6, 24, 12, 14, 22, 14, 16, 30, 10])


REGISTRY_HEADERS = ["卡号", "卡种", "等级", "持卡人", "证件号码（脱敏）", "工作单位", "状态", "有效期起", "有效期止", "制卡", "发卡"]


def registry_workbook(cards):
    rows = [
        [c.number, c.scheme.name, c.tier.name, c.holder_name, mask_id_number(c.dossier.id_number),
         c.employer.name if c.employer else "", str(c.get_status_display()), c.valid_from,
         c.valid_until or "", c.produced_at.date() if c.produced_at else "", c.handed_out_at.date() if c.handed_out_at else ""]
        for c in cards.select_related("scheme", "tier", "dossier", "employer")
    ]
    return _workbook(_("Cardholders"), REGISTRY_HEADERS, rows, [18, 20, 14, 12, 22, 30, 12, 12, 12, 12, 12])
