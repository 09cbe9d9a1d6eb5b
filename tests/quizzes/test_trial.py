""" "Try this quiz" (试做, issue 17): a trainer takes any quiz from the admin without enrolling
and outside the course's gate; the attempt is a trial and counts nowhere — not in "passed"
(quizzes.results), item statistics, completion, attempts left, history — and learners cannot
start one."""

import pytest
from django.urls import reverse

from courses.enrolment import enrol
from courses.models import Enrollment
from quizzes import attempts as svc
from quizzes import results
from quizzes.models import Attempt, Choice, Question, QuestionBank, Response
from quizzes.statistics import item_statistics
from tests.factories import make_user

from .utils import make_course, make_quiz

pytestmark = pytest.mark.django_db


@pytest.fixture
def course_quiz():
    """A required course's quiz of one single-choice question, one attempt allowed, behind
    the course's gate (lessons first)."""
    course = make_course("IP-TRY")
    course.quiz_after_lessons = True
    course.save()
    bank = QuestionBank.objects.create(name="试做题库")
    question = Question.objects.create(
        bank=bank, name="期限", qtype="multichoice", text="<p>发明专利的保护期限？</p>"
    )
    Choice.objects.create(question=question, text="20年", fraction=1, sort_order=0)
    Choice.objects.create(question=question, text="10年", fraction=0, sort_order=1)
    return make_quiz(bank, course=course, max_attempts=1, pass_mark=60)


@pytest.fixture
def trainer():
    return make_user("trainer", district=None)


def try_url(quiz):
    return reverse("quizzes_admin:try_quiz", args=[quiz.pk])


def answer_right(attempt):
    right = Choice.objects.get(question__name="期限", fraction=1)
    return svc.submit_attempt(attempt, answers={1: {"choice": right.pk}})


def test_trainer_tries_a_gated_quiz_without_enrolling(client, trainer, course_quiz):
    client.force_login(trainer)
    assert "开始试做" in client.get(try_url(course_quiz)).content.decode()
    response = client.post(try_url(course_quiz))
    attempt = Attempt.objects.get(user=trainer)
    assert response.status_code == 302
    assert response["Location"] == reverse("quizzes:attempt", args=[attempt.pk])
    assert attempt.is_trial
    html = client.get(response["Location"]).content.decode()
    assert "发明专利的保护期限" in html and "试做</span> 不计入成绩" in html
    # the learner's own way in stays closed to them (not enrolled, gate)
    with pytest.raises(svc.AttemptError):
        svc.start_course_attempt(course_quiz, make_user("trainer", district=None))

    answer_right(attempt)
    attempt.refresh_from_db()
    assert attempt.status == Attempt.GRADED and attempt.passed  # its own score...
    html = client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "试做</span> 不计入成绩" in html
    assert "正确答案" in html  # the trainer sees the whole review


def test_a_trial_counts_nowhere(client, trainer, course_quiz):
    course = course_quiz.course
    enrol(trainer, course)  # even a trainer who is also enrolled: the trial is not a pass
    attempt = svc.start_trial_attempt(course_quiz, trainer)
    answer_right(attempt)
    assert Attempt.objects.get(pk=attempt.pk).passed

    assert not results.has_passed(trainer, course)
    assert not results.passed_pairs().exists()
    assert results.best_results() == {}
    assert not results.course_quiz_passed(trainer, course)
    assert Enrollment.objects.get(user=trainer, course=course).completed_at is None
    assert item_statistics(course_quiz)["attempts"] == 0
    # the one real attempt is still there to use
    assert svc.attempts_left(course_quiz, trainer) == 1
    client.force_login(trainer)
    assert "期限" not in client.get(reverse("quizzes:history")).content.decode()


def test_a_learner_cannot_start_a_trial(client, course_quiz):
    learner = make_user("window_staff")
    client.force_login(learner)
    for method in (client.get, client.post):
        response = method(try_url(course_quiz))
        assert response.status_code in (302, 403)
        assert "/attempt/" not in response.get("Location", "")
    # an administrator without the right to change quizzes: refused (Wagtail sends them home)
    client.force_login(make_user("district_admin"))
    response = client.post(try_url(course_quiz))
    assert (response.status_code, response.get("Location")) in ((403, None), (302, "/admin/"))
    assert not Attempt.objects.exists()


def test_try_buttons_on_the_quiz_listing_edit_view_and_course_page(client, trainer, course_quiz):
    client.force_login(trainer)
    url = try_url(course_quiz)
    assert url in client.get("/admin/quiz/").content.decode()
    assert url in client.get(f"/admin/quiz/edit/{course_quiz.pk}/").content.decode()
    from courses.loader import ensure_trainer_permissions

    ensure_trainer_permissions(course_quiz.course.get_parent())  # as load_curriculum does
    course_admin = client.get(f"/admin/pages/{course_quiz.course_id}/edit/")
    assert course_admin.status_code == 200
    assert url in course_admin.content.decode()


def test_a_trials_essay_is_never_queued_for_marking(client, trainer):
    """Walk-through after issue 16: a trial with an essay stayed "待阅卷" for ever, its essay
    flagged for marking. It is never queued (``quizzes.results.marking_queue``), the result page
    says essays are not marked in a trial, and nobody can mark it."""
    from .utils import make_bank

    quiz = make_quiz(make_bank(text="::E1::谈谈窗口服务的意义。{}"), title="论述试做")
    learner = make_user("window_staff", username="essay_learner")
    real = svc.start_attempt(quiz, learner)
    svc.submit_attempt(real, answers={1: {"text": "学员的论述"}})

    client.force_login(trainer)
    client.post(try_url(quiz))
    trial = Attempt.objects.get(user=trainer)
    result = client.post(reverse("quizzes:submit", args=[trial.pk]), {"q1": "培训师的试做论述"})
    assert result["Location"] == reverse("quizzes:result", args=[trial.pk])
    html = client.get(result["Location"]).content.decode()
    assert "待阅卷" not in html and "试做中的论述题不批阅" in html and "试做不批阅" in html
    assert not Response.objects.get(attempt=trial).needs_marking
    assert list(results.marking_queue().filter(needs_marking=True)) == [
        Response.objects.get(attempt=real)
    ]

    marker = make_user("trainer", district=None, username="marker")
    client.force_login(marker)
    url = reverse("quizzes_admin:marking")
    for show in ("pending", "all"):
        page = client.get(url, {"show": show}).content.decode()
        assert "学员的论述" in page and "培训师的试做论述" not in page, show
    trial_response = Response.objects.get(attempt=trial)
    assert client.post(url, {"response": trial_response.pk, "percent": "100"}).status_code == 404
    with pytest.raises(svc.AttemptError):
        svc.mark_response(trial_response, 1, marker)
