"""GIFT/Aiken import through the command and the admin (upload → preview → confirm),
malformed files, export → import equality, the course-loader extension."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import TestCase
from django.urls import reverse

from quizzes.formats import parse_gift
from quizzes.importing import (
    bank_to_parsed,
    export_bank,
    import_questions,
    load_course_quiz,
    parse_bytes,
)
from quizzes.models import Category, Choice, Question, QuestionBank, Quiz

from .utils import SAMPLE_GIFT, make_course

pytestmark = pytest.mark.django_db

BAD_GIFT = SAMPLE_GIFT + "\n\n::BAD::坏题{=对 ~错\n"
AIKEN = """专利权由哪个机关授予？
A. 国家知识产权局
B. 市场监督管理局
ANSWER: A

商标注册有效期是几年？
A) 5年
B) 10年
C) 20年
ANSWER: B
"""


def test_command_imports_gift(tmp_path):
    path = tmp_path / "bank.gift"
    path.write_text(SAMPLE_GIFT, encoding="utf-8")
    call_command("import_questions", str(path), "--format", "gift", "--bank", "专利商标")
    bank = QuestionBank.objects.get(name="专利商标")
    assert bank.questions.count() == 7
    assert set(Category.objects.filter(bank=bank).values_list("path", flat=True)) == {
        "专利",
        "商标",
    }
    p3 = Question.objects.get(name="P3")
    assert p3.qtype == "multiresponse"
    assert sorted(p3.choices.values_list("fraction", flat=True)) == [-1, 0.5, 0.5]
    # Running it again changes nothing.
    call_command("import_questions", str(path), "--bank", "专利商标")
    assert bank.questions.count() == 7 and Choice.objects.filter(question=p3).count() == 3


def test_command_rejects_malformed_file_and_names_the_line(tmp_path):
    path = tmp_path / "bad.gift"
    path.write_text(BAD_GIFT, encoding="utf-8")
    with pytest.raises(CommandError) as excinfo:
        call_command("import_questions", str(path), "--bank", "x")
    assert "nothing imported" in str(excinfo.value)
    line = BAD_GIFT.splitlines().index("::BAD::坏题{=对 ~错") + 1
    assert f"第 {line} 行" in str(excinfo.value)
    assert not QuestionBank.objects.exists() and not Question.objects.exists()


def test_command_imports_aiken(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text(AIKEN, encoding="utf-8")
    call_command("import_questions", str(path), "--format", "aiken", "--bank", "aiken")
    questions = Question.objects.filter(bank__name="aiken")
    assert questions.count() == 2
    q = questions.get(text__startswith="商标")
    assert q.choices.get(fraction=1).text == "10年"


def test_update_of_changed_question_keeps_identity():
    import_questions("b", parse_gift(SAMPLE_GIFT))
    p1 = Question.objects.get(name="P1")
    changed = SAMPLE_GIFT.replace("{=20年 ~10年 ~15年}", "{=20年 ~10年 ~25年}")
    result = import_questions("b", parse_gift(changed))
    assert [q.name for q in result.updated] == ["P1"] and len(result.unchanged) == 6
    assert Question.objects.get(name="P1").pk == p1.pk
    assert "25年" in Question.objects.get(name="P1").choices.values_list("text", flat=True)


def test_export_then_import_gives_the_same_bank():
    bank = import_questions("原题库", parse_gift(SAMPLE_GIFT)).bank
    text = export_bank(bank)
    copy = import_questions("副本", parse_gift(text)).bank
    assert bank_to_parsed(copy) == bank_to_parsed(bank)
    # And importing the export over the original changes nothing.
    result = import_questions(bank, parse_gift(text))
    assert not result.created and not result.updated


def wizard_post(client, url, data):
    """POST to the import wizard and run what it queued after commit (the background task,
    run inline by the immediate backend); returns the page it lands on."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, data)
    return client.get(response.url) if response.status_code == 302 else response


