"""A tester's phone walk through a course that requires attendance (learner-fixes): the
"须参加现场培训" a learner is told links to the course's sessions, says when none is scheduled,
the course page lists the sessions with the home page's booking buttons, a learner holds one
booking per course (booking another session of it moves the booking), and once present at a
session of a course no other session of it is offered or can be booked."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import CoursePage
from lms.rollout import services
from lms.rollout.models import Attendance, TrainingSession
from tests.certificates.lifecycle_helpers import (
    course_with_quiz,
    read_all,
    site_training_index,
    take_quiz,
)
from tests.factories import make_user

from .conftest import make_wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(db):
    course = course_with_quiz(site_training_index("training-sessions"), "S201", lessons=1)
    course.attendance_required = True
    course.save_revision().publish()
    return CoursePage.objects.get(pk=course.pk)


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def make_session(course, days=2, **kw):
    from lms.organisation.models import District

    return TrainingSession.objects.create(
        wave=kw.pop("wave", None) or make_wave([course]),
        course=course,
        district=District.objects.get(code="HP"),
        starts_at=timezone.now() + datetime.timedelta(days=days),
        place=kw.pop("place", "黄浦区政务服务中心三楼"),
        capacity=kw.pop("capacity", 20),
        **kw,
    )


def _missing_item(html, code):
    match = re.search(rf'<li data-course="{code}" data-reason="learning">(.*?)</li>', html)
    assert match, html
    return match.group(1)


def _section(html, testid):
    match = re.search(rf'<section[^>]*data-testid="{testid}".*?</section>', html, re.S)
    assert match, f"no {testid} section"
    return match.group(0)


def _learner_who_passed(course, commits):
    user = make_user()
    with commits():
        read_all(user, course)
        take_quiz(user, course)
    return user


# --- 5. the requirement links to the sessions; the course page lists them ---------------------


def test_banner_says_no_session_is_scheduled_and_links_the_course_sessions(course, client, commits):
    user = _learner_who_passed(course, commits)
    client.force_login(user)
    item = _missing_item(client.get("/").content.decode(), "S201")
    assert f'<a href="{course.url}#course-sessions">须参加现场培训</a>' in item, item
    assert "暂无场次，请等待培训师安排" in item
    sessions = _section(client.get(course.url).content.decode(), "course-sessions")
    assert 'id="course-sessions"' in sessions and "暂无场次，请等待培训师安排" in sessions


def test_course_page_lists_its_sessions_with_booking_buttons(course, client, commits):
    user = _learner_who_passed(course, commits)
    session = make_session(course, place="黄浦区服务中心 301 室")
    other = course_with_quiz(site_training_index("training-other"), "S202", lessons=1)
    make_session(other, place="另一门课程的场次")
    client.force_login(user)
    item = _missing_item(client.get("/").content.decode(), "S201")
    assert f'<a href="{course.url}#course-sessions">须参加现场培训</a>' in item
    assert "暂无场次" not in item
    sessions = _section(client.get(course.url).content.decode(), "course-sessions")
    assert "黄浦区服务中心 301 室" in sessions and "另一门课程的场次" not in sessions
    assert reverse("rollout:book_session", args=[session.pk]) in sessions
    assert f'name="next" value="{course.url}"' in sessions
    # Booking from the course page comes back to it, and says so there.
    url = reverse("rollout:book_session", args=[session.pk])
    response = client.post(url, {"action": "book", "next": course.url})
    assert response.status_code == 302 and response.url == course.url
    page = client.get(course.url).content.decode()
    assert "预约成功" in page and "取消预约" in _section(page, "course-sessions")
    local = timezone.localtime(session.starts_at)
    item = _missing_item(client.get("/").content.decode(), "S201")
    assert f"已预约 {local.year}年{local.month}月{local.day}日 {local:%H:%M} 的场次" in item
    # Somewhere else is not a place to be sent back to.
    response = client.post(url, {"action": "cancel", "next": "https://evil.example/"})
    assert response.url == reverse("home")


def test_course_without_attendance_has_no_sessions_box(course, client):
    CoursePage.objects.filter(pk=course.pk).update(attendance_required=False)
    client.force_login(make_user())
    assert 'data-testid="course-sessions"' not in client.get(course.url).content.decode()


# --- 6. one booking per course; none after attending ------------------------------------------


def test_booking_another_session_of_the_course_moves_the_booking(course, client):
    user = make_user()
    profile = user.staff_profile
    wave = make_wave([course])
    first = make_session(course, days=2, wave=wave)
    second = make_session(course, days=5, wave=wave, place="第二场")
    services.book_session(first.pk, profile)
    client.force_login(user)
    card = _section(client.get(course.url).content.decode(), "course-sessions")
    second_card = card[card.index(f'data-session="{second.pk}"') :].split("</li>", 1)[0]
    assert "改约到本场" in second_card and "取消原预约" in second_card
    page = client.post(
        reverse("rollout:book_session", args=[second.pk]), {"action": "book"}, follow=True
    ).content.decode()
    assert "已改约到本场" in page
    mine = Attendance.objects.booked().filter(staff=profile)
    assert list(mine.values_list("session_id", flat=True)) == [second.pk]
    # The service is the rule, whatever the page shows.
    record = services.book_session(first.pk, profile)
    assert record.moved_from == [second]
    assert list(mine.values_list("session_id", flat=True)) == [first.pk]


def test_after_attending_no_other_session_of_the_course_is_offered_or_booked(course, client):
    user = make_user()
    profile = user.staff_profile
    wave = make_wave([course])
    attended = make_session(course, days=-2, wave=wave, place="已参加的场次")
    later = make_session(course, days=5, wave=wave, place="以后的场次")
    services.check_in(attended, profile)
    client.force_login(user)
    home = client.get("/").content.decode()
    assert "以后的场次" not in home
    sessions = _section(client.get(course.url).content.decode(), "course-sessions")
    assert "已参加现场培训" in sessions and "以后的场次" not in sessions
    assert "暂无场次" not in sessions
    with pytest.raises(services.AlreadyAttended):
        services.book_session(later.pk, profile)
    page = client.post(
        reverse("rollout:book_session", args=[later.pk]), {"action": "book"}, follow=True
    ).content.decode()
    assert "你已参加过本课程的现场培训" in page
    assert not Attendance.objects.filter(session=later, staff=profile).exists()


def test_a_new_cycle_offers_sessions_again(course, commits):
    """Recertification (or a revocation) opens a new cycle that needs attendance again."""
    from courses.enrolment import start_new_cycle

    user = make_user()
    profile = user.staff_profile
    wave = make_wave([course])
    attended = make_session(course, days=-2, wave=wave)
    later = make_session(course, days=5, wave=wave)
    with commits():
        read_all(user, course)
        services.check_in(attended, profile)
    start_new_cycle(user, course)
    assert later in services.upcoming_sessions(profile)
    assert services.book_session(later.pk, profile).booked_at is not None
