"""Roster exports: CSV (UTF-8 with BOM, streamed) and XLSX (openpyxl write-only), one row per
person and course plus one 未报名 row per active staff member with no (matching) course.

CSV: every cell that a spreadsheet would read as a formula (starting with = + - @, a tab or a
carriage return) is prefixed with a single quote. XLSX: cells are typed (dates, numbers, and
text stored as strings, which Excel never evaluates), so no apostrophe is needed; a title block
names the district, the filters and the export time; the header is frozen and filterable.
"""

import csv
import tempfile
from io import BytesIO

from django.core.files import File
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django_tasks import task
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from wagtail.admin.views.mixins import SpreadsheetExportMixin
from wagtail.log_actions import log

from lms.organisation.spreadsheets import attachment_disposition, neutralise, string_cell

from .models import RosterExport
from .roster import (
    PEOPLE_LABELS,
    ROW_FIELDS,
    STATUS_LABELS,
    RosterFilter,
    roster_queryset,
    roster_rows,
    roster_values,
)

HEADERS = [
    gettext_lazy("区"),
    gettext_lazy("姓名"),
    gettext_lazy("工号"),
    gettext_lazy("服务中心"),
    gettext_lazy("课程"),
    gettext_lazy("报名时间"),
    gettext_lazy("完成时间"),
    gettext_lazy("最高分"),
    gettext_lazy("是否通过"),
    gettext_lazy("证书编号"),
    gettext_lazy("证书有效期至"),
    gettext_lazy("是否具备上岗资格"),
    gettext_lazy("状态"),
    gettext_lazy("出勤"),
]
# XLSX column widths (characters), in the order of HEADERS.
WIDTHS = [10, 12, 12, 22, 30, 12, 12, 9, 9, 20, 13, 15, 12, 8]
DATE_COLUMNS = {5, 6, 10}
SCORE_COLUMN = 7
TITLE_ROWS = 4  # title, district, filters, export time; then a blank row and the header
HEADER_ROW = TITLE_ROWS + 2


def headers():
    """The column headings in the active language."""
    return [str(h) for h in HEADERS]


class RowFormatter:
    """Roster rows (from roster.roster_values) as the export's lists of strings. Make one per
    export: the time zone and the status labels are resolved once, not once per cell (at
    100,000 rows that was a third of the export's time).

    ``typed=True`` (XLSX) keeps dates as dates and scores as numbers, and text as it is (the
    XLSX writer stores text cells as strings, never formulas); CSV text is neutralised."""

    def __init__(self, typed=False):
        self.tz = timezone.get_current_timezone()
        self.labels = {key: str(label) for key, label in STATUS_LABELS.items()}
        self.yes, self.no = _("是"), _("否")
        self.not_enrolled = _("未报名")
        self.typed = typed
        self.text = (lambda v: v) if typed else neutralise

    def date(self, value):
        if not value:
            return None if self.typed else ""
        local = value.astimezone(self.tz).date()
        return local if self.typed else local.isoformat()

    def __call__(self, row):
        enrolled = row["enrolled"]
        text = self.text
        course = f"{row['course_code']} {row['course_title']}" if enrolled else self.not_enrolled
        score = row["best_score"]
        if score is None:
            score = None if self.typed else ""
        else:
            score = float(score) if self.typed else f"{score:.2f}"
        return [
            text(row["district"] or ""),
            text(row["full_name"]),
            text(row["employee_no"]),
            text(row["service_centre"]),
            text(course),
            self.date(row["enrolled_at"]),
            self.date(row["completed_at"]),
            score,
            (self.yes if row["passed"] else self.no) if enrolled else "",
            text(row["cert_serial"] or ""),
            self.date(row["cert_expires_at"]),
            self.yes if row["authorised"] else self.no,
            self.labels[row["status"]],
            self.attendance(row),
        ]

    def attendance(self, row):
        """出勤: 是/否 for a course with in-person sessions, — otherwise."""
        if not row["enrolled"] or not row.get("has_sessions"):
            return "—"
        return self.yes if row.get("attended") else self.no


# -- the roster as a spreadsheet: one implementation on Wagtail's SpreadsheetExportMixin --------

