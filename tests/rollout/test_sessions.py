"""In-person sessions (issue 16): a course may require attendance for completion; learners
book seats on their home page; a sign-in sheet PDF; QR check-in; attendance in the roster,
exports and dashboards."""

import datetime
import io
import re
import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from certificates.authorisation import is_authorised
from certificates.models import Certificate
from certificates.standing import course_standing
from courses.completion import evaluate
from courses.models import Enrollment
from lms.organisation import roles
from lms.rollout import checkin, services
from lms.rollout.exports import headers, iter_rows
from lms.rollout.models import Attendance, TrainingSession
from lms.rollout.pdf import render_sign_in_sheet
from lms.rollout.roster import RosterFilter
from tests.certificates.lifecycle_helpers import course_with_quiz, read_all, take_quiz
from tests.factories import make_user

from .conftest import make_wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(training_index):
    course = course_with_quiz(training_index, "S101", lessons=1)
    course.attendance_required = True
    course.save_revision().publish()
    course.refresh_from_db()
    return course


def make_session(course, wave=None, district="HP", starts_in=datetime.timedelta(days=2), **kw):
    from lms.organisation.models import District

    wave = wave or make_wave([course])
    return TrainingSession.objects.create(
        wave=wave,
        course=course,
        district=District.objects.get(code=district) if district else None,
        starts_at=kw.pop("starts_at", timezone.now() + starts_in),
        place=kw.pop("place", "黄浦区政务服务中心三楼"),
        capacity=kw.pop("capacity", 20),
        **kw,
    )


def today_session(course, **kw):
    """A session that started ten minutes ago: check-in is open."""
    return make_session(course, starts_at=timezone.now() - datetime.timedelta(minutes=10), **kw)


# -- the completion rule ------------------------------------------------------------------------


def test_attendance_required_blocks_completion_until_present(
    course, django_capture_on_commit_callbacks
):
    user = make_user()
    session = make_session(course)
    with django_capture_on_commit_callbacks(execute=True):
        read_all(user, course)
        take_quiz(user, course)
    enrollment = Enrollment.objects.get(user=user, course=course)
    assert enrollment.completed_at is None
    assert not Certificate.objects.filter(user=user).exists()
    # What the learner is told is still missing, for the certificate and for authorisation.
    assert "须参加现场培训" in course_standing(user, course).missing
    missing = is_authorised(user).missing
    assert [m.course.pk for m in missing] == [course.pk]
    assert "须参加现场培训" in str(missing[0].label)

    # A booking alone does not count; being marked present does, and certifies at once.
    services.book_session(session.pk, user.staff_profile)
    assert evaluate(user, course) is False
    with django_capture_on_commit_callbacks(execute=True):
        assert services.check_in(session, user.staff_profile) is True
    enrollment.refresh_from_db()
    assert enrollment.completed_at is not None
    assert Certificate.objects.filter(user=user, course=course).count() == 1
    assert services.check_in(session, user.staff_profile) is False  # idempotent


def test_course_without_the_setting_completes_without_attendance(
    course, django_capture_on_commit_callbacks
):
    course.attendance_required = False
    course.save_revision().publish()
    course.refresh_from_db()
    user = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        read_all(user, course)
        take_quiz(user, course)
    assert Enrollment.objects.get(user=user, course=course).completed_at is not None
    assert "须参加现场培训" not in course_standing(user, course).missing


def test_ticking_the_attendance_sheet_completes_and_certifies(
    course, client, django_capture_on_commit_callbacks
):
    learner = make_user()
    session = make_session(course)
    with django_capture_on_commit_callbacks(execute=True):
        read_all(learner, course)
        take_quiz(learner, course)
    admin = make_user(roles.DISTRICT_ADMIN, username="hp-admin")
    client.force_login(admin)
    url = reverse("rollout_admin:attendance", args=[session.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"present": [learner.staff_profile.pk]})
    assert response.status_code == 302
    assert Enrollment.objects.get(user=learner, course=course).completed_at is not None
    assert Certificate.objects.filter(user=learner, course=course).exists()


def test_attendance_before_the_current_cycle_does_not_count(course):
    user = make_user()
    session = make_session(course, starts_in=-datetime.timedelta(days=30))
    services.check_in(session, user.staff_profile)
    assert services.attended_course(user, course)
    assert not services.attended_course(user, course, since=timezone.now())


# -- booking ------------------------------------------------------------------------------------


