"""Testers' findings on in-person sessions, booking, QR check-in and attendance: each test
fails without its fix."""

import datetime
import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override
from pypdf import PdfReader

from certificates.models import Certificate
from courses.models import Enrollment
from lms.organisation import roles
from lms.rollout import checkin, services
from lms.rollout.models import Attendance, TrainingSession
from lms.rollout.pdf import render_sign_in_sheet
from tests.certificates.lifecycle_helpers import course_with_quiz, read_all, take_quiz
from tests.factories import make_user

from .conftest import make_wave
from .test_sessions import make_session, today_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(training_index):
    course = course_with_quiz(training_index, "S301", lessons=1)
    course.attendance_required = True
    course.save_revision().publish()
    course.refresh_from_db()
    return course


def _certified_by_the_sheet(course, client, capture):
    learner = make_user(full_name="到场学员")
    session = make_session(course)
    with capture(execute=True):
        read_all(learner, course)
        take_quiz(learner, course)
    client.force_login(make_user(roles.DISTRICT_ADMIN, username="hp-admin"))
    url = reverse("rollout_admin:attendance", args=[session.pk])
    with capture(execute=True):
        client.post(url, {"present": [learner.staff_profile.pk]})
    assert Certificate.objects.current().filter(user=learner, course=course).exists()
    return learner, session, url


# -- 1. unticking withdraws the completion and the certificate ---------------------------------


def test_unticking_attendance_withdraws_the_completion_and_certificate(
    course, client, django_capture_on_commit_callbacks
):
    learner, _session, url = _certified_by_the_sheet(
        course, client, django_capture_on_commit_callbacks
    )
    # Confirmed (the sheet first lists whose certificate goes: test_attendance_integrity.py).
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"confirm": "1"}).status_code == 302
    enrollment = Enrollment.objects.get(user=learner, course=course)
    assert enrollment.completed_at is None
    cert = Certificate.objects.get(user=learner, course=course)
    assert cert.revoked_at is not None and cert.revoked_reason == "现场出勤记录被撤销"
    assert not Certificate.objects.current().filter(user=learner, course=course).exists()


def test_unticking_keeps_a_completion_resting_on_another_session(
    course, client, django_capture_on_commit_callbacks
):
    learner, session, url = _certified_by_the_sheet(
        course, client, django_capture_on_commit_callbacks
    )
    other = make_session(course, wave=session.wave, place="另一场")
    services.check_in(other, learner.staff_profile)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {})
    assert Enrollment.objects.get(user=learner, course=course).completed_at is not None
    assert Certificate.objects.current().filter(user=learner, course=course).exists()


# -- 2. check-in needs presence as far as practical ---------------------------------------------


@pytest.mark.parametrize(
    ("starts", "ends", "open_"),
    [
        (datetime.timedelta(minutes=20), None, True),  # 30 min before the start
        (datetime.timedelta(minutes=45), None, False),  # too early, same day
        (-datetime.timedelta(hours=3), None, True),  # no end: until start + 4 h
        (-datetime.timedelta(hours=5), None, False),
        (-datetime.timedelta(hours=2), -datetime.timedelta(minutes=1), False),  # ended
        (-datetime.timedelta(hours=2), datetime.timedelta(minutes=5), True),
    ],
)
def test_check_in_only_within_the_session_window(course, client, starts, ends, open_):
    now = timezone.now()
    session = make_session(
        course, starts_at=now + starts, ends_at=(now + ends) if ends is not None else None
    )
    user = make_user()
    client.force_login(user)
    response = client.post(checkin.checkin_path(session.pk))
    present = Attendance.objects.filter(session=session, present=True).exists()
    assert present is open_
    if not open_:
        assert response.status_code == 403 and "不在签到时间内" in response.content.decode()


def test_check_in_post_is_csrf_protected(course):
    session = today_session(course)
    user = make_user()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    url = checkin.checkin_path(session.pk)
    page = client.get(url).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page and "我在现场，确认签到" in page
    assert client.post(url).status_code == 403
    assert not Attendance.objects.filter(session=session).exists()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert client.post(url, {"csrfmiddlewaretoken": token}).status_code == 200
    assert Attendance.objects.get(session=session).present


