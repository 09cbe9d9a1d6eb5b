"""A trainer's review of the quizzes admin: range-checked quiz settings, trial attempts in
the attempt listing, inline option texts, the matching editor after an error, the attempt
inspect page, yes/no columns, the preview with answers, the regrade page and notices."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from quizzes.models import Quiz
from tests.factories import make_user

from .utils import make_bank, make_quiz

pytestmark = pytest.mark.django_db


@pytest.fixture
def trainer():
    return make_user("trainer", district=None)


@pytest.fixture
def trainer_client(client, trainer):
    client.force_login(trainer)
    return client


def quiz_form(quiz, **fields):
    data = {
        "title": quiz.title,
        "description": "",
        "bank": quiz.bank_id,
        "course": "",
        "live": "on",
        "questions_per_attempt": "",
        "draws": inline_formset([]),
        "shuffle_questions": "on",
        "shuffle_choices": "on",
        "pass_mark": "60",
        "time_limit_minutes": "",
        "max_attempts": "",
        "cooldown_minutes": "0",
        "show_answers": "end",
        "hold_answer_key": "on",
        "available_from": "",
        "available_until": "",
        "pass_message": "",
        "fail_message": "",
    }
    data.update(fields)
    return nested_form_data(data)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("pass_mark", "150"),
        ("pass_mark", "-5"),
        ("questions_per_attempt", "0"),
        ("max_attempts", "0"),
        ("cooldown_minutes", "-1"),
        ("time_limit_minutes", "-1"),
    ],
)
def test_quiz_settings_out_of_range_are_refused(trainer_client, field, value):
    quiz = make_quiz(pass_mark=60)
    response = trainer_client.post(f"/admin/quiz/edit/{quiz.pk}/", quiz_form(quiz, **{field: value}))
    assert response.status_code == 200  # the form again, with the error
    quiz.refresh_from_db()
    assert quiz.pass_mark == Decimal("60")
    assert getattr(quiz, field) != int(value)


def test_quiz_settings_in_range_are_saved(trainer_client):
    quiz = make_quiz(pass_mark=60)
    response = trainer_client.post(
        f"/admin/quiz/edit/{quiz.pk}/",
        quiz_form(quiz, pass_mark="100", max_attempts="1", questions_per_attempt="1"),
    )
    assert response.status_code == 302
    quiz.refresh_from_db()
    assert (quiz.pass_mark, quiz.max_attempts, quiz.questions_per_attempt) == (100, 1, 1)


def test_pass_mark_is_checked_by_the_model():
    quiz = Quiz(title="t", bank=make_bank(), pass_mark=150)
    with pytest.raises(ValidationError) as error:
        quiz.full_clean()
    assert "pass_mark" in error.value.message_dict
