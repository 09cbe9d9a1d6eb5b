"""Accessibility of every learner page (axe-core: no serious or critical violation), in Chinese
and in English, and a quiz completed with the keyboard alone."""

import pytest
from django.urls import reverse

from tests.e2e.conftest import (
    E2E_DB,
    QUESTIONS,
    axe_violations,
    format_violations,
    login,
    switch_language,
)

pytestmark = [pytest.mark.e2e, E2E_DB]


@pytest.fixture
def learner_state(learner, curriculum):
    """The learner part-way through everything: a graded (failed) attempt, one in progress,
    a certificate. Returns the URLs of the learner pages."""
    from certificates.issuing import issue
    from courses.progress import complete_lesson
    from quizzes import attempts
    from quizzes.models import Quiz

    lessons = list(curriculum.lessons())
    complete_lesson(learner, lessons[0], course=curriculum)
    quiz = Quiz.objects.get(course=curriculum)
    failed = attempts.submit_attempt(attempts.start_attempt(quiz, learner))
    in_progress = attempts.start_attempt(quiz, learner)
    from django.utils import timezone

    from courses.models import Enrollment

    # A certificate needs a completed enrolment (certificates.issuing).
    Enrollment.objects.update_or_create(
        user=learner, course=curriculum, defaults={"completed_at": timezone.now()}
    )
    certificate = issue(learner, curriculum)
    return {
        "my training": "/",
        "course page": curriculum.url,
        "lesson page": lessons[1].url,
        "quiz landing": f"/quiz/{quiz.pk}/",
        "attempt page": f"/quiz/attempt/{in_progress.pk}/",
        "result page": f"/quiz/attempt/{failed.pk}/result/",
        "history": "/quiz/",
        "progress by category": reverse("quizzes:progress"),
        "password change": reverse("password_change"),
        "certificates status": "/certificates/",
        "verification page": certificate.verify_path,
    }


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_learner_pages_have_no_serious_axe_violations(browser_page, learner_state, language):
    page = browser_page
    report = []

    # The login page, switched to the language with the header's language form.
    page.goto("/accounts/login/")
    switch_language(page, language)
    if language == "en":
        # The page is really in English (the catalogue is compiled), not only lang="en".
        assert page.locator("h1").inner_text() != "登录", "login page not translated"
    violations = axe_violations(page)
    if violations:
        report.append(format_violations(f"[{language}] login ({page.url})", violations))
    for label, url in [
        ("password reset", reverse("password_reset")),
        ("password reset sent", reverse("password_reset_done")),
    ]:
        page.goto(url)
        violations = axe_violations(page)
        if violations:
            report.append(format_violations(f"[{language}] {label} ({url})", violations))

    login(page, "wangxm")
    for label, url in learner_state.items():
        response = page.goto(url)
        assert response.status == 200, f"{label} {url}: HTTP {response.status}"
        expected_lang = "zh-Hans" if language == "zh-hans" else language
        assert page.locator("html").get_attribute("lang") == expected_lang, label
        violations = axe_violations(page)
        if violations:
            report.append(format_violations(f"[{language}] {label} ({url})", violations))

    assert not report, "\n\n".join(report)


def _focused(page):
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const q = el && el.closest(".question");
            return {tag: el ? el.tagName : null, type: el ? el.type : null,
                    id: el ? el.id : null, question: q ? q.innerText : "",
                    name: el ? el.name : null,
                    text: el ? el.textContent.trim() : ""};
        }"""
    )


def _tab_until(page, predicate, limit=60):
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = _focused(page)
        if predicate(state):
            return state
    raise AssertionError(f"Tab never reached the expected element; last focus {_focused(page)}")


def test_quiz_can_be_completed_with_the_keyboard_alone(browser_page, learner, curriculum):
    """Tab / arrow keys / Space / Enter only: no mouse click from the quiz landing page to the
    result. (Only the login and the navigation to the quiz landing use the page API.)"""
    from courses.progress import complete_lesson
    from quizzes.models import Quiz

    page = browser_page
    quiz = Quiz.objects.get(course=curriculum)
    # The course's quiz opens once every lesson is read (courses.progress.quiz_gate).
    for lesson in curriculum.lessons():
        complete_lesson(learner, lesson, course=curriculum)
    login(page, "wangxm")
    page.goto(f"/quiz/{quiz.pk}/")

    # "Start" button: reach it with Tab, press Enter.
    _tab_until(page, lambda s: s["tag"] == "BUTTON" and s["text"] == "开始作答")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".question").count() == 3

    for _ in QUESTIONS:
        # Tab into the next question's radio group; its first radio gets the focus.
        state = _tab_until(page, lambda s: s["type"] == "radio" and s["question"])
        text = state["question"]
        _qtext, right_label, _wrong = next(q for q in QUESTIONS if q[0] in text)
        group = page.locator(f"input[name='{state['name']}']")
        labels = [
            page.locator(f"label[for='{group.nth(i).get_attribute('id')}']").inner_text().strip()
            for i in range(group.count())
        ]
        target = labels.index(right_label)
        with page.expect_response(lambda r: "/save/" in r.url):
            if target == 0:
                page.keyboard.press("Space")
            else:
                for _step in range(target):
                    page.keyboard.press("ArrowDown")
        checked = page.locator(f"input[name='{state['name']}']:checked")
        assert checked.count() == 1
        assert page.locator(f"label[for='{checked.get_attribute('id')}']").inner_text().strip() == (
            right_label
        )

    # Submit with Enter on the "交卷" button, then on "确认交卷" in the dialog it opens.
    _tab_until(page, lambda s: s["id"] == "quiz-submit")
    page.keyboard.press("Enter")
    _tab_until(page, lambda s: s["id"] == "submit-dialog-confirm")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/result/" in page.url
    assert page.locator(".score strong").inner_text() == "100"
