"""The quiz on a phone (390×844), issue 18: the submit dialog lists unanswered and flagged
questions with links to them, "flag for review" per question, timer warnings at 5 and 1
minutes (shown and announced), and the review of the learner's answers."""

import datetime
import os

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import E2E_DB, PHONE, QUESTIONS, QUIZ_TITLE, login

pytestmark = [pytest.mark.e2e, E2E_DB]
SHOTS = os.environ.get("E2E_SHOTS")  # a directory: save screenshots of each step to look at


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def is_autosave(response):
    return "/save/" in response.url and response.request.method == "POST"


def is_flag(response):
    return "/flag/" in response.url and response.request.method == "POST"


def start_quiz(page):
    from django.contrib.auth import get_user_model

    from courses.progress import complete_lesson
    from quizzes.models import Quiz

    quiz = Quiz.objects.get(title=QUIZ_TITLE)
    # The course's quiz opens once every lesson is read (courses.progress.quiz_gate).
    user = get_user_model().objects.get(username="wangxm")
    for lesson in quiz.course.lessons():
        complete_lesson(user, lesson, course=quiz.course)
    page.goto(f"/quiz/{quiz.pk}/")
    page.get_by_role("button", name="开始作答").click()
    page.wait_for_load_state("load")
    return quiz


def question(page, text):
    return page.locator(".question", has_text=text)


def test_submit_lists_unanswered_and_flagged_questions(open_page, learner):
    from quizzes.models import Attempt

    page = open_page(viewport=PHONE)
    login(page, "wangxm")
    start_quiz(page)
    numbers = {
        text: question(page, text).get_attribute("data-number") for text, _r, _w in QUESTIONS
    }
    answered, *skipped = QUESTIONS
    with page.expect_response(is_autosave):
        question(page, answered[0]).get_by_label(answered[1], exact=True).check()
    # Flag one of the skipped questions for review.
    flagged = skipped[0][0]
    flag = question(page, flagged).get_by_role("button", name="标记待复查")
    assert flag.get_attribute("aria-pressed") == "false"
    with page.expect_response(is_flag):
        flag.click()
    # The script sets aria-pressed when it handles the response: wait for it (a loaded CI
    # machine may run this assertion first).
    expect(flag).to_have_attribute("aria-pressed", "true")
    shot(page, "quiz-flagged")

    page.get_by_role("button", name="交卷").click()
    dialog = page.get_by_role("dialog", name="确认交卷？")
    assert dialog.is_visible()
    assert "已答 1 / 3 题" in dialog.inner_text()
    unanswered = dialog.locator("[data-submit-unanswered] a").all_inner_texts()
    assert sorted(unanswered) == sorted(f"第 {numbers[t]} 题" for t, _r, _w in skipped)
    assert dialog.locator("[data-submit-flagged] a").all_inner_texts() == [
        f"第 {numbers[flagged]} 题"
    ]
    shot(page, "quiz-submit-dialog")
    # Nothing is submitted yet.
    assert Attempt.objects.get().status == Attempt.IN_PROGRESS

    # Jump to the first unanswered question: the dialog closes, focus is in that question.
    target = skipped[0] if numbers[skipped[0][0]] < numbers[skipped[1][0]] else skipped[1]
    dialog.locator("[data-submit-unanswered]").get_by_role(
        "link", name=f"第 {numbers[target[0]]} 题"
    ).click()
    assert not dialog.is_visible()
    focused = page.evaluate("document.activeElement.closest('.question').dataset.number")
    assert focused == numbers[target[0]]
    with page.expect_response(is_autosave):
        question(page, target[0]).get_by_label(target[2], exact=True).check()

    page.get_by_role("button", name="交卷").click()
    assert "已答 2 / 3 题" in dialog.inner_text()
    assert dialog.locator("[data-submit-unanswered] a").count() == 1
    dialog.get_by_role("button", name="确认交卷").click()
    page.wait_for_url("**/result/")
    assert Attempt.objects.get().status == Attempt.GRADED


