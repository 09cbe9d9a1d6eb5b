"""Issue 18's journey on a phone (390×844): read (a lesson table scrolls in its block), start
the quiz, leave two questions unanswered and see them listed at submit, fail, review with the
learner's answers named and links to the lessons, pass, see the certificate as a card; the
same in English with English dates; a lesson re-read offline, and the quiz saying it needs a
connection."""

import os
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    COURSE_CODE,
    COURSE_TITLE,
    E2E_DB,
    LESSON_TITLES,
    PHONE,
    QUESTIONS,
    QUIZ_TITLE,
    login,
    switch_language,
    write_curriculum,
)

pytestmark = [pytest.mark.e2e, E2E_DB]
SHOTS = os.environ.get("E2E_SHOTS")

TABLE = """
| 权利 | 保护期限 | 起算 | 主管机关 | 备注 |
|---|---|---|---|---|
| 发明专利 | 二十年 | 自申请日起算 | 国家知识产权局 | 期满前不缴年费会提前终止 |
| 注册商标 | 十年，可续展 | 自核准注册之日起算 | 国家知识产权局 | 期满前十二个月内办理续展 |
"""
# Each question in the category named after the lesson that teaches it.
GIFT = """\
$CATEGORY: 窗口受理入门/专利的保护期限

::E2E-001 发明专利期限::发明专利权的保护期限是多少年？{
=20年
~15年
~50年
}

::E2E-002 著作权登记::著作权必须登记才产生。{F}

$CATEGORY: 窗口受理入门/商标的续展

::E2E-003 商标续展::注册商标每次续展的有效期是多少年？{
=10年
~5年
~30年
}
"""


@pytest.fixture
def curriculum(tmp_path):
    """The e2e curriculum with a five-column table in the first lesson and categories named
    after the lessons."""
    from django.core.management import call_command

    from courses.models import CoursePage

    root = write_curriculum(tmp_path / "content")
    course_dir = root / "courses" / "01-window-basics"
    lesson = course_dir / "lessons" / "01-patent-term.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + TABLE, encoding="utf-8")
    (course_dir / "questions.gift").write_text(GIFT, encoding="utf-8")
    call_command("load_curriculum", str(root), verbosity=0)
    return CoursePage.objects.get(code=COURSE_CODE)


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def is_autosave(response):
    return "/save/" in response.url and response.request.method == "POST"


def answer(page, text, label):
    with page.expect_response(is_autosave):
        page.locator(".question", has_text=text).get_by_label(label, exact=True).check()


def wait_for_service_worker(page):
    """Until the offline service worker controls the page (at most 20 s)."""
    state = page.evaluate(
        "() => Promise.race(["
        "  navigator.serviceWorker.ready.then(() => new Promise(resolve => {"
        "    if (navigator.serviceWorker.controller) return resolve('controlled');"
        "    navigator.serviceWorker.addEventListener('controllerchange',"
        "                                            () => resolve('controlled'));"
        "  })),"
        "  new Promise(resolve => setTimeout(() => resolve('timed out'), 20000)),"
        "])"
    )
    assert state == "controlled", f"service worker: {state}"


