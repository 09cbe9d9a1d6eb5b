"""Exports as Excel users expect them: typed XLSX with a title block, frozen and filterable
header, widths and a meaningful file name; CSVs with BOM, local times and translated headers;
a printable A4 landscape roster with a signature column."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook
from pypdf import PdfReader

from courses.models import Enrollment
from lms.organisation import roles
from lms.organisation.models import District
from lms.rollout.exports import HEADER_ROW, headers, iter_csv, write_xlsx
from lms.rollout.models import RosterExport
from lms.rollout.roster import RosterFilter
from tests.factories import make_user

from .conftest import Attempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def roster(courses):
    from .conftest import quizzes_for

    a = make_user(district="HP", full_name="=SUM(1,2)", employee_no="HP0001")
    b = make_user(district="HP", full_name="李四", employee_no="HP0002")
    make_user(district="PD", full_name="王五", employee_no="PD0001")
    done = timezone.make_aware(datetime.datetime(2026, 9, 21, 23, 30))  # Shanghai evening
    Enrollment.objects.create(user=a, course=courses[0], completed_at=done)
    Enrollment.objects.create(user=b, course=courses[0])
    quiz = quizzes_for(courses[:1])[0]
    Attempt().objects.create(
        user=a, quiz=quiz, number=1, status="graded", score=Decimal("83.80"), passed=True
    )
    return a, b


def _hp():
    return District.objects.get(code="HP")


def test_xlsx_is_typed_titled_frozen_filtered(roster, tmp_path):
    path = tmp_path / "r.xlsx"
    count = write_xlsx(RosterFilter(district_ids=[_hp().pk], status="completed"), path)
    assert count == 1
    ws = load_workbook(path).active
    title = [ws.cell(row=r, column=1).value for r in range(1, HEADER_ROW)]
    assert title[0] == "培训花名册"
    assert "黄浦区" in title[1]
    assert "已完成" in title[2]
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", title[3])
    assert [c.value for c in ws[HEADER_ROW]] == headers()
    assert ws.freeze_panes == f"A{HEADER_ROW + 1}"
    assert ws.auto_filter.ref == f"A{HEADER_ROW}:N{HEADER_ROW + 1}"  # 出勤 is column N
    assert ws.column_dimensions["E"].width >= 20
    row = ws[HEADER_ROW + 1]
    assert row[1].value == "=SUM(1,2)" and row[1].data_type == "s"  # inert, no apostrophe
    completed = row[6]
    assert completed.is_date and completed.value.date() == datetime.date(2026, 9, 21)
    assert completed.number_format == "yyyy-mm-dd"
    assert row[7].value == pytest.approx(83.8) and row[7].data_type == "n"


def test_downloaded_export_is_named_after_district_and_date(
    roster, client, django_capture_on_commit_callbacks
):
    client.force_login(make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("rollout_admin:export_xlsx"), {})
    export = RosterExport.objects.get()
    response = client.get(reverse("rollout:export_download", args=[export.pk]))
    disposition = response["Content-Disposition"]
    today = timezone.localdate().strftime("%Y%m%d")
    from urllib.parse import quote

    assert quote(f"花名册-黄浦区-{today}.xlsx") in disposition


def test_csv_headers_follow_the_language(roster):
    with translation.override("en"):
        text = "".join(iter_csv(RosterFilter()))
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:3] == ["District", "Name", "Employee number"]
    assert "证书有效" not in text
    assert {r[8] for r in rows[1:] if r[8]} <= {"Yes", "No"}


def test_printable_roster_pdf(roster, client, django_capture_on_commit_callbacks):
    client.force_login(make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("rollout_admin:export_xlsx"), {"format": "pdf"})
    assert response.status_code == 302
    export = RosterExport.objects.get()
    assert export.status == "done", export.error
    # 2 enrolments; the administrator is not window staff, so has no "not enrolled" row
    assert export.format == "pdf" and export.row_count == 2
    response = client.get(reverse("rollout:export_download", args=[export.pk]))
    data = b"".join(response.streaming_content)
    reader = PdfReader(io.BytesIO(data))
    page = reader.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert width > height and round(width) == 842  # A4 landscape in points
    text = page.extract_text()
    assert "本人签名" in text and "黄浦区" in text and "李四" in text
    assert "王五" not in text
    assert ".pdf" in response["Content-Disposition"]


def test_roster_page_offers_the_pdf(roster, client):
    client.force_login(make_user(roles.CITY_ADMIN, district=None, username="city"))
    text = client.get(reverse("rollout_admin:roster")).content.decode()
    assert "?export=pdf" in text and "?export=xlsx" in text and "?export=csv" in text
    table = text[text.index('<table class="rollout-table">') :]
    assert "None" not in table[: table.index("</table>")]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_wagtail_list_exports_bom_local_time_headings(courses, client, fmt):
    from certificates.issuing import issue

    staff = make_user(district="HP", full_name="张三")
    issue(staff, courses[0])
    city = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(city)
    response = client.get(reverse("certificates_certificate:index") + f"?export={fmt}")
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    today = timezone.localdate().strftime("%Y%m%d")
    assert today in response["Content-Disposition"]
    if fmt == "csv":
        assert data.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        header = rows[0]
        assert "Get status display" not in header and "状态" in header
        issued = rows[1][header.index("签发时间")] if "签发时间" in header else rows[1][5]
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", issued), issued
        local = timezone.localtime().strftime("%Y-%m-%d")
        assert issued.startswith(local)
    else:
        ws = load_workbook(io.BytesIO(data)).active
        assert ws["A1"].value == "证书" and ws["A2"].value == "区：全市"  # the title block
        header = [c.value for c in ws[6]]
        assert "状态" in header and "Get status display" not in header
        assert ws.freeze_panes == "A7" and ws.auto_filter.ref.startswith("A6:")
        cell = ws[7][5]
        assert cell.is_date
        now = timezone.localtime().replace(tzinfo=None)
        assert abs((cell.value - now).total_seconds()) < 120  # local, not UTC
