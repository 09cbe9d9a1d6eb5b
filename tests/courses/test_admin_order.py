"""Issue 17, finding 10: the explorer lists lessons in course order; the preview of a new lesson
numbers it where it will stand; a Chinese title makes a readable (pinyin) slug."""

import pytest
from wagtail.test.utils.form_data import nested_form_data, streamfield

from courses.models import CoursePage, LessonPage, readable_slug
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def trainer():
    return make_user("trainer", district=None, username="t_order")


def test_explorer_lists_lessons_in_course_order(client, two_courses, trainer):
    basics, _advanced = two_courses
    # the last lesson has the newest revision: Wagtail's newest-first order lists it first
    last = list(basics.lessons())[-1]
    last.save_revision()
    client.force_login(trainer)
    response = client.get(f"/admin/pages/{basics.pk}/")
    titles = [page.title for page in response.context["object_list"]]
    assert titles == [lesson.title for lesson in basics.lessons()]
    assert titles[-1] == last.title


def lesson_form(title, slug=""):
    return nested_form_data(
        {
            "title": title,
            "slug": slug,
            "summary": "摘要",
            "estimated_minutes": 10,
            "sources": "",
            "body": streamfield([("heading", {"text": "小标题", "level": "h2"})]),
        }
    )


def test_preview_of_a_new_lesson_numbers_it_after_the_others(client, two_courses, trainer):
    basics, _advanced = two_courses  # three lessons
    client.force_login(trainer)
    url = f"/admin/pages/add/courses/lessonpage/{basics.pk}/preview/"
    response = client.post(url, lesson_form("第4讲 首问负责制", "di-4-jiang"))
    assert response.json()["is_valid"]
    html = client.get(url).content.decode()
    assert "第 4 / 4 讲" in html
    assert "第 1 / 3 讲" not in html


def test_a_chinese_slug_becomes_pinyin(client, two_courses, trainer):
    basics, _advanced = two_courses
    assert readable_slug("第4讲 首问负责制（上）") == "di-4-jiang-shou-wen-fu-ze-zhi-shang"
    client.force_login(trainer)
    # Wagtail's editor fills the slug from the title: Chinese characters
    client.post(
        f"/admin/pages/add/courses/lessonpage/{basics.pk}/",
        lesson_form("首问负责制", "首问负责制") | {"action-submit": "1"},
    )
    lesson = LessonPage.objects.get(title="首问负责制")
    assert lesson.slug == "shou-wen-fu-ze-zhi"
    assert lesson.url_path.endswith("/shou-wen-fu-ze-zhi/")
    # a second one with the same title gets a distinct slug
    client.post(
        f"/admin/pages/add/courses/lessonpage/{basics.pk}/",
        lesson_form("首问负责制", "首问负责制-2") | {"action-submit": "1"},
    )
    slugs = set(LessonPage.objects.filter(title="首问负责制").values_list("slug", flat=True))
    assert len(slugs) == 2 and all(slug.isascii() for slug in slugs)
    assert CoursePage.objects.get(pk=basics.pk).slug.isascii()
