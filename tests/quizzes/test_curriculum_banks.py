"""Question tags (Moodle 4 ``// [tag:…]``), stratified draws with exclusion groups, and the
curriculum loader protecting quizzes/questions edited in the admin (issue 17 finding 5)."""

import random
import textwrap
from decimal import Decimal

import pytest
from django.core.management import call_command

from courses.loader import CurriculumInvalid, load_curriculum
from quizzes.attempts import draw_questions
from quizzes.drawing import allocate
from quizzes.formats import export_gift, parse_gift
from quizzes.models import (
    Attempt,
    Category,
    Choice,
    Question,
    QuestionBank,
    Quiz,
    QuizDraw,
    Response,
)
from tests.courses.conftest import write_course
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def curriculum(tmp_path):
    root = tmp_path / "content"
    root.mkdir()
    return root


def _q(name, text="题干", tags=(), answer="=对 ~错"):
    lines = [f"// [tag:{t}]" for t in tags]
    return "\n".join([*lines, f"::{name}::{text}{{{answer}}}"])


def bank_gift(topics, tags=None):
    """{topic: count} -> a GIFT file; ``tags`` maps a question name to extra tags."""
    chunks = []
    for topic, count in topics.items():
        chunks.append(f"$CATEGORY: 课程/{topic}")
        for n in range(count):
            name = f"{topic}-{n}"
            chunks.append(_q(name, tags=(tags or {}).get(name, ())))
    return "\n\n".join(chunks) + "\n"


def test_tag_comments_are_read_and_round_trip_through_export():
    text = textwrap.dedent(
        """\
        // 文件说明，不是题目

        $CATEGORY: 课程/备案
        // question: 12  name: Q1
        // [tag:lesson:patent-licence-filing] [tag:rule:62号令第12条]
        // [tag:scenario]
        // [tag:exclude:grp1]
        ::Q1::某公司来窗口备案……{=先收件 ~拒收}

        ::Q2::不带标签的题{T}
        """
    )
    q1, q2 = parse_gift(text)
    assert q1.tags == [
        "lesson:patent-licence-filing",
        "rule:62号令第12条",
        "scenario",
        "exclude:grp1",
    ]
    assert q1.line == 8 and q1.category == "课程/备案"
    assert q2.tags == []
    again = parse_gift(export_gift([q1, q2]))
    assert [q.tags for q in again] == [q1.tags, []]


def test_allocate_gives_every_topic_a_place_then_shares_by_size():
    assert allocate({"a": 1, "b": 5, "c": 14}, 10) == {"a": 1, "b": 2, "c": 7}
    assert sum(allocate({"a": 2, "b": 2}, 10).values()) == 4  # never more than the bank
    assert allocate({"a": 1, "b": 5, "c": 14}, 2) == {"a": 0, "b": 1, "c": 1}


def _bank_quiz(topics, per_attempt, tags=None):
    from quizzes.importing import import_questions

    result = import_questions("B", parse_gift(bank_gift(topics, tags)))
    return Quiz.objects.create(title="Q", bank=result.bank, questions_per_attempt=per_attempt)


def test_every_paper_covers_every_topic_even_small_ones():
    quiz = _bank_quiz({"著作权": 1, "专利": 12, "商标": 12}, 6)
    for seed in range(40):
        ids = draw_questions(quiz, random.Random(seed))
        topics = set(Question.objects.filter(pk__in=ids).values_list("category__name", flat=True))
        assert len(ids) == 6 and topics == {"著作权", "专利", "商标"}


def test_questions_of_one_exclusion_group_are_never_drawn_together():
    tags = {"专利-0": ["exclude:g1"], "专利-1": ["exclude:g1"], "商标-0": ["exclude:g1"]}
    quiz = _bank_quiz({"专利": 3, "商标": 3}, 6, tags)
    grouped = set(Question.objects.filter(name__in=tags).values_list("pk", flat=True))
    for seed in range(40):
        ids = draw_questions(quiz, random.Random(seed))
        assert len(set(ids) & grouped) == 1
        assert len(ids) == 4  # six asked, two excluded by the group


def test_retired_and_description_items_are_not_drawn():
    quiz = _bank_quiz({"专利": 3}, None)
    retired = Question.objects.get(name="专利-0")
    retired.retired_at = retired.created_at
    retired.save()
    Question.objects.create(bank=quiz.bank, name="说明", text="说明", qtype="description")
    ids = draw_questions(quiz, random.Random(1))
    assert sorted(Question.objects.filter(pk__in=ids).values_list("name", flat=True)) == [
        "专利-1",
        "专利-2",
    ]


# --------------------------------------------------------------------------- the loader

QUIZ = """\
quiz:
  title: 测验
  pass_mark: 80
  questions_per_attempt: 4
"""


def _course(root, gift, quiz=QUIZ):
    course_dir = write_course(root, "T-101", "course-a", lessons=1)
    course_md = course_dir / "course.md"
    text = course_md.read_text(encoding="utf-8")
    course_md.write_text(text.replace("hours: 2\n", "hours: 2\n" + quiz, 1), encoding="utf-8")
    (course_dir / "questions.gift").write_text(gift, encoding="utf-8")
    return course_dir


def _snapshot():
    return (
        sorted(Question.objects.values_list("name", "updated_at", "retired_at", "loader_hash")),
        sorted(Quiz.objects.values_list("pk", "updated_at", "loader_hash")),
        sorted(QuizDraw.objects.values_list("pk", "count")),
        Choice.objects.count(),
    )