def test_phone_journey_with_review_links_certificate_and_offline_lesson(open_page, learner):
    page = open_page(viewport=PHONE)
    login(page, "wangxm")
    wait_for_service_worker(page)
    page.locator(".home-courses").get_by_role("link", name=COURSE_TITLE).click()
    page.locator("main a.btn-primary", has_text="开始学习").click()

    # Lesson 1: its table scrolls sideways inside its block; the page itself does not.
    assert LESSON_TITLES[0] in page.locator("h1").inner_text()
    lesson_url = page.url
    scroller = page.locator(".table-scroll")
    assert scroller.evaluate("el => el.scrollWidth > el.clientWidth")
    assert page.locator(".table-hint").is_visible()
    cell = page.locator(".table-scroll td", has_text="期满前不缴年费会提前终止")
    assert cell.evaluate("el => el.getBoundingClientRect().width") > 80  # not squeezed
    assert fits(page)
    shot(page, "journey-lesson-table")
    for _title in LESSON_TITLES:
        page.locator("main form button[type=submit]", has_text="学完本讲").click()
        page.wait_for_load_state()

    # The quiz: one wrong answer, two left unanswered, listed at submit.
    from quizzes.models import Quiz

    quiz = Quiz.objects.get(title=QUIZ_TITLE)
    page.goto(f"/quiz/{quiz.pk}/")
    page.get_by_role("button", name="开始作答").click()
    page.wait_for_load_state("load")
    answer(page, QUESTIONS[0][0], QUESTIONS[0][2])
    page.get_by_role("button", name="交卷").click()
    dialog = page.get_by_role("dialog", name="确认交卷？")
    assert "已答 1 / 3 题" in dialog.inner_text()
    assert dialog.locator("[data-submit-unanswered] a").count() == 2
    assert fits(page)
    shot(page, "journey-submit-dialog")
    dialog.get_by_role("button", name="确认交卷").click()
    page.wait_for_url("**/result/")
    assert page.locator(".score .badge-bad", has_text="不及格").count() == 1

    # The review: the learner's answer in words (the key itself is withheld until passing);
    # links to the lessons.
    first = page.locator(".question", has_text=QUESTIONS[0][0])
    assert first.locator("label", has_text=QUESTIONS[0][2]).locator(".badge-mine").inner_text() == (
        "你的答案"
    )
    assert page.locator(".question-review .badge", has_text="未作答").count() == 2
    assert page.locator(".question-review .badge", has_text="回答错误").count() == 1
    links = page.locator(".review-lesson a")
    assert links.count() == 3
    assert sorted(set(links.all_inner_texts())) == sorted(
        f"复习本讲：{title}" for title in LESSON_TITLES
    )
    assert fits(page)
    shot(page, "journey-review")
    first.locator(".review-lesson a").click()
    assert LESSON_TITLES[0] in page.locator("h1").inner_text()

    # Pass on the retake; no attempts-left line after passing; the certificate as a card.
    page.goto(f"/quiz/{quiz.pk}/")
    page.get_by_role("button", name="开始作答").click()
    page.wait_for_load_state("load")
    for text, right, _wrong in QUESTIONS:
        answer(page, text, right)
    page.get_by_role("button", name="交卷").click()
    assert "已答 3 / 3 题" in dialog.inner_text()
    dialog.get_by_role("button", name="确认交卷").click()
    page.wait_for_url("**/result/")
    assert page.locator(".score .badge-ok", has_text="及格").count() == 1
    assert "剩余作答次数" not in page.locator("main").inner_text()
    # Passed: the review names the learner's answer and the correct one, in words.
    first = page.locator(".question", has_text=QUESTIONS[0][0])
    label = first.locator("label", has_text=QUESTIONS[0][1]).inner_text()
    assert "你的答案" in label and "正确答案" in label
    page.goto("/")
    page.get_by_role("link", name="我的证书").click()
    row = page.locator(".cert-table tbody tr").first
    assert row.evaluate("el => getComputedStyle(el).display") == "block"  # a card
    assert row.get_by_role("link", name="数字证书（可验证）").is_visible()
    assert "电子徽章" not in page.locator("main").inner_text()
    assert fits(page)
    shot(page, "journey-certificates")

    # Offline: the lesson read before opens from the cache; the quiz says it needs a network.
    page.context.set_offline(True)
    page.goto(lesson_url)
    assert LESSON_TITLES[0] in page.locator("h1").inner_text()
    assert page.locator(".lesson").get_by_text("发明专利权的期限为").count() == 1
    shot(page, "journey-offline-lesson")
    page.goto(f"/quiz/{quiz.pk}/")
    expect(page.locator("main")).to_contain_text("测验需要联网")
    assert page.locator(".for-page").is_hidden()
    shot(page, "journey-offline-quiz")
    page.context.set_offline(False)


def test_phone_journey_in_english(open_page, learner):
    from django.utils import timezone

    from quizzes.models import Attempt, Quiz

    page = open_page(viewport=PHONE)
    login(page, "wangxm")
    # The language menu is one compact control in the header.
    summary = page.locator(".lang-menu summary")
    assert summary.bounding_box()["height"] <= 48
    summary.click()
    assert page.locator(".lang-menu button", has_text="English").get_attribute("lang") == "en"
    assert "英语" not in page.locator(".lang-menu").inner_text()
    shot(page, "english-menu")
    summary.click()
    switch_language(page, "en")
    assert page.locator("h1").inner_text() == "My training"
    assert page.locator("main").inner_text().count("in Chinese only") == 1

    from courses.progress import complete_lesson

    quiz = Quiz.objects.get(title=QUIZ_TITLE)
    # The course's quiz opens once every lesson is read (courses.progress.quiz_gate).
    for lesson in quiz.course.lessons():
        complete_lesson(learner, lesson, course=quiz.course)
    page.goto(f"/quiz/{quiz.pk}/")
    page.get_by_role("button", name="Start").click()
    page.wait_for_load_state("load")
    answer(page, QUESTIONS[0][0], QUESTIONS[0][2])
    page.locator("#quiz-submit").click()
    dialog = page.get_by_role("dialog")
    assert "1 of 3 answered" in dialog.inner_text()
    dialog.get_by_role("button", name="Submit now").click()
    page.wait_for_url("**/result/")
    main = page.locator("main").inner_text()
    submitted = timezone.localtime(Attempt.objects.get().submitted_at)
    assert re.search(rf"[A-Z][a-z]+\.? {submitted.day}, {submitted.year}", main), main[:300]
    assert f"{submitted.year}年" not in main
    assert "Score: " in main and "：" not in main.split("Question")[0]
    assert "Incorrect" in main and "Error" not in main
    assert "4 attempts left" in main
    assert "Your answer" in main
    assert page.locator(".review-lesson a").first.inner_text().startswith("Review the lesson: ")
    assert main.count("in Chinese only") == 1
    assert fits(page)
    shot(page, "english-result")
