"""The attempt life cycle: drawing, shuffling, limits, time limit, idempotent submit, marking,
course completion and the submit query count."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from wagtail.models import ModelLogEntry

from quizzes import attempts as svc
from quizzes.models import Attempt, Category, Question, QuizDraw, Response

from .utils import gift_questions, make_bank, make_course, make_quiz

pytestmark = pytest.mark.django_db


def answer_all_correct(attempt):
    answers = {}
    for r in attempt.responses.select_related("question").prefetch_related("question__choices"):
        choices = list(r.question.choices.all())
        qt = r.question.qtype
        if qt == "multichoice":
            answers[r.position] = {"choice": max(choices, key=lambda c: c.fraction).pk}
        elif qt == "multiresponse":
            answers[r.position] = {"choices": [c.pk for c in choices if c.fraction > 0]}
        elif qt == "truefalse":
            answers[r.position] = {"value": "true" if r.question.correct_truefalse else "false"}
        elif qt == "numerical":
            answers[r.position] = {"text": str(choices[0].value)}
        elif qt == "shortanswer":
            answers[r.position] = {"text": choices[0].text}
        elif qt == "matching":
            answers[r.position] = {"pairs": {str(c.pk): c.match for c in choices if c.text}}
        elif qt == "essay":
            answers[r.position] = {"text": "我的论述"}
    return answers


def test_start_draws_and_stores_the_paper(learner):
    quiz = make_quiz(questions_per_attempt=4)
    attempt = svc.start_attempt(quiz, learner)
    rows = list(attempt.responses.order_by("position"))
    assert [r.position for r in rows] == [1, 2, 3, 4]
    assert len({r.question_id for r in rows}) == 4
    mc = [r for r in rows if r.question.qtype == "multichoice"]
    for r in mc:
        assert sorted(r.choice_order) == sorted(r.question.choices.values_list("pk", flat=True))
    # Starting again (a reload, a second click) resumes the same paper.
    again = svc.start_attempt(quiz, learner)
    assert again.pk == attempt.pk
    assert list(
        again.responses.order_by("position").values_list("question_id", "choice_order")
    ) == [(r.question_id, r.choice_order) for r in rows]
    assert Attempt.objects.count() == 1


def test_draw_is_reproducible_from_the_seed(learner):
    import random

    quiz = make_quiz(make_bank(text=gift_questions(30)), questions_per_attempt=10)
    a = svc.draw_questions(quiz, random.Random(42))
    b = svc.draw_questions(quiz, random.Random(42))
    assert a == b and len(a) == 10
    # Different learners get different papers (with overwhelming probability).
    assert svc.draw_questions(quiz, random.Random(43)) != a


def test_per_category_draws(learner):
    bank = make_bank(text=gift_questions(8, "专利", "P") + "\n\n" + gift_questions(8, "商标", "T"))
    quiz = make_quiz(bank)
    QuizDraw.objects.create(quiz=quiz, category=Category.objects.get(path="专利"), count=5)
    QuizDraw.objects.create(quiz=quiz, category=Category.objects.get(path="商标"), count=3)
    attempt = svc.start_attempt(quiz, learner)
    names = list(attempt.responses.values_list("question__name", flat=True))
    assert len(names) == 8
    assert sum(n.startswith("P") for n in names) == 5
    assert sum(n.startswith("T") for n in names) == 3


def test_subcategories_count_in_a_draw(learner):
    bank = make_bank(
        text=gift_questions(3, "专利/发明", "A") + "\n\n" + gift_questions(3, "专利", "B")
    )
    parent = Category.objects.get(path="专利")
    assert Category.objects.get(path="专利/发明").parent == parent
    quiz = make_quiz(bank)
    QuizDraw.objects.create(quiz=quiz, category=parent, count=6)
    attempt = svc.start_attempt(quiz, learner)
    assert attempt.responses.count() == 6


def test_scoring_a_full_attempt_with_essay_pending_then_marked(learner):
    from tests.factories import make_user

    quiz = make_quiz(questions_per_attempt=None)
    attempt = svc.start_attempt(quiz, learner)
    attempt = svc.submit_attempt(attempt, answers=answer_all_correct(attempt))
    assert attempt.status == Attempt.PENDING
    assert attempt.score is None and not attempt.passed
    essay = Response.objects.get(attempt=attempt, question__qtype="essay")
    assert essay.needs_marking

    trainer = make_user("trainer")
    attempt = svc.mark_response(essay, Decimal("0.5"), trainer, "一般")
    assert attempt.status == Attempt.GRADED
    # 6 questions right and the essay half right: 6.5 / 7.
    assert attempt.score == Decimal("92.86")
    assert attempt.passed
    entry = ModelLogEntry.objects.get(action="quizzes.mark")
    assert entry.data["new_fraction"] == "0.5" and entry.user == trainer


def test_idempotent_submit(learner):
    quiz = make_quiz(questions_per_attempt=None)
    attempt = svc.start_attempt(quiz, learner)
    first = svc.submit_attempt(attempt, answers=answer_all_correct(attempt))
    second = svc.submit_attempt(attempt, answers={})
    assert second.pk == first.pk and second.submitted_at == first.submitted_at
    assert Response.objects.filter(attempt=attempt, fraction=1).count() == 6


def test_attempt_limit_and_cooldown(learner):
    bank = make_bank(text=gift_questions(3))
    quiz = make_quiz(bank, max_attempts=2, cooldown_minutes=10)
    now = timezone.now()
    a1 = svc.start_attempt(quiz, learner, now=now)
    svc.submit_attempt(a1, now=now)
    with pytest.raises(svc.AttemptError):
        svc.start_attempt(quiz, learner, now=now + timedelta(minutes=5))
    a2 = svc.start_attempt(quiz, learner, now=now + timedelta(minutes=11))
    assert a2.number == 2
    svc.submit_attempt(a2, now=now + timedelta(minutes=12))
    with pytest.raises(svc.AttemptError):
        svc.start_attempt(quiz, learner, now=now + timedelta(hours=2))
    assert Attempt.objects.filter(quiz=quiz, user=learner).count() == 2


def test_quiz_window(learner):
    now = timezone.now()
    quiz = make_quiz(make_bank(text=gift_questions(2)), available_from=now + timedelta(hours=1))
    with pytest.raises(svc.AttemptError):
        svc.start_attempt(quiz, learner, now=now)
    quiz.available_from = None
    quiz.available_until = now + timedelta(minutes=5)
    quiz.time_limit_minutes = 30
    quiz.save()
    attempt = svc.start_attempt(quiz, learner, now=now)
    assert attempt.deadline == quiz.available_until  # capped by the closing time


def test_late_submission_is_graded_as_of_the_deadline(learner):
    quiz = make_quiz(
        make_bank(text=gift_questions(2)), time_limit_minutes=10, shuffle_questions=False
    )
    start = timezone.now()
    attempt = svc.start_attempt(quiz, learner, now=start)
    r1, r2 = attempt.responses.order_by("position").select_related("question")
    right1 = r1.question.choices.get(fraction=1).pk
    right2 = r2.question.choices.get(fraction=1).pk
    svc.save_answer(attempt, 1, {"choice": right1}, now=start + timedelta(minutes=9))
    # Autosave after deadline + grace is refused.
    with pytest.raises(svc.AttemptError):
        svc.save_answer(attempt, 2, {"choice": right2}, now=start + timedelta(minutes=11))
    # A submit after the grace period ignores the answers it carries.
    done = svc.submit_attempt(
        attempt, answers={2: {"choice": right2}}, now=start + timedelta(minutes=10, seconds=31)
    )
    assert done.status == Attempt.GRADED
    assert done.submitted_at == attempt.deadline
    assert done.late_submission_ignored
    assert done.score == Decimal("50.00")


def test_submit_within_grace_counts(learner):
    quiz = make_quiz(make_bank(text=gift_questions(1)), time_limit_minutes=10)
    start = timezone.now()
    attempt = svc.start_attempt(quiz, learner, now=start)
    r = attempt.responses.get()
    right = r.question.choices.get(fraction=1).pk
    done = svc.submit_attempt(
        attempt, answers={1: {"choice": right}}, now=start + timedelta(minutes=10, seconds=20)
    )
    assert done.score == 100 and not done.late_submission_ignored


def test_overdue_attempt_is_closed_on_next_start(learner):
    quiz = make_quiz(make_bank(text=gift_questions(1)), time_limit_minutes=1)
    start = timezone.now()
    old = svc.start_attempt(quiz, learner, now=start)
    new = svc.start_attempt(quiz, learner, now=start + timedelta(minutes=5))
    assert new.number == 2
    old.refresh_from_db()
    assert old.status == Attempt.GRADED and old.submitted_at == old.deadline


def test_database_enforces_one_in_progress_attempt(learner):
    from django.db import IntegrityError, transaction

    quiz = make_quiz(make_bank(text=gift_questions(1)))
    svc.start_attempt(quiz, learner)
    with pytest.raises(IntegrityError), transaction.atomic():
        Attempt.objects.create(quiz=quiz, user=learner, number=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Attempt.objects.create(quiz=quiz, user=learner, number=1, status="graded")


def test_passing_completes_the_course_once(learner, django_capture_on_commit_callbacks):
    from courses.completion import course_completed, evaluate
    from courses.models import Enrollment

    course = make_course()
    Enrollment.objects.create(user=learner, course=course)
    quiz = make_quiz(make_bank(text=gift_questions(2)), course=course, pass_mark=50)
    received = []

    def handler(**kwargs):
        received.append(kwargs["user"])

    course_completed.connect(handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            attempt = svc.start_attempt(quiz, learner)
            attempt = svc.submit_attempt(attempt, answers=answer_all_correct(attempt))
        assert attempt.passed
        # No second paper once passed (tests/quizzes/test_cycle_rules.py); a second
        # evaluation (another pass marked later, an attendance) completes nothing again.
        with pytest.raises(svc.AttemptError):
            svc.start_attempt(quiz, learner)
        with django_capture_on_commit_callbacks(execute=True):
            assert not evaluate(learner, course)
    finally:
        course_completed.disconnect(handler)
    assert received == [learner]
    assert Enrollment.objects.get(user=learner, course=course).completed_at is not None


def test_course_with_quiz_needs_a_pass(learner, django_capture_on_commit_callbacks):
    from courses.completion import evaluate
    from courses.models import Enrollment

    course = make_course()
    Enrollment.objects.create(user=learner, course=course)
    quiz = make_quiz(make_bank(text=gift_questions(2)), course=course, pass_mark=100)
    assert evaluate(learner, course) is False  # no lessons, but the quiz is not passed
    with django_capture_on_commit_callbacks(execute=True):
        attempt = svc.start_attempt(quiz, learner)
        svc.submit_attempt(attempt)  # blank: fails
    assert Enrollment.objects.get(user=learner, course=course).completed_at is None


def _submit_queries(django_assert_num_queries, learner, n, prefix):
    bank = make_bank(name=f"bank{n}", text=gift_questions(n, prefix=prefix))
    quiz = make_quiz(bank)
    attempt = svc.start_attempt(quiz, learner)
    answers = answer_all_correct(attempt)
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        done = svc.submit_attempt(attempt, answers=answers)
    assert done.score == 100
    return len(ctx.captured_queries)


def test_submit_takes_a_constant_number_of_queries(learner, django_assert_num_queries):
    ten = _submit_queries(django_assert_num_queries, learner, 10, "A")
    fifty = _submit_queries(django_assert_num_queries, learner, 50, "B")
    assert ten == fifty
    assert fifty <= 12


def test_question_names_are_unique_per_bank():
    bank = make_bank(text=gift_questions(1))
    assert Question.objects.filter(bank=bank).count() == 1
