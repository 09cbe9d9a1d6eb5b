"""Aiken reader: good files, Moodle's error rules, plain-text escaping, robustness."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzes.formats import FormatError, decode_upload, parse_aiken

GOOD = """专利权的保护期限（发明专利）是多少年？
A. 10 年
B. 20 年
C. 50 年
D. 永久
ANSWER: B

Moodle's abilities include handling input like <html class="cool"> & images:
A) True
B) False
ANSWER: A
"""


def error_lines(text):
    with pytest.raises(FormatError) as info:
        parse_aiken(text)
    return [line for line, _message in info.value.errors]


def test_good_questions():
    first, second = parse_aiken(GOOD)
    assert first.qtype == "multichoice"
    assert first.text_format == "plain"
    assert first.text == "专利权的保护期限（发明专利）是多少年？"
    assert first.name == first.text
    assert first.line == 1
    assert [(a.text, a.fraction) for a in first.answers] == [
        ("10 年", 0.0),
        ("20 年", 1.0),
        ("50 年", 0.0),
        ("永久", 0.0),
    ]
    assert second.line == 8
    assert [a.fraction for a in second.answers] == [1.0, 0.0]


def test_html_special_characters_are_escaped():
    question = parse_aiken(GOOD)[1]
    assert question.text == (
        'Moodle\'s abilities include handling input like &lt;html class="cool"&gt; &amp; images:'
    )
    escaped = parse_aiken("标签<b>题\nA) <i>甲</i>\nB) 乙\nANSWER: A")[0]
    assert escaped.text == "标签&lt;b&gt;题"
    assert escaped.answers[0].text == "&lt;i&gt;甲&lt;/i&gt;"


def test_options_without_space_crlf_bom_and_multiline_text():
    text = "\ufeff第一行\r\n第二行\r\nA)甲\r\nB)乙\r\nANSWER: B"
    question = parse_aiken(text)[0]
    assert question.text == "第一行<br>第二行"
    assert [a.fraction for a in question.answers] == [0.0, 1.0]


def test_full_width_colon_and_lower_case_letter():
    question = parse_aiken("题\nA. 甲\nB. 乙\nANSWER：b")[0]
    assert [a.fraction for a in question.answers] == [0.0, 1.0]


def test_gb18030_upload():
    data = "商标\nA. 甲\nB. 乙\nANSWER: A\n".encode("gb18030")
    assert parse_aiken(decode_upload(data))[0].text == "商标"


def test_moodle_error_rules_reject_the_whole_file():
    text = """A question with too few answers
A) Only answer
ANSWER: A

A) Question not started

ANSWER: Question not started

A good question
A) Correct
B) Incorrect
ANSWER: A

A question started but not finished
A) Correct-ish
B) Incorrect-ish

A second good question
A)Incorrect (No space)
B)Correct (No space)
ANSWER: B"""
    with pytest.raises(FormatError) as info:
        parse_aiken(text)
    assert [line for line, _message in info.value.errors] == [3, 5, 7, 14]
    assert "18" in info.value.errors[3][1]


def test_unfinished_question_at_end_of_file():
    assert error_lines("好题\nA. 甲\nB. 乙\nANSWER: A\n\n没完的题\nA. 甲\n") == [6]
    assert error_lines("只有题干") == [1]


def test_answer_letter_must_name_an_option():
    assert error_lines("题\nA. 甲\nB. 乙\nANSWER: C") == [4]
    assert error_lines("题\nA. 甲\nB. 乙\nANSWER: ?") == [4]


def test_empty_option():
    assert error_lines("题\nA.\nB. 乙\nANSWER: B") == [2]


def test_empty_file():
    assert parse_aiken("") == []
    assert parse_aiken("\n \n") == []


aiken_soup = st.lists(
    st.one_of(
        st.sampled_from(
            ["A. ", "B) ", "C.", "ANSWER: ", "ANSWER: A", "ANSWER：B", "\n", "\n\n", "题干",
             "<b>", "&", " ", "\r\n", "Z) ", "x"]
        ),
        st.text(max_size=4),
    ),
    max_size=40,
).map("".join)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), aiken_soup))
def test_parse_aiken_returns_questions_or_raises_format_error(text):
    try:
        questions = parse_aiken(text)
    except FormatError as error:
        assert error.errors
        return
    for question in questions:
        assert question.qtype == "multichoice"
        assert len(question.answers) >= 2
        assert sum(answer.fraction for answer in question.answers) == 1.0
        assert "<" not in question.text.replace("<br>", "")
