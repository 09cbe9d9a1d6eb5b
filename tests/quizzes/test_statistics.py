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
    assert stats["attempts"] == 4
    assert stats["mean"] == Decimal("50.00")
    by_name = {item["name"]: item for item in stats["items"]}
    q1, q2 = by_name["Q000"], by_name["Q001"]
    assert q1["facility"] == 0.5 and q1["facility_percent"] == 50
    # x1 = 1,1,0,0 and x2 = 1,0,1,0 are uncorrelated: each one's rest of the test is the
    # other, so Moodle's discrimination index (item-rest correlation) is 0 for both -- the old
    # top-27 % minus bottom-27 % gave Q000 1.0.
    assert q1["discrimination_index"] == 0 and q2["discrimination_index"] == 0
    assert q1["discriminative_efficiency"] == 0
    assert q1["sd_percent"] == 57.74  # sqrt(1/3)
    assert q1["random_guess_percent"] == 25  # four options, one right
    assert q1["intended_weight"] == 50 and q1["effective_weight"] == 50
    counts = [band["count"] for band in stats["distribution"]]
    assert counts == [1, 0, 1, 0, 0, 0, 0, 1, 0, 1]


def test_discrimination_index_is_the_item_rest_correlation(django_assert_num_queries):
    import statistics as py_statistics

    from tests.factories import make_user

    bank = make_bank(text=gift_questions(3))
    quiz = make_quiz(bank)
    questions = list(Question.objects.filter(bank=bank).order_by("name"))
    table = [(1, 1, 1), (1, 1, 0), (1, 0, 1), (0, 1, 0), (0, 0, 1), (0, 0, 0)]
    for fractions in table:
        attempt = Attempt.objects.create(
            quiz=quiz, user=make_user("window_staff"), number=1, status="graded",
            score=round(100 * sum(fractions) / 3), passed=False,
        )  # fmt: skip
        for position, (question, fraction) in enumerate(zip(questions, fractions, strict=True)):
            right = question.choices.get(fraction=1)
            wrong = question.choices.exclude(fraction=1).first()
            Response.objects.create(
                attempt=attempt, question=question, position=position, fraction=fraction,
                answer={"choice": (right if fraction else wrong).pk},
            )  # fmt: skip
    with django_assert_num_queries(4):  # attempts, responses, questions, choices
        stats = item_statistics(quiz)
    by_name = {item["name"]: item for item in stats["items"]}
    for i, question in enumerate(questions):
        xs = [row[i] for row in table]
        rest = [sum(row) - row[i] for row in table]
        expected = round(100 * py_statistics.correlation(xs, rest), 2)
        assert by_name[question.name]["discrimination_index"] == expected
    # per-choice analysis: Q000 answered right by three of six
    choices = by_name["Q000"]["choices"]
    assert [c["count"] for c in choices if c["fraction"] == 1] == [3]
    assert sum(c["count"] for c in choices) == 6


def test_first_attempts_filter_and_xlsx_export(client):
    from io import BytesIO

    from openpyxl import load_workbook

    from tests.factories import make_user

    quiz, users = known_data()
    q1 = Question.objects.get(bank=quiz.bank, name="Q000")
    Question.objects.filter(pk=q1.pk).update(name="=HYPERLINK(1)")
    second = Attempt.objects.create(
        quiz=quiz, user=users[3], number=2, status="graded", score=100, passed=True
    )
    Response.objects.create(attempt=second, question=q1, position=1, fraction=1)
    assert item_statistics(quiz)["attempts"] == 5
    assert item_statistics(quiz, attempts="first")["attempts"] == 4

    client.force_login(make_user("trainer"))
    url = reverse("quizzes_admin:quiz_statistics", args=[quiz.pk])
    response = client.get(url, {"attempts": "first", "format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "题目" and "区分度指数 %" in rows[0]
    names = {row[0] for row in rows[1:]}
    assert "=HYPERLINK(1)" in names  # a string, never a formula
    assert sheet.cell(row=2, column=1).data_type == "s"
    assert rows[1][2] == 4 or rows[2][2] == 4  # first attempts only


def test_statistics_page_for_trainers(client):
    from tests.factories import make_user

    quiz, _users = known_data()
    client.force_login(make_user("trainer"))
    html = client.get(reverse("quizzes_admin:quiz_statistics", args=[quiz.pk])).content.decode()
    assert "Q000" in html and "quiz-bar-fill" in html and "区分度指数" in html
    assert "57.74" in html and "仅首次作答" in html


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


def test_true_false_choice_analysis_is_translated(client):
    """The per-choice analysis of a true/false question named its answers 对/错 on the
    English page and in the English workbook (walk-through after issue 17)."""
    from io import BytesIO

    from openpyxl import load_workbook
    from wagtail.users.models import UserProfile

    from tests.factories import make_user

    bank = make_bank(text="::TF::外观设计专利需要实质审查。{F}")
    quiz = make_quiz(bank)
    question = Question.objects.get(bank=bank)
    for value in (True, False, False):
        attempt = Attempt.objects.create(
            quiz=quiz, user=make_user("window_staff"), number=1, status="graded", score=0
        )
        Response.objects.create(
            attempt=attempt,
            question=question,
            position=1,
            answer={"value": value},
            fraction=0 if value else 1,
        )
    trainer = make_user("trainer")
    profile = UserProfile.get_for_user(trainer)
    profile.preferred_language = "en"
    profile.save()
    client.force_login(trainer)
    url = reverse("quizzes_admin:quiz_statistics", args=[quiz.pk])
    html = client.get(url).content.decode()
    analysis = html.split("<details><summary>")[1].split("</details>")[0]
    assert "<td>True</td>" in analysis and "<td>False</td>" in analysis
    assert "对" not in analysis and "错" not in analysis
    workbook = load_workbook(BytesIO(client.get(url, {"format": "xlsx"}).content))
    rows = list(workbook.worksheets[1].iter_rows(values_only=True))
    assert rows[0][:2] == ("Question", "Option")
    assert [row[1] for row in rows[1:]] == ["True", "False"]