def test_trainer_screen_lists_the_names_checked_in(course, client):
    session = today_session(course)
    services.check_in(session, make_user(full_name="扫码甲").staff_profile)
    services.check_in(session, make_user(full_name="扫码乙").staff_profile)
    client.force_login(make_user(roles.DISTRICT_ADMIN, username="hp-admin"))
    url = reverse("rollout_admin:checkin_screen", args=[session.pk])
    page = client.get(url).content.decode()
    assert "扫码甲" in page and "扫码乙" in page and "data-checkin-names" in page
    data = client.get(url + "?format=json").json()
    assert data["present"] == 2 and set(data["names"]) == {"扫码甲", "扫码乙"}


# -- 3. draft waves -----------------------------------------------------------------------------


def test_draft_wave_session_refuses_check_in_and_counts_nowhere(course, client):
    session = today_session(course, wave=make_wave([course], status="draft"))
    user = make_user()
    client.force_login(user)
    response = client.post(checkin.checkin_path(session.pk))
    assert response.status_code == 403
    assert not Attendance.objects.filter(session=session).exists()
    # Attendance recorded some other way still counts nowhere while the wave is a draft.
    Attendance.objects.create(session=session, staff=user.staff_profile, present=True)
    assert not services.attended_pairs().exists()
    assert not services.attended_course(user, course)


# -- 4. no marking oneself or strangers --------------------------------------------------------


def test_admin_cannot_mark_themselves_or_unexpected_people(course, client):
    session = make_session(course)
    admin = make_user(roles.DISTRICT_ADMIN, username="hp-admin")
    stranger = make_user(district="PD")
    learner = make_user()
    client.force_login(admin)
    url = reverse("rollout_admin:attendance", args=[session.pk])
    page = client.get(url).content.decode()
    # An administrator is not window staff (StaffProfile.objects.window_staff()): no row at
    # all; one who is would see their own row disabled. Either way a POST of oneself is refused.
    assert learner.staff_profile.full_name in page
    assert not re.search(rf'value="{admin.staff_profile.pk}"(?![^>]*disabled)', page)

    client.post(url, {"present": [admin.staff_profile.pk, learner.staff_profile.pk]})
    assert not Attendance.objects.filter(present=True).exists()
    client.post(url, {"present": [stranger.staff_profile.pk, learner.staff_profile.pk]})
    assert not Attendance.objects.filter(present=True).exists()
    client.post(url, {"present": [learner.staff_profile.pk]})
    assert list(Attendance.objects.filter(present=True).values_list("staff", flat=True)) == [
        learner.staff_profile.pk
    ]
    assert not Attendance.objects.filter(staff=admin.staff_profile).exists()


# -- 5. home card after check-in ----------------------------------------------------------------


def test_home_card_says_checked_in_and_offers_no_cancel(course, client):
    session = today_session(course)
    user = make_user()
    services.book_session(session.pk, user.staff_profile)
    services.check_in(session, user.staff_profile)
    client.force_login(user)
    page = client.get(reverse("home")).content.decode()
    card = page[page.index(f'data-session="{session.pk}"') :]
    card = card[: card.index("</li>")]
    assert "已签到" in card and "取消预约" not in card
    # Nor does a forged cancel free the seat.
    client.post(reverse("rollout:book_session", args=[session.pk]), {"action": "cancel"})
    assert Attendance.objects.booked().filter(session=session).count() == 1


# -- 6. capacity at check-in -------------------------------------------------------------------


def test_capacity_is_enforced_at_check_in_for_the_unbooked(course, client):
    session = today_session(course, capacity=2)
    booked = [make_user(), make_user()]
    for user in booked:
        services.book_session(session.pk, user.staff_profile)
    walk_in = make_user()
    client.force_login(walk_in)
    response = client.post(checkin.checkin_path(session.pk))
    assert response.status_code == 409
    assert "本场已满员，请联系培训师" in response.content.decode()
    assert not Attendance.objects.filter(staff=walk_in.staff_profile).exists()
    for user in booked:  # the booked always get in
        client.force_login(user)
        assert "签到成功" in client.post(checkin.checkin_path(session.pk)).content.decode()
    assert Attendance.objects.present().filter(session=session).count() == 2


def test_attendance_sheet_warns_when_present_exceeds_capacity(course, client):
    session = make_session(course, capacity=2)
    people = [make_user() for _ in range(3)]
    client.force_login(make_user(roles.CITY_ADMIN, district=None, username="city"))
    url = reverse("rollout_admin:attendance", args=[session.pk])
    client.post(url, {"present": [p.staff_profile.pk for p in people[:2]]})
    assert "data-over-capacity" not in client.get(url).content.decode()
    client.post(url, {"present": [p.staff_profile.pk for p in people]})  # still allowed
    assert Attendance.objects.present().filter(session=session).count() == 3
    assert "data-over-capacity" in client.get(url).content.decode()