#: the export's columns (``list_export``), in the order of ``HEADERS``
COLUMNS = [
    "district",
    "full_name",
    "employee_no",
    "service_centre",
    "course",
    "enrolled_at",
    "completed_at",
    "best_score",
    "passed",
    "cert_serial",
    "cert_expires_at",
    "authorised",
    "status",
    "attended",
]


class _Echo:
    def write(self, value):
        return value


class RosterSpreadsheetMixin(SpreadsheetExportMixin):
    """The roster on Wagtail's ``SpreadsheetExportMixin`` hooks: ``list_export`` and
    ``export_headings`` name and head the columns; ``to_row_dict`` formats a roster row once per
    export format (``RowFormatter``: typed cells for XLSX and PDF, neutralised text for CSV);
    ``stream_csv`` adds the BOM; ``write_xlsx`` the title block, frozen header, autofilter and
    widths; ``get_filename`` the district and date. ``RosterReportView`` serves it
    (``?export=csv|xlsx|pdf``); ``RosterExporter`` runs the same code without a request (the
    background export, ``export_roster``, the benchmark).

    A subclass sets ``roster_filter`` (a resolved ``RosterFilter``) before exporting; the
    ``queryset`` handed to the hooks is ``roster_queryset(...).values_list(*ROW_FIELDS)``."""

    FORMAT_PDF = "pdf"
    FORMATS = (SpreadsheetExportMixin.FORMAT_XLSX, SpreadsheetExportMixin.FORMAT_CSV, FORMAT_PDF)
    list_export = COLUMNS
    export_headings = dict(zip(COLUMNS, HEADERS, strict=True))
    roster_filter: RosterFilter | None = None
    export_now = None
    row_formatter = None
    exported_rows = 0
    #: the RosterExport recording a request's export: it keeps the file and its row count
    export_record: RosterExport | None = None

    def get_heading(self, queryset, field):
        return str(self.export_headings[field])

    def get_filename(self):
        """The file name without its extension: 花名册-黄浦区-20261130."""
        return export_filename(None, self.roster_filter.district_ids, self.export_now)

    def export_rows(self, queryset, export_format):
        """The row dicts of an export, streamed from the database (memory flat in rows)."""
        self.row_formatter = RowFormatter(typed=export_format != self.FORMAT_CSV)
        self.exported_rows = 0
        for row in roster_rows(queryset, now=self.export_now):
            self.exported_rows += 1
            yield self.to_row_dict(row)

    def to_row_dict(self, item):
        return dict(zip(self.list_export, self.row_formatter(item), strict=True))

    # CSV: the cells are final (neutralised text, ISO dates in local time): no per-cell
    # preprocessing, a plain csv.writer over the values.
    def write_csv_row(self, writer, row_dict):
        return writer.writerow(row_dict.values())

    def stream_csv(self, queryset):
        """Yield the CSV as text chunks: the BOM, the header, then one line per row."""
        writer = csv.writer(_Echo())
        yield "\ufeff" + writer.writerow([self.get_heading(queryset, f) for f in COLUMNS])
        for row_dict in self.export_rows(queryset, self.FORMAT_CSV):
            yield self.write_csv_row(writer, row_dict)

    def generate_xlsx_row(self, worksheet, row_dict, date_format=None):
        for i, value in enumerate(row_dict.values()):
            cell = string_cell(worksheet, value)
            if i in DATE_COLUMNS and value is not None:
                cell.number_format = "yyyy-mm-dd"
            elif i == SCORE_COLUMN and value is not None:
                cell.number_format = "0.00"
            yield cell

    def write_xlsx(self, queryset, output):
        """The roster in openpyxl's write-only mode: a title block (district, filters, export
        time), then the header row, frozen and with an autofilter; dates are dates, scores
        numbers, text cells typed as strings (inert, with no visible apostrophe)."""
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        info = describe_filter(self.roster_filter)
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(title=_("花名册"))
        for i, width in enumerate(WIDTHS, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = f"A{HEADER_ROW + 1}"
        # Printing: landscape, every column on the page's width, the header on every page.
        ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = "9"  # A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        title = WriteOnlyCell(ws, value=info["title"])
        title.font = Font(bold=True, size=14)
        ws.append([title])
        for label, value in (
            (_("区"), info["district"]),
            (_("筛选条件"), info["filters"]),
            (_("导出时间"), info["exported_at"]),
        ):
            ws.append([string_cell(ws, f"{label}{_('：')}{value}")])
        ws.append([])
        bold = Font(bold=True)
        header = []
        for field in COLUMNS:
            cell = string_cell(ws, self.get_heading(queryset, field))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row_dict in self.export_rows(queryset, self.FORMAT_XLSX):
            ws.append(self.generate_xlsx_row(ws, row_dict))
        last = get_column_letter(len(COLUMNS))
        ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + max(self.exported_rows, 1)}"
        wb.save(output)
        return self.exported_rows

    # -- responses: translated file names (RFC 5987) with an ASCII fallback ------------------

    def _disposition(self, fmt):
        when = timezone.localtime(self.export_now) if self.export_now else timezone.localtime()
        return attachment_disposition(f"{self.get_filename()}.{fmt}", f"roster-{when:%Y%m%d}.{fmt}")

    def keep_export(self, fileobj, count: int) -> None:
        """Store the served file and its row count on ``export_record`` (when there is one),
        so that the export history counts its rows and can serve it again."""
        export = self.export_record
        if export is None:
            return
        fileobj.seek(0)
        stamp = timezone.localtime(self.export_now).strftime("%Y%m%d-%H%M%S")
        export.file.save(f"roster-{export.pk}-{stamp}.{export.format}", File(fileobj), save=False)
        export.row_count = count
        export.save()

    def _kept_csv(self, chunks):
        """Pass the CSV chunks through, keeping a copy; stored once the last row is sent."""
        with tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024) as copy:
            for chunk in chunks:
                copy.write(chunk.encode("utf-8"))
                yield chunk
            self.keep_export(copy, self.exported_rows)

    def write_csv_response(self, queryset):
        chunks = self.stream_csv(queryset)
        if self.export_record is not None:
            chunks = self._kept_csv(chunks)
        response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = self._disposition(self.FORMAT_CSV)
        return response

    def write_xlsx_response(self, queryset):
        output = BytesIO()
        count = self.write_xlsx(queryset, output)
        self.keep_export(output, count)
        response = HttpResponse(output.getvalue(), content_type=XLSX_TYPE)
        response["Content-Disposition"] = self._disposition(self.FORMAT_XLSX)
        return response

    def write_pdf_response(self, queryset):
        from .pdf import render_roster_pdf

        data, count = render_roster_pdf(self.roster_filter, now=self.export_now)
        self.keep_export(BytesIO(data), count)
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = self._disposition(self.FORMAT_PDF)
        return response

    def as_spreadsheet(self, queryset, spreadsheet_format):
        if spreadsheet_format == self.FORMAT_PDF:
            return self.write_pdf_response(queryset)
        return super().as_spreadsheet(queryset, spreadsheet_format)


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RosterExporter(RosterSpreadsheetMixin):
    """The roster export without a request: the background export, ``export_roster``, tests
    and the benchmark run exactly the code the report view serves."""

    def __init__(self, filt: RosterFilter, now=None):
        self.roster_filter = filt.resolve()
        self.export_now = now or timezone.now()

    def queryset(self):
        return roster_queryset(self.roster_filter, self.export_now).values_list(*ROW_FIELDS)


