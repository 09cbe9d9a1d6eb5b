import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from courses.models import Enrollment
from lms.organisation import roles
from lms.organisation.models import District, StaffProfile
from lms.rollout.models import Attendance, TrainingSession
from lms.rollout.services import enrol_wave
from tests.factories import make_user

from .conftest import make_wave

pytestmark = pytest.mark.django_db


def test_enrol_wave_is_idempotent(courses):
    hp1 = make_user(district="HP")
    pd1 = make_user(district="PD")
    xh1 = make_user(district="XH")
    inactive = make_user(district="HP")
    inactive.staff_profile.is_active = False
    inactive.staff_profile.save()
    wave = make_wave(courses, districts=("HP", "PD"))
    assert enrol_wave(wave) == 4
    assert enrol_wave(wave) == 0
    assert Enrollment.objects.count() == 4
    assert set(Enrollment.objects.values_list("user_id", flat=True)) == {hp1.pk, pd1.pk}
    assert not Enrollment.objects.filter(user__in=[xh1, inactive]).exists()
    enrollment = Enrollment.objects.filter(user=hp1).first()
    assert enrollment.due_at == wave.due_at
    assert enrollment.source == "wave"


def test_existing_enrollment_kept(courses):
    user = make_user(district="HP")
    Enrollment.objects.create(user=user, course=courses[0], source="self")
    wave = make_wave(courses, districts=("HP",))
    assert enrol_wave(wave) == 1
    assert Enrollment.objects.get(user=user, course=courses[0]).source == "self"


def test_late_joiner_enrolled_in_open_waves(courses, django_capture_on_commit_callbacks):
    make_wave(courses, districts=("HP",))
    make_wave(courses[:1], districts=("PD",), name="PD")
    make_wave(courses, districts=("HP",), status="draft", name="draft")
    with django_capture_on_commit_callbacks(execute=True):
        user = make_user(district="HP")
    assert set(Enrollment.objects.filter(user=user).values_list("course_id", flat=True)) == {
        c.pk for c in courses
    }


def test_reactivated_staff_enrolled(courses, django_capture_on_commit_callbacks):
    user = make_user(district="HP")
    profile = user.staff_profile
    profile.is_active = False
    profile.save()
    make_wave(courses, districts=("HP",))
    assert not Enrollment.objects.filter(user=user).exists()
    with django_capture_on_commit_callbacks(execute=True):
        profile.is_active = True
        profile.save()
    assert Enrollment.objects.filter(user=user).count() == 2


def test_moved_district_enrolled(courses, django_capture_on_commit_callbacks):
    user = make_user(district="XH")
    make_wave(courses, districts=("HP",))
    with django_capture_on_commit_callbacks(execute=True):
        profile = StaffProfile.objects.get(user=user)
        profile.district = District.objects.get(code="HP")
        profile.save()
    assert Enrollment.objects.filter(user=user).count() == 2


def test_enrol_wave_command(courses):
    make_user(district="HP")
    wave = make_wave(courses, districts=("HP",))
    call_command("enrol_wave", str(wave.pk))
    assert Enrollment.objects.count() == 2


def test_enrol_now_admin_action(courses, client):
    make_user(district="HP")
    make_user(district="PD")
    wave = make_wave(courses, districts=("HP", "PD"))
    city = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(city)
    index = client.get(reverse("rollout_waves:index"))
    assert index.status_code == 200
    assert reverse("rollout_admin:enrol_wave", args=[wave.pk]) in index.content.decode()
    url = reverse("rollout_admin:enrol_wave", args=[wave.pk])
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    # city admin + 2 staff (city admin has no district)
    assert Enrollment.objects.count() == 4


def test_district_admin_enrols_only_own_district(courses, client):
    make_user(district="HP")
    make_user(district="PD")
    wave = make_wave(courses, districts=("HP", "PD"))
    hp_admin = make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin")
    client.force_login(hp_admin)
    client.post(reverse("rollout_admin:enrol_wave", args=[wave.pk]))
    districts = set(
        Enrollment.objects.values_list("user__staff_profile__district__code", flat=True)
    )
    assert districts == {"HP"}


def test_attendance_sheet(courses, client):
    wave = make_wave(courses, districts=("HP",))
    staff = [make_user(district="HP", phone="13912345678") for _ in range(3)]
    trainer = make_user(roles.TRAINER, district=None, username="trainer")
    session = TrainingSession.objects.create(
        wave=wave, starts_at=wave.due_at, place="黄浦区政务服务中心 3 楼", trainer=trainer
    )
    client.force_login(trainer)
    url = reverse("rollout_admin:attendance", args=[session.pk])
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert staff[0].staff_profile.full_name in body
    assert "13912345678" not in body and "手机" not in body
    client.post(url, {"present": [staff[0].staff_profile.pk, staff[2].staff_profile.pk]})
    assert Attendance.objects.filter(session=session).count() == 3
    present = Attendance.objects.filter(session=session, present=True)
    assert {a.staff_id for a in present} == {staff[0].staff_profile.pk, staff[2].staff_profile.pk}
    assert present.first().taken_by == trainer
    # Another trainer's session is not found.
    other = make_user(roles.TRAINER, district=None, username="trainer2")
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert (
        Group.objects.get(name=roles.TRAINER)
        .permissions.filter(codename="change_attendance")
        .exists()
    )


def test_seed_demo_creates_and_enrols_demo_wave(courses):
    from io import StringIO

    from lms.rollout.demo import DEMO_WAVE
    from lms.rollout.models import RolloutWave

    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=out)  # idempotent
    wave = RolloutWave.objects.get(name=DEMO_WAVE)
    assert set(wave.districts.values_list("code", flat=True)) == {"HP", "PD"}
    learner = StaffProfile.objects.get(user__username="hp-staff1").user
    assert Enrollment.objects.filter(user=learner, source="wave").count() == len(courses)
    assert "Demo wave" in out.getvalue()
