"""GIFT writer: output shape and the round trip ``parse_gift(export_gift(qs)) == qs``."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzes.formats import FormatError, ParsedAnswer, ParsedQuestion, export_gift, parse_gift

ALL_CONSTRUCTS = r"""// 题库：知识产权基础
$CATEGORY: $course$/top/知识产权基础/专利

::专利类型::我国专利分为哪几种？{
    =发明、实用新型和外观设计#正确
    ~只有发明#[plain]不对 <b>
    ~%-50%发明和商标
####[markdown]见 **专利法** 第二条。
}

::缺词::商标注册申请应当向{~版权局 =国家知识产权局 ~法院}提出。

::多选::下列哪些属于知识产权？{
    ~%50%专利权 ~%50%商标权 ~%-100%物权#错
}

::判断::专利权有期限。{T#错了#对了####专利权有法定保护期。}

::判断2::商标权永久有效。{FALSE#商标需续展。}

::简答::Which is the best animal?{=Frog#Good! =%50%Cat =%0%*#Completely wrong}

::数值::When was Ulysses S. Grant born? {#
    =1822:0#Correct!
    =%50%1822:2#Close.
    ~#完全错误
}

::范围::圆周率？{#3.141..3.142}

$CATEGORY: 商标

::配对::[html]Match the <b>activity</b>.{
    =[html]<i>Forum</i> activity -> Forum
    =A bank of entries -> Database
    =专利 -> 国家知识产权局
    = -> Chat
}

::作文::简述商标的作用。{####参考答案：区分商品来源。}

::说明::[plain]以下题目考查 <专利法> & 商标法。

::转义\: \{名称\}::Which is NOT a control character? {
   ~ \~ # \~ is one.
   ~ \= # \= is one.
   = \\ # Correct!\nA backslash escapes.
}

::Markdown::[markdown]Who's buried in **Grant's tomb**?\n\n- a\n- b{=no one#excellent}

::Moodle::Text with <b>bold</b>\nand a second line{T}

::Plain 缺词::[plain]Use {=<br>} for a line break, & so on.
"""


def test_round_trip_of_every_construct():
    questions = parse_gift(ALL_CONSTRUCTS)
    assert len(questions) == 15
    exported = export_gift(questions)
    assert parse_gift(exported) == questions


def test_category_lines_are_written_when_the_category_changes():
    exported = export_gift(parse_gift(ALL_CONSTRUCTS))
    category_lines = [line for line in exported.splitlines() if line.startswith("$CATEGORY:")]
    assert category_lines == [
        "$CATEGORY: $course$/top/知识产权基础/专利",
        "$CATEGORY: $course$/top/商标",
    ]
    back = export_gift(
        [ParsedQuestion("truefalse", "a", "x", "html", [], category="甲", correct_truefalse=True)]
        + [ParsedQuestion("truefalse", "b", "y", "html", [], correct_truefalse=True)]
    )
    assert [q.category for q in parse_gift(back)] == ["甲", ""]


def test_output_shape():
    exported = export_gift(
        parse_gift("::名称\\: 一::商标注册申请应当向{~版权局 =国家知识产权局}提出。")
    )
    assert exported == (
        "::名称\\: 一::[moodle]商标注册申请应当向{\n\t~版权局\n\t=国家知识产权局\n}提出。\n"
    )
    assert "\n\n" not in export_gift(parse_gift(ALL_CONSTRUCTS)).strip().replace(
        "\n\n::", "\x00"
    ).replace("\n\n$", "\x00")


def test_text_formats_are_kept():
    questions = parse_gift(ALL_CONSTRUCTS)
    formats = {q.name: q.text_format for q in questions}
    assert formats["Markdown"] == "markdown"
    assert formats["说明"] == "plain"
    assert formats["Moodle"] == "moodle"
    assert formats["配对"] == "html"
    exported = export_gift(questions)
    assert "::说明::[plain]以下题目考查 <专利法> & 商标法。" in exported


def test_export_of_hand_made_questions():
    questions = [
        ParsedQuestion(
            qtype="numerical",
            name="手工数值题",
            text="<p>2 + 2 = ?</p>",
            text_format="html",
            answers=[ParsedAnswer("", 1.0, "对", value=4.0, tolerance=0.5)],
        ),
        ParsedQuestion(
            qtype="shortanswer",
            name="a->b",
            text="写出箭头",
            text_format="html",
            answers=[ParsedAnswer("a->b", 1.0)],
        ),
        ParsedQuestion(
            qtype="multichoice",
            name="全对",
            text="两个都对",
            text_format="html",
            answers=[ParsedAnswer("甲", 1.0), ParsedAnswer("乙", 1.0)],
        ),
    ]
    numerical, shortanswer, multichoice = parse_gift(export_gift(questions))
    assert numerical.answers[0].value == 4.0
    assert numerical.answers[0].tolerance == 0.5
    assert numerical.answers[0].text == "4.0:0.5"
    assert shortanswer.qtype == "shortanswer"
    assert shortanswer.answers[0].text == "a->b"
    assert multichoice.qtype == "multichoice"
    assert [a.fraction for a in multichoice.answers] == [1.0, 1.0]


def test_empty_export():
    assert export_gift([]) == ""
    assert parse_gift(export_gift([])) == []


# --------------------------------------------------------------------------- properties

TEXT_PIECES = [
    "a", "b", "专利", "商标", " ", "<b>", "</b>", "<i>x</i>", "&", "<", ">", "*", "**", "_",
    "_____", "-", "->", "[", "]", "%", ".", "..", "1", "\\=", "\\#", "\\{", "\\}", "\\~",
    "\\:", "\\\\", "\\n", "'", '"', "T", "[html]", "[plain]", "`", "# ", "> ", "|",
]  # fmt: skip
texts = st.lists(st.sampled_from(TEXT_PIECES), min_size=1, max_size=8).map("".join)
fmt_tags = st.sampled_from(["", "[html]", "[markdown]", "[plain]", "[moodle]"])
feedback = st.one_of(st.just(""), st.builds(lambda f, t: "#" + f + t, fmt_tags, texts))
weights = st.sampled_from(
    ["", "%50%", "%-100%", "%100%", "%33.333%", "%25%", "%0%", "%-50%", "%12.5%", "%7%"]
)

choice_block = st.lists(
    st.builds(
        lambda mark, weight, tag, text, fb: (
            mark + (weight if mark == "~" else "") + tag + text + fb
        ),
        st.sampled_from(["=", "~", "~"]),
        weights,
        fmt_tags,
        texts,
        feedback,
    ),
    min_size=2,
    max_size=5,
).map(lambda items: "\n".join(items))
multiresponse_block = st.builds(
    lambda right, wrong, tag, text, fb: "\n".join(
        [f"~{w}{tag}{text}{i}{fb}" for i, w in enumerate(right)]
        + [f"~{w}{text}x{i}" for i, w in enumerate(wrong)]
    ),
    st.sampled_from(
        [
            ["%50%", "%50%"],
            ["%25%", "%75%"],
            ["%33.33333%", "%33.33333%", "%33.33333%"],
            ["%20%"] * 5,
            ["%12.5%"] * 8,
        ]
    ),
    st.lists(st.sampled_from(["", "%-100%", "%-50%", "%0%", "%-33.3%"]), max_size=3),
    fmt_tags,
    texts,
    feedback,
)
short_block = st.lists(
    st.builds(lambda w, t, fb: "=" + w + t + fb, weights, texts, feedback), min_size=1, max_size=4
).map(" ".join)
number = st.one_of(
    st.integers(-5000, 5000).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(repr),
    st.sampled_from(["3.1415", "-0.5", ".5", "1e3", "2.5E-3"]),
)
spec = st.one_of(
    number,
    st.builds(lambda v, t: f"{v}:{t}", number, st.sampled_from(["0", "0.5", "2", "1e-3"])),
    st.builds(lambda a, b: f"{min(a, b)}..{max(a, b)}", st.integers(-99, 99), st.integers(-99, 99)),
    st.just("*"),
)
numerical_block = st.builds(
    lambda items, wrong: "#" + "\n".join(items) + wrong,
    st.lists(
        st.builds(lambda w, s, fb: "=" + w + s + fb, weights, spec, feedback),
        min_size=1,
        max_size=3,
    ),
    st.one_of(st.just(""), st.builds(lambda t: "\n~#" + t, texts)),
)
matching_block = st.lists(
    st.builds(
        lambda tag, left, right: "=" + tag + left + " -> " + right,
        fmt_tags,
        st.one_of(st.just(""), texts),
        texts,
    ),
    min_size=3,
    max_size=5,
).map("\n".join)
truefalse_block = st.builds(
    lambda v, fb1, fb2: v + fb1 + (fb2 if fb1 else ""),
    st.sampled_from(["T", "TRUE", "F", "FALSE"]),
    feedback,
    feedback,
)
blocks = st.one_of(
    choice_block,
    multiresponse_block,
    short_block,
    numerical_block,
    matching_block,
    truefalse_block,
    st.just(""),
)


@st.composite
def gift_questions(draw):
    name = draw(st.one_of(st.just(""), texts.map(lambda t: f"::{t}::")))
    head = draw(fmt_tags) + draw(texts)
    block = draw(blocks)
    general = draw(st.one_of(st.just(""), texts.map(lambda t: "####" + t)))
    body = "{" + block + ("\n" + general if general else "") + "}"
    if draw(st.integers(0, 5)) == 0:
        return name + head  # description
    if draw(st.booleans()):
        return name + head + body + draw(texts)  # missing word
    return name + head + body


gift_files = st.lists(
    st.builds(
        lambda category, question: category + question,
        st.one_of(st.just(""), texts.map(lambda t: f"$CATEGORY: {t}\n")),
        gift_questions(),
    ),
    min_size=1,
    max_size=4,
).map("\n\n".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gift_files)
def test_round_trip_of_generated_files(text):
    try:
        questions = parse_gift(text)
    except FormatError:
        return
    exported = export_gift(questions)
    assert parse_gift(exported) == questions
    assert export_gift(parse_gift(exported)) == exported


GIFT_PIECES = [
    "{", "}", "=", "~", "#", ":", "%", "->", "\n", "\n\n", "$CATEGORY: ", "[html]",
    "[markdown]", "[plain]", "::", "\\", "%50%", "..", "T", "####", "<b>", "_____", "专利",
    "1", " ", "\\n", "\\{", "a", "*", "<", "&", "[", "]", "-", "\r\n",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(),
        st.lists(st.one_of(st.sampled_from(GIFT_PIECES), st.text(max_size=3)), max_size=40).map(
            "".join
        ),
    )
)
def test_round_trip_of_anything_that_parses(text):
    try:
        questions = parse_gift(text)
    except FormatError:
        return
    assert parse_gift(export_gift(questions)) == questions
