"""Penetration-test findings that are lifecycle bugs (issue 15 items 4 and 10; fixed by
issue 14): a revoked or expired certificate is never re-issued without a new pass, and the
course quiz cannot be started (an attempt used up) while the course is locked."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from freezegun import freeze_time

from certificates import revoke
from certificates.models import Certificate
from courses.models import Enrollment
from quizzes.models import Attempt
from tests.certificates.lifecycle_helpers import course_with_quiz, read_all, take_quiz
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder(training_index, django_capture_on_commit_callbacks):
    course = course_with_quiz(training_index, "SEC-1")
    user = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        read_all(user, course)
        take_quiz(user, course)
    return user, course, Certificate.objects.get(user=user, course=course)


@pytest.fixture
def training_index(db):
    from wagtail.models import Page

    from courses.models import TrainingIndexPage

    index = TrainingIndexPage(title="培训", slug="training-sec")
    Page.get_first_root_node().add_child(instance=index)
    return index


def test_15_4_revoked_certificate_is_not_reissued_by_the_command(holder):
    user, course, cert = holder
    revoke(cert, reason="考核作弊")
    for args in ([], ["--course", course.code], ["--district", "HP"]):
        call_command("issue_certificates", *args)
    assert list(Certificate.objects.filter(user=user)) == [cert]
    assert Certificate.objects.valid().filter(user=user).count() == 0


def test_15_4_expired_certificate_is_not_renewed_without_an_exam(holder):
    user, course, cert = holder
    with freeze_time(cert.expires_at + timedelta(days=1)):
        call_command("issue_certificates", "--course", course.code)
        call_command("send_expiry_reminders")  # re-opens the course: still no exam taken
        call_command("issue_certificates")
        assert list(Certificate.objects.filter(user=user)) == [cert]
        assert Certificate.objects.get(pk=cert.pk).status == Certificate.EXPIRED


def test_15_10_quiz_of_a_locked_course_cannot_be_started(training_index, client):
    first = course_with_quiz(training_index, "SEC-101")
    second = course_with_quiz(training_index, "SEC-201")
    second.prerequisites.add(first)
    second.save()
    user = make_user()
    read_all(user, second)  # the lessons themselves are read (e.g. before the lock existed)
    Enrollment.objects.get_or_create(user=user, course=second)
    from quizzes.models import Quiz

    quiz = Quiz.objects.get(course=second)
    client.force_login(user)
    response = client.post(f"/quiz/{quiz.pk}/start/")
    assert response.status_code == 302
    assert not Attempt.objects.filter(user=user, quiz=quiz).exists()
