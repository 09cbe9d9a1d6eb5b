"""The question editor (issue 17, finding 1, in part): per-type validation with translated
messages, and Moodle's weight drop-down for a choice's score."""

from decimal import Decimal

import pytest
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from quizzes.models import Choice, Question, QuestionBank
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def choice(text, fraction, **extra):
    return {
        "text": text,
        "fraction": fraction,
        "value": "",
        "tolerance": "0",
        "match": "",
        "feedback": "",
        **extra,
    }


def question_form(bank, qtype, choices, **fields):
    return nested_form_data(
        {
            "bank": bank.pk,
            "category": "",
            "name": fields.pop("name", "发明专利期限"),
            "qtype": qtype,
            "default_mark": "1",
            "text": "<p>发明专利权的保护期限是多少年？</p>",
            "explanation": "",
            "true_feedback": "",
            "false_feedback": "",
            "correct_truefalse": fields.pop("correct_truefalse", ""),
            "choices": inline_formset(choices),
            **fields,
        }
    )


@pytest.fixture
def trainer_client(client):
    client.force_login(make_user("trainer", district=None))
    return client


@pytest.fixture
def bank():
    return QuestionBank.objects.create(name="专利题库")


def test_single_choice_needs_exactly_one_full_mark_option(trainer_client, bank):
    two_right = [choice("20年", "1.00000"), choice("10年", "1.00000"), choice("50年", "0.00000")]
    response = trainer_client.post(
        "/admin/question/new/?type=multichoice", question_form(bank, "multichoice", two_right)
    )
    assert response.status_code == 200
    assert "单选题必须恰好有一个满分选项" in response.content.decode()
    assert not Question.objects.exists()

    one_right = [choice("20年", "1.00000"), choice("10年", "-0.50000"), choice("50年", "0.00000")]
    response = trainer_client.post(
        "/admin/question/new/?type=multichoice", question_form(bank, "multichoice", one_right)
    )
    assert response.status_code == 302
    question = Question.objects.get()
    fractions = sorted(question.choices.values_list("fraction", flat=True))
    assert fractions == [Decimal("-0.5"), Decimal("0"), Decimal("1")]


@pytest.mark.parametrize(
    ("qtype", "choices", "fields", "message"),
    [
        (
            "multiresponse",
            [choice("发明", "0.50000"), choice("商标", "0.00000")],
            {},
            "多选题正确选项的得分比例之和必须为 100%",
        ),
        ("truefalse", [], {}, "判断题必须选择正确答案"),
        ("numerical", [choice("", "1.00000")], {}, "数值题至少需要一个满分的数值答案"),
        ("shortanswer", [choice("二十年", "0.50000")], {}, "简答题至少需要一个满分答案"),
        ("matching", [choice("专利", "0", match="")], {}, "配对题至少需要两对完整的题目与答案"),
        ("essay", [choice("x", "1.00000")], {}, "论述题和说明不需要选项或答案"),
    ],
)
def test_each_type_is_checked_with_a_translated_message(
    trainer_client, bank, qtype, choices, fields, message
):
    response = trainer_client.post(
        f"/admin/question/new/?type={qtype}", question_form(bank, qtype, choices, **fields)
    )
    assert response.status_code == 200
    assert message in response.content.decode()


def test_valid_numerical_and_truefalse_questions_save(trainer_client, bank):
    response = trainer_client.post(
        "/admin/question/new/",
        question_form(
            bank, "numerical", [choice("", "1.00000", value="20", tolerance="0.5")], name="数值"
        ),
    )
    assert response.status_code == 302
    assert Choice.objects.get(question__name="数值").tolerance == 0.5
    response = trainer_client.post(
        "/admin/question/new/",
        question_form(bank, "truefalse", [], name="判断", correct_truefalse="true"),
    )
    assert response.status_code == 302


def test_weight_is_a_moodle_style_drop_down_that_keeps_unusual_values(trainer_client, bank):
    question = Question.objects.create(bank=bank, name="Q", qtype="multichoice", text="<p>?</p>")
    Choice.objects.create(question=question, text="甲", fraction=Decimal("0.35"))
    Choice.objects.create(question=question, text="乙", fraction=1)
    html = trainer_client.get(f"/admin/question/edit/{question.pk}/").content.decode()
    assert '<select name="choices-0-fraction"' in html
    for label in ("100 %", "50 %", "33.33333 %", "-100 %"):
        assert f">{label}</option>" in html
    # the imported 35 % stays selected, so saving does not change it
    assert '<option value="0.35000" selected>35 %</option>' in html


def test_preview_shows_the_question_as_a_learner_sees_it(trainer_client, bank):
    question = Question.objects.create(
        bank=bank, name="Q", qtype="multichoice", text="<p>发明专利的<strong>保护期限</strong></p>"
    )
    Choice.objects.create(question=question, text="20年", fraction=1, feedback="正确，自申请日起")
    Choice.objects.create(question=question, text="10年", fraction=0)
    url = f"/admin/quiz-tools/questions/{question.pk}/preview/"
    assert url in trainer_client.get("/admin/question/").content.decode()  # linked from the list
    html = trainer_client.get(url).content.decode()
    assert "<strong>保护期限</strong>" in html
    assert 'type="radio"' in html and "20年" in html and "10年" in html
    assert "正确答案" not in html  # no answer shown to a learner on the paper
    html = trainer_client.get(url, {"answers": "1"}).content.decode()
    assert "正确答案" in html and "正确，自申请日起" in html
