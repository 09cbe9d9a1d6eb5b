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
    courses, client, django_capture_on_commit_callbacks, settings
):
    settings.WAVE_SYNC_ENROL_MAX = 0  # everything in the background
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
    assert "已新增 0 条报名，其余 6 条正在后台报名" in text
    assert "以下区尚无在岗人员" in text and "静安区" in text


def test_saving_a_wave_says_how_many_were_newly_enrolled(courses, client):
    """City administrator's walk: "正在后台为 5 人报名" although all five were enrolled
    already. A small wave is enrolled at once and the message counts what was created."""
    staff = [make_user(district="HP") for _ in range(3)]
    Enrollment.objects.create(user=staff[0], course=courses[0])
    city = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(city)
    response = client.post(
        reverse("rollout_waves:add"), _wave_post(None, courses, ("HP",)), follow=True
    )
    text = response.content.decode()
    assert "新增 5 条报名（3 人，2 门课程；已报名的不重复报名）" in text
    assert Enrollment.objects.filter(user__in=staff).count() == 6
    wave = RolloutWave.objects.get(name="第二批")
    data = _wave_post(wave, courses, ("HP",), name=wave.name)
    text = client.post(reverse("rollout_waves:edit", args=[wave.pk]), data, follow=True)
    text = text.content.decode()
    assert "没有新增报名，这 3 人已报名全部 2 门课程" in text
    assert "正在后台" not in text


def test_wave_form_says_whom_it_will_enrol_before_saving(courses, client):
    """The form asks rollout_admin:wave_preview while districts and courses are ticked."""
    hp = [make_user(district="HP") for _ in range(3)]
    make_user(district="PD")
    Enrollment.objects.create(user=hp[0], course=courses[0])
    city = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(city)
    form = client.get(reverse("rollout_waves:add")).content.decode()
    url = reverse("rollout_admin:wave_preview")
    assert f'data-wave-preview-url="{url}"' in form
    assert "rollout/wave_form.js" in form
    ids = {d.code: d.pk for d in District.objects.filter(code__in=("HP", "PD", "JA"))}
    query = {"districts": [ids["HP"], ids["PD"]], "courses": [c.pk for c in courses]}
    data = client.get(url, query).json()
    assert (data["people"], data["courses"], data["new"]) == (4, 2, 7)
    assert data["text"] == "将为 4 人报名 2 门课程（新增 7 条报名）"
    assert data["empty_text"] == ""
    data = client.get(url, {"districts": [ids["JA"]], "courses": [courses[0].pk]}).json()
    assert data["people"] == 0 and "静安区" in data["empty_text"]
    # Only those who may create or change waves (city level) ask.
    client.force_login(make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin"))
    assert client.get(url, query).status_code in (302, 403)  # no figures
    client.force_login(make_user(district="HP", username="learner"))
    assert client.get(url, query).status_code in (302, 403)


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


def test_wave_list_counts_only_the_district_admins_own_people(courses, client):
    """A wave over 黄浦 and 浦东: 黄浦's administrator sees 黄浦's figures, not the city's."""
    hp = [make_user(district="HP") for _ in range(2)]
    [make_user(district="PD") for _ in range(3)]
    wave = make_wave(courses, districts=("HP", "PD"), name="第一批")
    enrol_wave(wave)
    Enrollment.objects.filter(user=hp[0]).update(completed_at=timezone.now())
    admin = make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin")
    client.force_login(admin)
    text = client.get(reverse("rollout_waves:index")).content.decode()
    row = text[text.index("第一批") :]
    row = row[: row.index("</tr>")]
    per_person = len(courses)
    assert re.search(rf">\s*{2 * per_person}\s*<", row), row
    assert not re.search(rf">\s*{5 * per_person}\s*<", row)
    assert "50%" in row
