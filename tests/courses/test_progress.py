import pytest
from django.db import IntegrityError

from courses import completion
from courses.enrolment import enrol, enrol_many
from courses.models import Enrollment, LessonProgress
from courses.prerequisites import missing_prerequisites
from courses.progress import (
    complete_lesson,
    course_statuses,
    register_status_provider,
    unregister_status_provider,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def completions():
    received = []

    def receiver(sender, enrollment, user, course, **kwargs):
        received.append((user.pk, course.pk))

    completion.course_completed.connect(receiver)
    yield received
    completion.course_completed.disconnect(receiver)


def test_enrol_is_idempotent(learner, two_courses):
    basics, _advanced = two_courses
    first, created = enrol(learner, basics, source="wave")
    again, created_again = enrol(learner, basics, source="self")
    assert created and not created_again and first.pk == again.pk
    assert again.source == "wave"
    assert Enrollment.objects.count() == 1


def test_enrol_survives_a_concurrent_insert(learner, two_courses, monkeypatch):
    basics, _advanced = two_courses
    Enrollment.objects.create(user=learner, course=basics)

    def racing_get_or_create(**kwargs):
        raise IntegrityError("duplicate")

    monkeypatch.setattr(Enrollment.objects, "get_or_create", racing_get_or_create)
    enrollment, created = enrol(learner, basics)
    assert not created and enrollment.course_id == basics.pk


def test_enrol_many_bulk_and_idempotent(two_courses, django_assert_max_num_queries):
    users = [make_user(username=f"u{i}") for i in range(5)]
    enrol(users[0], two_courses[0])
    with django_assert_max_num_queries(3):
        created = enrol_many(users, two_courses)
    assert created == 9
    assert enrol_many(users, two_courses) == 0
    assert Enrollment.objects.count() == 10
    assert Enrollment.objects.filter(source="wave").count() == 9


def test_complete_lesson_idempotent_and_completion_signal_once(
    learner, two_courses, completions, django_capture_on_commit_callbacks
):
    basics, _advanced = two_courses
    enrollment, _ = enrol(learner, basics)
    lessons = list(basics.lessons())
    with django_capture_on_commit_callbacks(execute=True):
        assert complete_lesson(learner, lessons[0]) is True
        assert complete_lesson(learner, lessons[0]) is False
        enrollment.refresh_from_db()
        assert enrollment.last_lesson_id == lessons[0].pk and enrollment.completed_at is None
        for lesson in lessons[1:]:
            complete_lesson(learner, lesson)
        complete_lesson(learner, lessons[-1])
        assert completion.evaluate(learner, basics) is False  # already complete
    enrollment.refresh_from_db()
    assert enrollment.completed_at is not None
    assert completions == [(learner.pk, basics.pk)]
    assert LessonProgress.objects.filter(user=learner).count() == 3


def test_completion_signal_waits_for_commit(
    learner, two_courses, completions, django_capture_on_commit_callbacks
):
    basics, _advanced = two_courses
    enrol(learner, basics)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for lesson in basics.lessons():
            complete_lesson(learner, lesson)
    assert completions == [] and len(callbacks) == 1


def test_registered_requirement_blocks_completion(
    learner, two_courses, completions, django_capture_on_commit_callbacks
):
    basics, _advanced = two_courses
    passed = set()

    def quiz_passed(user, course, since=None):
        return (user.pk, course.pk) in passed

    completion.register_requirement(quiz_passed)
    try:
        enrol(learner, basics)
        with django_capture_on_commit_callbacks(execute=True):
            for lesson in basics.lessons():
                complete_lesson(learner, lesson)
            assert not Enrollment.objects.get(user=learner, course=basics).completed_at
            passed.add((learner.pk, basics.pk))
            assert completion.evaluate(learner, basics) is True
        assert completions == [(learner.pk, basics.pk)]
    finally:
        completion._requirements.remove(quiz_passed)


def test_unpublished_lessons_do_not_count(learner, two_courses):
    basics, _advanced = two_courses
    enrol(learner, basics)
    lessons = list(basics.lessons())
    lessons[-1].unpublish()
    for lesson in lessons[:-1]:
        complete_lesson(learner, lesson)
    assert Enrollment.objects.get(user=learner, course=basics).completed_at is not None


def test_missing_prerequisites(learner, two_courses):
    basics, advanced = two_courses
    assert missing_prerequisites(learner, basics) == []
    assert missing_prerequisites(learner, advanced) == [basics]
    enrol(learner, basics)
    assert missing_prerequisites(learner, advanced) == [basics]  # enrolled, not complete
    for lesson in basics.lessons():
        complete_lesson(learner, lesson)
    assert missing_prerequisites(learner, advanced) == []


def test_statuses_and_provider_hook(learner, two_courses):
    basics, advanced = two_courses
    enrol(learner, basics)
    enrol(learner, advanced)
    complete_lesson(learner, basics.lessons().first())
    statuses = course_statuses(learner, [basics, advanced])
    assert statuses == {basics.pk: "in_progress", advanced.pk: "not_started"}
    for lesson in basics.lessons():
        complete_lesson(learner, lesson)
    assert course_statuses(learner, [basics])[basics.pk] == "completed"

    def certified(user, courses):
        return {c.pk: "certified" for c in courses if c.pk == basics.pk}

    register_status_provider(certified)
    try:
        assert course_statuses(learner, [basics, advanced]) == {
            basics.pk: "certified",
            advanced.pk: "not_started",
        }
    finally:
        unregister_status_provider(certified)
