"""Before submitting: the summary page lists unanswered and flagged questions with links back
to them (issue 18, finding 1), and "flag for review" toggles per question."""

import re

import pytest
from django.urls import reverse

from quizzes import attempts as svc
from quizzes import tokens
from quizzes.models import Attempt, Response

from .utils import gift_questions, make_bank, make_quiz

pytestmark = pytest.mark.django_db


@pytest.fixture
def attempt(client, learner):
    quiz = make_quiz(make_bank(text=gift_questions(4)), shuffle_questions=False)
    client.force_login(learner)
    client.post(reverse("quizzes:start", args=[quiz.pk]))
    return Attempt.objects.get(quiz=quiz)


def choice_of(attempt, position, index=0):
    """The choice id (stored answers) of an option of a question."""
    return Response.objects.get(attempt=attempt, position=position).choice_order[index]


def option_of(attempt, position, index=0):
    """What the paper's form posts for that option: its per-attempt token."""
    return tokens.choice_token(attempt, choice_of(attempt, position, index))


def jump_links(html):
    return re.findall(r'<a href="[^"]*#q(\d+)">第 (\d+) 题</a>', html)


def test_submit_button_opens_the_summary_not_the_result(client, attempt):
    html = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    summary_url = reverse("quizzes:summary", args=[attempt.pk])
    assert re.search(rf'id="quiz-submit" formaction="{summary_url}"', html)
    # The paper's submit dialog is there, with nothing answered yet.
    assert 'id="submit-dialog"' in html and "已答 0 / 4 题" in html


def test_summary_lists_unanswered_and_flagged_and_keeps_the_posted_answers(client, attempt):
    client.post(
        reverse("quizzes:flag", args=[attempt.pk, 3]),
        {"flagged": "1"},
        HTTP_ACCEPT="application/json",
    )
    # The paper posted to the summary (no JavaScript): questions 1 and 3 answered.
    page = client.post(
        reverse("quizzes:summary", args=[attempt.pk]),
        {"q1": option_of(attempt, 1), "q3": option_of(attempt, 3)},
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "已答 2 / 4 题" in html
    unanswered = html.split("未作答的题目")[1].split("</ul>")[0]
    assert jump_links(unanswered) == [("2", "2"), ("4", "4")]
    flagged = html.split("标记待复查的题目")[1].split("</ul>")[0]
    assert jump_links(flagged) == [("3", "3")]
    attempt.refresh_from_db()
    assert attempt.status == Attempt.IN_PROGRESS  # not submitted yet
    answers = dict(Response.objects.filter(attempt=attempt).values_list("position", "answer"))
    assert answers[1] == {"choice": choice_of(attempt, 1)} and answers[2] is None

    # Its confirm button submits with the stored answers (the form carries none).
    client.post(reverse("quizzes:submit", args=[attempt.pk]), {"from_summary": "1"})
    attempt.refresh_from_db()
    assert attempt.status == Attempt.GRADED
    answers = dict(Response.objects.filter(attempt=attempt).values_list("position", "answer"))
    assert answers[1] == {"choice": choice_of(attempt, 1)}


def test_summary_with_everything_answered(client, attempt):
    data = {f"q{p}": option_of(attempt, p) for p in range(1, 5)}
    html = client.post(reverse("quizzes:summary", args=[attempt.pk]), data).content.decode()
    assert "已答 4 / 4 题" in html
    assert " hidden data-submit-unanswered>" in html
    assert " hidden data-submit-flagged>" in html
    assert "所有题目都已作答" in html


def test_flag_toggle_json_and_no_js(client, attempt):
    url = reverse("quizzes:flag", args=[attempt.pk, 2])
    reply = client.post(url, {"flagged": "1"}, HTTP_ACCEPT="application/json").json()
    assert reply == {"position": 2, "flagged": True}
    html = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    assert re.search(r'id="q2"[^>]*data-flagged="true"', html)
    assert re.search(r'flag/2/" name="flagged" value="0" aria-pressed="true"', html)
    # Without JavaScript the whole paper posts here: its answers are kept, back to question 2.
    page = client.post(url, {"flagged": "0", "q1": option_of(attempt, 1)})
    assert page.status_code == 302 and page["Location"].endswith("#q2")
    assert Response.objects.get(attempt=attempt, position=2).flagged is False
    assert Response.objects.get(attempt=attempt, position=1).answer is not None


def test_flags_are_the_learners_own(client, attempt, other_learner):
    client.force_login(other_learner)
    url = reverse("quizzes:flag", args=[attempt.pk, 1])
    assert client.post(url, {"flagged": "1"}).status_code == 404
    assert client.get(reverse("quizzes:summary", args=[attempt.pk])).status_code == 404


def test_no_flag_or_summary_after_submission(client, attempt):
    svc.submit_attempt(attempt)
    url = reverse("quizzes:flag", args=[attempt.pk, 1])
    reply = client.post(url, {"flagged": "1"}, HTTP_ACCEPT="application/json")
    assert reply.status_code == 409
    page = client.get(reverse("quizzes:summary", args=[attempt.pk]))
    assert page.status_code == 302 and page["Location"].endswith("/result/")
