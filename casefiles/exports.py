"""Spreadsheet exports: the one place where a cell is made safe, and the dossier list export.

Every CSV and XLSX the product writes goes through :func:`csv_cell` or :func:`xlsx_row` (Wagtail's own
exports — index views with ``list_export`` and the reports — through :func:`neutralise_wagtail_exports`):

- a text that a spreadsheet would run as a formula (it starts with ``= + - @``, their full-width forms, a
  tab or a carriage return, after any leading spaces) is written as text: in CSV behind a single quote
  (``'=HYPERLINK(...)``), the OWASP rule; in XLSX as a string cell (never a formula) with Excel's
  "quote prefix" flag, so the exact text is kept and Excel still treats it as text when the cell is edited;
- characters XLSX cannot hold (control characters) are dropped rather than failing the export.

What each export carries: identity and phone numbers leave masked (``casefiles/masking.py``); names stay,
since staff lists are lists of people. The one exception is the production batch for the partner bank
(``registry.batch_workbook``), which carries them in full because the bank opens accounts with them.
"""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from .masking import mask_id_number, mask_phone

FORMULA_STARTS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # ASCII and full-width
FORMULA_CONTROL_STARTS = ("\t", "\r", "\n")


def looks_like_formula(value) -> bool:
    """True when a spreadsheet could take this text for a formula (or a DDE call) on opening."""
    return isinstance(value, str) and (
        value.startswith(FORMULA_CONTROL_STARTS) or value.lstrip(" \u3000").startswith(FORMULA_STARTS)
    )


def csv_cell(value):
    """A value for a CSV cell: formula-like text behind a single quote, anything else unchanged."""
    return "'" + value if looks_like_formula(value) else value


def xlsx_cell(sheet, value, *, font=None):
    """An openpyxl cell for ``sheet`` (write-only or not): text is always a string cell, never a formula."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl makes "=..." a formula by itself
        if looks_like_formula(value):
            cell.quotePrefix = True
    if font is not None:
        cell.font = font
    return cell


def xlsx_row(sheet, values, *, font=None):
    """Append one row to ``sheet`` through :func:`xlsx_cell`."""
    sheet.append([xlsx_cell(sheet, value, font=font) for value in values])


def neutralise_wagtail_exports():
    """Make Wagtail's spreadsheet exports (``SpreadsheetExportMixin``: every index view with ``list_export``,
    the page, audit-log, workflow and redirect reports) write their cells through this module.

    Wagtail already stores formula-looking XLSX cells as strings, but writes CSV cells as they are, so an
    applicant named ``=HYPERLINK(...)`` becomes a live link in the cardholder CSV. The mixin is shared by
    Wagtail's own report views, which we do not subclass, so it is changed once here, at start-up
    (``CasefilesConfig.ready``); ``tests/security/test_exports.py`` downloads every such export."""
    from wagtail.admin.views.mixins import SpreadsheetExportMixin

    if getattr(SpreadsheetExportMixin, "_huicai_neutralised", False):
        return
    preprocess = SpreadsheetExportMixin.preprocess_field_value
    generate_xlsx_row = SpreadsheetExportMixin.generate_xlsx_row

    def preprocess_field_value(self, field, value, export_format):
        value = preprocess(self, field, value, export_format)
        if export_format == self.FORMAT_CSV:
            return csv_cell(value)
        if isinstance(value, str):
            return ILLEGAL_CHARACTERS_RE.sub("", value)
        return value

    def generate_xlsx_row_safe(self, worksheet, row_dict, date_format=None):
        for cell in generate_xlsx_row(self, worksheet, row_dict, date_format=date_format):
            if isinstance(cell.value, str):
                cell.data_type = "s"
                if looks_like_formula(cell.value):
                    cell.quotePrefix = True
            yield cell

    SpreadsheetExportMixin.preprocess_field_value = preprocess_field_value
    SpreadsheetExportMixin.generate_xlsx_row = generate_xlsx_row_safe
    SpreadsheetExportMixin._huicai_neutralised = True


EXPORT_RELATED = ("scheme", "state", "requested_tier", "granted_tier", "employer", "authority")


def _local(value):
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def dossiers_workbook(queryset, *, title):
    """An .xlsx (bytes) with one row per dossier of ``queryset`` — the caller has already limited it to
    what the user may see."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "dossiers")
    headers = [
        _("Reference"), _("Programme"), _("Requested tier"), _("Granted tier"), _("Stage"), _("Name"), _("ID type"),
        _("ID number"), _("Phone"), _("Employer"), _("Competent department"), _("Created"), _("Submitted"), _("Due date"),
    ]
    xlsx_row(sheet, [str(text) for text in headers], font=Font(bold=True))
    for dossier in queryset.select_related(*EXPORT_RELATED).iterator(chunk_size=500):
        xlsx_row(
            sheet,
            [
                dossier.reference,
                dossier.scheme.name,
                dossier.requested_tier.name,
                dossier.granted_tier.name if dossier.granted_tier_id else "",
                dossier.state.name,
                dossier.applicant_name,
                dossier.get_id_type_display(),
                mask_id_number(dossier.id_number),
                mask_phone(dossier.phone),
                dossier.employer.name if dossier.employer_id else "",
                dossier.authority.name if dossier.authority_id else "",
                _local(dossier.created_at),
                _local(dossier.submitted_at),
                dossier.due_date,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
