"""Races on PostgreSQL: 50 parallel duplicate submits grade once; parallel starts make one
attempt. Each thread has its own database connection."""

import threading

import pytest
from django.db import connection, connections

from quizzes import attempts as svc
from quizzes.models import Attempt

from .utils import gift_questions, make_bank, make_quiz

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def run_parallel(n, func):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(func())
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_50_parallel_submits_grade_once(learner):
    quiz = make_quiz(make_bank(text=gift_questions(5)), max_attempts=1)
    attempt = svc.start_attempt(quiz, learner)
    results, errors = run_parallel(50, lambda: svc.submit_attempt(attempt).graded_at)
    assert not errors
    assert len(set(results)) == 1  # every caller got the same grading
    assert Attempt.objects.filter(quiz=quiz, user=learner, status="graded").count() == 1
    assert Attempt.objects.filter(quiz=quiz, user=learner).count() == 1


def test_parallel_starts_make_one_attempt(learner):
    quiz = make_quiz(make_bank(text=gift_questions(5)), max_attempts=1)
    results, errors = run_parallel(20, lambda: svc.start_attempt(quiz, learner).pk)
    assert not errors
    assert len(set(results)) == 1
    assert Attempt.objects.filter(quiz=quiz, user=learner).count() == 1
