"""A trainer's review of the quizzes admin: range-checked quiz settings, trial attempts in
the attempt listing, inline option texts, the matching editor after an error, the attempt
inspect page, yes/no columns, the preview with answers, the regrade page and notices."""

import json
from datetime import UTC
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from quizzes import attempts as svc
from quizzes.admin_forms import FEEDBACK_FEATURES, OPTION_FEATURES
from quizzes.models import Category, Choice, Question, QuestionBank, Quiz
from quizzes.regrading import apply_regrade
from quizzes.versions import record_version
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
    response = trainer_client.post(
        f"/admin/quiz/edit/{quiz.pk}/", quiz_form(quiz, **{field: value})
    )
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


# --------------------------------------------------------------------------- attempts admin


@pytest.fixture
def choice_quiz():
    bank = QuestionBank.objects.create(name="作答题库")
    question = Question.objects.create(
        bank=bank, name="期限", qtype="multichoice", text="<p>发明专利的保护期限？</p>"
    )
    Choice.objects.create(question=question, text="<p>20年</p>", fraction=1, sort_order=0)
    Choice.objects.create(question=question, text="10年", fraction=0, sort_order=1)
    return make_quiz(bank, pass_mark=60, shuffle_questions=False, shuffle_choices=False)


def submit_right(attempt):
    right = Choice.objects.get(question__name="期限", fraction=1)
    return svc.submit_attempt(attempt, answers={1: {"choice": right.pk}})


def test_attempt_listing_leaves_out_trials_unless_asked(trainer_client, trainer, choice_quiz):
    learner = make_user("window_staff", username="learner-a")
    submit_right(svc.start_attempt(choice_quiz, learner))
    trial = submit_right(svc.start_trial_attempt(choice_quiz, trainer))

    html = trainer_client.get("/admin/attempt/").content.decode()
    assert "learner-a" in html
    assert f"/admin/attempt/inspect/{trial.pk}/" not in html
    assert "包括试做" in html

    html = trainer_client.get("/admin/attempt/?include_trials=on").content.decode()
    assert f"/admin/attempt/inspect/{trial.pk}/" in html
    # booleans as yes/no, never Python's True/False
    assert "True" not in html and "False" not in html


def test_attempt_inspect_shows_local_times_yes_no_and_the_answers(
    trainer_client, trainer, choice_quiz
):
    learner = make_user("window_staff", username="learner-b")
    learner.staff_profile.full_name = "李四"
    learner.staff_profile.save()
    attempt = submit_right(svc.start_attempt(choice_quiz, learner))
    attempt.refresh_from_db()
    html = trainer_client.get(f"/admin/attempt/inspect/{attempt.pk}/").content.decode()
    local = timezone.localtime(attempt.submitted_at)
    assert f"{local:%H:%M}" in html
    utc = attempt.submitted_at.astimezone(UTC)
    assert f"{utc:%H:%M}" not in html
    assert "False" not in html and "True" not in html
    assert "李四（learner-b）" in html
    # the response: question, the answer given (plain text), the score
    assert "期限" in html
    assert "20年" in html and "&lt;p&gt;" not in html
    assert "100%" in html

    Choice.objects.filter(question__name="期限", fraction=1).update(fraction=0)
    Choice.objects.filter(question__name="期限", text="10年").update(fraction=1)
    question = Question.objects.get(name="期限")
    record_version(question)
    apply_regrade(question, trainer)
    html = trainer_client.get(f"/admin/attempt/inspect/{attempt.pk}/").content.decode()
    assert "100.00 → 0.00" in html


# --------------------------------------------------------------------------- preview with answers


