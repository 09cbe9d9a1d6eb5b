"""Penetration test findings 1 and 5 (through the learner's HTTP views):

1. a paper opened before a revocation and submitted after it certified again (``has_passed``
   compared ``submitted_at`` with the cycle start while attempts counted by ``started_at``),
   and a learner who had passed could open further papers with the key at hand;
2. the answer key was released once the attempts were used up.
"""

import json

import pytest
from django.urls import reverse

from certificates.models import Certificate
from courses.models import Enrollment
from quizzes import attempts as svc
from quizzes.models import Attempt, Quiz, Response
from quizzes.tokens import choice_token
from tests.certificates.conftest import add_course
from tests.certificates.lifecycle_helpers import add_lesson, read_all, site_training_index
from tests.factories import make_user

from .utils import make_bank, make_quiz

pytestmark = pytest.mark.django_db

GIFT = """
$CATEGORY: 专利

::M1::发明专利的保护期是多少年？{=二十年整 ~十年整 ~十五年整 ####解析甲}

::M2::实用新型专利的保护期是多少年？{=十年之期 ~五年之期 ~二十年之期 ####解析乙}
"""
ESSAY = """
::E1::谈谈窗口服务的意义。{}
"""
PASSED = "您已通过本课程测验"
HELD = "正确答案和解析在通过本测验后公布；下面只标出各题对错，答错的题附有复习链接。"


def course_with(gift, code="IP-C1", **quiz):
    course = add_course(site_training_index(), code)
    add_lesson(course)
    options = {"pass_mark": 60, "max_attempts": 3, "questions_per_attempt": None}
    options.update(quiz)
    make_quiz(make_bank(f"题库{code}", gift), course=course, shuffle_questions=False, **options)
    return course


def quiz_of(course):
    return Quiz.objects.get(course=course)


def start(client, quiz):
    return client.post(reverse("quizzes:start", args=[quiz.pk]))


def correct_form(attempt):
    """The paper's form with every answer right (options named by the attempt's tokens)."""
    data = {}
    for response in Response.objects.filter(attempt=attempt).select_related("question"):
        if response.question.qtype == "essay":
            data[f"q{response.position}"] = "窗口服务是政务服务的门面。"
        else:
            right = response.question.choices.get(fraction=1)
            data[f"q{response.position}"] = choice_token(attempt, right.pk)
    return data


def autosave_correct(client, attempt):
    for key, value in correct_form(attempt).items():
        position = int(key[1:])
        response = Response.objects.get(attempt=attempt, position=position)
        answer = {"text": value} if response.question.qtype == "essay" else {"choice": value}
        reply = client.post(
            reverse("quizzes:autosave", args=[attempt.pk]),
            json.dumps({"position": position, "answer": answer}),
            content_type="application/json",
        )
        assert reply.json()["saved"], reply.content


def test_a_paper_opened_before_a_revocation_never_certifies(
    client, django_capture_on_commit_callbacks
):
    course = course_with(GIFT + ESSAY)
    quiz = quiz_of(course)
    learner = make_user(full_name="钱二")
    read_all(learner, course)
    client.force_login(learner)
    # Attempt 1: everything right, the essay waits for marking.
    start(client, quiz)
    first = Attempt.objects.get(user=learner, number=1)
    client.post(reverse("quizzes:submit", args=[first.pk]), correct_form(first))
    first.refresh_from_db()
    assert first.status == Attempt.PENDING
    # Not passed yet, so a second paper may be opened; the trainer then marks the first.
    start(client, quiz)
    second = Attempt.objects.get(user=learner, number=2)
    assert second.status == Attempt.IN_PROGRESS
    essay = Response.objects.get(attempt=first, question__qtype="essay")
    with django_capture_on_commit_callbacks(execute=True):
        svc.mark_response(essay, 1, marker=make_user("trainer"))
    certificate = Certificate.objects.current().get(user=learner, course=course)
    # The learner fills the second paper with the right answers and keeps it open.
    autosave_correct(client, second)

    admin = make_user("city_admin")
    admin_client = type(client)()
    admin_client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        reply = admin_client.post(
            reverse("certificates_certificate:revoke", args=[certificate.pk]),
            {"reason": "考核作弊"},
        )
    assert reply.status_code == 302
    # Revoking closed the paper opened before it (submitted as it stood, in the old cycle).
    second.refresh_from_db()
    assert second.status == Attempt.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("quizzes:submit", args=[second.pk]), correct_form(second))
        # Marked after the revocation: a pass, but of a paper opened before it.
        essay = Response.objects.get(attempt=second, question__qtype="essay")
        svc.mark_response(essay, 1, marker=make_user("trainer"))
    second.refresh_from_db()
    assert second.passed
    assert not Certificate.objects.current().filter(user=learner, course=course).exists()
    assert Enrollment.objects.get(user=learner, course=course).completed_at is None
    # The new cycle needs a new paper, which the learner may start.
    page = client.get(reverse("quizzes:quiz", args=[quiz.pk])).content.decode()
    assert "开始作答" in page and PASSED not in page
    assert start(client, quiz).status_code == 302
    assert Attempt.objects.filter(user=learner, status=Attempt.IN_PROGRESS).count() == 1


def test_no_further_attempt_once_the_course_quiz_is_passed(
    client, django_capture_on_commit_callbacks
):
    course = course_with(GIFT)
    quiz = quiz_of(course)
    learner = make_user()
    read_all(learner, course)
    client.force_login(learner)
    start(client, quiz)
    attempt = Attempt.objects.get(user=learner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("quizzes:submit", args=[attempt.pk]), correct_form(attempt))
    attempt.refresh_from_db()
    assert attempt.passed
    # The review shows the key now ...
    result = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "正确答案" in result and "解析甲" in result
    # ... so no further paper may be opened in this cycle.
    reply = start(client, quiz)
    assert reply.status_code == 302
    assert Attempt.objects.filter(user=learner).count() == 1
    page = client.get(reply["Location"]).content.decode()
    assert PASSED in page
    assert reverse("quizzes:start", args=[quiz.pk]) not in page
    with pytest.raises(svc.AttemptError, match=PASSED):
        svc.start_attempt(quiz, learner)


def test_the_last_failed_attempt_shows_what_was_wrong_but_not_the_key(client):
    course = course_with(GIFT, max_attempts=2)
    quiz = quiz_of(course)
    learner = make_user()
    read_all(learner, course)
    client.force_login(learner)
    for _n in range(2):
        start(client, quiz)
        attempt = Attempt.objects.get(user=learner, status=Attempt.IN_PROGRESS)
        wrong = {}
        for response in Response.objects.filter(attempt=attempt).select_related("question"):
            choice = response.question.choices.filter(fraction=0).first()
            wrong[f"q{response.position}"] = choice_token(attempt, choice.pk)
        client.post(reverse("quizzes:submit", args=[attempt.pk]), wrong)
    assert start(client, quiz).status_code == 302
    assert Attempt.objects.filter(user=learner).count() == 2  # exhausted
    html = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "作答次数已用完" in html or "逐题回顾" in html
    assert "错误" in html, html
    assert "复习课程" in html  # where to read up (no lesson names the category here)
    assert HELD in html
    html = html.replace(HELD, "")
    for marker in ("正确答案", "解析甲", "解析乙"):
        assert marker not in html, marker
    # The right options are listed as options of the paper, never badged as the answer.
    assert "二十年整" in html and "badge-ok" not in html
