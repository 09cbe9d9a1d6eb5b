"""Spreadsheet safety and readability shared by every export (roster, Wagtail list exports)."""

import datetime

from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from wagtail.admin.views.mixins import SpreadsheetExportMixin

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Make a text cell inert for spreadsheet programs (OWASP CSV injection): a cell that
    starts with = + - @, a tab or a carriage return gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def attachment_disposition(filename: str, fallback: str) -> str:
    """A ``Content-Disposition`` for a download with a translated (often Chinese) file name:
    an ASCII ``filename`` for old clients and the real name as RFC 5987 ``filename*``
    (UTF-8, percent-encoded), which every current browser prefers (RFC 6266)."""
    from urllib.parse import quote

    ascii_name = fallback.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def string_cell(worksheet, value):
    """An openpyxl write-only cell; text is typed as a string, never a formula, whatever it
    starts with (the XLSX counterpart of ``neutralise``)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(worksheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def local_naive(value: datetime.datetime) -> datetime.datetime:
    """An aware datetime as the local wall-clock time, without microseconds."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
        value = timezone.make_naive(value, value.tzinfo)
    return value.replace(microsecond=0)


def _display_label(view, queryset, field):
    """``get_status_display`` → the verbose name of ``status``; else None."""
    if field.startswith("get_") and field.endswith("_display"):
        name = field[len("get_") : -len("_display")]
        try:
            return capfirst(str(queryset.model._meta.get_field(name).verbose_name))
        except Exception:  # noqa: BLE001 - not a model field: fall back to Wagtail's label
            return None
    return None


class SafeCsvExportMixin:
    """For a view with Wagtail's ``SpreadsheetExportMixin``:
    - CSV: a UTF-8 BOM (Excel reads Chinese correctly), neutralised cells, local times as
      ``YYYY-MM-DD HH:MM``, booleans as 是/否;
    - XLSX: local times (not UTC), frozen header row with an autofilter;
    - headings translated (``get_x_display`` columns are named after the field ``x``);
    - the file name carries the export date."""

    def preprocess_field_value(self, field, value, export_format):
        if isinstance(value, bool):
            return _("是") if value else _("否")
        if isinstance(value, datetime.datetime):
            value = local_naive(value)
            if export_format == SpreadsheetExportMixin.FORMAT_CSV:
                return value.strftime("%Y-%m-%d %H:%M")
            return value
        if isinstance(value, datetime.date) and export_format == SpreadsheetExportMixin.FORMAT_CSV:
            return value.isoformat()
        value = super().preprocess_field_value(field, value, export_format)
        if export_format == SpreadsheetExportMixin.FORMAT_CSV:
            return neutralise(value)
        return value

    def get_heading(self, queryset, field):
        if not self.export_headings.get(field):
            label = _display_label(self, queryset, field)
            if label:
                return label
        return super().get_heading(queryset, field)

    def get_filename(self):
        return f"{super().get_filename()}-{timezone.localdate():%Y%m%d}"

    def stream_csv(self, queryset):
        rows = super().stream_csv(queryset)
        first = next(rows, b"")
        bom = "\ufeff".encode() if isinstance(first, bytes) else "\ufeff"
        yield bom + first
        yield from rows

    def write_xlsx(self, queryset, output):
        from openpyxl import Workbook
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        workbook = Workbook(write_only=True)
        worksheet = workbook.create_sheet(title=_("导出"))
        headings = [self.get_heading(queryset, field) for field in self.list_export]
        for i, heading in enumerate(headings, start=1):
            worksheet.column_dimensions[get_column_letter(i)].width = max(
                12, min(40, 2 * len(heading) + 4)
            )
        worksheet.freeze_panes = "A2"
        bold = Font(bold=True)
        from openpyxl.cell import WriteOnlyCell

        header = []
        for heading in headings:
            cell = WriteOnlyCell(worksheet, value=heading)
            cell.font = bold
            header.append(cell)
        worksheet.append(header)
        count = 0
        for item in queryset:
            cells = []
            for cell in self.generate_xlsx_row(worksheet, self.to_row_dict(item)):
                if isinstance(cell.value, datetime.datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
                elif isinstance(cell.value, datetime.date):
                    cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            worksheet.append(cells)
            count += 1
        last = get_column_letter(max(len(headings), 1))
        worksheet.auto_filter.ref = f"A1:{last}{max(count, 1) + 1}"
        workbook.save(output)