def test_preview_with_answers_shows_the_numerical_key_and_the_essay_rubric(trainer_client):
    bank = QuestionBank.objects.create(name="预览题库")
    numerical = Question.objects.create(
        bank=bank, name="年限", qtype="numerical", text="<p>发明专利保护多少年？</p>"
    )
    Choice.objects.create(question=numerical, text="", value=20, tolerance=0.5, fraction=1)
    essay = Question.objects.create(
        bank=bank,
        name="意义",
        qtype="essay",
        text="<p>谈谈窗口服务的意义。</p>",
        rubric="<p>提到便民与规范即可得分</p>",
    )
    url = "/admin/quiz-tools/questions/{}/preview/?answers=1"
    html = trainer_client.get(url.format(numerical.pk)).content.decode()
    assert "20 ± 0.5" in html
    html = trainer_client.get(url.format(essay.pk)).content.decode()
    assert "提到便民与规范即可得分" in html
    # without ?answers=1 the rubric stays hidden
    assert (
        "提到便民与规范即可得分"
        not in trainer_client.get(
            f"/admin/quiz-tools/questions/{essay.pk}/preview/"
        ).content.decode()
    )


# --------------------------------------------------------------------------- inline option texts


def option(text, fraction, **extra):
    return {
        "text": text,
        "fraction": fraction,
        "value": "",
        "tolerance": "0",
        "match": "",
        "feedback": "",
        **extra,
    }


def question_data(bank, qtype, choices, **fields):
    return nested_form_data(
        {
            "bank": bank.pk,
            "category": "",
            "name": fields.pop("name", "转介"),
            "default_mark": "1",
            "text": "<p>窗口不能受理时怎么办？</p>",
            "explanation": "",
            "true_feedback": "",
            "false_feedback": "",
            "correct_truefalse": "",
            "rubric": "",
            "choices": inline_formset(choices),
            **fields,
        }
    )


