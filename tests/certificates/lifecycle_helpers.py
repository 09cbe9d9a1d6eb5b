"""Helpers for lifecycle tests: a course with lessons and a quiz, reading and passing it
through the real services (the same calls the views make)."""

from courses.enrolment import enrol
from courses.models import LessonPage
from courses.progress import complete_lesson
from quizzes import attempts as svc
from tests.certificates.conftest import add_course
from tests.quizzes.utils import gift_questions, make_bank, make_quiz


def course_with_quiz(index, code, lessons=2, required=True, pass_mark=50, **quiz):
    course = add_course(index, code, required=required)
    for n in range(lessons):
        add_lesson(course, n)
    bank = make_bank(name=f"题库{code}", text=gift_questions(2, prefix=code.replace("-", "")))
    make_quiz(bank, course=course, pass_mark=pass_mark, **quiz)
    return course


def add_lesson(course, n=None):
    n = LessonPage.objects.child_of(course).count() if n is None else n
    lesson = LessonPage(title=f"{course.code} 第{n + 1}讲", slug=f"lesson-{n + 1}")
    course.add_child(instance=lesson)
    return lesson


def read_all(user, course):
    enrol(user, course)
    for lesson in LessonPage.objects.child_of(course).live():
        complete_lesson(user, lesson, course=course)


def take_quiz(user, course, correct=True):
    """Start and submit the course quiz: every answer right, or a blank paper (a fail).
    Commit callbacks are run by the caller (``django_capture_on_commit_callbacks``)."""
    from quizzes.models import Quiz
    from tests.quizzes.test_attempts import answer_all_correct

    quiz = Quiz.objects.get(course=course, live=True)
    attempt = svc.start_course_attempt(quiz, user)  # what the learner's start button does
    return svc.submit_attempt(attempt, answers=answer_all_correct(attempt) if correct else None)


def site_training_index(slug="training-life"):
    """A training index under the default site's root page, so pages have URLs."""
    from wagtail.models import Site

    from courses.models import TrainingIndexPage

    root = Site.objects.get(is_default_site=True).root_page
    index = TrainingIndexPage(title="培训", slug=slug)
    root.add_child(instance=index)
    return index
