"""GIFT reader: every construct, sanitising, errors, encodings, and robustness."""

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzes.formats import (
    FormatError,
    ParsedAnswer,
    decode_upload,
    match_shortanswer,
    parse_gift,
)


def one(text):
    questions = parse_gift(text)
    assert len(questions) == 1
    return questions[0]


def answers(question):
    return [(a.text, a.fraction, a.feedback) for a in question.answers]


def error_lines(text):
    with pytest.raises(FormatError) as info:
        parse_gift(text)
    return [line for line, _message in info.value.errors]


# --------------------------------------------------------------------------- structure


def test_comments_blank_lines_and_multiline_questions():
    text = """// 知识产权基础题库
// 第二行注释

::专利类型::我国专利分为
哪几种类型？{
  =发明、实用新型和外观设计
  ~发明和实用新型
}

// a comment between questions
What is 2 + 2?{=4 =four}
"""
    first, second = parse_gift(text)
    assert first.name == "专利类型"
    assert first.text == "我国专利分为<br>哪几种类型？"
    assert first.line == 4
    assert first.qtype == "multichoice"
    assert second.line == 11
    assert second.qtype == "shortanswer"


def test_category_lines_apply_to_following_questions():
    text = """$CATEGORY: $course$/top/知识产权基础/专利

题一{T}

$CATEGORY: $system$/商标

题二{F}

$CATEGORY: top

题三{T}
"""
    categories = [q.category for q in parse_gift(text)]
    assert categories == ["知识产权基础/专利", "商标", ""]


def test_category_and_question_in_one_block():
    questions = parse_gift("// header\n$CATEGORY: 版权\n::Q::版权保护期多长？{=50年}\n")
    assert questions[0].category == "版权"
    assert questions[0].name == "Q"
    assert questions[0].line == 3


def test_default_name_is_made_from_the_text():
    question = one("Who's buried in Grant's <b>tomb</b>?{=no one}")
    assert question.name == "Who's buried in Grant's tomb?"
    long = one("长" * 100 + "{T}")
    assert long.name == "长" * 77 + "..."


def test_unclosed_name_is_dropped_like_moodle():
    question = one("::没有结束的名称 题干{T}")
    assert question.text == "没有结束的名称 题干"
    assert question.name == "没有结束的名称 题干"


def test_empty_file_and_comment_only_file():
    assert parse_gift("") == []
    assert parse_gift("// nothing\n\n// here\n") == []


# --------------------------------------------------------------------------- multiple choice


def test_multichoice_with_one_right_answer():
    question = one("Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}")
    assert question.qtype == "multichoice"
    assert question.text == "Who's buried in Grant's tomb?"
    assert question.missing_word is False
    assert answers(question) == [("Grant", 0.0, ""), ("Jefferson", 0.0, ""), ("no one", 1.0, "")]


def test_missing_word_puts_a_blank_in_the_text():
    question = one("商标注册申请应当向{~版权局 =国家知识产权局 ~法院}提出。")
    assert question.missing_word is True
    assert question.text == "商标注册申请应当向_____提出。"
    assert question.qtype == "multichoice"


def test_answer_feedback_and_partial_credit():
    question = one(
        """::Jesus' hometown::Jesus Christ was from {
    ~Jerusalem#This was an important city, but the wrong answer.
    ~%25%Bethlehem#He was born here, but not raised here.
    ~%50%Galilee#You need to be more specific.
    =Nazareth#Yes! That's right!}."""
    )
    assert question.qtype == "multichoice"
    assert question.missing_word is True
    assert question.text == "Jesus Christ was from _____."
    assert answers(question) == [
        ("Jerusalem", 0.0, "This was an important city, but the wrong answer."),
        ("Bethlehem", 0.25, "He was born here, but not raised here."),
        ("Galilee", 0.5, "You need to be more specific."),
        ("Nazareth", 1.0, "Yes! That's right!"),
    ]


def test_several_right_answers_make_a_multiresponse_question():
    question = one(
        """下列哪些属于知识产权？{
    ~%50%专利权#对
    ~%50%商标权#对
    ~%-100%物权#错，物权不是知识产权
    ~%-100%债权
}"""
    )
    assert question.qtype == "multiresponse"
    assert [(a.text, a.fraction) for a in question.answers] == [
        ("专利权", 0.5),
        ("商标权", 0.5),
        ("物权", -1.0),
        ("债权", -1.0),
    ]
    assert question.answers[2].feedback == "错，物权不是知识产权"


def test_exactly_one_full_weight_answer_is_single_choice():
    question = one("题干{~%100%对的 ~%-50%错的 ~也错}")
    assert question.qtype == "multichoice"


