r"""Reader for Moodle's GIFT question format.

It reads a file the way Moodle's ``qformat_gift`` does (``question/format/gift/format.php``),
with stricter checks where Moodle would import a broken question. The rules, in short:

* The file is split into questions at blank lines; each line is trimmed. Lines starting with
  ``//`` are comments. A block starting with ``$CATEGORY:`` switches the category of the
  questions that follow (``$course$/``-style context prefixes and ``top/`` are dropped).
* ``::name::`` before the text names a question; without it the name is made from the text.
* ``[html]``, ``[markdown]``, ``[plain]``, ``[moodle]`` at the start of a text choose its format
  (question text, answers, feedback; answers and feedback default to the question's format).
* The answer block ``{…}``: none → description; ``{}`` → essay; ``{#…}`` → numerical; with
  ``~`` → multiple choice; with ``=`` and ``->`` → matching; ``{T}``, ``{TRUE}``, ``{F}``,
  ``{FALSE}`` → true/false; anything else → short answer. When the block is not at the end of
  the text, the question is a "missing word" question and its text shows ``_____`` there.
* ``#`` starts an answer's feedback, ``####`` the general feedback; ``%50%`` after ``~`` or
  ``=`` weights an answer. ``\~ \= \# \{ \} \: \\`` are literal characters and ``\n`` a
  line break.

Decisions where Moodle is loose (each makes a file fail rather than import a question a
learner cannot answer properly):

* A question text must have exactly one answer block: several ``{`` or ``}`` are an error
  (Moodle silently takes the first ``{`` and ``}``).
* Multiple choice: a question with a ``=`` answer, or with exactly one answer worth 100%, is
  ``multichoice`` (one answer to pick; other answers may give partial or negative credit).
  Otherwise it is ``multiresponse`` (check all that apply), and its positive weights must add
  up to 100%. Moodle only warns about those sums; we reject them. At least two answers.
* Short-answer and numerical questions need an answer worth 100% (Moodle only warns).
* Weights must lie between -100% and 100%.
* Matching needs at least two sub-questions and three answers (Moodle's question editor rule;
  an entry with an empty left side ``= -> x`` is an extra wrong answer).
* Numerical answers must be numbers (Moodle's check is broken and lets any text through),
  ranges must have ``min <= max`` and tolerances must not be negative.
* Empty answers and empty question texts are errors.
* An unclosed name (``::name`` without the second ``::``) is read like Moodle: the ``::`` is
  dropped and the question gets a default name.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from .base import (
    FORMATS,
    FormatError,
    ParsedAnswer,
    ParsedQuestion,
    TextConversionError,
    _,
    clean_name,
    default_name,
    normalize_source,
    parse_number,
    render_question_text,
    render_text,
)

__all__ = ["MAX_FILE_CHARS", "MAX_QUESTION_CHARS", "parse_gift"]

#: Longest file read (characters; the upload limit is 5 MB) and longest question (its source
#: lines joined). Real questions are far shorter; the caps keep parsing time linear.
MAX_FILE_CHARS = 5_000_000
MAX_QUESTION_CHARS = 20_000
# Escape sequences: the character after the backslash -> the character it stands for.
_ESCAPES = {"\\": "\\", ":": ":", "#": "#", "=": "=", "{": "{", "}": "}", "~": "~", "n": "\n"}
# In a _Src shadow, an escaped character is this (never a GIFT control character).
_ESCAPED = "\x00"
# Moodle's answer weight: ``%50%``, ``%-33.3%``.
_WEIGHT_RE = re.compile(r"%(-?[0-9]+(?:\.[0-9]*)?)%")
_TRUEFALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_CONTEXT_PREFIX_RE = re.compile(r"\$[a-z0-9]+\$/?")
# Moodle 4 question tags in comment lines before a question: ``// [tag:lesson:abc]``.
_TAG_RE = re.compile(r"\[tag:([^\]]+)\]")


def comment_tags(comments: list[str]) -> list[str]:
    """The ``[tag:…]`` values of a question's comment lines, in order, without duplicates."""
    tags: list[str] = []
    for comment in comments:
        for match in _TAG_RE.finditer(comment):
            tag = match.group(1).strip()
            if tag and tag not in tags:
                tags.append(tag)
    return tags


