import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses import snapshots
from courses.enrolment import enrol
from courses.loader import load_curriculum
from courses.models import CoursePage, LessonPage
from courses.progress import complete_lesson, course_progress

from .conftest import write_course

pytestmark = pytest.mark.django_db

# A lesson's first request through Wagtail: session + user with staff profile (auth), course
# + lesson (routing), view restrictions x2 (Wagtail), the course's lessons, its prerequisites,
# the learner's completed lessons. The header's admin link comes from the session
# (lms.organisation.auth).
COLD_LESSON_PAGE_QUERIES = 9
# The very first page after a content change also looks up the site with its root page (2) and
# whether any view restriction exists (1); all three are cached per content generation.
FIRST_AFTER_CHANGE_QUERIES = COLD_LESSON_PAGE_QUERIES + 3
# Every later request, from the lesson snapshot (courses.snapshots): session, user, the
# learner's completed lessons.
WARM_LESSON_PAGE_QUERIES = 3


def _lesson_queries(client, learner, course):
    """Query counts of a lesson page: first after a change, cold, warm; and the cold queries."""
    enrol(learner, course)
    lessons = list(course.lessons())
    complete_lesson(learner, lessons[0])
    client.force_login(learner)
    client.get(lessons[0].url)  # Wagtail's own cache of site root paths
    snapshots.new_generation()
    with CaptureQueriesContext(connection) as first:
        assert client.get(lessons[0].url).status_code == 200
    url = lessons[1].url
    with CaptureQueriesContext(connection) as cold:
        response = client.get(url)
    assert response.status_code == 200
    with CaptureQueriesContext(connection) as warm:
        again = client.get(url)
    assert again.content.count(b'class="tick"') == response.content.count(b'class="tick"') == 1
    return len(first), len(cold), len(warm), cold


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
    first_small, cold_small, warm_small, _ctx = _lesson_queries(client, learner, small)
    first_large, cold_large, warm_large, ctx = _lesson_queries(client, learner, large)
    sql = "\n".join(q["sql"] for q in ctx.captured_queries)
    assert cold_small == cold_large == COLD_LESSON_PAGE_QUERIES, sql
    assert first_small == first_large == FIRST_AFTER_CHANGE_QUERIES
    assert warm_small == warm_large == WARM_LESSON_PAGE_QUERIES
    url = large.lessons()[1].url
    with django_assert_num_queries(WARM_LESSON_PAGE_QUERIES):
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