def test_weights_of_thirds_add_up():
    question = one("选出三个{~%33.333%a ~%33.333%b ~%33.333%c ~d}")
    assert question.qtype == "multiresponse"
    assert question.answers[0].fraction == pytest.approx(0.33333)


def test_general_feedback():
    question = one("1 + 1 = ?{=2#对 ~3#错 ####一加一等于二。}")
    assert question.general_feedback == "一加一等于二。"
    assert answers(question) == [("2", 1.0, "对"), ("3", 0.0, "错")]


# --------------------------------------------------------------------------- true/false


def test_truefalse_variants():
    assert one("专利权有期限。{T}").correct_truefalse is True
    assert one("专利权有期限。{TRUE}").correct_truefalse is True
    assert one("商标权永久有效。{F}").correct_truefalse is False
    assert one("商标权永久有效。{FALSE}").correct_truefalse is False
    assert one("x{true}").qtype == "shortanswer"  # Moodle: the keywords are upper case


def test_truefalse_feedback_first_is_for_the_wrong_answer():
    question = one(
        "42 is the Absolute Answer to everything.{FALSE#42 is the Ultimate Answer.#"
        "You gave the right answer.####A Hitchhiker's Guide reference.}"
    )
    assert question.qtype == "truefalse"
    assert question.correct_truefalse is False
    # Learner answers True (wrong): first feedback. Answers False (right): second feedback.
    assert question.true_feedback == "42 is the Ultimate Answer."
    assert question.false_feedback == "You gave the right answer."
    assert question.general_feedback == "A Hitchhiker's Guide reference."
    assert question.answers == []

    right_is_true = one("太阳从东方升起。{T#错了，太阳从东方升起。#答对了。}")
    assert right_is_true.true_feedback == "答对了。"
    assert right_is_true.false_feedback == "错了，太阳从东方升起。"


# --------------------------------------------------------------------------- short answer


def test_shortanswer_weights_wildcard_and_feedback():
    question = one(
        """::Shortanswer::Which is the best animal?{
    =Frog#Good!
    =%50%Cat#What is it with Moodlers and cats?
    =%0%*#Completely wrong
}"""
    )
    assert question.qtype == "shortanswer"
    assert question.case_sensitive is False
    assert answers(question) == [
        ("Frog", 1.0, "Good!"),
        ("Cat", 0.5, "What is it with Moodlers and cats?"),
        ("*", 0.0, "Completely wrong"),
    ]


def test_shortanswer_answers_stay_plain_text():
    question = one("写出标签{=<b>}")
    assert question.answers[0].text == "<b>"


def test_match_shortanswer_helper():
    assert match_shortanswer("no one", "  No   One ")
    assert not match_shortanswer("no one", "No One", case_sensitive=True)
    assert match_shortanswer("国家*局", "国家知识产权局")
    assert match_shortanswer("*", "")
    assert match_shortanswer("a\\*b", "a*b")
    assert not match_shortanswer("a\\*b", "axb")
    assert not match_shortanswer("a.b", "axb")


# --------------------------------------------------------------------------- numerical


def test_numerical_exact_tolerance_and_range():
    exact = one("When was Ulysses S. Grant born?{#1822}")
    assert exact.qtype == "numerical"
    assert [(a.value, a.tolerance, a.fraction) for a in exact.answers] == [(1822.0, 0.0, 1.0)]

    tolerance = one("圆周率（保留三位小数）？{#3.1415:0.0005}")
    assert (tolerance.answers[0].value, tolerance.answers[0].tolerance) == (3.1415, 0.0005)
    assert tolerance.answers[0].text == "3.1415:0.0005"

    ranged = one("1 到 5 之间的数？{#1..5}")
    assert (ranged.answers[0].value, ranged.answers[0].tolerance) == (3.0, 2.0)
    assert ranged.answers[0].text == "1..5"

    negative = one("温度？{#-10..-2}")
    assert (negative.answers[0].value, negative.answers[0].tolerance) == (-6.0, 4.0)


def test_numerical_weighted_alternatives_and_wrong_branch():
    question = one(
        """When was Ulysses S. Grant born? {#
     =1822:0      #Correct! 100% credit
     =%50%1822:2  #He was born in 1822.
     ~#完全错误
}"""
    )
    assert [(a.text, a.fraction, a.value, a.tolerance, a.feedback) for a in question.answers] == [
        ("1822:0", 1.0, 1822.0, 0.0, "Correct! 100% credit"),
        ("1822:2", 0.5, 1822.0, 2.0, "He was born in 1822."),
        ("*", 0.0, None, 0.0, "完全错误"),
    ]


# --------------------------------------------------------------------------- matching


