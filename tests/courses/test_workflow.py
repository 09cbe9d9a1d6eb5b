"""The approval workflow with the project's roles: trainers submit, reviewers (审核人) approve or
request changes with a comment; trainers cannot publish directly; city administrators assign the
reviewer role (lms/organisation/migrations/0005_reviewer_role.py, lms/organisation/roles.py,
courses/loader.py)."""

import pytest
from django.contrib.auth.models import Group
from wagtail.models import Page, TaskState, WorkflowState
from wagtail.test.utils.form_data import nested_form_data, streamfield

from courses.models import LessonPage
from lms.organisation import roles
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def lesson_form(title, slug, **actions):
    return (
        nested_form_data(
            {
                "title": title,
                "slug": slug,
                "summary": "摘要",
                "estimated_minutes": 10,
                "sources": "",
                "body": streamfield([("heading", {"text": "小标题", "level": "h2"})]),
            }
        )
        | actions
    )


@pytest.fixture
def trainer():
    return make_user(roles.TRAINER, district=None, username="t_li")


@pytest.fixture
def reviewer():
    return make_user(roles.REVIEWER, district=None, username="r_wang")


def test_migration_creates_the_reviewer_role_and_its_workflow_governs_the_training_tree(
    two_courses,
):
    basics, _advanced = two_courses
    reviewer = Group.objects.get(name=roles.REVIEWER)
    workflow = basics.get_workflow()
    assert workflow.name == roles.REVIEW_WORKFLOW and workflow.active
    [task] = [t.specific for t in workflow.tasks]
    assert list(task.groups.all()) == [reviewer]
    # Wagtail's default workflow (its "Moderators" group) governs nothing any more
    assert Page.get_first_root_node().get_workflow() == workflow
    assert reviewer.permissions.filter(codename="access_admin").exists()


