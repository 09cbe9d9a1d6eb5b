"""The course's rule "may start the course quiz" (issue 14 finding 5; the quiz opens after all
lessons are read): enforced at quiz start, explained on the course and quiz pages."""

import pytest

from courses.loader import load_curriculum
from courses.models import CoursePage, Enrollment
from courses.progress import complete_lesson, quiz_gate
from quizzes.models import Attempt
from tests.courses.conftest import write_course
from tests.quizzes.utils import gift_questions, make_bank, make_quiz

pytestmark = pytest.mark.django_db


def _quiz(course):
    return make_quiz(make_bank(name=f"bank-{course.code}", text=gift_questions(2)), course=course)


def test_quiz_start_refused_while_prerequisites_are_missing(two_courses, learner, client):
    first, second = two_courses
    quiz = _quiz(second)
    Enrollment.objects.create(user=learner, course=second)
    for lesson in second.lessons():
        complete_lesson(learner, lesson, course=second)
    client.force_login(learner)
    response = client.post(f"/quiz/{quiz.pk}/start/", follow=True)
    assert not Attempt.objects.filter(user=learner).exists()  # no attempt used up
    html = response.content.decode()
    assert "请先完成先修课程" in html and first.title in html
    # The course page says why the quiz is not open.
    html = client.get(second.url).content.decode()
    assert "测验尚未开放" in html and "请先完成先修课程" in html
    # Once the prerequisite is complete, the quiz opens.
    Enrollment.objects.create(user=learner, course=first)
    Enrollment.objects.filter(user=learner, course=first).update(completed_at="2026-01-01T00:00Z")
    assert quiz_gate(learner, second).open
    response = client.post(f"/quiz/{quiz.pk}/start/")
    assert Attempt.objects.filter(user=learner, quiz=quiz).count() == 1


def test_quiz_opens_after_all_lessons_are_read(two_courses, learner, client):
    first, _second = two_courses
    quiz = _quiz(first)
    Enrollment.objects.create(user=learner, course=first)
    lessons = list(first.lessons())
    complete_lesson(learner, lessons[0], course=first)
    gate = quiz_gate(learner, first)
    assert not gate.open and [lesson.pk for lesson in gate.unread_lessons] == [
        lesson.pk for lesson in lessons[1:]
    ]
    client.force_login(learner)
    client.post(f"/quiz/{quiz.pk}/start/")
    assert not Attempt.objects.filter(user=learner).exists()
    html = client.get(f"/quiz/{quiz.pk}/").content.decode()
    assert "读完全部课文后才能参加测验" in html and "还有 2 篇课文未读" in html
    for lesson in lessons[1:]:
        complete_lesson(learner, lesson, course=first)
    assert quiz_gate(learner, first).open
    client.post(f"/quiz/{quiz.pk}/start/")
    assert Attempt.objects.filter(user=learner, quiz=quiz).count() == 1


def test_quiz_after_lessons_off_lets_the_quiz_start_at_once(two_courses, learner, client):
    first, _second = two_courses
    CoursePage.objects.filter(pk=first.pk).update(quiz_after_lessons=False)
    first.refresh_from_db()
    quiz = _quiz(first)
    Enrollment.objects.create(user=learner, course=first)
    client.force_login(learner)
    client.post(f"/quiz/{quiz.pk}/start/")
    assert Attempt.objects.filter(user=learner, quiz=quiz).count() == 1


def test_not_enrolled_is_a_reason_too(two_courses, learner):
    first, _second = two_courses
    gate = quiz_gate(learner, first)
    assert not gate.open and not gate.enrolled and "请先报名本课程。" in gate.reasons


def test_loader_reads_quiz_after_lessons(curriculum):
    write_course(curriculum, "T-101", "course-a", lessons=1, order=1)
    write_course(curriculum, "T-301", "course-c", lessons=1, order=2, required="false")
    course_d = write_course(curriculum, "T-401", "course-d", lessons=1, order=3)
    text = (course_d / "course.md").read_text(encoding="utf-8")
    (course_d / "course.md").write_text(
        text.replace("required: true", "required: true\nquiz_after_lessons: false"),
        encoding="utf-8",
    )
    load_curriculum(curriculum)
    flags = dict(CoursePage.objects.values_list("code", "quiz_after_lessons"))
    assert flags == {"T-101": True, "T-301": False, "T-401": False}
