import tempfile
from pathlib import Path
from unittest import mock

import pytest
from django.test import override_settings
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase, page_tests
from wagtail.test.utils.form_data import nested_form_data, streamfield

from courses.enrolment import enrol
from courses.loader import load_curriculum
from courses.models import CoursePage, LessonPage, TrainingIndexPage
from courses.progress import complete_lesson
from tests.factories import make_user

from .conftest import write_course

pytestmark = pytest.mark.django_db


class PageTreeRulesTest(WagtailPageTestCase):
    def setUp(self):
        # Wagtail logs in with AUTHENTICATION_BACKENDS[0], django-axes, which needs a request.
        patcher = mock.patch.object(
            page_tests, "AUTH_BACKEND", "lms.organisation.auth.ProfileModelBackend"
        )
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_tree_rules(self):
        self.assertCanCreateAt(Page, TrainingIndexPage)
        self.assertCanCreateAt(TrainingIndexPage, CoursePage)
        self.assertCanCreateAt(CoursePage, LessonPage)
        self.assertCanNotCreateAt(Page, CoursePage)
        self.assertCanNotCreateAt(Page, LessonPage)
        self.assertCanNotCreateAt(TrainingIndexPage, LessonPage)
        self.assertCanNotCreateAt(CoursePage, CoursePage)
        self.assertCanNotCreateAt(LessonPage, LessonPage)
        self.assertAllowedSubpageTypes(LessonPage, {})
        self.assertAllowedParentPageTypes(CoursePage, {TrainingIndexPage})

    def test_only_one_training_index(self):
        root = Page.get_first_root_node()
        root.add_child(instance=TrainingIndexPage(title="培训课程", slug="training"))
        self.assertFalse(TrainingIndexPage.can_create_at(root))

    def test_pages_are_renderable(self):
        with tempfile.TemporaryDirectory() as tmp:
            write_course(Path(tmp), lessons=2)
            load_curriculum(Path(tmp))
        user = make_user(username="renderer")
        trainer = make_user("trainer", username="t1")
        lesson = LessonPage.objects.first()
        for page in [TrainingIndexPage.objects.get(), CoursePage.objects.get(), lesson]:
            self.assertPageIsRenderable(page, user=user)
        self.assertPageIsPreviewable(CoursePage.objects.get(), user=trainer)
        post_data = nested_form_data(
            {
                "title": lesson.title,
                "slug": lesson.slug,
                "summary": "摘要",
                "estimated_minutes": 10,
                "sources": "",
                "body": streamfield([("heading", {"text": "小标题", "level": "h2"})]),
            }
        )
        self.assertPageIsPreviewable(lesson, user=trainer, post_data=post_data)


def test_anonymous_is_sent_to_login(client, two_courses):
    basics, _advanced = two_courses
    for url in ["/training/", basics.url, basics.lessons().first().url]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=" + url)


def test_lesson_page_renders_blocks_and_navigation(client, learner, two_courses):
    basics, _advanced = two_courses
    client.force_login(learner)
    lessons = list(basics.lessons())
    response = client.get(lessons[1].url)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<h2 class="block-heading">这个事项是什么</h2>' in html
    assert "<details>" in html and "<summary>可以代办吗？</summary>" in html
    assert "<ol>" in html and "<strong>核对材料</strong>：逐项核对。" in html
    assert "<table>" in html and '<th scope="col">环节</th>' in html
    assert "可选" in html and "block-warning" in html
    assert "资料来源" in html and "《中华人民共和国专利法》第42条" in html
    assert f'href="{lessons[0].url}" rel="prev"' in html
    assert f'href="{lessons[2].url}" rel="next"' in html
    assert f'action="/learn/lessons/{lessons[1].pk}/complete/"' in html
    assert "csrfmiddlewaretoken" in html
    assert 'name="viewport"' in html


def test_draft_pages_are_invisible_to_learners(client, learner, two_courses):
    basics, _advanced = two_courses
    lesson = basics.lessons().first()
    lesson.unpublish()
    draft = LessonPage(title="草稿课文", slug="draft-lesson", live=False)
    basics.add_child(instance=draft)
    client.force_login(learner)
    assert client.get("/training/course-a/lesson-1/").status_code == 404
    assert client.get("/training/course-a/draft-lesson/").status_code == 404
    html = client.get(basics.url).content.decode()
    assert "草稿课文" not in html and "第1讲" not in html


def test_course_page_shows_enrol_button_objectives_and_lock(client, learner, two_courses):
    basics, advanced = two_courses
    client.force_login(learner)
    html = client.get(basics.url).content.decode()
    assert f'action="/learn/courses/{basics.pk}/enrol/"' in html
    assert "目标一" in html and "学习目标" in html
    html = client.get(advanced.url).content.decode()
    assert "本课程尚未解锁" in html and "测试课程 T-101" in html


def test_course_page_ticks_and_continue_link(client, learner, two_courses):
    basics, _advanced = two_courses
    enrol(learner, basics)
    lessons = list(basics.lessons())
    complete_lesson(learner, lessons[0])
    client.force_login(learner)
    html = client.get(basics.url).content.decode()
    assert html.count('class="tick"') == 1
    assert "从上次离开处继续" in html and f'href="{lessons[1].url}"' in html
    assert 'aria-valuenow="33"' in html


def test_locked_course_lessons_are_refused(client, learner, two_courses):
    basics, advanced = two_courses
    lesson = advanced.lessons().first()
    client.force_login(learner)
    response = client.get(lesson.url)
    assert response.status_code == 403
    assert "尚未解锁" in response.content.decode() and "测试课程 T-101" in response.content.decode()
    # a trainer may read it (e.g. to check the content)
    client.force_login(make_user("trainer", username="trainer1"))
    assert client.get(lesson.url).status_code == 200
    # once the prerequisite is complete, the learner may read it
    enrol(learner, basics)
    for basic_lesson in basics.lessons():
        complete_lesson(learner, basic_lesson)
    client.force_login(learner)
    assert client.get(lesson.url).status_code == 200


@override_settings(HOME_SECTIONS=["courses.views.home_section"])
def test_home_section_shows_progress(client, learner, two_courses):
    basics, advanced = two_courses
    enrol(learner, basics)
    complete_lesson(learner, basics.lessons().first())
    client.force_login(learner)
    html = client.get("/").content.decode()
    assert "我的课程" in html and "测试课程 T-101" in html
    assert 'aria-valuenow="33"' in html and "width: 33%" in html
    assert "已学 1 / 3 讲（33%）" in html and "学习中" in html
    assert "可以报名的课程" in html and advanced.url in html


def test_lesson_plays_an_uploaded_video(client, learner, two_courses, settings):
    """The video block: an MP4 uploaded as a Wagtail document plays in a <video> element,
    served through the document view (never straight from media)."""
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model

    assert "mp4" in settings.WAGTAILDOCS_EXTENSIONS
    video = get_document_model().objects.create(
        title="受理演示", file=ContentFile(b"\x00\x00\x00\x18ftypmp42", name="demo.mp4")
    )
    basics, _advanced = two_courses
    lesson = basics.lessons().first().specific
    lesson.body = [("video", {"title": "受理演示", "file": video, "transcript": "文字稿<b>内容"})]
    lesson.save_revision().publish()
    client.force_login(learner)
    html = client.get(lesson.url).content.decode()
    assert "<video controls" in html and f'<source src="{video.url}">' in html
    assert video.url.startswith("/documents/")
    assert "文字稿&lt;b&gt;内容" in html
    download = client.get(video.url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"\x00\x00\x00\x18ftyp")
