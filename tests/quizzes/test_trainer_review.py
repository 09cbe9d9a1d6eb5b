"""A trainer's and a reviewer's walk through the question tools (issue 17, second review):
saving an unchanged question, export → import round trips, the option rows of the editor,
trial results with essays, and the regrade page's wording."""

from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from courses.loader import load_curriculum
from quizzes.formats import parse_gift
from quizzes.importing import import_questions
from quizzes.models import Question, QuestionBank, QuestionVersion
from tests.courses.conftest import write_course
from tests.factories import make_user

from .utils import posted_form

pytestmark = pytest.mark.django_db

QUIZ_MD = "quiz:\n  title: 测验\n  pass_mark: 80\n"

CURRICULUM_GIFT = """\
$CATEGORY: 课程/专利

::专利-单选::发明专利权的期限是自申请日起<b>多少</b>年？{
=20 年 # 正确：《专利法》第四十二条。
~10 年 # 这是实用新型专利权的期限。
~15 年
####《专利法》第四十二条。
}

::专利-判断::外观设计专利需要实质审查。{F # 外观设计只做初步审查。 # 对。}

::专利-数值::发明专利权的期限是多少年？{#20:0.5}

::专利-多选::以下哪些属于知识产权？{
~%50%专利权
~%50%商标权
~%-100%物权
}
"""


@pytest.fixture
def trainer_client(client):
    client.force_login(make_user("trainer", district=None))
    return client


def _curriculum(tmp_path, gift=CURRICULUM_GIFT):
    root = tmp_path / "content"
    course_dir = write_course(root, "T-101", "course-a", lessons=1)
    course_md = course_dir / "course.md"
    course_md.write_text(
        course_md.read_text(encoding="utf-8").replace("hours: 2\n", "hours: 2\n" + QUIZ_MD, 1),
        encoding="utf-8",
    )
    (course_dir / "questions.gift").write_text(gift, encoding="utf-8")
    return root, course_dir


def test_saving_a_curriculum_question_unchanged_keeps_it_file_managed(tmp_path, trainer_client):
    root, course_dir = _curriculum(tmp_path)
    load_curriculum(root)
    before = {q.pk: (q.text, q.updated_at) for q in Question.objects.all()}
    assert QuestionVersion.objects.count() == 4
    for question in Question.objects.all():
        url = f"/admin/question/edit/{question.pk}/"
        response = trainer_client.post(url, posted_form(trainer_client.get(url).content.decode()))
        assert response.status_code == 302, question.name
    # no new version, no "已编辑" entry, nothing written
    assert QuestionVersion.objects.count() == 4
    assert not ModelLogEntry.objects.filter(action="wagtail.edit").exists()
    assert {q.pk: (q.text, q.updated_at) for q in Question.objects.all()} == before
    # the file's corrections still arrive
    corrected = CURRICULUM_GIFT.replace("期限是多少年", "保护期限是多少年").replace(
        "需要实质审查", "需要经过实质审查"
    )
    (course_dir / "questions.gift").write_text(corrected, encoding="utf-8")
    report = load_curriculum(root)
    assert report.questions == {"updated": 2, "unchanged": 2}, report.skipped
    assert "保护期限" in Question.objects.get(name="专利-数值").text


def test_a_real_edit_is_still_versioned_logged_and_protected(tmp_path, trainer_client):
    root, course_dir = _curriculum(tmp_path)
    load_curriculum(root)
    question = Question.objects.get(name="专利-数值")
    url = f"/admin/question/edit/{question.pk}/"
    data = posted_form(trainer_client.get(url).content.decode())
    data["text"] = "<p>培训师改过的题干</p>"  # HTML posted instead of the editor's JSON
    assert trainer_client.post(url, data).status_code == 302
    assert question.versions.count() == 2
    assert ModelLogEntry.objects.filter(action="wagtail.edit", object_id=question.pk).count() == 1
    report = load_curriculum(root)
    assert report.questions.get("skipped") == 1


