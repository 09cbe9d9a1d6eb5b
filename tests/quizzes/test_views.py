"""Learner pages through HTTP: no answers before submission, 404 for others' attempts,
autosave JSON, no-JS submit, result/history/progress pages, the course-page tag."""

import json
import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from quizzes import attempts as svc
from quizzes.models import Attempt, Response
from quizzes.tokens import choice_token

from .utils import make_bank, make_quiz

pytestmark = pytest.mark.django_db


def start(client, quiz):
    response = client.post(reverse("quizzes:start", args=[quiz.pk]))
    assert response.status_code == 302
    return Attempt.objects.get(quiz=quiz)


def test_landing_start_and_paper_without_answers(client, learner):
    quiz = make_quiz(questions_per_attempt=None, time_limit_minutes=20, max_attempts=3)
    client.force_login(learner)
    page = client.get(reverse("quizzes:quiz", args=[quiz.pk]))
    assert page.status_code == 200
    assert "剩余作答次数：3" in page.content.decode()
    attempt = start(client, quiz)
    html = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    assert html.count("<fieldset") == 7 and "<legend>" in html
    assert 'class="timer"' in html and "js/quiz.js" in html
    for word in ["解析", "正确答案", "参考答案", "badge-ok", '版权局" selected']:
        assert word not in html
    # No fraction, feedback or GIFT feedback text from the sample bank reaches the page.
    assert "%50%" not in html and "%-100%" not in html and "fraction" not in html


LEAK_GIFT = """
::MC::单选题{=甲 #FEEDBACK-RIGHT ~乙 #FEEDBACK-WRONG ####EXPLAIN-MC}

::TF::判断题{T#TF-WRONG-FEEDBACK#TF-RIGHT-FEEDBACK ####EXPLAIN-TF}

::MA::多选题{~%50%子 ~%50%丑 ~%-100%寅 ####EXPLAIN-MA}

::SA::简答题{=正确答案ANSWER-SA ####EXPLAIN-SA}

::NUM::数字题{#1822:2 ####EXPLAIN-NUM}

::MT::配对题{=专利 -> 国家知识产权局 =著作权 -> 版权局 =商标 -> 商标局 = -> 工商局 ####EXPLAIN-MT}
"""
LEAK_MARKERS = ["FEEDBACK", "EXPLAIN", "ANSWER-SA", "1822", "%50%", "%-100%", "fraction"]


def test_no_answer_feedback_or_explanation_before_submission(client, learner):
    """Every question type with feedback and explanations: none of it, and no correct
    answer, reaches the attempt page or the autosave replies; matching options do not follow
    the sub-questions' order."""
    quiz = make_quiz(make_bank("泄露检查", LEAK_GIFT), questions_per_attempt=None)
    client.force_login(learner)
    attempt = start(client, quiz)
    html = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    assert html.count("<fieldset") == 6
    for marker in LEAK_MARKERS:
        assert marker not in html, marker
    replies = []
    for response in Response.objects.filter(attempt=attempt).select_related("question"):
        reply = client.post(
            reverse("quizzes:autosave", args=[attempt.pk]),
            data=json.dumps({"position": response.position, "answer": {"text": "1822"}}),
            content_type="application/json",
        )
        replies.append(reply.content.decode())
    for marker in ["FEEDBACK", "EXPLAIN", "ANSWER-SA", "fraction", "correct"]:
        assert not any(marker in reply for reply in replies), marker
    # Matching: the options are listed in an order of their own.
    matching = Response.objects.get(attempt=attempt, question__name="MT")
    start_of_select = html.index(f'name="q{matching.position}-')
    shown = re.findall(r'<option value="([^"]+)"', html[start_of_select:])[:4]
    # Sorted, whatever order the pairs were drawn in; the distractor sorts among them.
    assert shown == sorted(["国家知识产权局", "版权局", "商标局", "工商局"])


def test_autosave_json_never_reveals_correctness(client, learner):
    quiz = make_quiz(questions_per_attempt=None)
    client.force_login(learner)
    attempt = start(client, quiz)
    r = Response.objects.filter(attempt=attempt, question__qtype="multichoice").first()
    right = r.question.choices.get(fraction=1).pk
    answer = {"choice": choice_token(attempt, right)}
    reply = client.post(
        reverse("quizzes:autosave", args=[attempt.pk]),
        data=json.dumps({"position": r.position, "answer": answer}),
        content_type="application/json",
    )
    assert reply.status_code == 200
    body = reply.json()
    assert body["saved"] is True
    assert set(body) == {"saved", "position", "saved_at", "seconds_left"}
    r.refresh_from_db()
    assert r.answer == {"choice": right} and r.fraction is None
    # A choice of another question is refused.
    reply = client.post(
        reverse("quizzes:autosave", args=[attempt.pk]),
        data=json.dumps({"position": r.position, "answer": {"choice": 999999}}),
        content_type="application/json",
    )
    assert reply.status_code == 409 and "correct" not in reply.content.decode()


