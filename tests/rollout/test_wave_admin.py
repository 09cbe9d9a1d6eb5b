"""Waves in the admin: deadlines that reach the enrolments, enrolment in the background when a
wave opens, a confirmation that counts, checkboxes, and a wave list with numbers."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrollment
from lms.organisation import roles
from lms.organisation.models import District
from lms.rollout.models import RolloutWave, WaveEnrolment
from lms.rollout.roster import RosterFilter
from lms.rollout.services import enrol_wave
from tests.factories import make_user

from .conftest import make_wave

pytestmark = pytest.mark.django_db


def _overdue(district="HP"):
    from lms.rollout import dashboards

    filt = RosterFilter(district_ids=[District.objects.get(code=district).pk])
    return dashboards.city_numbers(filt)["total"].numbers["overdue"]


def test_moving_the_wave_deadline_moves_its_enrolments(courses):
    make_user(district="HP")
    make_user(district="HP")
    wave = make_wave(courses, districts=("HP",))
    enrol_wave(wave)
    assert _overdue() == 0
    wave.due_on = timezone.localdate() - datetime.timedelta(days=1)
    wave.opens_on = wave.due_on - datetime.timedelta(days=10)
    wave.save()
    assert set(Enrollment.objects.values_list("due_at", flat=True)) == {wave.due_at}
    assert _overdue() == 4


def test_a_personal_deadline_is_kept_when_the_wave_moves(courses):
    user = make_user(district="HP")
    wave = make_wave(courses, districts=("HP",))
    enrol_wave(wave)
    personal = wave.due_at + datetime.timedelta(days=60)
    Enrollment.objects.filter(user=user, course=courses[0]).update(due_at=personal)
    wave.due_on += datetime.timedelta(days=7)
    wave.save()
    assert Enrollment.objects.get(user=user, course=courses[0]).due_at == personal
    assert Enrollment.objects.get(user=user, course=courses[1]).due_at == wave.due_at


def test_another_waves_enrolment_does_not_follow(courses):
    make_user(district="HP")
    first = make_wave(courses, districts=("HP",), name="一")
    enrol_wave(first)
    second = make_wave(courses, districts=("HP",), name="二")
    assert enrol_wave(second) == 0
    second.due_on += datetime.timedelta(days=3)
    second.save()
    assert set(Enrollment.objects.values_list("due_at", flat=True)) == {first.due_at}
    assert WaveEnrolment.objects.filter(wave=second).count() == 0
    assert WaveEnrolment.objects.filter(wave=first).count() == 2


def _wave_post(wave_or_none, courses, districts, status="open", **over):
    today = timezone.localdate()
    data = {
        "name": over.get("name", "第二批"),
        "districts": [d.pk for d in District.objects.filter(code__in=districts)],
        "courses": [c.pk for c in courses],
        "opens_on": (today - datetime.timedelta(days=1)).isoformat(),
        "due_on": over.get("due_on", (today + datetime.timedelta(days=30)).isoformat()),
        "status": status,
    }
    return data


def test_opening_a_wave_in_the_admin_enrols_in_the_background(
    courses, client, django_capture_on_commit_callbacks
):
    staff = [make_user(district="HP") for _ in range(3)]
    city = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(city)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("rollout_waves:add"), _wave_post(None, courses, ("HP", "JA")), follow=True
        )
    assert response.status_code == 200
    wave = RolloutWave.objects.get(name="第二批")
    assert Enrollment.objects.filter(user__in=staff).count() == 6
    assert WaveEnrolment.objects.filter(wave=wave).count() == 6
    text = response.content.decode()
    assert "正在后台为 3 人报名 2 门课程" in text
    assert "以下区尚无在岗人员" in text and "静安区" in text


def test_a_draft_wave_enrols_when_it_is_opened(courses, client, django_capture_on_commit_callbacks):
    make_user(district="HP")
    wave = make_wave(courses, districts=("HP",), status="draft")
    city = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(city)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("rollout_waves:edit", args=[wave.pk]),
            _wave_post(wave, courses, ("HP",), status="draft", name=wave.name),
        )
    assert Enrollment.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("rollout_waves:edit", args=[wave.pk]),
            _wave_post(wave, courses, ("HP",), status="open", name=wave.name),
        )
    assert Enrollment.objects.count() == 2


def test_district_added_to_an_open_wave_is_enrolled(courses, django_capture_on_commit_callbacks):
    make_user(district="PD")
    wave = make_wave(courses, districts=("HP",))
    with django_capture_on_commit_callbacks(execute=True):
        wave.districts.add(District.objects.get(code="PD"))
    assert Enrollment.objects.count() == 2


def test_enrol_confirmation_counts_people_and_hints_empty_districts(courses, client):
    make_user(district="HP")
    make_user(district="HP")
    wave = make_wave(courses, districts=("HP", "JA"))
    city = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(city)
    text = client.get(reverse("rollout_admin:enrol_wave", args=[wave.pk])).content.decode()
    assert "将为 2 人报名 2 门课程" in text
    assert "新增 4 条报名" in text
    assert "以下区尚无在岗人员" in text and "静安区" in text
    assert reverse("rollout_admin:import") in text


def test_wave_form_uses_checkboxes(courses, client):
    city = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(city)
    text = client.get(reverse("rollout_waves:add")).content.decode()
    assert re.search(r'<input type="checkbox" name="districts"', text)
    assert re.search(r'<input type="checkbox" name="courses"', text)
    assert '<select name="districts"' not in text


def test_wave_list_shows_districts_enrolled_and_completion(courses, client):
    users = [make_user(district="HP") for _ in range(2)]
    wave = make_wave(courses, districts=("HP", "PD"), name="第一批")
    enrol_wave(wave)
    Enrollment.objects.filter(user=users[0]).update(completed_at=timezone.now())
    make_wave(courses, districts=("XH",), name="第二批")
    city = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(city)
    response = client.get(reverse("rollout_waves:index"))
    text = response.content.decode()
    row = text[text.index("第一批") :]
    row = row[: row.index("</tr>")]
    assert "黄浦区、浦东新区" in row
    assert re.search(r">\s*4\s*<", row)
    assert "50%" in row
    assert "徐汇区" in text
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("rollout_waves:index"))
    for i in range(5):
        make_wave(courses, districts=("HP", "PD"), name=f"批{i}")
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("rollout_waves:index"))
    assert len(more.captured_queries) == len(few.captured_queries)