def iter_csv(filt, now=None):
    """Yield the roster CSV as text chunks: the BOM, the header, then one line per row."""
    exporter = RosterExporter(filt, now)
    return exporter.stream_csv(exporter.queryset())


def iter_rows(filt, now=None, typed=False):
    format_row = RowFormatter(typed=typed)
    for row in roster_values(filt, now=now):
        yield format_row(row)


def write_csv(filt, fileobj, now=None):
    count = -1
    for count, chunk in enumerate(iter_csv(filt, now)):  # noqa: B007
        fileobj.write(chunk)
    return count  # lines after the header


def describe_filter(filt) -> dict:
    """The title block's lines: the district(s), the other filters, the export time."""
    from lms.organisation.models import District

    filt.resolve()
    if filt.district_ids is None:
        district = _("全部区")
    else:
        names = District.objects.filter(pk__in=filt.district_ids).order_by("sort_order")
        district = _("、").join(d.display_name for d in names) or _("无")
    parts = []
    if filt.wave is not None:
        parts.append(_("培训批次：%(v)s") % {"v": filt.wave.name})
    if filt.course is not None:
        parts.append(_("课程：%(v)s") % {"v": f"{filt.course.code} {filt.course.title}"})
    if filt.status:
        parts.append(_("状态：%(v)s") % {"v": STATUS_LABELS.get(filt.status, filt.status)})
    if filt.people:
        parts.append(_("人员：%(v)s") % {"v": PEOPLE_LABELS.get(filt.people, filt.people)})
    return {
        "title": _("培训花名册"),
        "district": district,
        "filters": _("；").join(parts) or pgettext("no filters", "无"),
        "exported_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }


def write_xlsx(filt, path, now=None):
    """Write the roster XLSX to ``path`` (a file name or a binary file); returns the row
    count."""
    exporter = RosterExporter(filt, now)
    return exporter.write_xlsx(exporter.queryset(), path)


def filter_from_dict(data):
    """Rebuild a RosterFilter from RosterExport.filters."""
    from courses.models import CoursePage

    from .models import RolloutWave

    return RosterFilter(
        district_ids=data.get("district_ids"),
        wave=RolloutWave.objects.filter(pk=data["wave"]).first() if data.get("wave") else None,
        course=CoursePage.objects.filter(pk=data["course"]).first() if data.get("course") else None,
        status=data.get("status") or "",
        people=data.get("people") or "",
    )


def record_export(user, filt, fmt, status=RosterExport.Status.DONE, row_count=0):
    """Create the RosterExport record and the audit log entry of an export."""
    district_ids = filt.district_ids or []
    export = RosterExport.objects.create(
        requested_by=user if user and user.is_authenticated else None,
        filters=filt.as_dict(),
        district_id=district_ids[0] if len(district_ids) == 1 else None,
        format=fmt,
        status=status,
        row_count=row_count,
        finished_at=timezone.now() if status == RosterExport.Status.DONE else None,
    )
    log(
        instance=export,
        action="rollout.export",
        user=user if user and user.is_authenticated else None,
        data={"filters": filt.as_dict(), "format": fmt},
    )
    return export


@task()
def build_roster_export(export_id):
    """Background task: write the export's XLSX (or CSV) into private storage."""
    export = RosterExport.objects.get(pk=export_id)
    export.status = RosterExport.Status.RUNNING
    export.save(update_fields=["status"])
    filt = filter_from_dict(export.filters)
    try:
        with tempfile.NamedTemporaryFile(suffix=f".{export.format}") as tmp:
            if export.format == "csv":
                with open(tmp.name, "w", encoding="utf-8", newline="") as fh:
                    count = write_csv(filt, fh)
            elif export.format == "pdf":
                from .pdf import render_roster_pdf

                data, count = render_roster_pdf(filt)
                with open(tmp.name, "wb") as fh:
                    fh.write(data)
            else:
                count = write_xlsx(filt, tmp.name)
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
            with open(tmp.name, "rb") as fh:
                export.file.save(
                    f"roster-{export.pk}-{stamp}.{export.format}", File(fh), save=False
                )
        export.row_count = count
        export.status = RosterExport.Status.DONE
    except Exception as exc:  # recorded for the requester, then re-raised for the worker log
        export.status = RosterExport.Status.FAILED
        export.error = str(exc)[:2000]
        raise
    finally:
        export.finished_at = timezone.now()
        export.save()
    return export.pk


def export_filename(fmt, district_ids=None, when=None):
    """ "花名册-黄浦区-20261130.xlsx" (one district) or "花名册-全市-20261130.csv"; without
    an extension when ``fmt`` is None."""
    from lms.organisation.models import District

    when = timezone.localtime(when) if when else timezone.localtime()
    place = _("全市")
    if district_ids is not None:
        names = [
            d.display_name
            for d in District.objects.filter(pk__in=district_ids).order_by("sort_order")
        ]
        place = names[0] if len(names) == 1 else _("、").join(names[:3]) or place
    name = f"{_('花名册')}-{place}-{when:%Y%m%d}"
    return f"{name}.{fmt}" if fmt else name


def download_name(export: RosterExport) -> str:
    """The file name a finished export is downloaded under."""
    ids = export.filters.get("district_ids")
    return export_filename(export.format, ids, export.created_at)
