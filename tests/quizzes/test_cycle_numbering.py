"""Attempts are numbered within the certification cycle (learner-fixes): after a revocation (or
a recertification) the rules say "最多作答 3 次", so the history must not list "第 4 次作答"
beside "剩余作答次数：2"; an earlier cycle's attempts are shown apart, as "上一轮"."""

import re

import pytest
from django.urls import reverse

from certificates.issuing import revoke
from certificates.models import Certificate
from quizzes import attempts as svc
from quizzes.models import Quiz
from tests.certificates.lifecycle_helpers import (
    course_with_quiz,
    read_all,
    site_training_index,
    take_quiz,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def second_cycle(db, commits):
    """Three attempts (two fails, a pass) in the first cycle, a revocation, one fail since."""
    course = course_with_quiz(site_training_index("training-numbers"), "IP-301", max_attempts=3)
    user = make_user()
    with commits():
        read_all(user, course)
        take_quiz(user, course, correct=False)
        take_quiz(user, course, correct=False)
        take_quiz(user, course)
    revoke(Certificate.objects.get(user=user, course=course), reason="考核作弊")
    with commits():
        failed = take_quiz(user, course, correct=False)
    return user, Quiz.objects.get(course=course), failed


def _section(html, start):
    return html.split(start, 1)[1].split("</section>", 1)[0]


def test_quiz_page_numbers_within_the_cycle_and_shows_the_earlier_one_apart(second_cycle, client):
    user, quiz, failed = second_cycle
    assert failed.number == 4  # the stored number runs on; the learner never sees it
    client.force_login(user)
    html = client.get(reverse("quizzes:quiz", args=[quiz.pk])).content.decode()
    assert "最多作答 3 次" in html and "剩余作答次数：2" in html
    assert "第 4 次作答" not in html
    current = _section(html, "我的作答记录")
    assert re.findall(r"第 (\d) 次作答", current) == ["1"]
    earlier = _section(html, 'data-testid="earlier-attempts"')
    assert earlier.count("上一轮作答") == 3 and "第 " not in earlier


def test_single_attempt_pages_and_history_agree(second_cycle, client):
    user, quiz, failed = second_cycle
    client.force_login(user)
    result = client.get(reverse("quizzes:result", args=[failed.pk])).content.decode()
    assert "第 1 次作答" in result and "第 4 次" not in result
    attempt = svc.start_course_attempt(quiz, user)
    paper = client.get(reverse("quizzes:attempt", args=[attempt.pk])).content.decode()
    assert "第 2 次作答" in paper
    summary = client.get(reverse("quizzes:summary", args=[attempt.pk])).content.decode()
    assert "第 2 次作答" in summary
    first = quiz.attempts.get(user=user, number=1)
    old = client.get(reverse("quizzes:result", args=[first.pk])).content.decode()
    assert "上一轮作答" in old and "第 1 次作答" not in old
    history = client.get(reverse("quizzes:history")).content.decode()
    cells = re.findall(r'<td data-label="次数">(.*?)</td>', history)
    assert cells == ["2", "1", "上一轮", "上一轮", "上一轮"], cells


def test_an_earlier_cycles_pass_is_not_congratulated(second_cycle, client):
    """The re-check after the pen-test fixes: the pass closed by a revocation said
    "恭喜，您已通过本测验。" beside "证书已撤销"; a pass of an earlier cycle says it no longer
    counts."""
    user, quiz, _failed = second_cycle
    client.force_login(user)
    passed = quiz.attempts.get(user=user, number=3)
    html = client.get(reverse("quizzes:result", args=[passed.pk])).content.decode()
    assert "恭喜，您已通过本测验。" not in html
    assert "本次作答属于上一轮，已不计入当前的证书要求。" in html
