"""Penetration test findings 2 and 3 (through the admin views):

2. deleting a session, or changing its course, left the completions and certificates that
   rested on its attendance standing, and moved attendance counted for another course;
3. unticking an attendance revoked a certificate without warning, and ticking it again could
   not restore it.
"""

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from certificates.issuing import ACTION_REINSTATE
from certificates.models import Certificate
from courses.models import Enrollment
from lms.organisation import roles
from lms.rollout import services
from lms.rollout.models import Attendance, RolloutWave, TrainingSession
from tests.certificates.lifecycle_helpers import course_with_quiz, read_all, take_quiz
from tests.factories import make_user

from .test_sessions import make_session

pytestmark = pytest.mark.django_db


def attendance_course(index, code):
    course = course_with_quiz(index, code, lessons=1)
    course.attendance_required = True
    course.save_revision().publish()
    course.refresh_from_db()
    return course


@pytest.fixture
def course(training_index):
    return attendance_course(training_index, "S401")


@pytest.fixture
def city(client):
    client.force_login(make_user(roles.CITY_ADMIN, district=None, username="city"))
    return client


def certified(course, session, capture, name="到场学员"):
    learner = make_user(full_name=name)
    with capture(execute=True):
        read_all(learner, course)
        take_quiz(learner, course)
        services.check_in(session, learner.staff_profile)
    assert Certificate.objects.current().filter(user=learner, course=course).exists()
    return learner


def form_data(session, **changes):
    local = timezone.localtime(session.starts_at)
    data = {
        "wave": session.wave_id,
        "course": session.course_id,
        "district": session.district_id or "",
        "starts_at": f"{local:%Y-%m-%d %H:%M}",
        "ends_at": "",
        "place": session.place,
        "trainer": "",
        "capacity": session.capacity,
    }
    data.update(changes)
    return data


# -- 2. a session with attendance keeps its course and is not deleted ---------------------------


def test_course_of_a_session_with_attendance_cannot_be_changed(
    course, training_index, city, django_capture_on_commit_callbacks
):
    other = attendance_course(training_index, "S402")
    session = make_session(course, starts_at=timezone.now() - timezone.timedelta(minutes=5))
    url = reverse("rollout_sessions:edit", args=[session.pk])
    # No attendance yet: the course may still be corrected.
    assert city.post(url, form_data(session, course=other.pk)).status_code == 302
    session.refresh_from_db()
    assert session.course_id == other.pk
    assert city.post(url, form_data(session, course=course.pk)).status_code == 302
    session.refresh_from_db()

    learner = certified(course, session, django_capture_on_commit_callbacks)
    page = city.get(url).content.decode()
    assert "本场培训已有出勤记录，课程不能再更改" in page
    response = city.post(url, form_data(session, course=other.pk, place="改了地点"))
    assert response.status_code == 200
    assert "本场培训已有出勤记录，不能更改课程" in response.content.decode()
    session.refresh_from_db()
    assert session.course_id == course.pk and session.place != "改了地点"
    assert not services.attended_pairs().filter(user_id=learner.pk, course_id=other.pk).exists()
    # Other fields may still be changed.
    assert city.post(url, form_data(session, place="改了地点")).status_code == 302
    session.refresh_from_db()
    assert session.place == "改了地点"
    # The refusal is translated.
    city.cookies["django_language"] = "en"
    english = city.post(url, form_data(session, course=other.pk)).content.decode()
    assert "attendance" in english and "不能更改课程" not in english


