"""Lesson pages served from snapshots (courses.snapshots): the same page as Wagtail serves, never
older than the content, never another learner's state."""

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from courses import snapshots
from courses.enrolment import enrol
from courses.models import LessonPage
from courses.progress import complete_lesson
from tests.factories import make_user

pytestmark = pytest.mark.django_db

CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


def _get(client, url, **extra):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    routed = any("wagtailcore_pageviewrestriction" in q["sql"] for q in queries.captured_queries)
    return response, routed


def test_second_request_is_the_same_page_without_routing(client, learner, two_courses):
    basics, _advanced = two_courses
    url = basics.lessons()[1].url
    client.force_login(learner)
    first, first_routed = _get(client, url)
    second, second_routed = _get(client, url)
    assert first.status_code == second.status_code == 200
    assert first_routed and not second_routed
    assert CSRF.sub(b"", first.content) == CSRF.sub(b"", second.content)
    assert "<summary>可以代办吗？</summary>" in second.content.decode()


def test_disabled_snapshots_always_route(client, learner, two_courses, settings):
    settings.LESSON_PAGE_SNAPSHOTS = False
    basics, _advanced = two_courses
    client.force_login(learner)
    url = basics.lessons().first().url
    assert all(_get(client, url)[1] for _ in range(2))


def test_a_published_change_is_shown_at_once(client, learner, two_courses):
    basics, _advanced = two_courses
    lesson = basics.lessons().first().specific
    sibling = basics.lessons()[1]
    client.force_login(learner)
    client.get(lesson.url)
    client.get(sibling.url)
    lesson.title = "第1讲 新标题"
    lesson.body = [("text", {"text": "<p>修订后的正文</p>"})]
    lesson.save_revision().publish()
    html = client.get(lesson.url).content.decode()
    assert "第1讲 新标题" in html and "修订后的正文" in html
    assert "这个事项是什么" not in html
    # the sibling's lesson list and "previous" link show the new title too
    html = client.get(sibling.url).content.decode()
    assert "← 第1讲 新标题" in html


def test_a_draft_is_not_shown(client, learner, two_courses):
    basics, _advanced = two_courses
    lesson = basics.lessons().first().specific
    client.force_login(learner)
    client.get(lesson.url)
    lesson.title = "未发布的标题"
    lesson.save_revision()
    html = client.get(lesson.url).content.decode()
    assert "未发布的标题" not in html and "第1讲 测试课文" in html


def test_unpublished_renamed_moved_and_deleted_lessons_are_gone(client, learner, two_courses):
    basics, advanced = two_courses
    first, second, third = (lesson.specific for lesson in basics.lessons())
    client.force_login(learner)
    for lesson in (first, second, third):
        assert client.get(lesson.url).status_code == 200
    first_url, second_url, third_url = first.url, second.url, third.url
    first.unpublish()
    assert client.get(first_url).status_code == 404
    second.slug = "renamed"
    second.save_revision().publish()
    assert client.get(second_url).status_code == 404
    assert client.get("/training/course-a/renamed/").status_code == 200
    third.move(advanced, pos="last-child")
    moved_url = "/training/course-b/lesson-3/"
    response = client.get(third_url)  # Wagtail's redirects app points the old URL onwards
    assert response.status_code == 301 and response["Location"] == moved_url
    assert client.get(moved_url).status_code == 403  # now behind course-b's prerequisite
    LessonPage.objects.get(pk=third.pk).delete()
    assert client.get(moved_url).status_code == 404


def test_progress_is_per_learner_and_never_cached(client, learner, two_courses):
    basics, _advanced = two_courses
    lessons = list(basics.lessons())
    enrol(learner, basics)
    other = make_user(username="learner2")
    enrol(other, basics)
    client.force_login(learner)
    url = lessons[1].url
    assert client.get(url).content.decode().count('class="tick"') == 0
    complete_lesson(learner, lessons[0])
    complete_lesson(learner, lessons[1])
    html = client.get(url).content.decode()
    assert html.count('class="tick"') == 3 and "你已学完本讲。" in html  # 2 in the list
    client.force_login(other)
    response, routed = _get(client, url)
    html = response.content.decode()
    assert not routed
    assert html.count('class="tick"') == 0 and "你已学完本讲。" not in html
    # the header names the learner asking, not the one whose request made the snapshot
    assert f'<span class="user-name">{other.staff_profile.full_name}</span>' in html
    assert f'<span class="user-name">{learner.staff_profile.full_name}</span>' not in html


