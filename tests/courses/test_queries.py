import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.enrolment import enrol
from courses.loader import load_curriculum
from courses.models import CoursePage, LessonPage
from courses.progress import complete_lesson, course_progress

from .conftest import write_course

pytestmark = pytest.mark.django_db

# 11 = session + user with staff profile (auth), site + training index + view restrictions x2
# (Wagtail serve), course + lesson (routing, one query each), lessons with done flags,
# enrollment, prerequisites. The header's admin link comes from the session (lms.auth).
LESSON_PAGE_QUERIES = 11


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


def _copy_course(course, code, slug, lessons):
    """A second course with ``lessons`` lessons, built directly (no revisions) to stay fast."""
    template = course.lessons().first()
    copy = CoursePage(title=f"课程 {code}", slug=slug, code=code, summary="复制的课程")
    course.get_parent().add_child(instance=copy)
    for n in range(1, lessons + 1):
        copy.add_child(
            instance=LessonPage(
                title=f"第{n}讲", slug=f"lesson-{n}", body=template.body, sources=template.sources
            )
        )
    return copy


def test_lesson_page_query_count_is_constant(
    client, learner, curriculum, django_assert_num_queries
):
    write_course(curriculum, "T-101", "small", lessons=3)
    load_curriculum(curriculum)
    small = CoursePage.objects.get(code="T-101")
    large = _copy_course(small, "T-102", "large", 30)
    assert large.lessons().count() == 30
    n_small, _ctx = _lesson_queries(client, learner, small)
    n_large, ctx = _lesson_queries(client, learner, large)
    assert n_small == n_large, [q["sql"] for q in ctx.captured_queries]
    assert n_large <= LESSON_PAGE_QUERIES, "\n".join(q["sql"] for q in ctx.captured_queries)
    url = large.lessons()[1].url
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
