"""The district administrator's findings on the rollout admin (export history, units,
statuses, layout, print layouts, English names, who counts as window staff)."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from courses.models import Enrollment
from lms.organisation import roles
from lms.rollout.models import RosterExport
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def roster(courses):
    """Four window staff of 黄浦 each enrolled in both courses: 8 roster rows, 4 people."""
    people = [
        make_user(district="HP", full_name=f"员工{i}", employee_no=f"HP{i:04d}", username=f"s{i}")
        for i in range(4)
    ]
    for person in people:
        for course in courses:
            Enrollment.objects.create(user=person, course=course)
    return people


@pytest.fixture
def hp_admin(client):
    admin = make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin")
    client.force_login(admin)
    return admin


# -- 1. export history: row count, format label, download again ---------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_report_exports_record_their_rows_and_can_be_downloaded_again(
    roster, hp_admin, client, fmt
):
    response = client.get(reverse("rollout_admin:roster"), {"export": fmt})
    assert response.status_code == 200
    first = b"".join(response.streaming_content) if response.streaming else response.content
    export = RosterExport.objects.get()
    assert export.row_count == 8
    page = client.get(reverse("rollout_admin:exports")).content.decode()
    assert re.search(r'<td class="num">8</td>', page)
    assert str(RosterExport.FORMAT_LABELS[fmt]) in page
    download = reverse("rollout:export_download", args=[export.pk])
    assert f'href="{download}"' in page
    again = client.get(download)
    assert again.status_code == 200 and b"".join(again.streaming_content)[:4] == first[:4]
    # Another district's administrator sees neither the export nor a link.
    client.force_login(make_user(roles.DISTRICT_ADMIN, district="PD", username="pdadmin"))
    assert download not in client.get(reverse("rollout_admin:exports")).content.decode()
    assert client.get(download).status_code == 404


def english(user):
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()


def test_export_history_in_english_names_the_format(roster, hp_admin, client):
    client.get(reverse("rollout_admin:roster"), {"export": "xlsx"})
    english(hp_admin)
    body = client.get(reverse("rollout_admin:exports")).content.decode()
    assert "Excel workbook (XLSX)" in body and "<td>xlsx</td>" not in body


def test_expired_export_has_no_link(roster, hp_admin, client):
    from django.utils import timezone

    client.get(reverse("rollout_admin:roster"), {"export": "xlsx"})
    export = RosterExport.objects.get()
    RosterExport.objects.filter(pk=export.pk).update(expires_at=timezone.now())
    download = reverse("rollout:export_download", args=[export.pk])
    assert download not in client.get(reverse("rollout_admin:exports")).content.decode()
    assert client.get(download).status_code == 404


def test_background_export_records_its_rows(
    roster, hp_admin, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("rollout_admin:export_xlsx"), {})
    export = RosterExport.objects.get()
    assert export.row_count == 8
    wb = load_workbook(
        io.BytesIO(
            b"".join(
                client.get(reverse("rollout:export_download", args=[export.pk])).streaming_content
            )
        )
    )
    assert wb.active.max_row >= 8


# -- 7. administrators are not window staff ----------------------------------------------------


def test_demo_district_admin_is_not_window_staff(courses):
    from io import StringIO

    from django.core.management import call_command

    from lms.organisation.models import District, StaffProfile
    from lms.rollout import dashboards
    from lms.rollout.demo import DEMO_WAVE
    from lms.rollout.models import RolloutWave, TrainingSession
    from lms.rollout.roster import RosterFilter

    call_command("seed_demo", stdout=StringIO())
    admin = StaffProfile.objects.get(user__username="hp-admin")
    assert not Enrollment.objects.filter(user=admin.user).exists()
    hp = District.objects.get(code="HP")
    numbers = dashboards.progress_by_district(RosterFilter(district_ids=[hp.pk]))
    assert numbers[hp.pk]["enrolled_people"] == 2
    from lms.rollout.roster import people_by_district

    assert people_by_district(RosterFilter(district_ids=[hp.pk]))[hp.pk]["staff"] == 2
    wave = RolloutWave.objects.get(name=DEMO_WAVE)
    from django.utils import timezone

    session = TrainingSession.objects.create(
        wave=wave,
        course=courses[0],
        district=hp,
        starts_at=timezone.now(),
        ends_at=timezone.now(),
        place="x",
        capacity=10,
    )
    assert admin not in session.expected_staff()
    assert StaffProfile.objects.get(user__username="hp-staff1") in session.expected_staff()


def test_admin_who_is_also_window_staff_counts(courses):
    from django.contrib.auth.models import Group

    from lms.organisation.models import StaffProfile
    from lms.rollout.services import enrol_wave

    from .conftest import make_wave

    both = make_user(roles.DISTRICT_ADMIN, district="HP", username="both")
    both.groups.add(Group.objects.get(name=roles.WINDOW_STAFF))
    admin = make_user(roles.DISTRICT_ADMIN, district="HP", username="onlyadmin")
    plain = make_user(district="HP", username="plain")
    staff = set(StaffProfile.objects.window_staff().values_list("user__username", flat=True))
    assert {"both", "plain"} <= staff and "onlyadmin" not in staff
    enrol_wave(make_wave(courses, districts=("HP",)))
    assert Enrollment.objects.filter(user=both).count() == 2
    assert Enrollment.objects.filter(user=plain).count() == 2
    assert not Enrollment.objects.filter(user=admin).exists()


# -- 3. one owner for the statuses the learner and the roster show -----------------------------


def test_roster_and_learner_say_the_same_status(courses, client):
    from courses.models import LessonProgress
    from courses.progress import STATUS_LABELS, course_statuses
    from lms.rollout.roster import RosterFilter, roster_values
    from tests.certificates.lifecycle_helpers import add_lesson

    lesson = add_lesson(courses[0])
    learner = make_user(district="HP", username="learner")
    for course in courses:
        Enrollment.objects.create(user=learner, course=course)
    LessonProgress.objects.create(user=learner, lesson=lesson, course=courses[0])
    learner_says = course_statuses(learner, courses)
    roster_says = {
        row["course_code"]: row["status"] for row in roster_values(RosterFilter(), now=None)
    }
    assert learner_says[courses[0].pk] == roster_says["C101"] == "in_progress"
    assert learner_says[courses[1].pk] == roster_says["C102"] == "not_started"
    admin = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(admin)
    page = client.get(reverse("rollout_admin:roster")).content.decode()
    assert f"<td>{STATUS_LABELS['not_started']}</td>" in page
    assert f"<td>{STATUS_LABELS['in_progress']}</td>" in page
    only = client.get(reverse("rollout_admin:roster"), {"status": "not_started"})
    body = only.content.decode()
    assert '"wrap wrap-wide">C102 课程C102</td>' in body
    assert '"wrap wrap-wide">C101 课程C101</td>' not in body


# -- 2. units: records in the roster, people in the wave list -----------------------------------


def test_roster_counts_records_and_wave_list_counts_people(roster, courses, hp_admin, client):
    page = client.get(reverse("rollout_admin:roster")).content.decode()
    assert "8 条记录" in page and "用户" not in re.sub(r"<script.*?</script>", "", page, flags=re.S)
    english(hp_admin)
    assert "8 records" in client.get(reverse("rollout_admin:roster")).content.decode()

    from .conftest import make_wave

    wave = make_wave(courses, districts=("HP",))
    from lms.rollout.services import enrol_wave

    Enrollment.objects.all().delete()
    assert enrol_wave(wave) == 8  # the 4 people (not the administrator) in 2 courses
    Enrollment.objects.filter(user__in=roster[:2]).update(completed_at=wave.created_at)
    Enrollment.objects.filter(user=roster[2], course=courses[0]).update(
        completed_at=wave.created_at
    )
    response = client.get(reverse("rollout_waves:index"))
    body = response.content.decode()
    assert "Enrolled people" in body and "Enrolments" in body
    row = re.search(r"第一批.*?</tr>", body, flags=re.S).group(0)
    cells = [re.sub(r"<.*?>|\s", "", c) for c in re.findall(r"<td.*?</td>", row, flags=re.S)]
    assert "4" in cells and "8" in cells and "50%" in cells


# -- 4. the roster table does not wrap short cells --------------------------------------------


def test_roster_short_cells_do_not_wrap(roster, hp_admin, client):
    body = client.get(reverse("rollout_admin:roster")).content.decode()
    assert re.search(r"\.rollout-roster td:not\(\.wrap\)[^{]*\{ white-space: nowrap; \}", body)
    assert re.search(
        r'class="[^"]*rollout-scroll rollout-roster[^"]*">\s*<table class="rollout-table"', body
    )
    # the name and status cells are not the wrapping ones; the course is
    assert "<td>员工0</td>" in body and '<td class="wrap wrap-wide">C101 课程C101</td>' in body


# -- 5. print layouts: one signature per person; XLSX prints its header on every page ---------


def test_pdf_roster_one_signature_per_person(roster, courses):
    from django.template.loader import render_to_string

    from lms.rollout.pdf import TEMPLATE, roster_context
    from lms.rollout.roster import RosterFilter

    html = render_to_string(TEMPLATE, roster_context(RosterFilter()))
    assert html.count('class="sign"') == 4  # 4 people, 8 rows
    assert html.count('<td class="sign" rowspan="2">') == 4
    assert html.count("<tr>") == 1 + 8


def test_pdf_roster_bytes_group_the_rows(roster, hp_admin, client):
    response = client.get(reverse("rollout_admin:roster"), {"export": "pdf"})
    assert response.content.startswith(b"%PDF")


def test_xlsx_repeats_header_and_prints_landscape(roster, hp_admin, client):
    from lms.rollout.exports import HEADER_ROW

    response = client.get(reverse("rollout_admin:roster"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage


# -- 6. the English admin names things in English -----------------------------------------------


def test_english_district_dashboard_and_xlsx_title_block(roster, hp_admin, client):
    from lms.organisation.models import District

    english(hp_admin)
    hp = District.objects.get(code="HP")
    body = client.get(reverse("rollout_admin:district_dashboard", args=[hp.pk])).content.decode()
    assert "Huangpu training dashboard" in body and "黄浦区 training" not in body
    response = client.get(reverse("rollout_admin:roster"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A2"].value == "District: Huangpu"
    assert sheet["A3"].value == "Filters: none"


def test_chinese_xlsx_title_block_unchanged(roster, hp_admin, client):
    response = client.get(reverse("rollout_admin:roster"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A2"].value == "区：黄浦区" and sheet["A3"].value == "筛选条件：无"


def test_english_enrol_wave_page_dates_and_brackets(roster, courses, hp_admin, client):
    import datetime

    from .conftest import make_wave

    wave = make_wave(courses, districts=("HP",), due_on=datetime.date(2027, 1, 29))
    english(hp_admin)
    body = client.get(reverse("rollout_admin:enrol_wave", args=[wave.pk])).content.decode()
    assert "(due Jan. 29, 2027)" in body and "2027年" not in body
    assert "(0 new enrolments)" in body and "（" not in body.split("data-enrol-preview")[1][:400]
    assert "<td>Huangpu</td>" in body


def test_english_listings_use_plural_names(hp_admin, client):
    english(hp_admin)
    waves = client.get(reverse("rollout_waves:index")).content.decode()
    assert "Rollout waves" in waves
    sessions = client.get(reverse("rollout_sessions:index")).content.decode()
    assert "On-site sessions" in sessions


def test_import_errors_name_fields_in_english():
    from django.utils import translation

    from lms.rollout.importing import RowError

    error = RowError(3, "district", "District “X” does not exist")
    with translation.override("en"):
        assert error.labelled() == "District: District “X” does not exist"
    with translation.override("zh-hans"):
        assert error.labelled().startswith("所属区：")