def _new_question(client, bank, qtype, name, choices):
    data = nested_form_data(
        {
            "bank": bank.pk,
            "category": "",
            "name": name,
            "default_mark": "1",
            "text": "<p>题干</p>",
            "explanation": "",
            "choices": inline_formset(choices),
        }
    )
    response = client.post(f"/admin/question/new/?type={qtype}", data)
    assert response.status_code == 302, response.content.decode()[-3000:]


def _wizard(client, url, data):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, data)
    return client.get(response.url) if response.status_code == 302 else response


def test_export_and_reimport_of_editor_made_questions_changes_nothing(trainer_client):
    bank = QuestionBank.objects.create(name="编辑器题库")
    pair = {"value": "", "tolerance": "0", "feedback": "", "fraction": "0"}
    _new_question(
        trainer_client,
        bank,
        "matching",
        "配对",
        [
            {**pair, "text": "专利", "match": "国家知识产权局"},
            {**pair, "text": "著作权", "match": "版权局"},
            {**pair, "text": "", "match": "工商局"},
        ],
    )
    _new_question(
        trainer_client,
        bank,
        "numerical",
        "数值",
        [
            {
                "text": "",
                "match": "",
                "feedback": "",
                "fraction": "1",
                "value": "20",
                "tolerance": "0.5",
            }
        ],
    )
    versions = QuestionVersion.objects.count()
    export = trainer_client.get(reverse("quizzes_admin:export", args=[bank.pk]))
    exported = export.content
    # named after the bank and the day, not "bank-1.gift"
    day = timezone.localdate().isoformat()
    disposition = export["Content-Disposition"]
    assert f"filename*=UTF-8''{quote(f'编辑器题库-{day}.gift')}" in disposition
    assert f'filename="question-bank-{bank.pk}-{day}.gift"' in disposition

    upload = SimpleUploadedFile("bank.gift", exported, "text/plain")
    preview = _wizard(
        trainer_client,
        reverse("quizzes_admin:import"),
        {"bank": bank.pk, "format": "gift", "file": upload},
    )
    assert preview.context["preview"]["counts"]["unchanged"] == 2
    html = preview.content.decode()
    assert "<td>配对题</td>" in html and "<td>数值题</td>" in html  # not "matching"
    assert "<td>matching</td>" not in html
    job = preview.context["job"]
    done = _wizard(
        trainer_client, reverse("quizzes_admin:import_job", args=[job.pk]), {"confirm": 1}
    )
    assert done.context["job"].result["applied"]["updated"] == 0
    assert QuestionVersion.objects.count() == versions


def test_an_import_that_updates_a_question_shows_in_its_history(trainer_client):
    user = make_user("trainer", district=None)
    bank = import_questions("题库", parse_gift("::Q::题干{=对 ~错}"), user=user).bank
    import_questions(bank, parse_gift("::Q::改过的题干{=对 ~错}"), user=user)
    question = Question.objects.get()
    entry = ModelLogEntry.objects.for_instance(question).get(action="quizzes.import_update")
    assert entry.user == user and entry.data["version"] == 2
    history = trainer_client.get(f"/admin/question/history/{question.pk}/").content.decode()
    assert "导入更新" in history


# --------------------------------------------------------------------------- option rows


def _option(text, fraction="0.00000", correct=False, **extra):
    row = {"text": text, "fraction": fraction, "feedback": "", "value": "", "tolerance": "0"}
    row["match"] = ""
    if correct:
        row["correct"] = "on"
    return {**row, **extra}


def _post_choice_question(client, bank, qtype, options, name="选择题"):
    data = nested_form_data(
        {
            "bank": bank.pk,
            "category": "",
            "name": name,
            "default_mark": "1",
            "text": "<p>题干</p>",
            "explanation": "",
            "choices": inline_formset(options),
        }
    )
    return client.post(f"/admin/question/new/?type={qtype}", data)


def _fractions(name):
    question = Question.objects.get(name=name)
    return [c.fraction for c in question.choices.order_by("sort_order")]


