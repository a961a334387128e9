"""Spreadsheet exports of dossier lists. Identity numbers and phones are always masked: a workbook leaves
the system and outlives the permissions of the person who downloaded it."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from .masking import mask_id_number, mask_phone

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
    bold = Font(bold=True)
    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=str(text))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for dossier in queryset.select_related(*EXPORT_RELATED).iterator(chunk_size=500):
        sheet.append(
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