class _QuestionError(Exception):
    """A problem with one question; becomes an entry of the file's FormatError."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class _Src:
    """A piece of GIFT source in which each escape sequence is one inert character.

    ``shadow`` is what the parser searches: escaped characters appear there as ``_ESCAPED``
    so that ``\\#`` never looks like ``#``. ``chars`` holds the real (unescaped) text; both
    always have the same length. Both are built by one regular-expression pass and sliced
    as strings, so parsing stays linear in the size of the file.
    """

    __slots__ = ("chars", "shadow")

    def __init__(self, shadow: str, chars: str):
        self.shadow = shadow
        self.chars = chars

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Src) and (self.shadow, self.chars) == (other.shadow, other.chars)

    __hash__ = None  # mutable-looking; never used as a key

    @classmethod
    def parse(cls, raw: str) -> _Src:
        if "\\" not in raw:
            return cls(raw, raw)
        shadow = _ESCAPE_RE.sub(_ESCAPED, raw)
        chars = _ESCAPE_RE.sub(lambda match: _ESCAPES[match.group(1)], raw)
        return cls(shadow, chars)

    def __len__(self) -> int:
        return len(self.shadow)

    def __getitem__(self, key: slice) -> _Src:
        return _Src(self.shadow[key], self.chars[key])

    def text(self) -> str:
        return self.chars

    def strip(self) -> _Src:
        start = len(self.shadow) - len(self.shadow.lstrip())
        end = len(self.shadow.rstrip())
        return self[start:end] if end > start else _EMPTY

    def find(self, sub: str, start: int = 0) -> int:
        return self.shadow.find(sub, start)

    def positions(self, char: str) -> list[int]:
        """Where ``char`` (an unescaped control character) occurs."""
        out, pos = [], self.shadow.find(char)
        while pos >= 0:
            out.append(pos)
            pos = self.shadow.find(char, pos + 1)
        return out

    def split_at(self, positions: list[int], keep: bool = False) -> list[_Src]:
        """Split at the given positions; the character there is dropped unless ``keep``."""
        pieces, begin = [], 0
        for pos in positions:
            pieces.append(self[begin:pos])
            begin = pos if keep else pos + 1
        pieces.append(self[begin:])
        return pieces

    def split_char(self, char: str, maxsplit: int = -1) -> list[_Src]:
        positions = self.positions(char)
        if maxsplit >= 0:
            positions = positions[:maxsplit]
        return self.split_at(positions)


_EMPTY = _Src("", "")
# An escape: a backslash and one of the characters of _ESCAPES (read left to right, so "\\\\"
# is one literal backslash and does not escape what follows).
_ESCAPE_RE = re.compile(r"\\([" + re.escape("".join(_ESCAPES)) + r"])")


def _split_format_src(src: _Src, default: str) -> tuple[str, _Src]:
    """Read a leading ``[format]`` tag: returns ``(format, rest)``; ``rest`` keeps its
    trailing whitespace (it matters before a missing-word blank)."""
    src = src[len(src.shadow) - len(src.shadow.lstrip()) :]
    if src.shadow.startswith("["):
        end = src.find("]")
        if end > 0 and src.shadow[1:end] in FORMATS:
            return src.shadow[1:end], src[end + 1 :]
    return default, src


def _split_format(src: _Src, default: str) -> tuple[str, str]:
    """Read a leading ``[format]`` tag: returns ``(format, unescaped trimmed text)``."""
    fmt, rest = _split_format_src(src, default)
    return fmt, rest.text().strip()


def _render(src: _Src | None, default: str) -> str:
    if src is None:
        return ""
    fmt, text = _split_format(src, default)
    return render_text(text, fmt)


def _split_comment(src: _Src) -> tuple[_Src, _Src | None]:
    """Split ``answer#feedback`` at the first ``#``."""
    pos = src.find("#")
    if pos < 0:
        return src, None
    return src[:pos], src[pos + 1 :]


def _read_weight(src: _Src, default: float) -> tuple[float, _Src]:
    """Read a leading ``%weight%``: returns ``(fraction, rest)``."""
    match = _WEIGHT_RE.match(src.shadow)
    if not match:
        return default, src
    fraction = float(match.group(1)) / 100
    if not -1.0 <= fraction <= 1.0:
        raise _QuestionError(
            _("答案权重 %(weight)s%% 无效：必须在 -100%% 到 100%% 之间。")
            % {"weight": match.group(1)}
        )
    return fraction, src[match.end() :]


def _drop_empty_first(pieces: list[_Src]) -> list[_Src]:
    """Moodle ignores what comes before the first answer marker when it is empty."""
    if pieces and not pieces[0].strip().shadow:
        return pieces[1:]
    return pieces