def test_admin_upload_preview_confirm(client):
    from lms.jobs.models import FileJob
    from tests.factories import make_user

    trainer = make_user("trainer")
    client.force_login(trainer)
    url = reverse("quizzes_admin:import")
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("bank.gift", SAMPLE_GIFT.encode("utf-8"), "text/plain")
    preview = wizard_post(client, url, {"new_bank": "上传题库", "format": "gift", "file": upload})
    html = preview.content.decode()
    assert preview.status_code == 200 and "确认导入" in html and "P3" in html
    assert not Question.objects.exists()  # nothing imported before confirming
    job = preview.context["job"]
    assert job.kind == "question_import" and job.state == FileJob.State.READY
    done = wizard_post(client, reverse("quizzes_admin:import_job", args=[job.pk]), {"confirm": 1})
    assert "已导入题库“上传题库”：新增 7 题" in done.content.decode()
    assert QuestionBank.objects.get(name="上传题库").questions.count() == 7
    # Importing the same file again: the preview says every question is unchanged.
    upload = SimpleUploadedFile("bank.gift", SAMPLE_GIFT.encode("utf-8"), "text/plain")
    again = wizard_post(client, url, {"new_bank": "上传题库", "format": "gift", "file": upload})
    assert again.context["preview"]["counts"]["unchanged"] == 7
    # The export link downloads the bank as GIFT.
    bank = QuestionBank.objects.get(name="上传题库")
    export = client.get(reverse("quizzes_admin:export", args=[bank.pk]))
    assert export.status_code == 200 and "::P1::" in export.content.decode()


def test_gift_template_downloads_and_imports(client):
    from tests.factories import make_user

    client.force_login(make_user("trainer"))
    response = client.get(reverse("quizzes_admin:import_template", args=["gift"]))
    assert response.status_code == 200
    questions = parse_bytes(response.content, "gift")
    assert len(questions) == 4


def test_admin_upload_rejects_bad_files(client, settings):
    from tests.factories import make_user

    client.force_login(make_user("trainer"))
    url = reverse("quizzes_admin:import")
    bad = SimpleUploadedFile("bad.gift", BAD_GIFT.encode("utf-8"))
    html = wizard_post(client, url, {"new_bank": "x", "format": "gift", "file": bad})
    html = html.content.decode()
    assert "未导入任何题目" in html and "行" in html and "确认导入" not in html
    wrong_type = SimpleUploadedFile("bank.exe", b"MZ\x00\x00")
    html = client.post(
        url, {"new_bank": "x", "format": "gift", "file": wrong_type}
    ).content.decode()
    assert "文件类型不对" in html
    settings.MAX_IMPORT_UPLOAD_SIZE = 10
    big = SimpleUploadedFile("big.gift", SAMPLE_GIFT.encode("utf-8"))
    html = client.post(url, {"new_bank": "x", "format": "gift", "file": big}).content.decode()
    assert "文件太大" in html
    assert not QuestionBank.objects.exists()


def test_learners_cannot_use_the_import(client, learner):
    client.force_login(learner)
    assert client.get(reverse("quizzes_admin:import")).status_code in (302, 403)


def test_course_extension_loads_bank_and_quiz(tmp_path):
    course = make_course("IP-101")
    (tmp_path / "questions.gift").write_text(SAMPLE_GIFT, encoding="utf-8")
    meta = {
        "code": "IP-101",
        "quiz": {
            "title": "结业测验",
            "pass_mark": 80,
            "questions_per_attempt": 5,
            "time_limit_minutes": 30,
            "max_attempts": 3,
            "cooldown_minutes": 10,
            "show_answers": "end",
        },
    }
    assert load_course_quiz(None, tmp_path, meta, True) is None
    assert not Question.objects.exists()
    quiz = load_course_quiz(course, tmp_path, meta, False)
    load_course_quiz(course, tmp_path, meta, False)  # idempotent
    assert Quiz.objects.count() == 1 and QuestionBank.objects.get().name == "IP-101"
    quiz.refresh_from_db()
    assert (quiz.pass_mark, quiz.max_attempts, quiz.time_limit_minutes) == (80, 3, 30)
    assert quiz.course == course and Question.objects.count() == 7


def test_course_extension_reports_the_bad_line(tmp_path):
    from courses.loader import CurriculumError

    (tmp_path / "questions.gift").write_text(BAD_GIFT, encoding="utf-8")
    with pytest.raises(CurriculumError) as excinfo:
        load_course_quiz(None, tmp_path, {"code": "X", "quiz": {}}, True)
    assert excinfo.value.line > 1


@pytest.mark.parametrize("course_dir", sorted(Path("content/courses").glob("*/")))
def test_curriculum_banks_parse(course_dir):
    import yaml

    text = (course_dir / "course.md").read_text(encoding="utf-8")
    meta = yaml.safe_load(text.split("---")[1])
    load_course_quiz(None, course_dir, meta, True)


def test_load_curriculum_creates_course_quizzes():
    from courses.loader import load_curriculum

    load_curriculum("content")
    load_curriculum("content")  # idempotent
    quizzes = Quiz.objects.select_related("course", "bank")
    assert quizzes.count() == len(list(Path("content/courses").glob("*/questions.gift")))
    for quiz in quizzes:
        assert quiz.bank.name == quiz.course.code
        assert quiz.bank.questions.exists()