# -- 7. dashboards ------------------------------------------------------------------------------


def test_district_dashboard_shows_attendance(course, client):
    present = [make_user() for _ in range(3)]
    absent = make_user()
    for user in [*present, absent]:
        Enrollment.objects.create(user=user, course=course)
    session = make_session(course)
    for user in present:
        services.check_in(session, user.staff_profile)
    admin = make_user(roles.DISTRICT_ADMIN, username="hp-admin")
    client.force_login(admin)
    page = client.get(
        reverse("rollout_admin:district_dashboard", args=[session.district_id])
    ).content.decode()
    tile = re.search(r"data-kpi-attended>(.*?)</a>", page, re.S).group(1)
    assert "现场出勤" in tile and "75%" in tile and "3 / 4" in tile


# -- 9. the session form, list and name --------------------------------------------------------


def test_session_form_course_required_datetime_widgets_and_names(course, client):
    from wagtail.admin.widgets import AdminDateTimeInput

    from lms.rollout.forms import TrainingSessionForm

    wave = make_wave([course])
    form = TrainingSessionForm(
        data={"wave": wave.pk, "starts_at": "2026-12-01 09:00", "place": "x", "capacity": 10}
    )
    assert not form.is_valid() and "course" in form.errors
    assert isinstance(form.fields["starts_at"].widget, AdminDateTimeInput)
    assert isinstance(form.fields["ends_at"].widget, AdminDateTimeInput)
    district_admin = make_user(roles.DISTRICT_ADMIN, username="hp-admin")
    form = TrainingSessionForm(for_user=district_admin)
    assert "留空" not in str(form.fields["district"].help_text)

    trainer = make_user(roles.TRAINER, district=None, username="t-login", full_name="王培训")
    session = make_session(course, wave=wave, trainer=trainer, place="三楼")
    assert str(session).startswith(course.title)
    assert str(session).endswith("三楼")
    client.force_login(make_user(roles.CITY_ADMIN, district=None, username="city"))
    page = client.get(reverse("rollout_sessions:index")).content.decode()
    assert "王培训" in page and "t-login" not in page


# -- 10. the sign-in sheet ---------------------------------------------------------------------


def _pdf_text(data):
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_sign_in_sheet_marks_check_ins_and_has_a_clean_name(course, client):
    session = today_session(course)
    booked = make_user(full_name="预约者")
    scanned = make_user(full_name="扫码者")
    make_user(full_name="未到者")
    services.book_session(session.pk, booked.staff_profile)
    services.check_in(session, scanned.staff_profile)
    record = Attendance.objects.get(staff=scanned.staff_profile)
    text = _pdf_text(render_sign_in_sheet(session))
    assert f"✓ {timezone.localtime(record.taken_at):%H:%M}" in text
    assert text.index("预约者") < text.index("扫码者")
    line = next(li for li in text.splitlines() if "扫码者" in li)
    assert "✓" in line
    assert "✓" not in next(li for li in text.splitlines() if "未到者" in li)

    client.force_login(make_user(roles.CITY_ADMIN, district=None, username="city"))
    client.cookies["django_language"] = "en"
    response = client.get(
        reverse("rollout_admin:sign_in_sheet", args=[session.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    disposition = response["Content-Disposition"]
    name = disposition.split("filename*=UTF-8''")[1]
    assert "%20" not in name and " " not in name
    assert name.startswith("Sign-in-sheet-")
    assert "Huangpu" in name  # the district, in English (District.display_name)

    with override("en"):
        english = _pdf_text(render_sign_in_sheet(session))
    assert "Booking" in english and "：" not in english
    assert "Trainer: " in english or "Trainer:" in english


# -- 11. nothing revealed to somebody not expected ---------------------------------------------


def test_made_up_token_for_another_district_reveals_nothing(course, client):
    session = today_session(course, place="黄浦区秘密会议室")
    client.force_login(make_user(district="PD"))
    for method in (client.get, client.post):
        response = method(reverse("rollout:checkin", args=[session.pk, "made-up"]))
        page = response.content.decode()
        assert response.status_code == 403 and "不在本场培训的参训名单中" in page
        assert "黄浦区秘密会议室" not in page and course.title not in page
    assert not TrainingSession.objects.filter(attendance__isnull=False).exists()
