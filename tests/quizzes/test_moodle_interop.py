"""Issue 17 item 8: the importer accepts every GIFT file Moodle accepts.

``fixtures/`` holds our own files, one per Moodle file (its GIFT examples, its import test
fixture and the fixture with a category), reproducing each construct they use: unnamed
questions named after their text, the same text or name several times, comments, weights,
feedback over several lines, escapes, text formats, missing-word blanks, ranges, a category.
Importing them works, importing again changes nothing, and export → import round-trips.

When Moodle's own files are at hand (``LMS_INTEROP_DIR``, default ``../shared/interop`` next
to the checkout), they are checked too against the counts Moodle reports; a fresh clone
skips that test.
"""

import os
from pathlib import Path

import pytest

from quizzes.formats import parse_gift
from quizzes.importing import (
    bank_to_parsed,
    export_bank,
    import_questions,
    number_duplicate_names,
    parse_bytes,
)
from quizzes.models import Category, Question, QuestionBank

FIXTURES = Path(__file__).parent / "fixtures"
MC, MR, TF, SA, NUM, MT, ES = (
    "multichoice",
    "multiresponse",
    "truefalse",
    "shortanswer",
    "numerical",
    "matching",
    "essay",
)
EXPECTED = {
    "moodle_examples_constructs.gift": [
        MC, MC, TF, SA, NUM, MC, MC, MC, MC, SA, SA, TF, TF, MT, MT, NUM, NUM, NUM, NUM, NUM,
        SA, MC, MC, SA, SA, TF, MC, MC, SA, MR, MR, MC, MC, MC, MC, TF, SA, NUM, MT, MC, MC,
        SA, NUM,
    ],
    "moodle_fixture_constructs.gift": [ES, MT, MC, MR, NUM, SA, TF, TF, TF],
    "moodle_category_constructs.gift": [MT, MC, SA, TF],
}  # fmt: skip


def read(name):
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_moodle_constructs_parse_with_moodles_counts(name):
    questions = parse_bytes(read(name), "gift")
    assert [q.qtype for q in questions] == EXPECTED[name]
    names = [q.name for q in questions]
    assert len(set(names)) == len(names)


def test_unnamed_and_duplicate_questions_are_named_as_moodle_does_and_numbered():
    questions = parse_bytes(read("moodle_examples_constructs.gift"), "gift")
    names = [q.name for q in questions]
    # An unnamed question is named after its text; the same text again gets a number.
    assert names[0] == "哪个机关主管专利？"
    assert names[3] == "哪个机关主管专利？ (2)" and names[5] == "哪个机关主管专利？ (3)"
    assert names[1] == "发明专利的保护期为 _____ ，自申请日起算。"
    assert names[27:29] == ["窗口所在地", "窗口所在地 (2)"]  # an explicit name twice
    fixture = parse_bytes(read("moodle_fixture_constructs.gift"), "gift")
    assert [q.name for q in fixture][-2:] == ["2-08 TSL", "2-08 TSL (2)"]


def test_numbering_skips_names_the_file_uses():
    questions = parse_gift("::Q::一{T}\n\n::Q::二{T}\n\n::Q (2)::三{T}\n\n::Q::四{T}")
    assert [q.name for q in number_duplicate_names(questions)] == ["Q", "Q (3)", "Q (2)", "Q (4)"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_import_again_changes_nothing_and_export_round_trips(name):
    questions = parse_bytes(read(name), "gift")
    result = import_questions("Moodle", questions)
    assert len(result.created) == len(EXPECTED[name]) == Question.objects.count()
    again = import_questions("Moodle", parse_bytes(read(name), "gift"))
    assert len(again.unchanged) == len(EXPECTED[name]) and not again.created + again.updated

    bank = QuestionBank.objects.get(name="Moodle")
    exported = export_bank(bank)
    copy = import_questions("副本", parse_bytes(exported.encode(), "gift"))
    assert len(copy.created) == len(EXPECTED[name])
    assert bank_to_parsed(copy.bank) == bank_to_parsed(bank)
    assert export_bank(copy.bank) == exported


@pytest.mark.django_db
def test_category_with_course_context_prefix():
    result = import_questions("分类", parse_bytes(read("moodle_category_constructs.gift"), "gift"))
    assert {q.category.path for q in result.created} == {"新功能默认分类"}
    assert Category.objects.filter(bank=result.bank).count() == 1
    greeting = Question.objects.get(name="问候")
    assert 'href="http://demo.example.net/file.php/5/media/nihao.mp3"' in greeting.text
    assert "听这段问候:" in greeting.text


INTEROP = Path(
    os.environ.get("LMS_INTEROP_DIR", Path(__file__).resolve().parents[3] / "shared" / "interop")
)
MOODLE_COUNTS = {
    "gift/moodle-examples.gift.txt": 43,
    "gift/moodle-fixture-questions.gift.txt": 9,
    "gift/moodle-fixture-questions_in_category.gift.txt": 4,
    "aiken/moodle-fixture-questions.aiken.txt": 2,
}


@pytest.mark.skipif(not INTEROP.is_dir(), reason="Moodle's files are not next to the checkout")
@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MOODLE_COUNTS))
def test_moodles_own_files_when_available(name):
    fmt = "aiken" if name.startswith("aiken/") else "gift"
    data = (INTEROP / name).read_bytes()
    result = import_questions("Moodle", parse_bytes(data, fmt))
    assert result.total == MOODLE_COUNTS[name]
    exported = export_bank(result.bank)
    copy = import_questions("副本", parse_bytes(exported.encode(), "gift"))
    assert bank_to_parsed(copy.bank) == bank_to_parsed(result.bank)


@pytest.mark.skipif(not INTEROP.is_dir(), reason="Moodle's files are not next to the checkout")
def test_moodles_aiken_error_file_is_rejected_naming_its_lines():
    from quizzes.formats import FormatError

    with pytest.raises(FormatError) as caught:
        parse_bytes((INTEROP / "aiken/moodle-fixture-aiken_errors.txt").read_bytes(), "aiken")
    assert [line for line, _message in caught.value.errors] == [3, 5, 7, 14]