def test_prerequisites_are_checked_on_every_request(client, learner, two_courses):
    basics, advanced = two_courses
    lesson = advanced.lessons().first()
    trainer = make_user("trainer", username="trainer1")
    client.force_login(trainer)
    assert client.get(lesson.url).status_code == 200  # makes the snapshot
    client.force_login(learner)
    response, routed = _get(client, lesson.url)
    assert not routed
    assert response.status_code == 403 and "尚未解锁" in response.content.decode()
    enrol(learner, basics)
    for basic_lesson in basics.lessons():
        complete_lesson(learner, basic_lesson)
    assert client.get(lesson.url).status_code == 200


def test_view_restrictions_are_honoured(client, learner, two_courses):
    basics, _advanced = two_courses
    url = basics.lessons().first().url
    client.force_login(learner)
    assert client.get(url).status_code == 200
    restriction = PageViewRestriction.objects.create(
        page=basics, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.add(Group.objects.create(name="只限试点区"))
    response, routed = _get(client, url)
    assert routed and response.status_code != 200
    response, routed = _get(client, url)
    assert routed and response.status_code != 200  # no snapshot of a restricted page


def test_languages_have_their_own_snapshots(client, learner, two_courses):
    basics, _advanced = two_courses
    url = basics.lessons()[1].url
    client.force_login(learner)
    assert "本课程全部课文" in client.get(url).content.decode()
    client.cookies["django_language"] = "en"
    html = client.get(url).content.decode()
    assert "All lessons in this course" in html and "本课程全部课文" not in html
    assert "第2讲 测试课文" in html  # authored content stays as written


def test_anonymous_and_post_requests_go_to_wagtail(client, learner, two_courses):
    basics, _advanced = two_courses
    url = basics.lessons().first().url
    client.force_login(learner)
    client.get(url)
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(learner)
    assert client.head(url).status_code == 200
    assert _get(client, url)[1] is False
    with CaptureQueriesContext(connection) as queries:
        client.post(url)
    assert any("wagtailcore_pageviewrestriction" in q["sql"] for q in queries.captured_queries)


def test_a_change_while_rendering_does_not_leave_a_stale_snapshot(
    client, learner, two_courses, monkeypatch
):
    basics, _advanced = two_courses
    url = basics.lessons().first().url
    client.force_login(learner)
    from courses import learning

    shared = learning.lesson_shared

    def publish_meanwhile(lesson, request):
        result = shared(lesson, request)
        snapshots.new_generation()  # e.g. a trainer publishes while this request renders
        return result

    monkeypatch.setattr(learning, "lesson_shared", publish_meanwhile)
    assert _get(client, url)[1]
    monkeypatch.setattr(learning, "lesson_shared", shared)
    assert _get(client, url)[1]  # the stored snapshot had the old generation
    assert not _get(client, url)[1]


def test_every_process_starts_new_generations(tmp_path):
    """Management commands never load the URLconf: the receivers come with the app."""
    code = (
        "import django; django.setup();"
        "from django.db.models.signals import post_save;"
        "from wagtail.signals import page_published;"
        "import sys;"
        "names = [str(r[0]) for r in post_save.receivers + page_published.receivers];"
        "assert 'lms.urls' not in sys.modules;"
        "print(sum('courses.snapshots' in n for n in names))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "lms.settings.test"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) == 2


def test_migrate_starts_a_new_generation():
    from django.apps import apps
    from django.db.models.signals import post_migrate

    config = apps.get_app_config("courses")
    before = snapshots.current_generation()
    post_migrate.send(
        sender=config,
        app_config=config,
        verbosity=0,
        interactive=False,
        using="default",
        apps=apps,
        plan=[],
    )
    assert snapshots.current_generation() != before


@pytest.mark.parametrize("snapshots_on", [True, False])
def test_lesson_list_marks_the_current_lesson_and_ticks_done_ones(
    client, learner, two_courses, settings, snapshots_on
):
    """The list items are rendered ahead for a snapshot (ticked and not), or per request
    without snapshots: either way the learner's own ticks, the current lesson marked and not
    linked, the others linked."""
    settings.LESSON_PAGE_SNAPSHOTS = snapshots_on
    basics, _advanced = two_courses
    lessons = list(basics.lessons())
    enrol(learner, basics)
    complete_lesson(learner, lessons[0])
    client.force_login(learner)
    for _ in range(2):  # routed, then from the snapshot (if on)
        html = client.get(lessons[1].url).content.decode()
        items = re.findall(r"<li>.*?</li>", html.split('class="lesson-list"')[1], re.S)
        assert len(items) == len(lessons)
        assert 'class="tick"' in items[0] and 'class="tick"' not in items[1]
        assert f'<strong aria-current="page">{lessons[1].title}</strong>' in items[1]
        assert f'href="{lessons[1].url}"' not in items[1]
        assert all(
            f'href="{lesson.url}"' in item
            for lesson, item in zip(lessons, items, strict=True)
            if lesson != lessons[1]
        )
