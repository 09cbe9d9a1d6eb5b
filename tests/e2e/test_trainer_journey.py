"""A trainer, through the Wagtail admin (with two-factor authentication on): writes a lesson and
submits it to the reviewers' workflow (a reviewer requests changes with a comment, then approves
it), imports a GIFT bank (upload → preview → confirm), attaches a quiz to the course, and
marks a learner's essay on the marking page."""

import re

import pytest
from django.db import OperationalError
from playwright.sync_api import expect

from tests.e2e.conftest import COURSE2_CODE, COURSE2_TITLE, E2E_DB, admin_login

pytestmark = [pytest.mark.e2e, E2E_DB]

BANK_NAME = "窗口接待实务题库"
QUIZ_TITLE = "窗口接待实务测验"
LESSON_TITLE = "首问负责制"
LESSON_TEXT = "第一位接待办事人的工作人员负责到底，不得推诿。"
BANK_GIFT = """\
$CATEGORY: 窗口接待实务/基础

::E2E-201-001 首问负责::办事人咨询的事项不属于本窗口时，第一位接待的工作人员应当怎么做？{
=告知办理机关并协助转办
~请办事人自己查询
~拒绝接待
}

::E2E-201-002 接待记录::请简述一次窗口接待的完整记录应包括哪些内容。{}
"""


@pytest.fixture
def trainer(settings, curriculum):
    """A trainer with a confirmed TOTP device; the admin requires two-factor authentication
    (as in production: lms/settings/base.py LMS_REQUIRE_2FA defaults to True)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import make_user

    settings.LMS_REQUIRE_2FA = True
    # Wagtail 8 autosaves the editor every 500 ms. The live server shares ONE in-memory SQLite
    # connection between its request threads, so an autosave racing the "publish" POST can
    # fail ("database table is locked") -- a harness limit, not the app's: turn autosave off.
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0
    user = make_user("trainer", district=None, username="trainer_li", full_name="李老师")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


@pytest.fixture
def reviewer(settings, curriculum):
    """A reviewer (审核人) with a confirmed TOTP device."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import make_user

    user = make_user("reviewer", district=None, username="reviewer_wang", full_name="王审核")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def current_totp(user):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    token = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{token:0{device.digits}d}"


def pass_two_factor(page, user):
    assert "/accounts/2fa/verify/" in page.url, f"expected the 2FA step, at {page.url}"
    page.locator("#id_token").fill(current_totp(user))
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url.split("?")[0].endswith("/admin/"), page.url


def press_footer_action(page, selector):
    """Wagtail's page editor: open the footer's action menu if needed and press a button."""
    button = page.locator(selector).first
    if not button.is_visible():
        page.locator(
            "footer [data-w-dropdown-target='toggle'], footer .w-dropdown__toggle"
        ).first.click()
    button.click()


def publish_from_footer(page):
    press_footer_action(page, "button[name='action-publish']")


def review_in_browser(page, lesson, action, comment=""):
    """A reviewer, on the page editor: "审核" actions of the footer (approve / request changes),
    with a comment in Wagtail's modal when given. Returns once the task state has changed."""
    from wagtail.models import WorkflowState

    state = WorkflowState.objects.filter(object_id=str(lesson.pk)).latest("pk")
    task_state_id = state.current_task_state_id
    page.goto(f"/admin/pages/{lesson.pk}/edit/")
    press_footer_action(page, f"button[data-workflow-action-name='{action}']")
    modal = page.locator(".modal-content:visible")
    if comment:
        modal.wait_for()
        modal.locator("textarea[name='comment']").fill(comment)
        modal.locator("button[type=submit], input[type=submit]").first.click()
    for _ in range(100):  # the action is posted by Wagtail's JavaScript: wait for its result
        try:
            state.refresh_from_db()
        except OperationalError:  # SQLite's shared in-memory test database: the live server
            page.wait_for_timeout(100)  # is writing this table right now ("table is locked")
            continue
        if state.current_task_state_id != task_state_id or state.status != "in_progress":
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError(f"the reviewer's {action!r} did not change the workflow state")
    page.wait_for_load_state()