def test_timer_warns_at_five_and_one_minute(open_page, learner):
    from quizzes.models import Attempt, Quiz

    Quiz.objects.filter(title=QUIZ_TITLE).update(time_limit_minutes=30)
    page = open_page(viewport=PHONE)
    login(page, "wangxm")
    start_quiz(page)
    warning = page.locator("#quiz-timer-warning")
    assert warning.get_attribute("role") == "alert"
    assert warning.inner_text().strip() == ""  # 30 minutes left: no warning

    # 5 minutes and 2 seconds left: the warning comes when the countdown crosses 5:00.
    Attempt.objects.update(deadline=timezone.now() + datetime.timedelta(seconds=302))
    page.reload()
    assert warning.inner_text().strip() == ""
    expect(warning).to_contain_text("还剩 5 分钟", timeout=8000)
    assert warning.is_visible()
    assert "还剩 5 分钟" in warning.inner_text()
    shot(page, "quiz-timer-5min")

    Attempt.objects.update(deadline=timezone.now() + datetime.timedelta(seconds=62))
    page.reload()
    expect(warning).to_contain_text("还剩 1 分钟", timeout=8000)
    assert "还剩 1 分钟" in warning.inner_text()
    assert "timer-urgent" in page.locator(".timer").get_attribute("class")
    shot(page, "quiz-timer-1min")


def test_radio_buttons_keep_their_size_beside_long_choices(open_page):
    """Phone QA: a choice whose text wraps squeezed its radio button (flex shrink), so the
    buttons of one question had different sizes at 390 px. The quiz's choice markup, styled by
    the site's stylesheet, in a page at phone width."""
    page = open_page(viewport=PHONE)
    page.goto("/accounts/login/")
    page.evaluate(
        """() => { const f = document.createElement('fieldset'); f.className = 'question';
        f.innerHTML = ['短', '很长的选项文字'.repeat(12)].map((t, i) =>
          `<div class="choice"><input type="radio" name="q" id="c${i}">` +
          `<label for="c${i}">${t}</label></div>`).join('');
        document.querySelector('main').prepend(f); }"""
    )
    widths = page.eval_on_selector_all(
        ".choice input", "els => els.map(e => Math.round(e.getBoundingClientRect().width))"
    )
    assert len(widths) == 2
    assert widths[0] == widths[1], widths


def test_options_and_attempt_tables_fit_a_phone(open_page, learner):
    """The whole option row is the label (44 px at least, a tap on its right end chooses
    it); in English the attempt tables are cards within 390 px, the action link whole."""
    from tests.e2e.conftest import submit_paper, switch_language

    page = open_page(viewport=PHONE)
    login(page, "wangxm")
    quiz = start_quiz(page)
    text, right, _wrong = QUESTIONS[0]
    label = question(page, text).locator("label", has_text=right).first
    box = label.bounding_box()
    assert box["height"] >= 44, box
    with page.expect_response(is_autosave):
        page.mouse.click(box["x"] + box["width"] - 4, box["y"] + box["height"] - 4)
    assert question(page, text).get_by_label(right, exact=True).is_checked()
    submit_paper(page)
    switch_language(page, "en")
    for url in ("/quiz/", f"/quiz/{quiz.pk}/"):
        page.goto(url)
        table = page.locator("table.attempt-table")
        expect(table).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        for cell in table.locator("td").all():
            cell_box = cell.bounding_box()
            assert cell_box["x"] >= 0 and cell_box["x"] + cell_box["width"] <= PHONE["width"]
        title = table.locator("td").first.bounding_box()
        assert title["width"] > 200, title  # not one character per line
        shot(page, f"attempts-{url.strip('/').replace('/', '-') or 'history'}")
    link = page.locator("table.attempt-table .attempt-action a").first
    assert link.inner_text().strip() == "View"
    link_box = link.bounding_box()
    assert link_box["x"] + link_box["width"] <= PHONE["width"] and link_box["height"] >= 44
