"""Submitting an attempt with every question answered (quizzes.attempts.submit_attempt, the
function the submit view calls): p95 latency at 50 questions against 10, and the query count
at 50 questions against 10 (target: the same — independent of the question count)."""

import statistics
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext

from .data import ensure_dataset

RUNS = 30
MIXED = ["{=对 ~错一 ~错二 ~错三}", "{T}", "{~%50%甲 ~%50%乙 ~%-100%丙}"]


def gift(prefix, n):
    lines = ["$CATEGORY: 性能测试"]
    for i in range(n):
        lines.append(f"::{prefix}{i:03d}::题目 {i}：窗口受理时应核对哪些材料？{MIXED[i % 3]}")
    return "\n\n".join(lines)


def ensure_quiz(n):
    from quizzes.formats import parse_gift
    from quizzes.importing import import_questions
    from quizzes.models import QuestionBank, Quiz

    name = f"性能测试题库 {n} 题"
    quiz = Quiz.objects.filter(title=name).first()
    if quiz is None:
        import_questions(name, parse_gift(gift(f"B{n}-", n)))
        quiz = Quiz.objects.create(
            title=name,
            bank=QuestionBank.objects.get(name=name),
            shuffle_questions=True,
            shuffle_choices=True,
            max_attempts=None,
            cooldown_minutes=0,
        )
    return quiz


def answers_for(attempt):
    from quizzes.models import Response

    out = {}
    for position, qtype, order in Response.objects.filter(attempt=attempt).values_list(
        "position", "question__qtype", "choice_order"
    ):
        if qtype == "truefalse":
            out[position] = {"value": "true"}
        elif qtype == "multiresponse":
            out[position] = {"choices": order[:2]}
        else:
            out[position] = {"choice": order[0]}
    return out


def measure(quiz, users):
    from quizzes import attempts as svc

    times, queries = [], []
    for user in users:
        attempt = svc.start_attempt(quiz, user)
        answers = answers_for(attempt)
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = svc.submit_attempt(attempt, answers=answers)
            times.append(time.perf_counter() - started)
        assert result.status == "graded", result.status
        queries.append(len(captured))
    times.sort()
    return times[int(0.95 * (len(times) - 1))], statistics.median(times), max(queries)


def run(record):
    ensure_dataset()
    from django.contrib.auth import get_user_model

    users = list(
        get_user_model().objects.filter(username__startswith="load-").order_by("pk")[: RUNS + 2]
    )
    small, large = ensure_quiz(10), ensure_quiz(50)
    measure(large, users[-2:])  # warm up
    p95_10, med_10, q_10 = measure(small, users[:RUNS])
    p95_50, med_50, q_50 = measure(large, users[:RUNS])
    print(
        f"  submit 10 q: median {med_10 * 1000:.1f} ms, p95 {p95_10 * 1000:.1f} ms, {q_10} queries;"
        f" 50 q: median {med_50 * 1000:.1f} ms, p95 {p95_50 * 1000:.1f} ms, {q_50} queries",
        flush=True,
    )
    record("submit_50q_p95_ms", p95_50 * 1000, p95_10 * 1000, unit="ms")
    record("submit_50q_queries_vs_10q", q_50, q_10, target=1.0)