def test_last_seat_goes_to_one_booking_only(course):
    session = make_session(course, capacity=1)
    first, second = make_user(), make_user()
    services.book_session(session.pk, first.staff_profile)
    with pytest.raises(services.SessionFull):
        services.book_session(session.pk, second.staff_profile)
    # Booking again is idempotent; cancelling gives the seat back.
    services.book_session(session.pk, first.staff_profile)
    assert services.cancel_booking(session.pk, first.staff_profile)
    services.book_session(session.pk, second.staff_profile)
    assert Attendance.objects.booked().filter(session=session).count() == 1


# serialized_rollback like every transactional test here: a plain flush re-runs post_migrate,
# which re-creates the role groups, and the next serialized test then restores them twice
# (IntegrityError: duplicate window_staff group).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_two_bookings_racing_for_the_last_seat(training_index):
    from django.db import connections

    course = course_with_quiz(training_index, "S102", lessons=0)
    session = make_session(course, capacity=1)
    people = [make_user().staff_profile for _ in range(2)]
    barrier = threading.Barrier(2)
    results = []

    def book(profile):
        try:
            barrier.wait()
            services.book_session(session.pk, profile)
            results.append("ok")
        except services.SessionFull:
            results.append("full")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["full", "ok"]
    assert Attendance.objects.booked().filter(session=session).count() == 1


def test_home_page_lists_upcoming_sessions_and_books(course, client):
    user = make_user()
    session = make_session(course, capacity=2, place="黄浦区服务中心 301 室")
    make_session(course, district="PD", place="浦东新区会议室")  # another district's
    make_session(course, starts_in=-datetime.timedelta(days=3), place="已结束的场次")
    client.force_login(user)
    page = client.get(reverse("home")).content.decode()
    assert "我的现场培训" in page
    assert "黄浦区服务中心 301 室" in page
    assert "浦东新区会议室" not in page and "已结束的场次" not in page
    assert course.title in page
    assert "剩余 2 个名额" in page
    local = timezone.localtime(session.starts_at)
    assert f"{local:%H:%M}" in page
    assert f"{local.year}年{local.month}月{local.day}日" in page

    url = reverse("rollout:book_session", args=[session.pk])
    page = client.post(url, {"action": "book"}, follow=True).content.decode()
    assert "预约成功" in page and "剩余 1 个名额" in page and "取消预约" in page
    other = make_user()
    services.book_session(session.pk, other.staff_profile)
    late = make_user()
    client.force_login(late)
    page = client.post(url, {"action": "book"}, follow=True).content.decode()
    assert "该场培训已满员" in page
    assert not Attendance.objects.filter(session=session, staff=late.staff_profile).exists()


def test_home_page_in_english_formats_dates_in_english(course, client):
    user = make_user()
    session = make_session(course)
    client.force_login(user)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    local = timezone.localtime(session.starts_at)
    assert "My in-person sessions" in page
    assert local.strftime("%Y年") not in page
    assert str(local.year) in page and "seats left" in page


def test_a_learner_of_another_district_cannot_book(course, client):
    session = make_session(course)
    client.force_login(make_user(district="PD"))
    url = reverse("rollout:book_session", args=[session.pk])
    assert client.post(url, {"action": "book"}).status_code == 404


# -- QR check-in --------------------------------------------------------------------------------


def test_token_rotates_and_the_previous_slot_is_accepted():
    at = 1_800_000_000.0
    token = checkin.token_for(7, checkin.current_slot(at))
    assert checkin.token_is_valid(7, token, at=at)
    assert checkin.token_is_valid(7, token, at=at + checkin.SLOT_SECONDS)  # previous slot
    assert not checkin.token_is_valid(7, token, at=at + 2 * checkin.SLOT_SECONDS)  # expired
    assert not checkin.token_is_valid(8, token, at=at)  # another session's
    assert checkin.token_for(7, checkin.current_slot(at + checkin.SLOT_SECONDS)) != token


def test_qr_check_in_records_present_and_says_so(course, client):
    session = today_session(course)
    user = make_user()
    client.force_login(user)
    url = checkin.checkin_path(session.pk)
    response = client.get(url)
    assert response.status_code == 200
    assert "确认签到" in response.content.decode()
    assert not Attendance.objects.filter(session=session).exists()  # GET: no side effect
    response = client.post(url)
    assert response.status_code == 200
    assert "签到成功" in response.content.decode()
    record = Attendance.objects.get(session=session, staff=user.staff_profile)
    assert record.present and record.taken_by == user
    assert client.post(url).status_code == 200  # idempotent
    assert "签到成功" in client.get(url).content.decode()
    assert Attendance.objects.filter(session=session).count() == 1


