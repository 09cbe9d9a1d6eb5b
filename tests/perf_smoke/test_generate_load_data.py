"""generate_load_data on a tiny data set: counts, consistency, reproducibility, --clear."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count

from certificates.models import Certificate, SerialCounter
from courses.loader import load_curriculum
from courses.models import CoursePage, Enrollment, LessonProgress
from lms.organisation.models import StaffProfile
from lms.rollout.management.commands.generate_load_data import DEFAULT_PASSWORD
from quizzes.models import Attempt
from tests.courses.conftest import write_course
from tests.quizzes.utils import make_quiz

pytestmark = pytest.mark.django_db

STAFF = 50


@pytest.fixture
def courses(tmp_path):
    root = tmp_path / "content"
    write_course(root, "T-101", "course-a", lessons=3, order=1)
    write_course(root, "T-201", "course-b", lessons=2, prerequisites=["T-101"], order=2)
    load_curriculum(root)
    a, b = CoursePage.objects.get(code="T-101"), CoursePage.objects.get(code="T-201")
    make_quiz(course=a, title="A", max_attempts=3)
    make_quiz(course=b, title="B", max_attempts=3)
    return a, b


def generated(model, field="user__username"):
    return model.objects.filter(**{f"{field}__startswith": "load-"})


def scores():
    return list(
        generated(Attempt)
        .order_by("user__username", "quiz", "number")
        .values_list("user__username", "quiz__title", "score")
    )


def test_generates_consistent_data(courses):
    call_command("generate_load_data", staff=STAFF, seed=7)
    User = get_user_model()
    users = User.objects.filter(username__startswith="load-")
    assert users.count() == STAFF
    assert generated(StaffProfile).count() == STAFF
    assert users.filter(groups__name="window_staff").count() == STAFF
    assert generated(Enrollment).count() == STAFF * 2
    progress = generated(LessonProgress).count()
    assert 0 < progress <= STAFF * 5
    attempts = generated(Attempt)
    assert attempts.exists()
    assert not attempts.exclude(status="graded").exists()
    assert not attempts.filter(score__isnull=True).exists()
    # At most two attempts each: the load test can always start one more (max_attempts=3).
    assert (
        max(attempts.values("user", "quiz").annotate(n=Count("id")).values_list("n", flat=True))
        <= 2
    )
    certificates = generated(Certificate)
    assert 0 < certificates.count() <= STAFF * 2
    assert not certificates.exclude(pdf="").exists()
    # A certificate only where the enrollment is complete and an attempt passed.
    for cert in certificates:
        assert Enrollment.objects.get(user=cert.user, course=cert.course).completed_at
        assert Attempt.objects.filter(
            user=cert.user, quiz__course=cert.course, passed=True
        ).exists()
    # Serial counters continue after the generated numbers (the next real issue is unique).
    for counter in SerialCounter.objects.all():
        prefix = f"{counter.year}-{counter.district_code}-"
        assert certificates.filter(serial=f"{prefix}{counter.last_number:06d}").exists()
    user = users.order_by("username").first()
    assert user.check_password(DEFAULT_PASSWORD)


def test_refuses_to_add_twice_then_clears_and_is_reproducible(courses):
    call_command("generate_load_data", staff=STAFF, seed=7)
    first = scores()
    with pytest.raises(CommandError):
        call_command("generate_load_data", staff=STAFF, seed=7)
    call_command("generate_load_data", staff=STAFF, seed=7, clear=True)
    assert scores() == first
    call_command("generate_load_data", staff=0, clear=True)
    assert not get_user_model().objects.filter(username__startswith="load-").exists()
    assert not generated(Attempt).exists()
    assert not generated(Certificate).exists()
    assert CoursePage.objects.count() == 2  # the curriculum stays