def test_matching_pairs_and_extra_answer():
    question = one(
        """::Moodle activities::[html]Match the <b>activity</b> to the description.{
    =[html]An activity supporting <i>asynchronous</i> discussions. -> Forum
    =[plain]A bank of <entries>. -> Database
    =专利 -> 国家知识产权局
    = -> Chat
}"""
    )
    assert question.qtype == "matching"
    assert question.text_format == "html"
    assert question.text == "Match the <b>activity</b> to the description."
    assert [(a.text, a.match) for a in question.answers] == [
        ("An activity supporting <i>asynchronous</i> discussions.", "Forum"),
        ("A bank of &lt;entries&gt;.", "Database"),
        ("专利", "国家知识产权局"),
        ("", "Chat"),
    ]
    assert [a.fraction for a in question.answers] == [1.0, 1.0, 1.0, 0.0]


def test_matching_without_spaces():
    question = one("Match capitals.{=Canada->Ottawa =Italy->Rome =Japan->Tokyo}")
    assert [(a.text, a.match) for a in question.answers] == [
        ("Canada", "Ottawa"),
        ("Italy", "Rome"),
        ("Japan", "Tokyo"),
    ]


# --------------------------------------------------------------------------- essay, description


def test_essay_and_description():
    essay = one("::Q8:: 请简述专利申请的流程。{}")
    assert essay.qtype == "essay"
    assert essay.answers == []
    with_feedback = one("简述商标的作用。{####参考答案：区分商品来源。}")
    assert with_feedback.qtype == "essay"
    assert with_feedback.general_feedback == "参考答案：区分商品来源。"

    description = one("::说明::以下题目考查专利法基础知识。")
    assert description.qtype == "description"
    assert description.text == "以下题目考查专利法基础知识。"


# --------------------------------------------------------------------------- formats, escapes


def test_text_formats():
    markdown = one("[markdown]Who's buried in **Grant's tomb**?{=no one#[plain]<ok>}")
    assert markdown.text_format == "markdown"
    assert markdown.text == "<p>Who's buried in <strong>Grant's tomb</strong>?</p>"
    assert markdown.answers[0].feedback == "&lt;ok&gt;"

    plain = one("[plain]Is <b> a tag?{T}")
    assert plain.text_format == "plain"
    assert plain.text == "Is &lt;b&gt; a tag?"

    default = one("Is <b>this</b> bold?\\nYes.{T}")
    assert default.text_format == "moodle"
    assert default.text == "Is <b>this</b> bold?<br>Yes."

    explicit = one("[moodle]一行\\n两行{T}")
    assert explicit.text_format == "moodle"
    assert explicit.text == "一行<br>两行"

    answer_formats = one("[html]<p>题</p>{=[markdown]**粗** ~[plain]<i> ~<i>斜</i>}")
    assert [a.text for a in answer_formats.answers] == [
        "<p><strong>粗</strong></p>",
        "&lt;i&gt;",
        "<i>斜</i>",
    ]


def test_unknown_format_tag_is_text():
    assert one("[latex]x{T}").text == "[latex]x"


def test_escaped_control_characters():
    question = one(
        r"""::GIFT\: 转义::Which is NOT a control character? {
   ~ \~     # \~ is a control character.
   ~ \=     # \= is a control character.
   ~ \#     # \# is a control character.
   ~ \{     # \{ is a control character.
   ~ \}     # \} is a control character.
   ~ \:     # \: 也是
   = \\     # Correct!\nA backslash escapes the others.
}"""
    )
    assert question.name == "GIFT: 转义"
    assert [a.text for a in question.answers] == ["~", "=", "#", "{", "}", ":", "\\"]
    assert question.answers[-1].feedback == "Correct!<br>A backslash escapes the others."


def test_escapes_in_html_attributes():
    question = one(
        r'[html]<a href\="http\://example.com/a">Listen\:</a> 哪种语言？{=French ~English}'
    )
    assert question.text == (
        '<a href="http://example.com/a" rel="noopener noreferrer">Listen:</a> 哪种语言？'
    )


def test_sanitising_removes_scripts_and_handlers():
    question = one(
        "[html]<script>alert(1)</script><img src\\=x onerror\\=alert(1)>"
        '<a href\\="javascript\\:alert(1)">x</a><p onclick\\="x" style\\="color\\: red; '
        'position\\: fixed">ok</p>{T}'
    )
    assert "script" not in question.text
    assert "alert" not in question.text
    assert "onerror" not in question.text
    assert "onclick" not in question.text
    assert "javascript" not in question.text
    assert "position" not in question.text
    assert '<img src="x">' in question.text
    assert '<p style="color:red">ok</p>' in question.text

    moodle = one("<script>alert(1)</script>安全吗？{~a ~%100%b}")
    assert moodle.text == "安全吗？"
    markdown = one("[markdown]<script>alert(1)</script>[x](javascript:alert(1))\\n\\nok{T}")
    assert "alert" not in markdown.text and "javascript" not in markdown.text
    feedback = one("Q{=a#<img src\\=x onerror\\=alert(1)> ~b}")
    assert feedback.answers[0].feedback == '<img src="x">'


