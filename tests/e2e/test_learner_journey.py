"""A new window staff member, enrolled by a rollout wave, learns, fails the quiz, passes on the
retake, downloads the certificate and is authorised — on a desktop and on a phone."""

import re

import pytest

from tests.e2e.conftest import (
    COURSE_TITLE,
    DESKTOP,
    E2E_DB,
    LESSON_TITLES,
    PHONE,
    QUESTIONS,
    QUIZ_TITLE,
    login,
    submit_paper,
)

pytestmark = [pytest.mark.e2e, E2E_DB]


def is_autosave(response):
    # The live server shares one in-memory SQLite connection between its request threads, so
    # an autosave still running when "submit" is posted can fail with "database table is
    # locked". Waiting for each autosave keeps requests sequential (and checks autosave works).
    return "/save/" in response.url and response.request.method == "POST"


def answer_paper(page, right):
    """Click the right (or a wrong) answer of each question on the attempt page, waiting for
    each answer's autosave (static/js/quiz.js) to come back."""
    # The attempt page was reached by a form POST and redirect: wait until its scripts have
    # run (the autosave listener), or the first click can come before it exists.
    page.wait_for_load_state("load")
    for text, right_label, wrong_label in QUESTIONS:
        question = page.locator(".question", has_text=text)
        label = right_label if right else wrong_label
        with page.expect_response(is_autosave) as saved:
            question.get_by_label(label, exact=True).check()
        assert saved.value.json()["saved"] is True
    assert "已自动保存" in page.locator("#quiz-save-status").inner_text()


def assert_fits(page, viewport, where):
    """No horizontal scrolling: the page is as wide as the viewport."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{where}: page is {width}px wide at {viewport['width']}px"


def open_course_quiz(page, problems):
    """From the course page, follow its link to the quiz."""
    link = page.locator("main a", has_text=re.compile("进入测验|继续作答|参加测验"))
    if link.count():
        link.first.click()
        return
    # Record the gap and carry on from the quiz URL, so the rest of the journey still runs.
    problems.append(
        f"course page {page.url} has no link to its quiz "
        "(templates/courses/course_page.html does not render {% course_quiz page %})"
    )
    from quizzes.models import Quiz

    page.goto(f"/quiz/{Quiz.objects.get(title=QUIZ_TITLE).pk}/")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_new_staff_member_trains_and_is_authorised(open_page, learner, viewport):
    from certificates.models import Certificate

    problems = []
    page = open_page(viewport=viewport)

    # Log in; "my training" lists the wave's course and says "not yet authorised".
    login(page, "wangxm")
    assert page.locator("h1").inner_text() == "我的培训"
    main = page.locator("main")
    assert "尚未获得上岗资格" in main.inner_text()
    course_link = page.locator(".home-courses").get_by_role("link", name=COURSE_TITLE)
    assert course_link.count() == 1, "the wave's course is not on 'my training'"
    assert_fits(page, viewport, "my training")
    course_link.click()

    # The course page: 0 of 2 lessons; start learning.
    assert page.locator("h1").inner_text() == COURSE_TITLE
    assert "已学 0 / 2 讲" in main.inner_text()
    assert_fits(page, viewport, "course page")
    page.locator("main a.btn-primary", has_text="开始学习").click()

    # Read every lesson and mark it complete.
    for index, title in enumerate(LESSON_TITLES):
        assert title in page.locator("h1").inner_text()
        assert page.locator(".lesson").get_by_text("发明专利权的期限为").count() == 1
        page.locator("main form button[type=submit]", has_text="学完本讲").click()
        page.wait_for_load_state()
        if index + 1 < len(LESSON_TITLES):
            assert LESSON_TITLES[index + 1] in page.locator("h1").inner_text()
    # After the last lesson: back on the course page, 2 of 2 (not yet complete: quiz pending).
    assert page.locator("h1").inner_text() == COURSE_TITLE
    assert "已学 2 / 2 讲" in main.inner_text()

    # The quiz: fail the first attempt.
    open_course_quiz(page, problems)
    assert QUIZ_TITLE in page.locator("h1").inner_text()
    page.get_by_role("button", name="开始作答").click()
    assert page.locator(".question").count() == 3
    assert_fits(page, viewport, "attempt page")
    answer_paper(page, right=False)
    submit_paper(page)
    assert "测验结果" in page.locator("h1").inner_text()
    assert page.locator(".score .badge-bad", has_text="不及格").count() == 1
    assert "0" in page.locator(".score strong").inner_text()
    assert_fits(page, viewport, "result page")

    # Retake at once (cooldown 0) and pass.
    page.get_by_role("link", name="返回测验").click()
    page.get_by_role("button", name="开始作答").click()
    assert "第 2 次作答" in page.locator("h1").inner_text()
    answer_paper(page, right=True)
    submit_paper(page)
    assert page.locator(".score .badge-ok", has_text="及格").count() == 1
    assert page.locator(".score strong").inner_text() == "100"

    # The certificate was issued on completion; "my training" now says authorised.
    page.goto("/")
    assert "已获上岗资格" in page.locator(".home-certificates").inner_text()
    page.get_by_role("link", name="我的证书").click()
    assert "已获上岗资格" in page.locator("main").inner_text()
    certificate = Certificate.objects.get(user=learner)
    assert certificate.serial in page.locator("main table").inner_text()
    assert_fits(page, viewport, "certificates")

    # Download the PDF. The view serves it inline (Content-Disposition: inline), so Chromium
    # shows it in its PDF viewer rather than saving a file: check the response it received.
    pdf_link = page.get_by_role("link", name="下载 PDF")
    href = pdf_link.get_attribute("href")
    with page.expect_response(lambda r: r.url.endswith(href)) as info:
        pdf_link.click()
    response = info.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert certificate.serial in response.headers.get("content-disposition", "")
    pdf = page.context.request.get(href).body()  # same session cookie
    assert pdf.startswith(b"%PDF"), pdf[:20]

    assert not problems, "\n".join(problems)
