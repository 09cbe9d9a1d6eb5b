"""A question's category, and a quiz draw's category, must belong to the same bank (issue 17,
finding 7): in the admin the save is refused with a translated message."""

import pytest
from django.core.exceptions import ValidationError
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from quizzes.models import Category, Question, QuizDraw
from tests.factories import make_user
from tests.quizzes.utils import make_bank, make_quiz

pytestmark = pytest.mark.django_db


def test_question_in_a_category_of_another_bank_is_refused(client):
    bank = make_bank("专利题库")
    other = make_bank("商标题库")
    foreign = Category.objects.filter(bank=other).first()
    question = Question(bank=bank, category=foreign, name="Q", qtype="essay", text="<p>论述</p>")
    with pytest.raises(ValidationError) as error:
        question.full_clean()
    assert "不属于本题的题库" in str(error.value.message_dict["category"])

    client.force_login(make_user("trainer", district=None))
    data = nested_form_data(
        {
            "bank": bank.pk,
            "category": foreign.pk,
            "name": "跨题库的题目",
            "qtype": "essay",
            "default_mark": "1",
            "text": "<p>谈谈窗口服务。</p>",
            "explanation": "",
            "true_feedback": "",
            "false_feedback": "",
            "choices": inline_formset([]),
        }
    )
    response = client.post("/admin/question/new/", data)
    assert response.status_code == 200
    assert "不属于本题的题库" in response.content.decode()
    assert not Question.objects.filter(name="跨题库的题目").exists()


def test_quiz_draw_from_a_category_of_another_bank_is_refused():
    quiz = make_quiz(make_bank("专利题库"))
    foreign = Category.objects.filter(bank=make_bank("商标题库")).first()
    draw = QuizDraw(quiz=quiz, category=foreign, count=1)
    with pytest.raises(ValidationError) as error:
        draw.full_clean()
    assert "不属于本测验的题库" in str(error.value.message_dict["category"])
    own = Category.objects.filter(bank=quiz.bank).first()
    QuizDraw(quiz=quiz, category=own, count=1).full_clean()
