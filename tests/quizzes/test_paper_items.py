"""Issue 14 item 7 (quiz parts): description items are never drawn as questions, so the
question count on the landing page is the number of scored items; a partial-credit option of
a single-choice question is not badged as the correct answer (it shows its percentage)."""

import re

import pytest
from django.urls import reverse

from quizzes import attempts as svc
from quizzes.models import Choice, Response

from .utils import make_bank, make_quiz

pytestmark = pytest.mark.django_db

WITH_DESCRIPTIONS = """
::D1::阅读下面的材料后作答。

::Q1::一{=对 ~错}

::Q2::二{=对 ~错}

::D2::以下各题考查商标知识。

::Q3::三{T}

::Q4::四{=对 ~错}

::Q5::五{F}
"""


def test_description_items_are_never_drawn_and_not_counted(client, learner):
    quiz = make_quiz(
        make_bank("说明", WITH_DESCRIPTIONS),
        questions_per_attempt=5,
        max_attempts=None,
        cooldown_minutes=0,
    )
    for _i in range(15):
        attempt = svc.start_attempt(quiz, learner)
        qtypes = list(
            Response.objects.filter(attempt=attempt).values_list("question__qtype", flat=True)
        )
        assert len(qtypes) == 5 and "description" not in qtypes, qtypes
        svc.submit_attempt(attempt)
    client.force_login(learner)
    quiz.questions_per_attempt = None
    quiz.save()
    page = client.get(reverse("quizzes:quiz", args=[quiz.pk])).content.decode()
    assert "共 5 题" in page
    attempt = svc.start_attempt(quiz, learner)
    assert Response.objects.filter(attempt=attempt).count() == 5


def test_partial_credit_option_is_not_badged_correct(client, learner):
    bank = make_bank(
        "部分得分", "::P::选择{=全对 ~%50%半对 ~全错}\n\n::M::多选{~%50%甲 ~%50%乙 ~丙}"
    )
    quiz = make_quiz(bank, questions_per_attempt=None, shuffle_choices=False)
    attempt = svc.start_attempt(quiz, learner)
    p = Response.objects.get(attempt=attempt, question__name="P")
    p.answer = {"choice": Choice.objects.get(question=p.question, text="半对").pk}
    p.save()
    svc.submit_attempt(attempt)
    client.force_login(learner)
    html = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    single = html[html.index(f'id="q{p.position}"') :]
    single = single[: single.index("</fieldset>")]
    labels = dict(re.findall(r">(全对|半对|全错)(.*?)</label>", single, re.S))
    assert "正确答案" in labels["全对"]
    assert "正确答案" not in labels["半对"] and "部分得分 50%" in labels["半对"]
    assert "正确答案" not in labels["全错"] and "部分得分" not in labels["全错"]
    assert "部分正确" in html  # the question itself earned partial credit
    # Multiple response: both positive-weight options make up the correct answer.
    m = Response.objects.get(attempt=attempt, question__name="M")
    multi = html[html.index(f'id="q{m.position}"') :]
    multi = multi[: multi.index("</fieldset>")]
    assert multi.count("正确答案") == 2
