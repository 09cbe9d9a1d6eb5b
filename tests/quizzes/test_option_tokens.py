"""Security hole 1 (issue 15): the attempt page must not give the answer away.

Options are named by per-attempt opaque tokens, never by database ids; neither the tokens nor
the order of the options on the page correlate with correctness (checked statistically over
the shipped question banks); a tampered, database-id or foreign token is refused by the
autosave JSON, the check endpoint and the no-JS submit.
"""

import json
import random
import re
from collections import Counter, defaultdict

import pytest
from django.urls import reverse

from quizzes import attempts as svc
from quizzes.models import Attempt, Choice, Quiz, Response

from .utils import make_bank, make_quiz

pytestmark = pytest.mark.django_db

ATTEMPTS_PER_QUIZ = 20
# Chi-square critical values at p = 0.0001 by degrees of freedom: a fair test fails about
# once in ten thousand runs; the old pages (right answer = smallest id) give chi² in the
# hundreds.
CHI2_CRITICAL = {1: 15.14, 2: 18.42, 3: 21.11, 4: 23.51, 5: 25.74, 6: 27.86}

QUESTION_RE = re.compile(
    r'<div class="question" id="q(\d+)"[^>]*data-qtype="multichoice"[^>]*>(.*?)</fieldset>',
    re.S,
)
OPTION_RE = re.compile(
    r'<input type="radio" name="q\d+" id="([^"]+)" value="([^"]+)"[^>]*>\s*'
    r'<label for="[^"]+">(.*?)</label>',
    re.S,
)


def chi_square(counts: Counter, k: int) -> float:
    total = sum(counts.values())
    expected = total / k
    return sum((counts.get(i, 0) - expected) ** 2 / expected for i in range(k))


def options_on_page(html):
    """``{position: [(html id, value, label text)]}`` of the single-choice questions."""
    return {int(position): OPTION_RE.findall(body) for position, body in QUESTION_RE.findall(html)}


def test_right_answer_position_and_token_are_uniform_over_the_shipped_banks(
    client, learner, monkeypatch
):
    from courses.loader import load_curriculum

    load_curriculum("content")
    quizzes = list(Quiz.objects.filter(course__isnull=False))
    assert len(quizzes) == 3
    # Reproducible shuffles (the attempt seed normally comes from SystemRandom).
    seeds = random.Random(20261130)  # noqa: S311
    monkeypatch.setattr(svc.random, "SystemRandom", lambda: seeds)
    client.force_login(learner)

    by_position = defaultdict(Counter)  # k -> Counter(index of the right answer on the page)
    by_token = defaultdict(Counter)  # k -> Counter(rank of the right answer's value, sorted)
    choice_ids = {str(pk) for pk in Choice.objects.values_list("pk", flat=True)}
    observed = 0
    for quiz in quizzes:
        # The shipped bank and its quiz settings, detached from the course so that its
        # gate (enrolment, prerequisites, lessons read) and attempt limits do not apply.
        Quiz.objects.filter(pk=quiz.pk).update(
            course=None, max_attempts=None, cooldown_minutes=0, time_limit_minutes=None
        )
        quiz.refresh_from_db()
        for _i in range(ATTEMPTS_PER_QUIZ):
            attempt = svc.start_attempt(quiz, learner)
            html = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
            responses = {
                r.position: r
                for r in Response.objects.filter(attempt=attempt).prefetch_related(
                    "question__choices"
                )
            }
            pages = options_on_page(html)
            assert pages, "no single-choice question rendered"
            for position, options in pages.items():
                choices = list(responses[position].question.choices.all())
                right_text = next(c.text for c in choices if c.fraction == 1)
                values = [value for _id, value, _label in options]
                assert len(values) == len(choices) == len(set(values))
                for html_id, value, _label in options:
                    # Neither the value nor the element id is (or ends in) a database id.
                    assert value not in choice_ids, value
                    assert html_id.rsplit("-", 1)[-1] not in choice_ids, html_id
                index = next(i for i, o in enumerate(options) if o[2].strip() == right_text)
                k = len(options)
                by_position[k][index] += 1
                by_token[k][sorted(values).index(values[index])] += 1
                observed += 1
            svc.submit_attempt(attempt)
    assert observed > 500
    for k, counts in by_position.items():
        assert chi_square(counts, k) < CHI2_CRITICAL[k - 1], ("page order", k, counts)
    for k, counts in by_token.items():
        assert chi_square(counts, k) < CHI2_CRITICAL[k - 1], ("token order", k, counts)


