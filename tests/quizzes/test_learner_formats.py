"""A learner's phone test (fixlearner): one time format beside another ("Submitted at" and
"from 17:24" both on the 24-hour clock in English), one score format everywhere (no
"100.00"), attempts newest first, the same word for the username on sign-in and activation,
and no doubled "Language" in the English language menu."""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from quizzes import attempts as svc
from quizzes.models import Attempt, Quiz
from tests.factories import make_user

from .utils import gift_questions, make_bank, make_quiz

pytestmark = pytest.mark.django_db


def _failed_twice(client, language):
    quiz = make_quiz(make_bank(text=gift_questions(2)), max_attempts=3)
    user = make_user()
    client.force_login(user)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    done = [svc.submit_attempt(svc.start_attempt(quiz, user)) for _n in range(2)]
    Quiz.objects.filter(pk=quiz.pk).update(cooldown_minutes=600)  # "retry from 17:24"
    return quiz, done


def test_english_result_page_uses_the_24_hour_clock_throughout(client):
    quiz, (first, second) = _failed_twice(client, "en")
    html = client.get(reverse("quizzes:result", args=[second.pk])).content.decode()
    assert "p.m." not in html and "a.m." not in html, html
    when = timezone.localtime(Attempt.objects.get(pk=second.pk).submitted_at)
    assert when.strftime("%H:%M") in html
    assert 'data-testid="retry"' in html


def test_scores_have_no_trailing_zeros_and_attempts_are_newest_first(client):
    quiz, (first, second) = _failed_twice(client, None)
    Attempt.objects.filter(pk=first.pk).update(score=Decimal("100.00"))
    Attempt.objects.filter(pk=second.pk).update(score=Decimal("87.50"))
    html = client.get(reverse("quizzes:quiz", args=[quiz.pk])).content.decode()
    table = html.split('class="attempt-table"', 1)[1].split("</table>", 1)[0]
    assert "100.00" not in table and "87.50" not in table
    assert ">87.5 <" in table or ">87.5<" in table, table
    assert table.index(f"/quiz/attempt/{second.pk}/") < table.index(f"/quiz/attempt/{first.pk}/")
    assert re.search(r'data-label="得分"', table)
    history = client.get(reverse("quizzes:history")).content.decode()
    assert "100.00" not in history and ">100<" in history


def test_username_is_called_the_same_on_sign_in_and_activation(client):
    login = client.get(reverse("login")).content.decode()
    activate = client.get(reverse("activate")).content.decode()
    assert "用户名" in login and "用户名" in activate
    assert "登录名" not in login and "登录名" not in activate


def test_english_language_menu_says_language_once(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("login")).content.decode()
    summary = html.split('<details class="lang-menu">')[1].split("</summary>")[0]
    assert summary.count("Language") == 1, summary
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get(reverse("login")).content.decode()
    summary = html.split('<details class="lang-menu">')[1].split("</summary>")[0]
    assert "语言" in summary and "Language" in summary