# --------------------------------------------------------------------------- errors


def test_errors_name_the_line_of_each_bad_question():
    text = """// bad questions
::ok::好题{T}

::braces::花括号不配对 {=a

::few::选择题只有一个答案{~%50%a}

::num::数值题 {#abc}

::match::配对太少 {=a -> 1 =b -> 2}

::multi::
没有正确答案
{~a ~b}

::ok2::另一道好题{=对}
"""
    assert error_lines(text) == [4, 6, 8, 10, 12]


@pytest.mark.parametrize(
    "text",
    [
        "a { b",
        "a } b",
        "a } b {",
        "a {=x} b {=y}",
        "{=a}",
        "题{~a}",
        "题{~a ~b}",
        "题{~%50%a ~%20%b ~c}",
        "题{=a ~}",
        "题{~%150%a =b}",
        "题{=%50%a}",
        "题{#}",
        "题{#1..x}",
        "题{#5..1}",
        "题{#5:-1}",
        "题{#=%50%5}",
        "题{#1e999}",
        "题{=a -> 1 =b -> 2 =c}",
        "题{=a -> 1 = -> 2}",
        "题{=a -> 1 =b -> =c -> 3}",
        "[html]<script>x</script>{T}",
    ],
)
def test_rejected_questions(text):
    assert error_lines("好题{T}\n\n" + text) == [3]


def test_matching_minimum_is_two_questions_and_three_answers():
    ok = one("配对{=a -> 1 =b -> 2 = -> 3}")
    assert ok.qtype == "matching"
    assert error_lines("配对{=a -> 1 = -> 2 = -> 3}") == [1]


def test_error_messages_are_translated():
    with pytest.raises(FormatError) as info:
        parse_gift("好题{T}\n\n坏题 {=a")
    with translation.override("zh-hans"):
        assert str(info.value).startswith("第 3 行：")
    assert info.value.errors[0][0] == 3


# --------------------------------------------------------------------------- encodings


def test_bom_and_crlf():
    text = "\ufeff::甲::第一题{T}\r\n\r\n::乙::第二\r\n行{F}\r\n"
    first, second = parse_gift(text)
    assert first.name == "甲"
    assert second.text == "第二<br>行"
    assert second.line == 3


def test_decode_upload_utf8_bom_gb18030():
    source = "::甲::专利权{T}\n"
    assert decode_upload(source.encode("utf-8")) == source
    assert decode_upload(b"\xef\xbb\xbf" + source.encode("utf-8")) == source
    assert decode_upload(source.encode("gb18030")) == source
    assert parse_gift(decode_upload(source.encode("gbk")))[0].name == "甲"


@pytest.mark.parametrize("data", [b"\xff\xfe\x00\x00\xff", b"\xef\xbb\xbf\xff", b"a\x00b"])
def test_decode_upload_rejects_other_encodings(data):
    with pytest.raises(FormatError) as info:
        decode_upload(data)
    assert info.value.errors[0][0] == 0


# --------------------------------------------------------------------------- robustness

GIFT_PIECES = [
    "{", "}", "=", "~", "#", ":", "%", "->", "\n", "\n\n", "$CATEGORY: ", "[html]",
    "[markdown]", "[plain]", "[moodle]", "//", "::", "\\", "%50%", "%-100%", "%100%", "..",
    "T", "TRUE", "FALSE", "####", "<b>", "</b>", "_____", "专利", "1", "2.5", " ", "\\n",
    "\\{", "\\=", "\\#", "a", "*", "<", ">", "&", "[", "]", "/", "-", "$", "\r\n", "\t",
]  # fmt: skip
gift_soup = st.lists(st.one_of(st.sampled_from(GIFT_PIECES), st.text(max_size=3)), max_size=40).map(
    "".join
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), gift_soup))
def test_parse_gift_returns_questions_or_raises_format_error(text):
    try:
        questions = parse_gift(text)
    except FormatError as error:
        assert error.errors
        assert all(isinstance(line, int) and message for line, message in error.errors)
        return
    assert isinstance(questions, list)
    for question in questions:
        assert question.qtype in {
            "multichoice", "multiresponse", "truefalse", "shortanswer", "numerical",
            "matching", "essay", "description",
        }  # fmt: skip
        assert all(isinstance(answer, ParsedAnswer) for answer in question.answers)
        assert question.text and question.name
