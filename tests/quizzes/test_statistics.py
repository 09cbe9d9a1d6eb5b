from decimal import Decimal

import pytest
from django.urls import reverse

from quizzes.models import Attempt, Question, Response
from quizzes.results import best_results
from quizzes.statistics import item_statistics

from .utils import gift_questions, make_bank, make_course, make_quiz

pytestmark = pytest.mark.django_db


def known_data(course=None):
    from tests.factories import make_user

    bank = make_bank(text=gift_questions(2))
    quiz = make_quiz(bank, course=course)
    q1, q2 = Question.objects.filter(bank=bank).order_by("name")
    table = [(100, 1, 1), (75, 1, 0), (25, 0, 1), (0, 0, 0)]
    users = []
    for score, f1, f2 in table:
        user = make_user("window_staff")
        users.append(user)
        attempt = Attempt.objects.create(
            quiz=quiz, user=user, number=1, status="graded", score=score, passed=score >= 60
        )
        Response.objects.create(attempt=attempt, question=q1, position=1, fraction=f1)
        Response.objects.create(attempt=attempt, question=q2, position=2, fraction=f2)
    return quiz, users


def test_item_statistics_on_known_data():
    quiz, _users = known_data()
    stats = item_statistics(quiz)
    assert stats["attempts"] == 4 and stats["group_size"] == 2
    assert stats["mean"] == Decimal("50.00")
    by_name = {item["name"]: item for item in stats["items"]}
    assert by_name["Q000"]["facility"] == 0.5 and by_name["Q000"]["discrimination"] == 1.0
    assert by_name["Q001"]["facility"] == 0.5 and by_name["Q001"]["discrimination"] == 0.0
    counts = [band["count"] for band in stats["distribution"]]
    assert counts == [1, 0, 1, 0, 0, 0, 0, 1, 0, 1]


def test_statistics_page_for_trainers(client):
    from tests.factories import make_user

    quiz, _users = known_data()
    client.force_login(make_user("trainer"))
    html = client.get(reverse("quizzes_admin:quiz_statistics", args=[quiz.pk])).content.decode()
    assert "Q000" in html and "quiz-bar-fill" in html and "1.00" in html


def test_best_results_one_query(django_assert_num_queries):
    course = make_course()
    quiz, users = known_data(course)
    Attempt.objects.create(
        quiz=quiz, user=users[3], number=2, status="graded", score=80, passed=True
    )
    with django_assert_num_queries(1):
        results = best_results(course_ids=[course.pk])
    assert results[(users[0].pk, course.pk)] == (Decimal("100.00"), True)
    assert results[(users[2].pk, course.pk)] == (Decimal("25.00"), False)
    assert results[(users[3].pk, course.pk)] == (Decimal("80.00"), True)


def test_marking_page_filters_and_marks(client):
    from quizzes import attempts as svc
    from tests.factories import make_user

    learner = make_user("window_staff", username="alice")
    other = make_user("window_staff", username="bob")
    quiz = make_quiz(make_bank(text="::E1::论述{}"))
    for user in (learner, other):
        attempt = svc.start_attempt(quiz, user)
        svc.submit_attempt(attempt, answers={1: {"text": f"{user.username} 的论述"}})
    trainer = make_user("trainer")
    client.force_login(trainer)
    url = reverse("quizzes_admin:marking")
    html = client.get(url, {"quiz": quiz.pk, "user": "alice"}).content.decode()
    assert "alice 的论述" in html and "bob 的论述" not in html
    response = Response.objects.get(attempt__user=learner)
    client.post(url, {"response": response.pk, "percent": "100", "comment": "好"})
    attempt = Attempt.objects.get(user=learner)
    assert attempt.status == "graded" and attempt.score == 100 and attempt.passed
    # Learners and district admins cannot mark.
    client.force_login(make_user("district_admin"))
    assert client.get(url).status_code in (302, 403)
    assert Response.objects.filter(needs_marking=True).count() == 1


def test_admin_viewsets_render_and_attempts_are_district_scoped(client):
    from tests.factories import make_user

    quiz, users = known_data()
    trainer = make_user("trainer")
    client.force_login(trainer)
    for name in ["quiz", "question", "category", "questionbank", "attempt"]:
        assert client.get(reverse(f"{name}:index")).status_code == 200, name
    assert client.get(reverse("quiz:add")).status_code == 200
    question = Question.objects.first()
    assert client.get(reverse("question:edit", args=[question.pk])).status_code == 200
    # A district admin of another district sees none of these (HP) learners' attempts.
    client.force_login(make_user("district_admin", district="PD"))
    html = client.get(reverse("attempt:index")).content.decode()
    assert users[0].username not in html
    attempt = Attempt.objects.filter(user=users[0]).get()
    assert client.get(reverse("attempt:inspect", args=[attempt.pk])).status_code == 404
