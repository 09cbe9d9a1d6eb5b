import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.enrolment import enrol
from courses.loader import load_curriculum
from courses.models import CoursePage
from courses.progress import complete_lesson, course_progress

from .conftest import write_course

pytestmark = pytest.mark.django_db

# 14 = session + user (auth), site + training index + view restrictions x2 (Wagtail serve),
# course + lesson (routing, one query each), lessons with done flags, enrollment,
# prerequisites (this file), user perms x2 + staff profile (base.html header).
LESSON_PAGE_QUERIES = 14


def _lesson_queries(client, learner, course):
    enrol(learner, course)
    lessons = list(course.lessons())
    complete_lesson(learner, lessons[0])
    client.force_login(learner)
    url = lessons[1].url
    client.get(url)  # warm caches (site root paths)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), ctx


def test_lesson_page_query_count_is_constant(client, learner, curriculum):
    write_course(curriculum, "T-101", "small", lessons=3, order=1)
    write_course(curriculum, "T-102", "large", lessons=30, order=2)
    load_curriculum(curriculum)
    small = CoursePage.objects.get(code="T-101")
    large = CoursePage.objects.get(code="T-102")
    n_small, _ctx = _lesson_queries(client, learner, small)
    n_large, ctx = _lesson_queries(client, learner, large)
    assert n_small == n_large, [q["sql"] for q in ctx.captured_queries]
    assert n_large <= LESSON_PAGE_QUERIES, "\n".join(q["sql"] for q in ctx.captured_queries)


def test_lesson_page_pinned_query_count(client, learner, curriculum, django_assert_num_queries):
    write_course(curriculum, "T-101", "small", lessons=30)
    load_curriculum(curriculum)
    course = CoursePage.objects.get()
    _lesson_queries(client, learner, course)
    url = course.lessons()[1].url
    with django_assert_num_queries(LESSON_PAGE_QUERIES):
        assert client.get(url).status_code == 200


def test_course_progress_constant_queries(learner, curriculum, django_assert_num_queries):
    for i in range(4):
        write_course(curriculum, f"T-10{i}", f"c{i}", lessons=i + 1, order=i)
    load_curriculum(curriculum)
    courses = list(CoursePage.objects.order_by("code"))
    for course in courses:
        complete_lesson(learner, course.lessons().first())
    with django_assert_num_queries(2):
        progress = course_progress(learner, courses)
    assert progress == {c.pk: (1, i + 1) for i, c in enumerate(courses)}
    with django_assert_num_queries(2):
        course_progress(learner, courses[:1])
