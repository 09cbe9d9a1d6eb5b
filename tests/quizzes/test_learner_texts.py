"""What the quiz pages say about retries (issue 18, finding 3): the wait in minutes, and no
"attempts left" or "try again" lines once the learner has passed; English plurals."""

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from courses.models import Enrollment
from quizzes import attempts as svc
from quizzes.models import Attempt, Response
from quizzes.views import wait_phrase

from .utils import gift_questions, make_bank, make_course, make_quiz

pytestmark = pytest.mark.django_db


def test_wait_phrase():
    assert wait_phrase(20) == "不到 1 分钟"
    assert wait_phrase(589) == "约 10 分钟"
    assert wait_phrase(119 * 60) == "约 119 分钟"
    assert wait_phrase(3 * 3600 - 30) == "约 3 小时"
    with translation.override("en"):
        assert wait_phrase(20) == "less than a minute"
        assert wait_phrase(60) == "about 1 minute"
        assert wait_phrase(589) == "about 10 minutes"
        assert wait_phrase(3600 * 5) == "about 5 hours"


def answer_all(attempt, right):
    for r in Response.objects.filter(attempt=attempt).select_related("question"):
        choices = r.question.choices.all()
        pick = next(c.pk for c in choices if (c.fraction > 0) == right)
        svc.save_answer(attempt, r.position, {"choice": pick})
    return svc.submit_attempt(attempt)


@pytest.fixture
def quiz(learner):
    course = make_course()
    Enrollment.objects.create(user=learner, course=course)
    return make_quiz(
        make_bank(text=gift_questions(3)), course=course, max_attempts=3, cooldown_minutes=10
    )


def test_retry_wait_in_minutes_after_a_fail(client, learner, quiz):
    client.force_login(learner)
    attempt = answer_all(svc.start_attempt(quiz, learner), right=False)
    html = client.get(reverse("quizzes:quiz", args=[quiz.pk])).content.decode()
    assert "还需约 10 分钟" in html
    assert "秒" not in html.split("<main")[1]
    assert "剩余作答次数：2" in html
    result = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "剩余作答次数：2" in result


def test_no_attempts_left_or_try_again_after_passing(client, learner, quiz):
    client.force_login(learner)
    attempt = answer_all(svc.start_attempt(quiz, learner), right=True)
    assert attempt.passed
    html = client.get(reverse("quizzes:quiz", args=[quiz.pk])).content.decode()
    assert "已通过" in html
    for line in ["剩余作答次数", "之后再次作答", "还需"]:
        assert line not in html
    result = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "剩余作答次数" not in result and "及格" in result

    request = RequestFactory().get("/")
    request.user = learner
    tag = Template("{% load quizzes_tags %}{% course_quiz course %}").render(
        Context({"request": request, "course": quiz.course})
    )
    assert "已通过" in tag and "剩余" not in tag


def test_attempts_left_in_english_plurals(client, learner, quiz):
    client.force_login(learner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    answer_all(svc.start_attempt(quiz, learner), right=False)
    Attempt.objects.update(submitted_at=Attempt.objects.get().submitted_at.replace(year=2000))
    html = client.get(reverse("quizzes:quiz", args=[quiz.pk])).content.decode()
    assert "2 attempts left" in html
    answer_all(svc.start_attempt(quiz, learner), right=False)
    Attempt.objects.update(submitted_at=Attempt.objects.get(number=1).submitted_at)
    html = client.get(reverse("quizzes:quiz", args=[quiz.pk])).content.decode()
    assert "1 attempt left" in html and "1 attempts" not in html
