"""The reviewer's workflow button in the Chinese admin reads 批准并发布 (Wagtail's own zh_Hans
catalogue has "%(label)s 和发布", i.e. "批准 和发布"; locale_overrides/ corrects it)."""

import pytest
from django.utils import translation
from wagtail.models import WorkflowState

from courses.models import LessonPage
from lms.organisation import roles
from tests.courses.test_workflow import lesson_form
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_reviewer_sees_approve_and_publish_without_a_stray_space(client, two_courses):
    basics, _advanced = two_courses
    client.force_login(make_user(roles.TRAINER, district=None))
    client.post(
        f"/admin/pages/add/courses/lessonpage/{basics.pk}/",
        lesson_form("第四讲 首问负责", "lesson-4", **{"action-submit": "1"}),
    )
    lesson = LessonPage.objects.get(slug="lesson-4")
    assert WorkflowState.objects.filter(object_id=str(lesson.pk)).exists()

    client.force_login(make_user(roles.REVIEWER, district=None))
    html = client.get(f"/admin/pages/{lesson.pk}/edit/").content.decode()
    assert "批准并发布" in html
    assert "和发布" not in html


def test_the_override_wins_over_wagtails_catalogue():
    with translation.override("zh-hans"):
        label = translation.gettext("%(label)s and Publish") % {
            "label": translation.gettext("Approve with comment")
        }
    assert label == "带评论批准并发布"