TOKEN_GIFT = """
::MC::选哪个？{=甲 ~乙 ~丙}

::MR::选哪些？{~%50%子 ~%50%丑 ~%-100%寅}

::MT::配对{=专利 -> 国家知识产权局 =著作权 -> 版权局 = -> 工商局}
"""


def _page_values(client, attempt, qtype):
    html = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    response = Response.objects.get(attempt=attempt, question__qtype=qtype)
    block = html[html.index(f'id="q{response.position}"') :]
    block = block[: block.index("</fieldset>")]
    if qtype == "matching":
        return response, re.findall(rf'<select name="q{response.position}-([^"]+)"', block)
    return response, re.findall(r'value="([^"]+)"', block)


def _autosave(client, attempt, position, answer):
    return client.post(
        reverse("quizzes:autosave", args=[attempt.pk]),
        data=json.dumps({"position": position, "answer": answer}),
        content_type="application/json",
    )


def test_tampered_foreign_and_database_id_tokens_are_refused(client, learner, other_learner):
    bank = make_bank("令牌", TOKEN_GIFT)
    quiz = make_quiz(bank, questions_per_attempt=None, show_answers="each")
    other = svc.start_attempt(quiz, other_learner)
    client.force_login(other_learner)
    _r, foreign_values = _page_values(client, other, "multichoice")
    client.force_login(learner)
    attempt = svc.start_attempt(quiz, learner)
    mc, values = _page_values(client, attempt, "multichoice")
    right = mc.question.choices.get(fraction=1)

    # The page's own token is accepted and stored as the choice it names.
    assert _autosave(client, attempt, mc.position, {"choice": values[0]}).status_code == 200
    mc.refresh_from_db()
    assert mc.answer["choice"] in {c.pk for c in mc.question.choices.all()}
    saved = dict(mc.answer)

    bad_values = [
        str(right.pk),  # a database id
        right.pk,
        foreign_values[0],  # a token of another learner's attempt of the same quiz
        values[0][:-1] + ("0" if values[0][-1] != "0" else "1"),  # tampered
        "",
    ]
    for bad in bad_values[:-1]:
        reply = _autosave(client, attempt, mc.position, {"choice": bad})
        assert reply.status_code == 409, bad
        assert reply.json()["saved"] is False
    mc.refresh_from_db()
    assert mc.answer == saved

    mr, mr_values = _page_values(client, attempt, "multiresponse")
    reply = _autosave(client, attempt, mr.position, {"choices": [mr_values[0], foreign_values[1]]})
    assert reply.status_code == 409
    mt, mt_keys = _page_values(client, attempt, "matching")
    sub = mt.question.choices.exclude(text="").first()
    reply = _autosave(client, attempt, mt.position, {"pairs": {str(sub.pk): sub.match}})
    assert reply.status_code == 409
    reply = _autosave(client, attempt, mt.position, {"pairs": {mt_keys[0]: "版权局"}})
    assert reply.status_code == 200

    # The check endpoint refuses a database id and does not lock the question.
    client.post(
        reverse("quizzes:check", args=[attempt.pk, mc.position]), {f"q{mc.position}": right.pk}
    )
    mc.refresh_from_db()
    assert mc.checked is False and mc.answer == saved

    # The no-JS submit ignores a foreign token (the autosaved answer stands).
    client.post(
        reverse("quizzes:submit", args=[attempt.pk]), {f"q{mc.position}": foreign_values[0]}
    )
    attempt.refresh_from_db()
    mc.refresh_from_db()
    assert attempt.status == Attempt.GRADED and mc.answer == saved


def test_tokens_differ_between_attempts_of_the_same_paper(client, learner):
    quiz = make_quiz(
        make_bank("令牌2", TOKEN_GIFT),
        questions_per_attempt=None,
        shuffle_questions=False,
        shuffle_choices=False,
    )
    client.force_login(learner)
    first = svc.start_attempt(quiz, learner)
    _r, first_values = _page_values(client, first, "multichoice")
    svc.submit_attempt(first)
    second = svc.start_attempt(quiz, learner)
    _r, second_values = _page_values(client, second, "multichoice")
    assert len(first_values) == 3 and not set(first_values) & set(second_values)