def test_quiz_draw_in_course_md_creates_per_category_draws(curriculum):
    quiz_md = QUIZ + "  draw:\n    专利: 2\n    课程/商标: 1\n"
    _course(curriculum, bank_gift({"专利": 3, "商标": 2}), quiz_md)
    report = load_curriculum(curriculum)
    quiz = Quiz.objects.get()
    assert [(d.category.path, d.count) for d in quiz.draws.order_by("sort_order")] == [
        ("课程/专利", 2),
        ("课程/商标", 1),
    ]
    assert report.questions == {"created": 5} and report.quizzes == {"created": 1}
    before = _snapshot()
    again = load_curriculum(curriculum)
    assert _snapshot() == before
    assert again.questions == {"unchanged": 5} and again.quizzes == {"unchanged": 1}


def test_quiz_draw_naming_an_unknown_topic_is_an_error(curriculum):
    course_dir = _course(curriculum, bank_gift({"专利": 3}), QUIZ + "  draw:\n    著作权: 1\n")
    with pytest.raises(CurriculumInvalid) as excinfo:
        load_curriculum(curriculum)
    assert excinfo.value.errors[0].path == course_dir / "course.md"
    assert "著作权" in excinfo.value.errors[0].message


def test_admin_edits_to_quiz_and_question_are_kept_and_reported(curriculum, capsys):
    course_dir = _course(curriculum, bank_gift({"专利": 3}))
    load_curriculum(curriculum)
    quiz = Quiz.objects.get()
    quiz.pass_mark = Decimal("70")
    quiz.save()
    question = Question.objects.get(name="专利-1")
    question.text = "<p>培训师改过的题干</p>"
    question.save()
    # the file changes too: a reload must still not undo the admin's edits
    gift = bank_gift({"专利": 3}).replace("::专利-1::题干", "::专利-1::文件里的新题干")
    (course_dir / "questions.gift").write_text(gift, encoding="utf-8")
    call_command("load_curriculum", str(curriculum))
    out = capsys.readouterr().out
    quiz.refresh_from_db()
    question.refresh_from_db()
    assert quiz.pass_mark == 70 and question.text == "<p>培训师改过的题干</p>"
    assert "测验“测验”在管理后台修改过" in out and "题目“专利-1”在管理后台修改过" in out
    assert "questions.gift 第 5 行" in out
    assert "跳过 2" in out and "未变 19" not in out
    call_command("load_curriculum", str(curriculum), force=True)
    quiz.refresh_from_db()
    question.refresh_from_db()
    assert quiz.pass_mark == 80 and question.text == "文件里的新题干"


def test_question_removed_from_file_is_retired_kept_and_restored(curriculum):
    course_dir = _course(curriculum, bank_gift({"专利": 3, "商标": 2}))
    load_curriculum(curriculum)
    learner = make_user(username="learner-retire")
    quiz = Quiz.objects.get()
    # A past paper that showed every question (built directly: the quiz gate of the course,
    # enrolment and lessons read, is not what this test is about).
    old = Attempt.objects.create(quiz=quiz, user=learner, number=1)
    Response.objects.bulk_create(
        Response(attempt=old, question=q, position=n)
        for n, q in enumerate(Question.objects.order_by("pk"), start=1)
    )
    gift = bank_gift({"专利": 3, "商标": 2}).replace(_q("商标-1") + "\n", "")
    (course_dir / "questions.gift").write_text(gift, encoding="utf-8")
    report = load_curriculum(curriculum)
    assert report.questions == {"unchanged": 4, "retired": 1}
    retired = Question.objects.get(name="商标-1")
    assert retired.retired_at is not None  # kept, with its responses
    for seed in range(30):
        assert retired.pk not in draw_questions(quiz, random.Random(seed))
    assert old.responses.count() == 5  # the retired question's response is kept
    (course_dir / "questions.gift").write_text(bank_gift({"专利": 3, "商标": 2}), "utf-8")
    report = load_curriculum(curriculum)
    assert report.questions == {"unchanged": 4, "restored": 1}
    retired.refresh_from_db()
    assert retired.retired_at is None


def test_admin_written_question_is_not_retired_by_the_loader(curriculum):
    _course(curriculum, bank_gift({"专利": 2}))
    load_curriculum(curriculum)
    bank = QuestionBank.objects.get(name="T-101")
    own = Question.objects.create(
        bank=bank, name="后台题", text="后台写的题", category=Category.objects.first()
    )
    load_curriculum(curriculum)
    own.refresh_from_db()
    assert own.retired_at is None


def test_edited_question_removed_from_file_is_kept_live_unless_forced(curriculum):
    course_dir = _course(curriculum, bank_gift({"专利": 3}))
    load_curriculum(curriculum)
    edited = Question.objects.get(name="专利-2")
    edited.explanation = "<p>培训师补充的解析</p>"
    edited.save()
    gift = bank_gift({"专利": 3}).replace(_q("专利-2"), "").rstrip() + "\n"
    (course_dir / "questions.gift").write_text(gift, encoding="utf-8")
    report = load_curriculum(curriculum)
    edited.refresh_from_db()
    assert edited.retired_at is None and report.questions.get("skipped") == 1
    assert any("已从文件删除，但在管理后台修改过" in message for _obj, message in report.skipped)
    load_curriculum(curriculum, force=True)
    edited.refresh_from_db()
    assert edited.retired_at is not None
