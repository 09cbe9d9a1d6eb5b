"""The English UI is really English (issue 18, findings 6 and 7): a compact language menu
naming each language in itself, dates through Django's formats, no full-width punctuation,
"Incorrect" for a wrong answer, and one note that the content is in Chinese only."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from quizzes import attempts as svc
from quizzes.models import Attempt

from .utils import gift_questions, make_bank, make_quiz

pytestmark = pytest.mark.django_db
FULL_WIDTH = "：（）、"


def result_page(client, learner, language):
    quiz = make_quiz(make_bank(text=gift_questions(2)), max_attempts=3)
    client.force_login(learner)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.post(reverse("quizzes:start", args=[quiz.pk]))
    attempt = Attempt.objects.get(quiz=quiz)
    first = attempt.responses.get(position=1)
    wrong = next(c.pk for c in first.question.choices.all() if c.fraction <= 0)
    svc.save_answer(attempt, 1, {"choice": wrong})  # one wrong answer, one left unanswered
    attempt = svc.submit_attempt(attempt)
    return attempt, client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()


def main(html):
    return html.split('<main id="main"')[1].split("</main>")[0]


def test_language_menu_names_languages_in_themselves(client, learner):
    client.force_login(learner)
    html = client.get(reverse("quizzes:history")).content.decode()
    menu = html.split('<details class="lang-menu">')[1].split("</details>")[0]
    assert re.search(r'value="en" lang="en">English</button>', menu)
    assert re.search(r'value="zh-hans" lang="zh-Hans" aria-current="true">简体中文</button>', menu)
    assert "英语" not in menu and "<select" not in menu and "切换" not in menu


def test_english_result_page(client, learner):
    attempt, html = result_page(client, learner, "en")
    body = main(html)
    assert "Score: " in body
    assert not any(mark in body.split('class="question-text"')[0] for mark in FULL_WIDTH)
    when = timezone.localtime(attempt.submitted_at)
    assert when.strftime("%Y") in body and f"{when.year}年" not in body
    assert re.search(r"[A-Z][a-z]{2}\.? \d{1,2}, \d{4}", body)  # e.g. "Nov. 30, 2026"
    assert body.count(">Incorrect</span>") == 1 and "Error" not in body
    assert body.count(">Not answered</span>") == 1
    assert "2 attempts left" in body
    assert body.count("in Chinese only") == 1


def test_chinese_result_page_is_unchanged(client, learner):
    attempt, html = result_page(client, learner, None)
    body = main(html)
    when = timezone.localtime(attempt.submitted_at)
    assert f"交卷时间：{when.year}年{when.month}月{when.day}日" in body
    assert "得分：" in body and "回答错误" in body
    assert "只有中文版" not in body


def test_english_quiz_rules_use_plural_forms(client, learner):
    quiz = make_quiz(
        make_bank(text=gift_questions(1)), max_attempts=1, time_limit_minutes=1, cooldown_minutes=1
    )
    client.force_login(learner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = main(client.get(reverse("quizzes:quiz", args=[quiz.pk])).content.decode())
    assert "Up to 1 attempt," in body and "1 attempts" not in body
    assert "Time limit 1 minute;" in body and "1 minutes" not in body
    assert "1 attempt left" in body