def test_trainer_authors_a_lesson_a_bank_a_quiz_and_marks_an_essay(
    browser_page, open_page, trainer, reviewer, curriculum, tmp_path
):
    from courses.enrolment import enrol
    from courses.models import CoursePage, LessonPage
    from quizzes import attempts
    from quizzes.models import Attempt, Quiz, Response
    from tests.factories import make_user

    page = browser_page
    course = CoursePage.objects.get(code=COURSE2_CODE)

    # Admin login, then the TOTP step.
    admin_login(page, "trainer_li")
    pass_two_factor(page, trainer)

    # 1. Write a lesson in the page editor and submit it for review (no "publish" for trainers).
    page.goto(f"/admin/pages/{course.pk}/add_subpage/")
    if "/add_subpage/" in page.url:  # more than one page type offered: choose "课文"
        page.get_by_role("link", name=re.compile("课文")).first.click()
    assert "/admin/pages/add/courses/lessonpage/" in page.url, page.url
    page.locator("#id_title").fill(LESSON_TITLE)
    page.locator("#id_title").blur()
    page.locator("#id_summary").fill("首问负责制的要求。")
    # StreamField: insert a "正文" (rich text) block and type into its Draftail editor.
    page.locator(
        "#panel-child-content-body-content .c-sf-add-button, .c-sf-add-button"
    ).first.click()
    page.get_by_role("option", name=re.compile("正文")).first.click()
    editor = page.locator(".Draftail-Editor [contenteditable='true']").first
    editor.click()
    editor.type(LESSON_TEXT)
    expect(editor).to_contain_text(LESSON_TEXT)
    # Draftail writes its content to the block's hidden input after a short delay: wait for it
    # before publishing (else the POST carries an empty, invalid block).
    expect(page.locator("input[name^='body-'][name$='-value-text']")).to_have_value(
        re.compile("不得推诿")
    )
    assert page.locator("button[name='action-publish']").count() == 0
    submit = page.locator("button[name='action-submit']")
    expect(submit).to_contain_text("提交给课程审核")
    press_footer_action(page, "button[name='action-submit']")
    page.wait_for_load_state()
    lesson = LessonPage.objects.child_of(course).get(title=LESSON_TITLE)
    assert not lesson.live, "a trainer's lesson went live without review"

    # 1b. The reviewer requests changes with a comment, the trainer resubmits, the reviewer
    # approves: the lesson is published.
    review = open_page()
    admin_login(review, "reviewer_wang")
    pass_two_factor(review, reviewer)
    expect(review.locator("body")).to_contain_text(LESSON_TITLE)  # "awaiting your review"
    review_in_browser(review, lesson, "reject", comment="请补充首问负责的依据。")
    lesson.refresh_from_db()
    assert not lesson.live
    page.goto(f"/admin/pages/{lesson.pk}/edit/")
    expect(page.locator("body")).to_contain_text("请补充首问负责的依据。")
    press_footer_action(page, "button[name='action-restart-workflow']")
    page.wait_for_load_state()
    review_in_browser(review, lesson, "approve")
    lesson.refresh_from_db()
    assert lesson.live, "the approved lesson was not published"
    assert LESSON_TEXT in str(lesson.body[0].value["text"])

    # 2. Import a GIFT bank: upload → preview → confirm.
    gift = tmp_path / "front-desk.gift"
    gift.write_text(BANK_GIFT, encoding="utf-8")
    page.goto("/admin/quiz-tools/import/")
    page.locator("#id_new_bank").fill(BANK_NAME)
    page.locator("#id_format").select_option("gift")
    page.locator("#id_file").set_input_files(str(gift))
    page.get_by_role("button", name="上传并预览").click()
    preview = page.locator("table.job-table")
    expect(preview.locator("tbody tr")).to_have_count(2)
    expect(preview).to_contain_text("E2E-201-002 接待记录")
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator("main")).to_contain_text("新增 2 题")

    # 3. Attach a quiz to the course (live = published to learners).
    page.goto("/admin/quiz/new/")
    page.locator("#id_title").fill(QUIZ_TITLE)
    page.locator("#id_bank").select_option(label=BANK_NAME)
    choose_course(page, course)
    page.locator("#id_pass_mark").fill("50")
    live = page.locator("#id_live")
    if not live.is_checked():
        live.check()
    page.locator(
        "form button[type=submit]", has_text=re.compile("创建|保存|Create|Save")
    ).first.click()
    expect(page).not_to_have_url(re.compile(r"/admin/quiz/new/"))
    quiz = Quiz.objects.get(title=QUIZ_TITLE)
    assert quiz.course_id == course.pk and quiz.live and quiz.bank.name == BANK_NAME

    # A learner takes the quiz and writes the essay (outside the browser).
    learner = make_user("window_staff", username="zhangsan", full_name="张三")
    enrol(learner, course)
    attempt = attempts.start_attempt(quiz, learner)
    for response in Response.objects.filter(attempt=attempt).select_related("question"):
        if response.question.qtype == "essay":
            attempts.save_answer(attempt, response.position, {"text": "记录办事人、事项和去向。"})
        else:
            right = response.question.choices.get(fraction__gt=0)
            attempts.save_answer(attempt, response.position, {"choice": right.pk})
    attempt = attempts.submit_attempt(attempt)
    assert attempt.status == Attempt.PENDING

    # 4. Mark the essay on the marking page.
    page.goto("/admin/quiz-tools/marking/")
    essay = page.locator("section.quiz-essay", has_text="张三")
    assert essay.count() == 1
    assert "记录办事人、事项和去向。" in essay.inner_text()
    essay.locator("input[name='percent']").fill("80")
    essay.locator("textarea[name='comment']").fill("要点齐全。")
    essay.get_by_role("button", name="保存评分").click()
    expect(page.locator(".messages")).to_contain_text("已批阅")
    attempt.refresh_from_db()
    assert attempt.status == Attempt.GRADED
    assert attempt.score == 90  # (1 + 0.8) / 2
    assert attempt.passed


def choose_course(page, course):
    """The quiz's course field: a plain <select>, or Wagtail's page chooser (modal)."""
    field = page.locator("#id_course")
    if field.evaluate("el => el.tagName") == "SELECT":
        field.select_option(value=str(course.pk))
        return
    page.locator("[data-chooser-action-choose], .chooser__choose-button").first.click()
    modal = page.locator(".modal-content:visible")
    modal.wait_for()
    for _ in range(3):  # the course list, or first the training index to open
        link = modal.get_by_role("link", name=COURSE2_TITLE, exact=True)
        if link.count():
            link.first.click()
            break
        modal.get_by_role("link", name=re.compile("培训课程")).first.click()
        page.wait_for_timeout(300)
    expect(page.locator("#id_course")).to_have_value(str(course.pk))
