"""Roster exports: CSV (UTF-8 with BOM, streamed) and XLSX (openpyxl write-only), one row per
person and course plus one 未报名 row per active staff member with no (matching) course.

Every cell that a spreadsheet would read as a formula (starting with = + - @, a tab or a
carriage return) is prefixed with a single quote; in XLSX its type is also forced to string.
"""

import csv
import tempfile

from django.core.files import File
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from wagtail.log_actions import log

from lms.organisation.spreadsheets import neutralise

from .models import RosterExport
from .roster import STATUS_LABELS, RosterFilter, roster_values

HEADERS = [
    "区",
    "姓名",
    "工号",
    "服务中心",
    "课程",
    "报名时间",
    "完成时间",
    "最高分",
    "是否通过",
    "证书编号",
    "证书有效期至",
    "是否具备上岗资格",
    "状态",
]
NOT_ENROLLED_LABEL = "未报名"


def _yes_no(value):
    return "是" if value else "否"


class RowFormatter:
    """Roster rows (from roster.roster_values) as the export's lists of strings. Make one per
    export: the time zone and the status labels are resolved once, not once per cell (at
    100,000 rows that was a third of the export's time)."""

    def __init__(self):
        self.tz = timezone.get_current_timezone()
        self.labels = {key: str(label) for key, label in STATUS_LABELS.items()}

    def date(self, value):
        return value.astimezone(self.tz).date().isoformat() if value else ""

    def __call__(self, row):
        enrolled = row["enrolled"]
        course = f"{row['course_code']} {row['course_title']}" if enrolled else NOT_ENROLLED_LABEL
        score = row["best_score"]
        return [
            neutralise(row["district"] or ""),
            neutralise(row["full_name"]),
            neutralise(row["employee_no"]),
            neutralise(row["service_centre"]),
            neutralise(course),
            self.date(row["enrolled_at"]),
            self.date(row["completed_at"]),
            "" if score is None else f"{score:.2f}",
            _yes_no(row["passed"]) if enrolled else "",
            neutralise(row["cert_serial"] or ""),
            self.date(row["cert_expires_at"]),
            _yes_no(row["authorised"]),
            self.labels[row["status"]],
        ]


def iter_rows(filt, now=None):
    format_row = RowFormatter()
    for row in roster_values(filt, now=now):
        yield format_row(row)


class _Echo:
    def write(self, value):
        return value


def iter_csv(filt, now=None):
    """Yield the CSV as text chunks: the BOM, the header, then one line per row."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(HEADERS)
    for row in iter_rows(filt, now):
        yield writer.writerow(row)


def write_csv(filt, fileobj, now=None):
    count = -1
    for count, chunk in enumerate(iter_csv(filt, now)):  # noqa: B007
        fileobj.write(chunk)
    return count  # lines after the header


def string_cell(ws, value):
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    return cell


def write_xlsx(filt, path, now=None):
    """Write the roster to ``path`` in openpyxl's write-only mode; returns the row count."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title="花名册")
    ws.append(HEADERS)
    count = 0
    for row in iter_rows(filt, now):
        ws.append([string_cell(ws, value) for value in row])
        count += 1
    wb.save(path)
    return count


def filter_from_dict(data):
    """Rebuild a RosterFilter from RosterExport.filters."""
    from courses.models import CoursePage

    from .models import RolloutWave

    return RosterFilter(
        district_ids=data.get("district_ids"),
        wave=RolloutWave.objects.filter(pk=data["wave"]).first() if data.get("wave") else None,
        course=CoursePage.objects.filter(pk=data["course"]).first() if data.get("course") else None,
        status=data.get("status") or "",
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


def export_filename(fmt):
    return f"{_('花名册')}-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"