def test_trainer_cannot_publish_and_submits_to_the_reviewers(client, two_courses, trainer):
    basics, _advanced = two_courses
    client.force_login(trainer)
    add_url = f"/admin/pages/add/courses/lessonpage/{basics.pk}/"
    html = client.get(add_url).content.decode()
    assert "提交给课程审核" in html
    assert "Moderators" not in html
    assert 'name="action-publish"' not in html

    # a forged "publish" only saves a draft
    client.post(add_url, lesson_form("第四讲 首问负责", "lesson-4", **{"action-publish": "1"}))
    lesson = LessonPage.objects.get(slug="lesson-4")
    assert not lesson.live and lesson.has_unpublished_changes

    edit_url = f"/admin/pages/{lesson.pk}/edit/"
    client.post(edit_url, lesson_form("第四讲 首问负责", "lesson-4", **{"action-submit": "1"}))
    state = WorkflowState.objects.get(object_id=str(lesson.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.current_task_state.task.name == roles.REVIEW_TASK


def test_reviewer_requests_changes_with_a_comment_then_approves(
    client, two_courses, trainer, reviewer
):
    basics, _advanced = two_courses
    client.force_login(trainer)
    client.post(
        f"/admin/pages/add/courses/lessonpage/{basics.pk}/",
        lesson_form("第四讲 首问负责", "lesson-4", **{"action-submit": "1"}),
    )
    lesson = LessonPage.objects.get(slug="lesson-4")
    state = WorkflowState.objects.get(object_id=str(lesson.pk))

    client.force_login(reviewer)
    # the reviewer finds it on the dashboard and may open the editor
    assert "第四讲 首问负责" in client.get("/admin/").content.decode()
    assert client.get(f"/admin/pages/{lesson.pk}/edit/").status_code == 200
    task_state = state.current_task_state
    response = client.post(
        f"/admin/pages/workflow/action/{lesson.pk}/reject/{task_state.pk}/",
        {"comment": "请补充法条出处。"},
    )
    assert response.status_code in (200, 302)
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_REJECTED
    assert task_state.comment == "请补充法条出处。"
    lesson.refresh_from_db()
    assert not lesson.live

    # the trainer sees the comment, edits and resubmits
    client.force_login(trainer)
    edit_url = f"/admin/pages/{lesson.pk}/edit/"
    assert "请补充法条出处。" in client.get(edit_url).content.decode()
    client.post(
        edit_url,
        lesson_form("第四讲 首问负责（修订）", "lesson-4", **{"action-restart-workflow": "1"}),
    )
    state = WorkflowState.objects.filter(object_id=str(lesson.pk)).latest("pk")
    assert state.status == WorkflowState.STATUS_IN_PROGRESS

    client.force_login(reviewer)
    task_state = state.current_task_state
    client.post(f"/admin/pages/workflow/action/{lesson.pk}/approve/{task_state.pk}/", {})
    lesson.refresh_from_db()
    assert lesson.live and lesson.title == "第四讲 首问负责（修订）"


def test_a_trainer_cannot_approve(client, two_courses, trainer):
    basics, _advanced = two_courses
    client.force_login(trainer)
    client.post(
        f"/admin/pages/add/courses/lessonpage/{basics.pk}/",
        lesson_form("第四讲 首问负责", "lesson-4", **{"action-submit": "1"}),
    )
    lesson = LessonPage.objects.get(slug="lesson-4")
    task_state = WorkflowState.objects.get(object_id=str(lesson.pk)).current_task_state
    response = client.post(f"/admin/pages/workflow/action/{lesson.pk}/approve/{task_state.pk}/", {})
    assert response.status_code in (302, 403)  # Wagtail: "permission denied", back to /admin/
    lesson.refresh_from_db()
    task_state.refresh_from_db()
    assert task_state.status == TaskState.STATUS_IN_PROGRESS
    assert not lesson.live


def test_city_admin_assigns_the_reviewer_role(client):
    city_admin = make_user(roles.CITY_ADMIN, district=None)
    staff = make_user(roles.TRAINER, district=None, username="zhao")
    client.force_login(city_admin)
    edit_url = f"/admin/users/edit/{staff.pk}/"
    html = client.get(edit_url).content.decode()
    reviewer = Group.objects.get(name=roles.REVIEWER)
    trainer = Group.objects.get(name=roles.TRAINER)
    assert f'value="{reviewer.pk}"' in html
    response = client.post(
        edit_url,
        {
            "username": "zhao",
            "email": "zhao@example.com",
            "first_name": "晓",
            "last_name": "赵",
            "is_active": "on",
            "groups": [trainer.pk, reviewer.pk],
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    assert set(staff.groups.values_list("name", flat=True)) == {roles.TRAINER, roles.REVIEWER}


def test_a_district_admin_cannot_grant_the_reviewer_role():
    district_admin = make_user(roles.DISTRICT_ADMIN, district="HP")
    assert not roles.assignable_groups(district_admin).filter(name=roles.REVIEWER).exists()


def test_a_reviewer_signs_in_to_what_awaits_their_review(client, two_courses, trainer, reviewer):
    """Reviewers landed on the learner home after login; they land on Wagtail's home, whose
    "awaiting your review" panel lists the submitted lesson (lms.rollout.views.landing_url)."""
    basics, _advanced = two_courses
    client.force_login(trainer)
    client.post(
        f"/admin/pages/add/courses/lessonpage/{basics.pk}/",
        lesson_form("第五讲 待审课文", "lesson-5", **{"action-submit": "1"}),
    )
    client.logout()
    response = client.post("/accounts/login/", {"username": "r_wang", "password": "Pass-word-123"})
    assert response["Location"] == "/admin/"
    html = client.get("/admin/", follow=True).content.decode()
    assert "等待你的审查" in html and "第五讲 待审课文" in html


def test_approval_email_links_to_the_page_on_the_site_url(client, curriculum, settings, mailoutbox):
    """The default Site follows SITE_URL (courses.loader.ensure_training_index), so the
    workflow e-mails' page links use the same base as the admin links, not localhost:80."""
    from courses.loader import load_curriculum

    from .conftest import write_course

    settings.SITE_URL = settings.WAGTAILADMIN_BASE_URL = "http://lms.example.test:8000"
    write_course(curriculum, "T-101", "course-a", lessons=1)
    load_curriculum(curriculum)
    basics = Page.objects.get(slug="course-a")
    client.force_login(make_user(roles.TRAINER, district=None, username="t_zhao"))
    client.post(
        f"/admin/pages/add/courses/lessonpage/{basics.pk}/",
        lesson_form("第二讲 一次告知", "lesson-2", **{"action-submit": "1"}),
    )
    lesson = LessonPage.objects.get(slug="lesson-2")
    task_state = WorkflowState.objects.get(object_id=str(lesson.pk)).current_task_state
    client.force_login(make_user(roles.REVIEWER, district=None))
    mailoutbox.clear()
    client.post(f"/admin/pages/workflow/action/{lesson.pk}/approve/{task_state.pk}/", {})
    [approved] = [m for m in mailoutbox if "t_zhao@example.com" in m.to]
    assert "http://lms.example.test:8000/training/course-a/lesson-2/" in approved.body
    assert "localhost" not in approved.body
