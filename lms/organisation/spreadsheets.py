"""Spreadsheet safety and readability shared by every export (roster, Wagtail list exports)."""

import datetime

from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
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
    - XLSX: a title block (what the list is, its district, its filters and the export time),
      local times (not UTC), frozen header row with an autofilter;
    - headings translated (``get_x_display`` columns are named after the field ``x``);
    - the file name says what, where and when: ``export_title`` (e.g. 工作人员), the district
      filtered on (``export_district_filter``), else the user's own district, else 全市, and
      the date ("工作人员-黄浦区-20261130.csv"); ``export_filename`` and the date are the ASCII
      fallback for old clients."""

    export_title = None
    export_district_filter = "district"
    TITLE_ROWS = 4  # title, district, filters, export time; then a blank row and the header

    def _filter_data(self) -> dict:
        filters = getattr(self, "filters", None)
        if filters is None or not filters.is_valid():
            return {}
        return filters.form.cleaned_data

    def export_scope(self) -> str:
        """The district(s) the exported list covers, by name (全市 for all)."""
        from .models import District
        from .roles import admin_district_ids

        district = self._filter_data().get(self.export_district_filter)
        if district:
            return district.display_name
        ids = admin_district_ids(self.request.user)
        if ids is None:
            return _("全市")
        names = [d.display_name for d in District.objects.filter(pk__in=ids).order_by("sort_order")]
        return _("、").join(names) or _("无")

    def export_filters(self) -> str:
        """The filters (other than the district) and the search, as the title block says them."""
        parts = []
        filters = getattr(self, "filters", None)
        for name, value in self._filter_data().items():
            if name == self.export_district_filter or value in (None, "", [], ()):
                continue
            field = filters.form.fields[name]
            if hasattr(field, "choices") and not hasattr(value, "pk"):
                value = dict(field.choices).get(value, value)
            if isinstance(value, bool):
                value = _("是") if value else _("否")
            parts.append(f"{field.label}{_('：')}{value}")
        if getattr(self, "is_searching", False):
            parts.append(_("搜索：%(q)s") % {"q": self.search_query})
        return _("；").join(str(p) for p in parts) or pgettext("no filters", "无")

    def _export_date(self):
        return timezone.localdate()

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
        if self.export_title:
            return f"{self.export_title}-{self.export_scope()}-{self._export_date():%Y%m%d}"
        return self.ascii_filename()

    def ascii_filename(self):
        return f"{super().get_filename()}-{self._export_date():%Y%m%d}"

    def _disposition(self, fmt):
        return attachment_disposition(
            f"{self.get_filename()}.{fmt}", f"{self.ascii_filename()}.{fmt}"
        )

    def write_csv_response(self, queryset):
        from django.http import StreamingHttpResponse

        response = StreamingHttpResponse(
            self.stream_csv(queryset), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = self._disposition("csv")
        return response

    def write_xlsx_response(self, queryset):
        from io import BytesIO

        from django.http import HttpResponse

        output = BytesIO()
        self.write_xlsx(queryset, output)
        response = HttpResponse(
            output.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = self._disposition("xlsx")
        return response

    def stream_csv(self, queryset):
        rows = super().stream_csv(queryset)
        first = next(rows, b"")
        bom = "\ufeff".encode() if isinstance(first, bytes) else "\ufeff"
        yield bom + first
        yield from rows

    def write_xlsx(self, queryset, output):
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        workbook = Workbook(write_only=True)
        worksheet = workbook.create_sheet(title=_("导出"))
        headings = [self.get_heading(queryset, field) for field in self.list_export]
        for i, heading in enumerate(headings, start=1):
            worksheet.column_dimensions[get_column_letter(i)].width = max(
                12, min(40, 2 * len(heading) + 4)
            )
        header_row = self.TITLE_ROWS + 2
        worksheet.freeze_panes = f"A{header_row + 1}"
        # The title block: what the list is, where, which filters, when.
        title = WriteOnlyCell(worksheet, value=str(self.export_title or self.get_page_title()))
        title.font = Font(bold=True, size=14)
        worksheet.append([title])
        for label, value in (
            (_("区"), self.export_scope()),
            (_("筛选条件"), self.export_filters()),
            (_("导出时间"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
        ):
            cell = WriteOnlyCell(worksheet, value=f"{label}{_('：')}{value}")
            cell.data_type = "s"
            worksheet.append([cell])
        worksheet.append([])
        bold = Font(bold=True)

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
        worksheet.auto_filter.ref = f"A{header_row}:{last}{header_row + max(count, 1)}"
        workbook.save(output)
