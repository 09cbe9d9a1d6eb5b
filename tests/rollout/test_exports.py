import csv
import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.models import ModelLogEntry

from courses.models import Enrollment
from lms.organisation import roles
from lms.organisation.models import District
from lms.rollout.exports import HEADER_ROW, HEADERS, iter_csv, neutralise, write_xlsx
from lms.rollout.models import RosterExport
from lms.rollout.roster import RosterFilter
from tests.factories import make_user

from .conftest import make_wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(courses):
    a = make_user(
        district="HP",
        full_name='=HYPERLINK("http://x")',
        employee_no="HP0001",
        service_centre="+中心",
    )
    b = make_user(district="HP", full_name="李四", employee_no="HP0002", service_centre="@中心")
    c = make_user(district="PD", full_name="王五", employee_no="PD0001", service_centre="-中心")
    d = make_user(district="PD", full_name="\t赵六", employee_no="PD0002")
    Enrollment.objects.create(user=a, course=courses[0])
    Enrollment.objects.create(user=a, course=courses[1])
    Enrollment.objects.create(user=c, course=courses[0])
    return a, b, c, d


def parse(text):
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_bom_header_rows_and_not_enrolled(people):
    rows = parse("".join(iter_csv(RosterFilter())))
    assert rows[0] == HEADERS
    body = rows[1:]
    assert len(body) == 5  # a×2, b not enrolled, c×1, d not enrolled
    not_enrolled = [r for r in body if r[4] == "未报名"]
    assert {r[2] for r in not_enrolled} == {"HP0002", "PD0002"}
    a_row = body[0]
    assert a_row[0] == "黄浦区" and a_row[4].startswith("C101")
    assert len(a_row[5]) == 10 and a_row[5][4] == "-"  # ISO date


def test_csv_formula_neutralised(people):
    rows = parse("".join(iter_csv(RosterFilter())))
    names = {r[1] for r in rows[1:]}
    assert '\'=HYPERLINK("http://x")' in names
    assert "'\t赵六" in names
    centres = {r[3] for r in rows[1:]}
    assert {"'+中心", "'@中心", "'-中心"} <= centres
    for value in ("=1", "+1", "-1", "@a", "\tx", "\rx"):
        assert neutralise(value) == "'" + value
    assert neutralise("正常") == "正常"


def test_xlsx_cells_are_strings_not_formulas(people, tmp_path):
    path = tmp_path / "r.xlsx"
    count = write_xlsx(RosterFilter(), path)
    assert count == 5
    ws = load_workbook(path).active
    rows = list(ws.iter_rows(min_row=HEADER_ROW))
    assert [c.value for c in rows[0]] == HEADERS
    cell = rows[1][1]
    assert cell.value == '=HYPERLINK("http://x")'  # typed as text: inert, no apostrophe
    assert cell.data_type == "s"
    assert all(c.data_type != "f" for row in rows for c in row)


def test_filters(people, courses):
    hp = District.objects.get(code="HP")
    rows = parse("".join(iter_csv(RosterFilter(district_ids=[hp.pk]))))[1:]
    assert {r[0] for r in rows} == {"黄浦区"}
    rows = parse("".join(iter_csv(RosterFilter(course=courses[1]))))[1:]
    enrolled = [r for r in rows if r[4] != "未报名"]
    assert [r[2] for r in enrolled] == ["HP0001"]
    assert len(rows) == 4  # the three others are not enrolled in C102
    rows = parse("".join(iter_csv(RosterFilter(status="not_enrolled"))))[1:]
    assert {r[2] for r in rows} == {"HP0002", "PD0002"}
    wave = make_wave(courses[:1], districts=("PD",))
    rows = parse("".join(iter_csv(RosterFilter(wave=wave))))[1:]
    assert {r[2] for r in rows} == {"PD0001", "PD0002"}


def test_export_command(people, tmp_path):
    out = tmp_path / "r.csv"
    call_command("export_roster", "--district", "HP", "-o", str(out))
    text = out.read_text(encoding="utf-8")
    assert text.startswith("\ufeff区,姓名")
    assert "PD0001" not in text
    call_command("export_roster", "--format", "xlsx", "-o", str(tmp_path / "r.xlsx"))
    assert load_workbook(tmp_path / "r.xlsx").active.max_row == HEADER_ROW + 5
    assert ModelLogEntry.objects.filter(action="rollout.export").count() == 2


def test_streaming_csv_view_and_audit(people, client):
    client.force_login(make_user(roles.CITY_ADMIN, district=None, username="city"))
    response = client.get(reverse("rollout_admin:roster"), {"export": "csv"})
    assert response.status_code == 200 and response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff区")
    assert ModelLogEntry.objects.filter(action="rollout.export").exists()


def _disposition_name(response):
    from urllib.parse import unquote

    return unquote(response["Content-Disposition"].split("filename*=UTF-8''")[1])