def _need_answers(pieces: list[_Src], count: int) -> None:
    if len(pieces) < count:
        raise _QuestionError(_("答案太少：此题型至少需要 %(count)d 个答案。") % {"count": count})


def _need_full_mark(answers: list[ParsedAnswer]) -> None:
    if not any(answer.fraction == 1.0 for answer in answers):
        raise _QuestionError(_("没有满分答案：至少要有一个答案得满分。"))


def _empty_answer() -> _QuestionError:
    return _QuestionError(_("有一个答案是空的。"))


# --------------------------------------------------------------------------- question types


def _parse_choice(block: _Src, fmt: str) -> tuple[str, list[ParsedAnswer]]:
    marks = sorted(block.positions("~") + block.positions("="))
    pieces = []
    begin = 0
    for pos in marks:
        pieces.append(block[begin:pos])
        # A "~" is dropped, a "=" stays with its answer.
        begin = pos + 1 if block.shadow[pos] == "~" else pos
    pieces.append(block[begin:])
    pieces = _drop_empty_first(pieces)
    _need_answers(pieces, 2)

    answers, has_equals = [], False
    for piece in pieces:
        piece = piece.strip()
        if piece.shadow.startswith("="):
            fraction, piece = 1.0, piece[1:]
            has_equals = True
        else:
            fraction, piece = _read_weight(piece, 0.0)
        answer_src, feedback_src = _split_comment(piece)
        text = _render(answer_src, fmt)
        if not text:
            raise _empty_answer()
        answers.append(ParsedAnswer(text, fraction, _render(feedback_src, fmt)))

    full_marks = sum(1 for answer in answers if answer.fraction == 1.0)
    if has_equals or full_marks == 1:
        return "multichoice", answers
    total = sum(answer.fraction for answer in answers if answer.fraction > 0)
    if total <= 0:
        raise _QuestionError(_("没有正确答案：至少要有一个答案用“=”标出或带有正的权重。"))
    if abs(total - 1.0) > 0.005:
        raise _QuestionError(
            _("多选题中各正确答案的权重之和必须为 100%%（现为 %(total)s%%）。")
            % {"total": f"{total * 100:g}"}
        )
    return "multiresponse", answers


def _parse_matching(block: _Src, fmt: str) -> list[ParsedAnswer]:
    pieces = _drop_empty_first(block.split_char("="))
    _need_answers(pieces, 2)
    answers = []
    for piece in pieces:
        piece = piece.strip()
        arrow = piece.find("->")
        if arrow < 0:
            raise _QuestionError(_("配对题的每一项都必须写成“=问题 -> 答案”。"))
        question = _render(piece[:arrow], fmt)
        match = piece[arrow + 2 :].text().strip()
        if not question and not match:
            continue  # Moodle ignores entries that are empty on both sides.
        if question and not match:
            raise _QuestionError(
                _("配对题的问题“%(question)s”没有答案。")
                % {"question": piece[:arrow].text().strip()}
            )
        answers.append(ParsedAnswer(question, 1.0 if question else 0.0, match=match))
    questions = sum(1 for answer in answers if answer.text)
    if questions < 2 or len(answers) < 3:
        raise _QuestionError(_("配对题至少需要 2 个问题和 3 个答案。"))
    return answers


def _parse_truefalse(block: _Src, fmt: str, question: ParsedQuestion) -> None:
    parts = block.split_char("#", maxsplit=2)
    correct = _TRUEFALSE.get(_split_format(parts[0], fmt)[1], False)
    wrong_feedback = _render(parts[1], fmt) if len(parts) > 1 else ""
    right_feedback = _render(parts[2], fmt) if len(parts) > 2 else ""
    question.correct_truefalse = correct
    if correct:
        question.true_feedback, question.false_feedback = right_feedback, wrong_feedback
    else:
        question.true_feedback, question.false_feedback = wrong_feedback, right_feedback


def _parse_shortanswer(block: _Src, fmt: str) -> list[ParsedAnswer]:
    pieces = _drop_empty_first(block.split_char("="))
    _need_answers(pieces, 1)
    answers = []
    for piece in pieces:
        fraction, piece = _read_weight(piece.strip(), 1.0)
        answer_src, feedback_src = _split_comment(piece)
        text = _split_format(answer_src, fmt)[1]
        if not text:
            raise _empty_answer()
        answers.append(ParsedAnswer(text, fraction, _render(feedback_src, fmt)))
    _need_full_mark(answers)
    return answers