def test_option_and_feedback_texts_from_draftail_are_stored_inline(trainer_client):
    bank = QuestionBank.objects.create(name="转介题库")
    data = question_data(
        bank,
        "multichoice",
        [
            option(
                rich_text("<p>转介到<b>对口</b>窗口</p>", features=OPTION_FEATURES),
                "1.00000",
                feedback=rich_text("<p>正确</p>", features=FEEDBACK_FEATURES),
            ),
            option(rich_text("<p>第一段</p><p>第二段</p>", features=OPTION_FEATURES), "0"),
        ],
    )
    response = trainer_client.post("/admin/question/new/?type=multichoice", data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    texts = list(Choice.objects.order_by("sort_order").values_list("text", "feedback"))
    assert texts == [("转介到<b>对口</b>窗口", "正确"), ("<p>第一段</p><p>第二段</p>", "")]
    # the editor reads the inline text back
    question = Question.objects.get(name="转介")
    html = trainer_client.get(f"/admin/question/edit/{question.pk}/").content.decode()
    assert json.dumps("转介到")[1:-1] in html


def test_statistics_xlsx_option_analysis_is_plain_text(trainer_client, choice_quiz):
    from io import BytesIO

    from openpyxl import load_workbook

    Choice.objects.filter(text="10年").update(text="<p>转介 &amp; <b>受理</b></p>")
    learner = make_user("window_staff")
    submit_right(svc.start_attempt(choice_quiz, learner))
    response = trainer_client.get(f"/admin/quiz-tools/statistics/{choice_quiz.pk}/?format=xlsx")
    workbook = load_workbook(BytesIO(response.content))
    texts = [row[1] for row in workbook.worksheets[1].iter_rows(min_row=2, values_only=True)]
    assert "转介 & 受理" in texts
    assert not any("<" in (t or "") for t in texts)


# --------------------------------------------------------------------------- question editor


def test_weight_drop_down_offers_zero_percent_and_says_percent(trainer_client):
    html = trainer_client.get("/admin/question/new/?type=multichoice").content.decode()
    assert '<option value="0.00000" selected>0 %</option>' in html or ">0 %</option>" in html
    assert "-1 到 1" not in html
    assert "−100 % 到 100 %" in html


def test_category_choices_follow_the_bank(trainer_client):
    patents = QuestionBank.objects.create(name="专利库")
    marks = QuestionBank.objects.create(name="商标库")
    Category.objects.create(bank=patents, name="期限类")
    other = Category.objects.create(bank=marks, name="注册类")
    question = Question.objects.create(bank=patents, name="Q", qtype="essay", text="<p>?</p>")
    html = trainer_client.get(f"/admin/question/edit/{question.pk}/").content.decode()
    assert "期限类" in html and "注册类" not in html
    # a new question: every category, each naming its bank for the editor's script
    html = trainer_client.get("/admin/question/new/?type=essay").content.decode()
    assert f'data-bank="{marks.pk}"' in html and "js/admin-category-by-bank.js" in html
    # a posted bank limits the categories: another bank's category is refused
    data = question_data(patents, "essay", [], name="新题", category=other.pk)
    response = trainer_client.post("/admin/question/new/?type=essay", data)
    assert response.status_code == 200
    assert not Question.objects.filter(name="新题").exists()


def test_error_banner_lists_the_field_errors(trainer_client):
    bank = QuestionBank.objects.create(name="论述库")
    data = question_data(bank, "essay", [], name="论述", default_mark="abc")
    response = trainer_client.post("/admin/question/new/?type=essay", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "分值：" in html  # the banner names the field and its error


def test_matching_pairs_keep_their_text_after_a_validation_error(trainer_client):
    bank = QuestionBank.objects.create(name="配对库")
    data = question_data(
        bank,
        "matching",
        [
            option(
                rich_text("<p>专利申请</p>", features=OPTION_FEATURES), "0", match="国家知识产权局"
            ),
            option(rich_text("<p>著作权登记</p>", features=OPTION_FEATURES), "0", match=""),
        ],
        name="配对",
    )
    response = trainer_client.post("/admin/question/new/?type=matching", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "配对题至少需要两对完整的题目与答案" in html
    assert "国家知识产权局" in html
    for text in ("专利申请", "著作权登记"):
        assert json.dumps(text)[1:-1] in html, text


# --------------------------------------------------------------------------- autosave


def test_new_lesson_form_does_not_autosave_a_stray_page(client, django_user_model):
    from wagtail.models import Page

    from courses.models import LessonPage

    from .utils import make_course

    course = make_course("IP-AUTO")
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "x"))
    pages = Page.objects.count()
    url = f"/admin/pages/add/courses/lessonpage/{course.pk}/"
    html = client.get(url).content.decode()
    assert "data-w-autosave-interval-value" not in html
    assert Page.objects.count() == pages  # opening the form creates nothing
    assert not LessonPage.objects.child_of(course).exists()


# --------------------------------------------------------------------------- regrade page


def test_regrade_page_names_learners_shows_percentages_and_notifies_them(
    trainer_client, choice_quiz, mailoutbox, django_capture_on_commit_callbacks
):
    from django.test import Client
    from django.urls import reverse

    learner = make_user("window_staff", username="learner-r")
    learner.staff_profile.full_name = "王五"
    learner.staff_profile.save()
    learner.email = "wangwu@example.com"
    learner.save()
    attempt = submit_right(svc.start_attempt(choice_quiz, learner))
    question = Question.objects.get(name="期限")
    Choice.objects.filter(question=question, fraction=1).update(fraction=0)
    Choice.objects.filter(question=question, text="10年").update(fraction=1)
    record_version(question)

    url = f"/admin/quiz-tools/questions/{question.pk}/regrade/"
    html = trainer_client.get(url).content.decode()
    assert "重新评分：期限" in html  # the page's heading names the question
    assert "王五（learner-r）" in html
    assert "100% → 0%" in html and "0.00000" not in html

    target = question.versions.order_by("-number").first()
    with django_capture_on_commit_callbacks(execute=True):
        trainer_client.post(url, {"version": target.pk})
    attempt.refresh_from_db()
    assert attempt.score == 0
    assert [m.to for m in mailoutbox] == [["wangwu@example.com"]]
    assert "100.00 → 0.00" in mailoutbox[0].body

    learner_client = Client()
    learner_client.force_login(learner)
    page = learner_client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "重新评分：100.00 → 0.00" in page