def test_expired_token_wrong_district_and_wrong_day_are_refused(course, client, monkeypatch):
    session = today_session(course)
    client.force_login(make_user())
    old = checkin.token_for(session.pk, checkin.current_slot() - 2)
    response = client.get(reverse("rollout:checkin", args=[session.pk, old]))
    assert response.status_code == 403 and "签到码已过期" in response.content.decode()

    client.force_login(make_user(district="PD"))
    response = client.get(checkin.checkin_path(session.pk))
    assert response.status_code == 403 and "不在本场培训的参训名单中" in response.content.decode()

    tomorrow = make_session(course, starts_in=datetime.timedelta(days=1))
    client.force_login(make_user())
    response = client.post(checkin.checkin_path(tomorrow.pk))
    assert response.status_code == 403 and "不在签到时间内" in response.content.decode()
    assert not Attendance.objects.filter(present=True).exists()


def test_check_in_needs_a_login(course, client):
    session = today_session(course)
    response = client.get(checkin.checkin_path(session.pk))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_trainer_screen_shows_a_qr_of_the_current_url(course, client):
    session = today_session(course)
    trainer = make_user(roles.TRAINER, district=None, username="trainer1")
    session.trainer = trainer
    session.save()
    client.force_login(trainer)
    url = reverse("rollout_admin:checkin_screen", args=[session.pk])
    page = client.get(url).content.decode()
    assert "<svg" in page and "rollout/checkin.js" in page
    assert "<script>" not in page  # CSP: no inline script
    assert checkin.checkin_path(session.pk) in page
    data = client.get(url + "?format=json").json()
    assert data["url"].endswith(checkin.checkin_path(session.pk))
    assert data["svg"].startswith("<svg") and 0 < data["seconds"] <= checkin.SLOT_SECONDS
    # A learner (no attendance permission) gets no screen.
    client.force_login(make_user())
    assert client.get(url).status_code in (302, 403)


# -- the sign-in sheet --------------------------------------------------------------------------


def _pdf_text(data):
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_sign_in_sheet_lists_the_expected_people(course, client):
    session = make_session(course, place="黄浦区服务中心 301 室")
    booked = make_user(full_name="张三丰", employee_no="HP-0001")
    make_user(full_name="李四光", employee_no="HP-0002")
    make_user(district="PD", full_name="王五岳")
    services.book_session(session.pk, booked.staff_profile)
    data = render_sign_in_sheet(session)
    assert data.startswith(b"%PDF")
    text = _pdf_text(data)
    assert "张三丰" in text and "李四光" in text and "王五岳" not in text
    assert "HP-0001" in text and "301" in text and course.title in text
    assert "签名" in text
    assert text.index("张三丰") < text.index("李四光")  # the booked first

    client.force_login(make_user(roles.DISTRICT_ADMIN, username="hp-admin"))
    response = client.get(reverse("rollout_admin:sign_in_sheet", args=[session.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    attendance = client.get(reverse("rollout_admin:attendance", args=[session.pk]))
    assert reverse("rollout_admin:sign_in_sheet", args=[session.pk]) in attendance.content.decode()
    client.force_login(make_user(roles.DISTRICT_ADMIN, district="PD", username="pd-admin"))
    assert client.get(reverse("rollout_admin:sign_in_sheet", args=[session.pk])).status_code == 404


# -- roster, exports, dashboards ----------------------------------------------------------------


def test_roster_export_has_the_attendance_column(course, training_index):
    from .conftest import add_course

    other = add_course(training_index, "S200")  # no sessions: —
    present, absent = make_user(full_name="到场者"), make_user(full_name="缺席者")
    for user in (present, absent):
        Enrollment.objects.create(user=user, course=course)
        Enrollment.objects.create(user=user, course=other)
    session = make_session(course)
    services.check_in(session, present.staff_profile)
    assert headers()[-1] == "出勤"
    rows = {(r[1], r[4].split()[0]): r[-1] for r in iter_rows(RosterFilter())}
    assert rows[("到场者", "S101")] == "是"
    assert rows[("缺席者", "S101")] == "否"
    assert rows[("到场者", "S200")] == "—"


def test_dashboard_shows_attendance_by_district(course, client):
    present, absent = make_user(), make_user()
    for user in (present, absent):
        Enrollment.objects.create(user=user, course=course)
    services.check_in(make_session(course), present.staff_profile)
    client.force_login(make_user(roles.CITY_ADMIN, district=None, username="city"))
    page = client.get(reverse("rollout_admin:dashboard")).content.decode()
    assert "现场出勤" in page
    cells = re.findall(r"<td class=\"num\" data-attended>([^<]*)</td>", page)
    assert "1（50%）" in cells