def parse_numeric_spec(spec: str) -> tuple[float | None, float] | None:
    """``"5"``, ``"5:0.5"``, ``"1..5"`` or ``"*"`` -> ``(value, tolerance)``; ``None`` if the
    text is not a number specification. Raises ``_QuestionError`` for a bad range/tolerance."""
    spec = spec.strip()
    if spec == "*":
        return None, 0.0
    dots = spec.find("..")
    colon = spec.find(":")
    if dots > 0:
        low, high = parse_number(spec[:dots]), parse_number(spec[dots + 2 :])
        if low is None or high is None:
            return None
        if low > high:
            raise _QuestionError(
                _("数值范围“%(answer)s”无效：最小值大于最大值。") % {"answer": spec}
            )
        value = (low + high) / 2
        tolerance = high - value
    elif colon > 0:
        value, tolerance = parse_number(spec[:colon]), parse_number(spec[colon + 1 :])
        if value is None or tolerance is None:
            return None
        if tolerance < 0:
            raise _QuestionError(_("数值答案“%(answer)s”的误差不能为负数。") % {"answer": spec})
    else:
        value, tolerance = parse_number(spec), 0.0
        if value is None:
            return None
    if not (math.isfinite(value) and math.isfinite(tolerance)):
        return None
    return value, tolerance


def _plain_number(value: float) -> str:
    """Plain decimal notation of a float (no exponent) that reads back the same."""
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def numerical_answer_text(text: str, value: float | None, tolerance: float) -> str:
    """The number specification stored with a numerical answer: ``text`` when it spells
    ``value`` ± ``tolerance`` (``"19.5..20.5"``, ``"20:0.5"``, as a file wrote it), else the
    canonical ``"20:0.5"`` / ``"20"``; ``"*"`` for any number. Answers written in the editor
    (no text) and read from a file are stored alike, so an exported bank reads back unchanged."""
    if value is None:
        return "*"
    try:
        spelled = parse_numeric_spec(text or "")
    except _QuestionError:
        spelled = None
    if spelled == (value, tolerance):
        return text.strip()
    if not tolerance:
        return _plain_number(value)
    return f"{_plain_number(value)}:{_plain_number(tolerance)}"


def _parse_numerical(block: _Src, fmt: str) -> list[ParsedAnswer]:
    body = block[1:]  # drop the leading "#"
    tilde = body.find("~")
    wrong = None
    if tilde >= 0:
        body, wrong = body[:tilde], body[tilde:]
    pieces = _drop_empty_first(body.split_char("="))
    if not pieces:
        raise _QuestionError(_("数值题没有答案。"))
    answers = []
    for piece in pieces:
        fraction, piece = _read_weight(piece.strip(), 1.0)
        spec_src, feedback_src = _split_comment(piece)
        spec = _split_format(spec_src, fmt)[1]
        parsed = parse_numeric_spec(spec)
        if parsed is None:
            raise _QuestionError(_("数值题答案“%(answer)s”不是数字。") % {"answer": spec})
        value, tolerance = parsed
        feedback = _render(feedback_src, fmt)
        answers.append(ParsedAnswer(spec, fraction, feedback, value=value, tolerance=tolerance))
    if wrong is not None:
        feedback_src = _split_comment(wrong)[1]
        answers.append(ParsedAnswer("*", 0.0, _render(feedback_src, fmt)))
    _need_full_mark(answers)
    return answers


# --------------------------------------------------------------------------- questions


def _question_type(block: _Src) -> str:
    shadow = block.shadow
    if not shadow:
        return "essay"
    if shadow.startswith("#"):
        return "numerical"
    if "~" in shadow:
        return "choice"
    if "=" in shadow and "->" in shadow:
        return "matching"
    hash_pos = shadow.find("#")
    check = shadow[:hash_pos].strip() if hash_pos > 0 else shadow
    if check in _TRUEFALSE:
        return "truefalse"
    return "shortanswer"


