"""Security hole 11 (issue 15): a quiz that leads to a certificate shows its correct answers
only once the learner has passed it in the current cycle (per quiz, on by default), never
after a fail, even the last attempt allowed; the learner still sees which questions were
right or wrong."""

import pytest
from django.urls import reverse

from quizzes import attempts as svc
from quizzes.models import Choice, Response

from .utils import make_bank, make_course, make_quiz

pytestmark = pytest.mark.django_db

KEY_GIFT = """
::MC::单选题{=甲 #FEEDBACK-RIGHT ~乙 #FEEDBACK-WRONG ####EXPLAIN-MC}

::TF::判断题{T#TF-WRONG-FEEDBACK#TF-RIGHT-FEEDBACK ####EXPLAIN-TF}

::SA::简答题{=ANSWER-SA ####EXPLAIN-SA}

::MT::配对题{=专利 -> 国家知识产权局 =著作权 -> 版权局 = -> 工商局 ####EXPLAIN-MT}
"""
KEY_MARKERS = ["正确答案", "参考答案", "FEEDBACK", "EXPLAIN", "ANSWER-SA", "解析"]


def course_quiz(**kwargs):
    options = {"questions_per_attempt": None, "max_attempts": 3, "show_answers": "end"}
    options.update(kwargs)
    return make_quiz(make_bank("答案", KEY_GIFT), course=make_course("IP-K1"), **options)


def result_page(client, attempt):
    return client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()


def enrol(quiz, user):
    from courses.models import Enrollment

    Enrollment.objects.get_or_create(user=user, course=quiz.course)


def blank_attempt(quiz, user):
    if quiz.course_id:
        enrol(quiz, user)
    attempt = svc.start_attempt(quiz, user)
    return svc.submit_attempt(attempt)


def passing_attempt(quiz, user):
    enrol(quiz, user)
    attempt = svc.start_attempt(quiz, user)
    for response in Response.objects.filter(attempt=attempt).select_related("question"):
        question = response.question
        if question.qtype == "multichoice":
            answer = {"choice": question.choices.get(fraction=1).pk}
        elif question.qtype == "truefalse":
            answer = {"value": True}
        elif question.qtype == "shortanswer":
            answer = {"text": "ANSWER-SA"}
        else:
            answer = {
                "pairs": {str(c.pk): c.match for c in question.choices.all() if c.text},
            }
        svc.save_answer(attempt, response.position, answer)
    attempt = svc.submit_attempt(attempt)
    assert attempt.passed
    return attempt


HELD = "正确答案和解析在通过本测验后公布；下面只标出各题对错，答错的题附有复习链接。"


def assert_key_withheld(html):
    # Which questions were wrong (or left unanswered): still shown.
    assert "逐题回顾" in html and ("错误" in html or "未作答" in html)
    assert HELD in html
    html = html.replace(HELD, "")
    for marker in KEY_MARKERS:
        assert marker not in html, marker


def assert_key_shown(html):
    assert HELD not in html
    for marker in ["正确答案", "EXPLAIN-MC", "ANSWER-SA", "版权局</span>"]:
        assert marker in html, marker


def test_failed_attempt_of_a_certificate_quiz_withholds_the_key(client, learner):
    quiz = course_quiz()
    first = blank_attempt(quiz, learner)
    client.force_login(learner)
    assert_key_withheld(result_page(client, first))
    # Passing opens the key, also on the earlier attempt's review.
    passing_attempt(quiz, learner)
    assert_key_shown(result_page(client, first))


def test_key_withheld_during_an_attempt_and_after_the_last_one_fails(client, learner):
    """Penetration test finding 5: the key was released once the attempts were used up, and
    an administrator who then granted another attempt let the learner sit a paper drawn from
    the questions just revealed."""
    quiz = course_quiz(max_attempts=2)
    first = blank_attempt(quiz, learner)
    second = svc.start_attempt(quiz, learner)  # in progress: the last attempt
    client.force_login(learner)
    assert_key_withheld(result_page(client, first))
    svc.submit_attempt(second)
    assert_key_withheld(result_page(client, first))
    assert_key_withheld(result_page(client, second))
    # Another attempt granted: the paper is drawn from the same bank, still unrevealed.
    quiz.max_attempts = 3
    quiz.save()
    passing_attempt(quiz, learner)
    assert_key_shown(result_page(client, second))


