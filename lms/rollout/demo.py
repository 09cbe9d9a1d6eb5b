"""Demo data hook called by ``seed_demo`` after the demo accounts exist: a demo wave for
黄浦 and 浦东新区 with every published required course, enrolled through the rollout."""

import datetime

from django.utils import timezone

from courses.completion import completed_q
from courses.models import CoursePage, Enrollment
from lms.organisation.models import District, StaffProfile

from .models import RolloutWave
from .services import enrol_wave

DEMO_WAVE = "2026 年第一批（演示）"


def after_demo_accounts(stdout):
    today = timezone.localdate()
    wave, _ = RolloutWave.objects.get_or_create(
        name=DEMO_WAVE,
        defaults={
            "opens_on": today - datetime.timedelta(days=7),
            "due_on": today + datetime.timedelta(days=60),
            "status": RolloutWave.Status.OPEN,
        },
    )
    wave.districts.set(District.objects.filter(code__in=["HP", "PD"]))
    wave.courses.set(CoursePage.objects.live().filter(required_for_authorisation=True))
    created = enrol_wave(wave)  # window staff only: the administrators are not enrolled
    # A demo database seeded before that rule enrolled its administrators: take them out.
    Enrollment.objects.filter(~completed_q(), wave_links__wave=wave).exclude(
        user__staff_profile__in=StaffProfile.objects.window_staff()
    ).delete()
    stdout.write(f"Demo wave “{wave.name}”: enrolments created: {created}")