def test_ticking_an_option_correct_sets_its_weight(trainer_client):
    bank = QuestionBank.objects.create(name="勾选题库")
    response = _post_choice_question(
        trainer_client,
        bank,
        "multichoice",
        [_option("10 年"), _option("20 年", correct=True), _option("15 年")],
        name="单选",
    )
    assert response.status_code == 302
    assert _fractions("单选") == [0, 1, 0]
    response = _post_choice_question(
        trainer_client,
        bank,
        "multiresponse",
        [_option("专利权", correct=True), _option("物权"), _option("商标权", correct=True)],
        name="多选",
    )
    assert response.status_code == 302
    assert _fractions("多选") == [Decimal("0.5"), 0, Decimal("0.5")]
    # the editor shows the ticks of the stored weights, kept in step by its script
    question = Question.objects.get(name="单选")
    html = trainer_client.get(f"/admin/question/edit/{question.pk}/").content.decode()
    assert 'name="choices-1-correct"' in html and "admin-correct-tick.js" in html
    assert posted_form(html).get("choices-1-correct") == "on"
    assert "choices-0-correct" not in posted_form(html)


def test_a_tick_that_contradicts_the_weight_is_marked_on_its_row(trainer_client):
    bank = QuestionBank.objects.create(name="勾选题库")
    response = _post_choice_question(
        trainer_client,
        bank,
        "multichoice",
        [_option("20 年", "1.00000"), _option("10 年", "0.50000", correct=True)],
    )
    assert response.status_code == 200 and not Question.objects.exists()
    rows = response.context["form"].formsets["choices"].forms
    assert "100%" in rows[1].errors["correct"][0]