def _parse_question(raw: str, category: str) -> ParsedQuestion:
    src = _Src.parse(raw).strip()

    name = ""
    if src.shadow.startswith("::"):
        src = src[2:]
        end = src.find("::")
        if end >= 0:
            name = clean_name(src[:end].text())
            src = src[end + 2 :]
        src = src.strip()

    opens = src.positions("{")
    closes = src.positions("}")
    if not opens and not closes:
        block = None
        before, after = src, None
    elif len(opens) != 1 or len(closes) != 1 or closes[0] < opens[0]:
        raise _QuestionError(
            _("花括号不配对：每道题只能有一个 { } 答案部分（字面的花括号写成 \\{ 和 \\}）。")
        )
    else:
        start, end = opens[0], closes[0]
        block = src[start + 1 : end].strip()
        before = src[:start]
        # Moodle: answers at the very end follow the text; anywhere else they leave a blank.
        after = None if end == len(src) - 1 else src[end + 1 :]

    general_feedback_src = None
    if block is not None:
        separator = block.shadow.rfind("####")
        if separator >= 0:
            general_feedback_src = block[separator + 4 :]
            block = block[:separator].strip()

    # The format tag starts the whole text. A tag cannot span the blank (no format name
    # contains "_____"), so it is enough to look for it before the blank.
    fmt, head = _split_format_src(before, "moodle")
    html, missing_word = render_question_text(
        fmt, head.text(), None if after is None else after.text()
    )
    if not html:
        raise _QuestionError(_("题干为空。"))

    question = ParsedQuestion(
        qtype="description",
        name=name or default_name(html),
        text=html,
        text_format=fmt,
        answers=[],
        general_feedback=_render(general_feedback_src, fmt),
        category=category,
        missing_word=missing_word,
    )
    if block is None:
        return question

    kind = _question_type(block)
    if kind == "essay":
        question.qtype = "essay"
    elif kind == "numerical":
        question.qtype = "numerical"
        question.answers = _parse_numerical(block, fmt)
    elif kind == "choice":
        question.qtype, question.answers = _parse_choice(block, fmt)
    elif kind == "matching":
        question.qtype = "matching"
        question.answers = _parse_matching(block, fmt)
    elif kind == "truefalse":
        question.qtype = "truefalse"
        _parse_truefalse(block, fmt, question)
    else:
        question.qtype = "shortanswer"
        question.answers = _parse_shortanswer(block, fmt)
    return question


def _clean_category(value: str) -> str:
    value = value.strip()
    match = _CONTEXT_PREFIX_RE.match(value)
    if match:
        value = value[match.end() :]
    if value == "top":
        return ""
    if value.startswith("top/"):
        value = value[4:]
    return value.strip()


def parse_gift(text: str) -> list[ParsedQuestion]:
    """Parse a GIFT file. Returns every question, or raises :class:`FormatError` listing the
    start line of each bad question (all of them, not just the first).

    Linear in the size of the file: a file over :data:`MAX_FILE_CHARS` characters, a
    question over :data:`MAX_QUESTION_CHARS` and text nested too deeply
    (``base.check_nesting``) are refused, naming the line."""
    if len(text) > MAX_FILE_CHARS:
        raise FormatError(
            [
                (
                    0,
                    _("文件太大：最多 %(limit)d 个字符（本文件 %(length)d 个）。")
                    % {"limit": MAX_FILE_CHARS, "length": len(text)},
                )
            ]
        )
    lines = normalize_source(text).split("\n")
    questions: list[ParsedQuestion] = []
    errors: list[tuple[int, str]] = []
    category = ""
    block: list[tuple[int, str]] = []

    def flush() -> None:
        nonlocal category
        content = [(number, line) for number, line in block if not line.startswith("//")]
        comments = [line for _number, line in block if line.startswith("//")]
        block.clear()
        while content and content[0][1].startswith("$CATEGORY:"):
            category = _clean_category(content[0][1][len("$CATEGORY:") :])
            content.pop(0)
        if not content:
            return
        start = content[0][0]
        raw = "\n".join(line for _n, line in content)
        if len(raw) > MAX_QUESTION_CHARS:
            errors.append(
                (
                    start,
                    _("题目太长：%(length)d 个字符，最多 %(limit)d 个。")
                    % {"length": len(raw), "limit": MAX_QUESTION_CHARS},
                )
            )
            return
        try:
            question = _parse_question(raw, category)
        except _QuestionError as exc:
            errors.append((start, exc.message))
        except TextConversionError as exc:
            errors.append((start, str(exc)))
        else:
            question.line = start
            question.tags = comment_tags(comments)
            questions.append(question)

    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if line:
            block.append((number, line))
        elif block:
            flush()
    if block:
        flush()
    if errors:
        raise FormatError(errors)
    return questions