def test_a_session_with_attendance_cannot_be_deleted(
    course, city, django_capture_on_commit_callbacks
):
    session = make_session(course, starts_at=timezone.now() - timezone.timedelta(minutes=5))
    learner = certified(course, session, django_capture_on_commit_callbacks)
    url = reverse("rollout_sessions:delete", args=[session.pk])
    page = city.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "data-delete-refused" in html and "本场培训已有出勤记录，不能删除" in html
    assert "serious" not in html  # no "Yes, delete" button
    response = city.post(url)
    assert response.status_code == 302
    assert TrainingSession.objects.filter(pk=session.pk).exists()
    assert Certificate.objects.current().filter(user=learner, course=course).exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("不能删除" in m for m in messages)
    # Nor is its wave (deleting a wave deletes its sessions).
    wave_url = reverse("rollout_waves:delete", args=[session.wave_id])
    assert "data-delete-refused" in city.get(wave_url).content.decode()
    city.post(wave_url)
    assert RolloutWave.objects.filter(pk=session.wave_id).exists()

    # A session with bookings but nobody present is deleted as before.
    empty = make_session(course, wave=session.wave, place="另一场")
    # (Not the learner present above: no other session of a course attended is bookable.)
    services.book_session(empty.pk, make_user().staff_profile)
    delete_empty = reverse("rollout_sessions:delete", args=[empty.pk])
    assert "data-delete-refused" not in city.get(delete_empty).content.decode()
    assert city.post(delete_empty).status_code == 302
    assert not TrainingSession.objects.filter(pk=empty.pk).exists()


# -- 3. unticking asks first; ticking again restores -------------------------------------------


def test_unticking_confirms_who_loses_what_and_reticking_restores(
    course, city, django_capture_on_commit_callbacks
):
    session = make_session(course, starts_at=timezone.now() - timezone.timedelta(minutes=5))
    learner = certified(course, session, django_capture_on_commit_callbacks, name="到场学员")
    bystander = make_user(full_name="旁听者")  # present, but nothing rests on it
    services.check_in(session, bystander.staff_profile)
    cert = Certificate.objects.current().get(user=learner, course=course)
    url = reverse("rollout_admin:attendance", args=[session.pk])

    # Unticking both: a confirmation naming the learner and the certificate; nothing saved.
    response = city.post(url, {})
    assert response.status_code == 200
    html = response.content.decode()
    assert "data-withdrawal-confirm" in html
    assert f'data-withdrawn="{learner.staff_profile.pk}"' in html and cert.serial in html
    assert f'data-withdrawn="{bystander.staff_profile.pk}"' not in html
    assert Attendance.objects.present().filter(session=session).count() == 2
    cert.refresh_from_db()
    assert cert.revoked_at is None

    # Confirmed: applied.
    with django_capture_on_commit_callbacks(execute=True):
        assert city.post(url, {"confirm": "1"}).status_code == 302
    assert not Attendance.objects.present().filter(session=session).exists()
    cert.refresh_from_db()
    assert cert.revoked_at is not None
    assert Enrollment.objects.get(user=learner, course=course).completed_at is None

    # Ticking again restores the certificate, logged as "考勤恢复".
    with django_capture_on_commit_callbacks(execute=True):
        response = city.post(url, {"present": [learner.staff_profile.pk]})
    assert response.status_code == 302
    cert.refresh_from_db()
    assert cert.revoked_at is None and cert.is_valid
    assert Enrollment.objects.get(user=learner, course=course).completed_at is not None
    entry = ModelLogEntry.objects.for_instance(cert).get(action=ACTION_REINSTATE)
    assert entry.data["reason"] == "考勤恢复"
    assert "已恢复 1 人的证书" in city.get(url).content.decode()


def test_reticking_restores_only_what_that_session_revoked(
    course, city, django_capture_on_commit_callbacks
):
    session = make_session(course, starts_at=timezone.now() - timezone.timedelta(minutes=5))
    learner = certified(course, session, django_capture_on_commit_callbacks)
    cert = Certificate.objects.current().get(user=learner, course=course)
    from certificates.issuing import revoke

    revoke(cert, actor=make_user(roles.CITY_ADMIN, district=None), reason="考核作弊")
    url = reverse("rollout_admin:attendance", args=[session.pk])
    with django_capture_on_commit_callbacks(execute=True):
        city.post(url, {"confirm": "1"})
        city.post(url, {"present": [learner.staff_profile.pk]})
    cert.refresh_from_db()
    assert cert.revoked_at is not None and cert.revoked_reason == "考核作弊"