def test_a_blank_extra_option_row_is_ignored(trainer_client):
    bank = QuestionBank.objects.create(name="空行题库")
    response = _post_choice_question(
        trainer_client,
        bank,
        "multichoice",
        [_option("20 年", "1.00000"), _option("10 年"), _option("")],
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert _fractions("选择题") == [1, 0]


def test_an_option_with_a_weight_but_no_text_is_marked_on_its_row(trainer_client):
    bank = QuestionBank.objects.create(name="空行题库")
    response = _post_choice_question(
        trainer_client,
        bank,
        "multichoice",
        [_option("20 年", "1.00000"), _option("10 年"), _option("", "-0.50000")],
    )
    assert response.status_code == 200 and not Question.objects.exists()
    rows = response.context["form"].formsets["choices"].forms
    assert rows[2].errors["text"] == ["选项内容不能为空"]
    assert not rows[0].errors and not rows[1].errors
    assert "第 3 项" in response.content.decode()  # the banner names the row


# --------------------------------------------------------------------------- trial with an essay


def test_a_trial_with_an_essay_shows_the_rubric_and_the_auto_scored_part(trainer_client):
    from quizzes import attempts as svc
    from quizzes.models import Attempt, Choice

    from .utils import make_quiz

    trainer = make_user("trainer", district=None)
    trainer_client.force_login(trainer)
    bank = QuestionBank.objects.create(name="试做论述")
    choice_question = Question.objects.create(
        bank=bank, name="期限", qtype="multichoice", text="<p>期限？</p>", default_mark=3
    )
    right = Choice.objects.create(question=choice_question, text="20年", fraction=1)
    Choice.objects.create(question=choice_question, text="10年", fraction=0)
    Question.objects.create(
        bank=bank,
        name="论述",
        qtype="essay",
        text="<p>谈谈窗口受理。</p>",
        rubric="<p>要点：<b>一次告知</b>。</p>",
        default_mark=1,
    )
    quiz = make_quiz(bank, shuffle_questions=False)
    attempt = svc.start_trial_attempt(quiz, trainer)
    positions = dict(attempt.responses.values_list("question__name", "position"))
    svc.submit_attempt(
        attempt,
        answers={positions["期限"]: {"choice": right.pk}, positions["论述"]: {"text": "先收件"}},
    )
    attempt.refresh_from_db()
    assert attempt.status == Attempt.PENDING  # the trial itself is unchanged
    html = trainer_client.get(reverse("quizzes:result", args=[attempt.pk])).content.decode()
    assert "培训师批阅后公布成绩" not in html
    assert "试做不批阅论述题" in html
    assert "<b>一次告知</b>" in html  # the rubric, as markers see it
    # the auto-scored part: 3 of 3 marks
    assert "自动评分部分" in html and "3 / 3" in html


# --------------------------------------------------------------------------- regrade wording


def test_regrade_keeps_hand_marks_regrades_auto_items_and_says_so(trainer_client):
    from quizzes import attempts as svc
    from quizzes.models import Choice, Response

    from .utils import make_quiz

    bank = QuestionBank.objects.create(name="重评论述")
    choice_question = Question.objects.create(
        bank=bank, name="期限", qtype="multichoice", text="<p>期限？</p>", default_mark=2
    )
    first = Choice.objects.create(question=choice_question, text="20年", fraction=1)
    second = Choice.objects.create(question=choice_question, text="10年", fraction=0)
    Question.objects.create(bank=bank, name="论述", qtype="essay", text="<p>谈谈</p>")
    learner = make_user("window_staff")
    attempt = svc.start_attempt(make_quiz(bank, pass_mark=60), learner)
    positions = dict(attempt.responses.values_list("question__name", "position"))
    svc.submit_attempt(
        attempt,
        answers={positions["期限"]: {"choice": second.pk}, positions["论述"]: {"text": "答"}},
    )
    essay = Response.objects.get(attempt=attempt, question__name="论述")
    svc.mark_response(essay, Decimal("0.8"), make_user("trainer", district=None))
    attempt.refresh_from_db()
    assert attempt.score == Decimal("26.67")
    # the key is corrected: 10年 was right
    Choice.objects.filter(pk=first.pk).update(fraction=0)
    Choice.objects.filter(pk=second.pk).update(fraction=1)

    url = reverse("quizzes_admin:regrade", args=[choice_question.pk])
    html = trainer_client.get(url).content.decode()
    assert "人工批阅过的作答和进行中的作答不会改变" not in html
    assert "论述题的人工批阅得分保持不变" in html and "自动评分的题目按新答案重新评分" in html
    target = QuestionVersion.objects.filter(question=choice_question).order_by("-number")[0]
    assert trainer_client.post(url, {"version": target.pk}).status_code == 302
    essay.refresh_from_db()
    attempt.refresh_from_db()
    assert essay.fraction == Decimal("0.8") and essay.marked_at is not None  # kept
    assert Response.objects.get(attempt=attempt, question__name="期限").fraction == 1
    assert attempt.score == Decimal("93.33")  # (2 × 100 % + 1 × 80 %) / 3


# --------------------------------------------------------------------------- statistics page


def test_statistics_page_numbers_plurals_and_width(client):
    from quizzes.models import Attempt, Choice, Response

    from .utils import make_quiz

    bank = QuestionBank.objects.create(name="统计")
    question = Question.objects.create(bank=bank, name="Q", qtype="multichoice", text="<p>?</p>")
    right = Choice.objects.create(question=question, text="甲", fraction=1)
    Choice.objects.create(question=question, text="乙", fraction=0)
    Choice.objects.create(question=question, text="丙", fraction=0)
    quiz = make_quiz(bank)
    learner = make_user("window_staff")
    attempt = Attempt.objects.create(
        quiz=quiz, user=learner, number=1, status="graded", score=100, passed=True
    )
    Response.objects.create(
        attempt=attempt, question=question, position=1, fraction=1, answer={"choice": right.pk}
    )
    client.force_login(make_user("trainer", district=None))
    url = reverse("quizzes_admin:quiz_statistics", args=[quiz.pk])
    html = client.get(url).content.decode()
    assert 'class="quiz-table-scroll"' in html  # scrolls sideways, never cut off
    assert "<td>33.33</td>" in html  # random guess score: two decimals like the rest
    # the option analysis too (was "100" and "100.0"): weight, times chosen, share
    assert "<td>甲</td><td>100.00</td><td>1</td><td>100.00</td>" in html
    client.cookies["django_language"] = "en"
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 graded attempt " in english or "1 graded attempt<" in english
    assert "1 graded attempts" not in english
