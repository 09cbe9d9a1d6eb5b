"""Security hole 12 (issue 15): GIFT import is linear. Files, questions and nesting have caps,
refused with a translated message naming the line; ordinary nesting passes.
(Throughput is measured in tests/perf/bench_gift.py, not here.)"""

import pytest
from django.utils import translation

from quizzes.formats import FormatError, parse_gift
from quizzes.formats.base import MAX_HTML_DEPTH, MAX_MARKDOWN_BRACKETS
from quizzes.formats.gift import MAX_FILE_CHARS, MAX_QUESTION_CHARS
from quizzes.importing import parse_bytes

GOOD = "::G::好题{=甲 ~乙}\n\n"


def errors_of(text):
    with pytest.raises(FormatError) as caught:
        parse_gift(text)
    return caught.value


@pytest.mark.parametrize(
    "stem",
    [
        "[html]" + "<div>" * (MAX_HTML_DEPTH + 1) + "深" + "</div>" * (MAX_HTML_DEPTH + 1),
        "[html]" + "<b>" * 5000 + "深",
        "" + "<span>" * 500 + "深",  # Moodle auto-format
        "[markdown]" + "<div>" * 500,
    ],
    ids=["html-closed", "html-unclosed", "moodle", "markdown-html"],
)
def test_deeply_nested_html_is_refused_naming_the_line(stem):
    error = errors_of(GOOD + f"::D::{stem}{{=甲 ~乙}}")
    assert [line for line, _message in error.errors] == [3]
    assert "嵌套过深" in str(error) and "第 3 行" in str(error)


@pytest.mark.parametrize(
    "stem",
    [
        "[" * 2000,
        "[" * 500 + "x" + "](y)" * 500,
        "[a](b " * 300,
        "<a " * 300,
        "> " * 5000 + "引用",
        "列表\\n" + " " * 4 * (MAX_MARKDOWN_BRACKETS + 1) + "- 深",
    ],
    ids=["open-brackets", "nested-links", "unclosed-links", "unclosed-angles", "quotes", "list"],
)
def test_markdown_nesting_and_unclosed_brackets_are_refused(stem):
    error = errors_of(GOOD + GOOD.replace("G", "H") + f"::M::[markdown]{stem}{{=甲 ~乙}}")
    assert error.errors[0][0] == 5 and "嵌套过深" in error.errors[0][1]


def test_ordinary_nesting_and_brackets_pass():
    table = (
        "<ul><li><ol><li><table><tbody><tr><td><p><b><i>深</i></b></p></td></tr></tbody>"
        "</table></li></ol></li></ul>"
    )
    links = " ".join(f"[链接{i}](https://example.org/{i})" for i in range(200))
    questions = parse_gift(
        f"::T::[html]{table}{{=甲 ~乙}}\n\n"
        f"::L::[markdown]{links}，以及 a < b 和 （全角括号）{{=甲 ~乙}}\n\n"
        f"::N::[markdown]{'[' * MAX_MARKDOWN_BRACKETS}x{{=甲 ~乙}}\n\n"
        "::Q::[markdown]> 引用\\n> > 再引用\\n\\n- 列表\\n    - 子列表{=甲 ~乙}"
    )
    assert [q.name for q in questions] == ["T", "L", "N", "Q"]
    assert "<blockquote>" in questions[3].text and questions[3].text.count("<ul>") == 2
    assert "<table>" in questions[0].text and questions[1].text.count("<a ") == 200


def test_overlong_question_is_refused_naming_its_line():
    question = "::X::" + "长" * MAX_QUESTION_CHARS + "{=甲 ~乙}"
    error = errors_of(GOOD + question + "\n\n" + GOOD.replace("G", "K"))
    assert error.errors == [
        (3, f"题目太长：{len(question)} 个字符，最多 {MAX_QUESTION_CHARS} 个。")
    ]


def test_file_size_cap_and_english_messages():
    text = GOOD * (MAX_FILE_CHARS // len(GOOD) + 1)
    error = errors_of(text)
    assert error.errors[0][0] == 0 and "文件太大" in error.errors[0][1]
    with translation.override("en"):
        error = errors_of("::D::[html]" + "<div>" * 100 + "{=甲 ~乙}")
        assert "nested" in str(error).lower() and "line 1" in str(error).lower()


def test_upload_over_the_byte_limit_is_refused(settings):
    settings.MAX_IMPORT_UPLOAD_SIZE = 1000
    with pytest.raises(FormatError) as caught:
        parse_bytes(GOOD.encode() * 100, "gift")
    assert caught.value.errors[0][0] == 0 and "文件太大" in caught.value.errors[0][1]
