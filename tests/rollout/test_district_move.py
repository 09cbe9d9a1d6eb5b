"""A person moved to another district (walk-through after issue 16, defect 3).

They kept the old district's wave deadline for ever. The rule (``services.follow_district_waves``):
an unfinished enrolment that a wave of the old district created follows the open wave of the
new district covering the course -- it becomes that wave's, with that wave's deadline (a
personal deadline an administrator set is kept); with no such wave it keeps its wave and
deadline.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrollment
from lms.organisation import roles
from lms.organisation.models import District, StaffProfile
from lms.rollout.models import WaveEnrolment
from lms.rollout.services import enrol_users_in_open_waves, enrol_wave
from tests.factories import make_user

from .conftest import make_wave

pytestmark = pytest.mark.django_db


def _profile_form(profile, **changes):
    data = {
        "full_name": profile.full_name,
        "employee_no": profile.employee_no,
        "username": profile.user.username,
        "email": profile.user.email,
        "district": profile.district_id,
        "service_centre": profile.service_centre,
        "window": profile.window,
        "job_title": profile.job_title,
        "phone": profile.phone,
        "is_active": "on",
    }
    data.update(changes)
    return data


def _enrolment(user, course):
    enrollment = Enrollment.objects.get(user=user, course=course)
    return enrollment, WaveEnrolment.objects.get(enrollment=enrollment).wave


@pytest.fixture
def waves(courses):
    today = timezone.localdate()
    hp_wave = make_wave(courses, districts=("HP",), name="黄浦批次")
    pd_wave = make_wave(
        courses[:1], districts=("PD",), name="浦东批次", due_on=today + datetime.timedelta(days=9)
    )
    return hp_wave, pd_wave


def test_a_moved_person_follows_the_new_districts_wave(
    client, courses, waves, django_capture_on_commit_callbacks
):
    hp_wave, pd_wave = waves
    mover = make_user(district="HP", username="mover")
    personal = make_user(district="HP", username="personal")
    enrol_wave(hp_wave)
    own_deadline = hp_wave.due_at + datetime.timedelta(days=14)
    Enrollment.objects.filter(user=personal, course=courses[0]).update(due_at=own_deadline)

    client.force_login(make_user(roles.CITY_ADMIN, None, username="city_move"))
    pd = District.objects.get(code="PD")
    for person in (mover, personal):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("staffprofile:edit", args=[person.staff_profile.pk]),
                _profile_form(person.staff_profile, district=pd.pk),
            )
        assert response.status_code == 302

    # Covered by the new district's wave: that wave's enrolment and deadline.
    enrollment, wave = _enrolment(mover, courses[0])
    assert (wave, enrollment.due_at) == (pd_wave, pd_wave.due_at)
    # Not covered there: the old wave and deadline stay.
    enrollment, wave = _enrolment(mover, courses[1])
    assert (wave, enrollment.due_at) == (hp_wave, hp_wave.due_at)
    # A personal deadline is kept; the enrolment is the new wave's all the same.
    enrollment, wave = _enrolment(personal, courses[0])
    assert (wave, enrollment.due_at) == (pd_wave, own_deadline)
    assert Enrollment.objects.filter(user=mover).count() == 2  # nothing enrolled twice

    # From now on the enrolment follows the new wave's deadline when it moves.
    pd_wave.due_on += datetime.timedelta(days=3)
    pd_wave.save()
    assert Enrollment.objects.get(user=mover, course=courses[0]).due_at == pd_wave.due_at


def test_a_finished_enrolment_and_a_wave_covering_both_districts_stay(courses):
    today = timezone.localdate()
    both = make_wave(courses[1:], districts=("HP", "PD"), name="两区批次")
    hp_wave = make_wave(courses[:1], districts=("HP",), name="黄浦批次")
    make_wave(
        courses, districts=("PD",), name="浦东批次", due_on=today + datetime.timedelta(days=9)
    )
    mover = make_user(district="HP")
    enrol_wave(both)
    enrol_wave(hp_wave)
    done = Enrollment.objects.get(user=mover, course=courses[0])
    done.completed_at = timezone.now()
    done.save()
    # Moved by an import (a bulk update; the import then calls enrol_users_in_open_waves).
    StaffProfile.objects.filter(user=mover).update(district=District.objects.get(code="PD"))
    enrol_users_in_open_waves([mover.pk])
    assert _enrolment(mover, courses[0]) == (done, hp_wave)  # finished under the old wave
    enrollment, wave = _enrolment(mover, courses[1])  # its wave covers PD as well
    assert (wave, enrollment.due_at) == (both, both.due_at)