def test_report_view_exports_are_the_roster_exports(people, client):
    """Issue 16: the roster is a Wagtail ReportView whose filterset_class and list_export
    serve the exports: ?export=csv|xlsx|pdf with the report's filters, in the district
    administrator's scope, each with its district-and-date file name and an audit entry."""
    hp = District.objects.get(code="HP")
    client.force_login(make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin"))
    url = reverse("rollout_admin:roster")
    today = timezone.localdate().strftime("%Y%m%d")
    # Another district asked for: the filter is invalid for this user, the scope holds.
    response = client.get(url, {"export": "csv", "district": District.objects.get(code="PD").pk})
    text = b"".join(response.streaming_content).decode("utf-8")
    assert "PD0001" not in text and "HP0001" in text
    assert _disposition_name(response) == f"花名册-黄浦区-{today}.csv"
    assert 'filename="roster-' in response["Content-Disposition"]

    response = client.get(url, {"export": "xlsx", "status": "not_enrolled"})
    assert response.status_code == 200
    assert _disposition_name(response) == f"花名册-黄浦区-{today}.xlsx"
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "培训花名册" and sheet["A2"].value == "区：黄浦区"
    assert "状态：未报名" in sheet["A3"].value
    assert sheet.freeze_panes == f"A{HEADER_ROW + 1}"
    assert sheet.auto_filter.ref.startswith(f"A{HEADER_ROW}:N")
    assert [c.value for c in sheet[HEADER_ROW]] == [str(h) for h in HEADERS]
    rows = list(sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    assert rows and {r[0] for r in rows} == {"黄浦区"} and {r[-2] for r in rows} == {"未报名"}

    response = client.get(url, {"export": "pdf"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert _disposition_name(response) == f"花名册-黄浦区-{today}.pdf"
    assert ModelLogEntry.objects.filter(action="rollout.export").count() == 3
    assert hp.pk in RosterExport.objects.latest("pk").filters["district_ids"]


def test_report_view_sends_a_big_xlsx_to_the_background(
    people, client, settings, django_capture_on_commit_callbacks
):
    settings.ROSTER_SYNC_EXPORT_ROWS = 1
    client.force_login(make_user(roles.CITY_ADMIN, district=None, username="city"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("rollout_admin:roster"), {"export": "xlsx"})
    assert response.status_code == 302 and response["Location"] == reverse("rollout_admin:exports")
    export = RosterExport.objects.get()
    assert export.status == "done" and export.format == "xlsx" and export.row_count > 1


def test_report_view_filters_are_a_wagtail_filterset_in_the_users_scope(people, client):
    client.force_login(make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin"))
    response = client.get(reverse("rollout_admin:roster"))
    filters = response.context["view"].filters
    assert type(filters).__name__ == "RosterFilterSet"
    assert list(filters.form.fields["district"].queryset) == [District.objects.get(code="HP")]
    assert 'name="status"' in response.content.decode()


def test_english_csv_export_has_english_headers(people, client):
    client.force_login(make_user(roles.CITY_ADMIN, district=None, username="city"))
    client.cookies["django_language"] = "en"
    response = client.get(
        reverse("rollout_admin:roster"), {"export": "csv"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    header = b"".join(response.streaming_content).decode("utf-8").splitlines()[0]
    assert header.startswith("\ufeffDistrict,") and not re.search(r"[\u4e00-\u9fff]", header)


def test_background_xlsx_and_download(people, client, django_capture_on_commit_callbacks):
    requester = make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin")
    client.force_login(requester)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("rollout_admin:export_xlsx"), {})
    assert response.status_code == 302
    export = RosterExport.objects.get()
    assert export.status == "done" and export.requested_by == requester
    assert export.filters["district_ids"] == [District.objects.get(code="HP").pk]
    response = client.get(reverse("rollout:export_download", args=[export.pk]))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert {row[0].value for row in wb.active.iter_rows(min_row=HEADER_ROW + 1)} == {"黄浦区"}
    # Another district admin cannot download it.
    client.force_login(make_user(roles.DISTRICT_ADMIN, district="PD", username="pdadmin"))
    assert client.get(reverse("rollout:export_download", args=[export.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("rollout:export_download", args=[export.pk])).status_code == 302


def test_roster_report_view(people, client):
    client.force_login(make_user(roles.CITY_ADMIN, district=None, username="city"))
    response = client.get(reverse("rollout_admin:roster"), {"status": "not_enrolled"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "HP0002" in body and "HP0001" not in body


def test_dates_are_shanghai_calendar_dates_and_statuses_translated(courses):
    """A completion at 17:30 UTC is the next day in Shanghai; the status column follows the
    active language."""
    from django.utils import translation

    user = make_user(district="HP", full_name="钱七", employee_no="HP0009")
    late = datetime.datetime(2026, 3, 1, 17, 30, tzinfo=datetime.UTC)
    Enrollment.objects.create(user=user, course=courses[0], enrolled_at=late, completed_at=late)
    Enrollment.objects.filter(user=user).update(enrolled_at=late)  # not auto_now_add

    keys = [str(h) for h in HEADERS]  # the Chinese headings, as keys in both languages

    def exported():
        rows = [dict(zip(keys, r, strict=True)) for r in parse("".join(iter_csv(RosterFilter())))]
        return next(r for r in rows if r["工号"] == "HP0009")

    row = exported()
    assert row["报名时间"] == row["完成时间"] == "2026-03-02"
    assert row["状态"] == "已完成"
    with translation.override("en"):
        assert exported()["状态"] == "Completed"


def test_roster_report_queries_do_not_grow_with_the_rows(people, client, courses):
    """The roster report (filters, page, formatted rows) costs the same number of queries for
    4 people as for 14."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(make_user(roles.CITY_ADMIN, district=None, username="city"))
    url = reverse("rollout_admin:roster")
    client.get(url, {"status": "not_started"})  # warm caches (site, permissions)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url, {"status": "not_started"}).status_code == 200
    for i in range(10):
        person = make_user(district="HP", username=f"more{i}", employee_no=f"HPX{i:03}")
        Enrollment.objects.create(user=person, course=courses[i % 2])
    with CaptureQueriesContext(connection) as more:
        response = client.get(url, {"status": "not_started"})
    assert "HPX009" in response.content.decode()
    assert len(more.captured_queries) == len(few.captured_queries)
