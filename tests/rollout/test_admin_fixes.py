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


def test_export_history_in_english_names_the_format(roster, hp_admin, client):
    client.get(reverse("rollout_admin:roster"), {"export": "xlsx"})
    page = client.get(reverse("rollout_admin:exports"), HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
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
    wb = load_workbook(io.BytesIO(b"".join(client.get(
        reverse("rollout:export_download", args=[export.pk])).streaming_content)))
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
        wave=wave, course=courses[0], district=hp, starts_at=timezone.now(),
        ends_at=timezone.now(), place="x", capacity=10,
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