def test_unlimited_attempts_withhold_the_key_until_passed(client, learner):
    quiz = course_quiz(max_attempts=None)
    client.force_login(learner)
    for _i in range(3):
        assert_key_withheld(result_page(client, blank_attempt(quiz, learner)))


def test_configurable_per_quiz_and_only_for_certificate_quizzes(client, learner, other_learner):
    quiz = course_quiz(hold_answer_key=False)
    client.force_login(learner)
    assert_key_shown(result_page(client, blank_attempt(quiz, learner)))
    practice = make_quiz(make_bank("练习", KEY_GIFT), questions_per_attempt=None, max_attempts=3)
    client.force_login(other_learner)
    assert_key_shown(result_page(client, blank_attempt(practice, other_learner)))


def test_each_question_mode_shows_only_right_or_wrong_while_withheld(client, learner):
    quiz = course_quiz(show_answers="each", shuffle_questions=False)
    enrol(quiz, learner)
    attempt = svc.start_attempt(quiz, learner)
    mc = Response.objects.get(attempt=attempt, question__name="MC")
    wrong = Choice.objects.get(question=mc.question, fraction=0).pk
    svc.save_answer(attempt, mc.position, {"choice": wrong}, check=True)
    mc.refresh_from_db()
    mc.fraction = 0
    mc.save()
    client.force_login(learner)
    html = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    assert "错误" in html
    for marker in KEY_MARKERS:
        assert marker not in html, marker


def test_quiz_rules_do_not_promise_the_answers_a_certificate_quiz_holds_back(client, learner):
    """The rules card said "交卷后显示答案" while the review withheld the key (phone QA)."""
    quiz = course_quiz()
    client.force_login(learner)
    html = client.get(reverse("quizzes:quiz", args=[quiz.pk])).content.decode()
    assert "交卷后显示答案" not in html
    assert "正确答案在通过测验后公布，此前只显示各题对错" in html
    # A quiz that shows its key at submission still says so.
    quiz.hold_answer_key = False
    quiz.save()
    html = client.get(reverse("quizzes:quiz", args=[quiz.pk])).content.decode()
    assert "交卷后显示答案" in html


def test_landing_page_says_when_the_key_is_shown(client, learner):
    held = course_quiz()
    client.force_login(learner)
    page = client.get(reverse("quizzes:quiz", args=[held.pk])).content.decode()
    assert "正确答案在通过测验后公布" in page
    held.hold_answer_key = False
    held.save()
    page = client.get(reverse("quizzes:quiz", args=[held.pk])).content.decode()
    assert "正确答案在通过测验后公布" not in page


def test_course_md_can_turn_the_hold_off():
    from quizzes.importing import _quiz_settings

    assert _quiz_settings({"quiz": {"hold_answer_key": False}}, "X")["hold_answer_key"] is False
    assert "hold_answer_key" not in _quiz_settings({"quiz": {}}, "X")  # model default: on
    with pytest.raises(ValueError):
        _quiz_settings({"quiz": {"hold_answer_key": "no"}}, "X")


def test_a_new_cycle_withholds_the_key_again(client, learner):
    """Recertification or a revocation opens a new cycle of the course: the old pass no
    longer opens the key, not even on the old attempts' reviews."""
    from courses.enrolment import start_new_cycle
    from courses.models import Enrollment

    quiz = course_quiz()
    first = blank_attempt(quiz, learner)
    passing_attempt(quiz, learner)
    client.force_login(learner)
    assert_key_shown(result_page(client, first))
    Enrollment.objects.filter(user=learner).update(completed_at=first.submitted_at)
    start_new_cycle(learner, quiz.course)
    assert_key_withheld(result_page(client, first))