def test_autosave_requires_csrf(learner):
    from django.test import Client

    quiz = make_quiz()
    attempt = svc.start_attempt(quiz, learner)
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    reply = client.post(
        reverse("quizzes:autosave", args=[attempt.pk]),
        data=json.dumps({"position": 1, "answer": {}}),
        content_type="application/json",
    )
    assert reply.status_code == 403


def test_other_learners_attempt_is_404(client, learner, other_learner):
    quiz = make_quiz()
    attempt = svc.start_attempt(quiz, learner)
    client.force_login(other_learner)
    for name in ["quizzes:attempt", "quizzes:result"]:
        assert client.get(reverse(name, args=[attempt.pk])).status_code == 404
    assert client.post(reverse("quizzes:submit", args=[attempt.pk])).status_code == 404
    reply = client.post(
        reverse("quizzes:autosave", args=[attempt.pk]),
        data=json.dumps({"position": 1, "answer": {}}),
        content_type="application/json",
    )
    assert reply.status_code == 404
    attempt.refresh_from_db()
    assert attempt.status == Attempt.IN_PROGRESS


def test_no_js_form_submit_and_review(client, learner):
    quiz = make_quiz(questions_per_attempt=None, show_answers="end")
    client.force_login(learner)
    attempt = start(client, quiz)
    html = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    data = {}
    for r in Response.objects.filter(attempt=attempt).select_related("question"):
        if r.question.qtype == "multichoice":
            data[f"q{r.position}"] = choice_token(attempt, r.question.choices.get(fraction=1).pk)
        elif r.question.qtype == "truefalse":
            data[f"q{r.position}"] = "false"
        elif r.question.qtype == "numerical":
            data[f"q{r.position}"] = "10"
        elif r.question.qtype == "essay":
            data[f"q{r.position}"] = "论述"
    p1 = Response.objects.get(attempt=attempt, question__name="P1")
    assert f'name="q{p1.position}"' in html
    reply = client.post(reverse("quizzes:submit", args=[attempt.pk]), data)
    assert reply.status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == Attempt.PENDING
    p1.refresh_from_db()
    assert p1.fraction == 1  # the token posted by the form was the right answer's
    result = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "待阅卷" in result and "解析" not in result or "逐题回顾" in result
    assert "正确答案" in result  # answers shown after submission in "end" mode
    # A replayed submit changes nothing.
    client.post(reverse("quizzes:submit", args=[attempt.pk]), {})
    assert Attempt.objects.filter(quiz=quiz).count() == 1


def test_exam_mode_never_shows_answers(client, learner):
    quiz = make_quiz(questions_per_attempt=3, show_answers="never")
    client.force_login(learner)
    attempt = start(client, quiz)
    client.post(reverse("quizzes:submit", args=[attempt.pk]), {})
    html = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "正确答案" not in html and "考试模式" in html


def test_check_each_question_mode(client, learner):
    quiz = make_quiz(questions_per_attempt=None, show_answers="each", shuffle_questions=False)
    client.force_login(learner)
    attempt = start(client, quiz)
    r = Response.objects.get(attempt=attempt, question__name="P1")
    html = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    assert "核对本题答案" in html and "正确答案" not in html
    wrong = r.question.choices.filter(fraction=0).first().pk
    client.post(
        reverse("quizzes:check", args=[attempt.pk, r.position]),
        {f"q{r.position}": choice_token(attempt, wrong)},
    )
    html = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    assert html.count("正确答案") == 1  # only the checked question is revealed
    with pytest.raises(svc.AttemptError):
        svc.save_answer(attempt, r.position, {"choice": wrong})


def test_history_progress_and_course_tag(client, learner, rf):
    from .utils import make_course

    course = make_course()
    quiz = make_quiz(questions_per_attempt=None, course=course, max_attempts=2)
    client.force_login(learner)
    page = client.get(reverse("quizzes:quiz", args=[quiz.pk])).content.decode()
    assert "请先报名本课程" in page  # the course's quiz gate says why it is not open
    from courses.models import Enrollment

    Enrollment.objects.create(user=learner, course=course)
    attempt = start(client, quiz)
    svc.submit_attempt(attempt)
    history = client.get(reverse("quizzes:history")).content.decode()
    assert quiz.title in history
    progress = client.get(reverse("quizzes:progress")).content.decode()
    assert "专利" in progress and "商标" in progress and "0%" in progress

    request = RequestFactory().get("/")
    request.user = learner
    html = Template("{% load quizzes_tags %}{% course_quiz course %}").render(
        Context({"request": request, "course": course})
    )
    assert reverse("quizzes:quiz", args=[quiz.pk]) in html
    assert re.search(r"剩余 1 次", html)
