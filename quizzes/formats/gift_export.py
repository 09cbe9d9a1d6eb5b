"""Writer for Moodle's GIFT question format.

``parse_gift(export_gift(questions)) == questions`` for any questions ``parse_gift`` returned
(``ParsedQuestion.line`` is not compared). To get there the writer:

* always writes ``::name::`` and an explicit ``[format]`` tag on the question text. The text is
  HTML by now; it is written back in its source format when that reproduces the same HTML
  (``plain`` is un-escaped, ``html``/``moodle``/``markdown`` text is written as the HTML
  itself, which those formats read back unchanged), otherwise as ``[html]``;
* writes answers and feedback untagged when the question's format reads them back as the same
  HTML, otherwise as ``[html]``;
* writes ``$CATEGORY: $course$/top/…`` whenever the category changes;
* puts the answer block where the ``_____`` blank is for missing-word questions;
* escapes ``~ = # { } : \\`` and line breaks (``\\n``), so each question has no blank line.

Hand-made questions (say from the database) export too; what cannot be expressed in GIFT
comes back normalised on import: a ``multiresponse`` question with exactly one answer worth
100% is read back as ``multichoice``; a numerical answer whose ``text`` does not spell its
``value``/``tolerance`` is written as ``value:tolerance``; a description has no general
feedback; unsanitised HTML comes back sanitised.

Texts are written as given. Stored questions hold Wagtail's image embeds
(``<embed embedtype="image" …/>``), which Moodle cannot read: the bank export
(``quizzes.importing.export_bank``) first expands them into ``<img src="absolute URL" alt="…">``
(``quizzes.rich_images.portable_html``), and its import turns images of the site's library
back into embeds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal

from .base import (
    BLANK,
    FORMATS,
    ParsedAnswer,
    ParsedQuestion,
    TextConversionError,
    html_to_plain,
    render_question_text,
    render_text,
)
from .gift import _QuestionError, parse_numeric_spec

__all__ = ["export_gift"]

_SPECIAL = {"\\": "\\\\", "~": "\\~", "=": "\\=", "#": "\\#", "{": "\\{", "}": "\\}", ":": "\\:"}


def _escape(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(_SPECIAL.get(char, char) for char in text).replace("\n", "\\n")


def _decimal(value: float) -> str:
    """Plain decimal notation of a float (no exponent), shortest that reads back the same."""
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _weight(fraction: float) -> str:
    """The percentage that the reader turns back into exactly ``fraction``."""
    percent = fraction * 100
    candidates = [percent]
    up = down = percent
    for _step in range(3):
        up, down = math.nextafter(up, math.inf), math.nextafter(down, -math.inf)
        candidates += [up, down]
    exact = [_decimal(c) for c in candidates if float(_decimal(c)) / 100 == fraction]
    return min(exact, key=len) if exact else _decimal(percent)


def _html(value: str, fmt: str) -> str:
    """An answer/feedback HTML text: untagged when the question's format reads it back as the
    same HTML, otherwise as ``[html]``."""
    if not value:
        return ""
    # "->" separates matching pairs; the sanitiser writes ">" as "&gt;" anyway.
    candidate = html_to_plain(value) if fmt == "plain" else value.replace("->", "-&gt;")
    if "->" not in candidate and not candidate.startswith("["):
        try:
            if render_text(candidate, fmt) == value:
                return _escape(candidate)
        except TextConversionError:
            pass
    return "[html]" + _escape(value.replace("->", "-&gt;"))


def _plain(value: str) -> str:
    """A plain answer text (short answer); a leading "[" must not look like a format tag."""
    value = _escape(value)
    return "[plain]" + value if value.startswith("[") else value


def _feedback(value: str, fmt: str) -> str:
    return "#" + _html(value, fmt) if value else ""


def _general_feedback(question: ParsedQuestion, fmt: str, indent: str = "\t") -> list[str]:
    if not question.general_feedback:
        return []
    return [indent + "####" + _html(question.general_feedback, fmt)]


def _question_text(question: ParsedQuestion) -> tuple[str, str, str | None]:
    """``(format, text before the answer block, text after it or None)``, unescaped."""
    html = question.text
    blank = question.missing_word and question.qtype != "description"
    source_format = question.text_format if question.text_format in FORMATS else "html"
    for fmt in dict.fromkeys((source_format, "html")):
        source = html_to_plain(html) if fmt == "plain" else html
        try:
            if not blank:
                if render_question_text(fmt, source) == (html, False):
                    return fmt, source, None
                continue
            start = source.find(BLANK)
            while start >= 0:
                before, after = source[:start], source[start + len(BLANK) :]
                if render_question_text(fmt, before, after) == (html, True):
                    return fmt, before, after
                start = source.find(BLANK, start + 1)
        except TextConversionError:
            continue
    # Not reproducible (hand-made HTML): write it as HTML, the reader sanitises it.
    if blank and BLANK in html:
        before, _sep, after = html.partition(BLANK)
        return "html", before, after
    return "html", html, None


def _choice_lines(question: ParsedQuestion, fmt: str) -> list[str]:
    lines, equals_used = [], False
    for answer in question.answers:
        text = _html(answer.text, fmt)
        if question.qtype == "multichoice" and answer.fraction == 1.0 and not equals_used:
            prefix, equals_used = "=", True
        elif answer.fraction == 0 and not text.startswith("%"):
            prefix = "~"
        else:
            prefix = f"~%{_weight(answer.fraction)}%"
        lines.append("\t" + prefix + text + _feedback(answer.feedback, fmt))
    return lines


def _numeric_spec(answer: ParsedAnswer) -> str:
    if answer.value is None:
        return "*"
    try:
        parsed = parse_numeric_spec(answer.text)
    except _QuestionError:
        parsed = None
    if parsed == (answer.value, answer.tolerance):
        return _escape(answer.text.strip())
    return f"{answer.value!r}:{answer.tolerance!r}"


def _answer_block(question: ParsedQuestion, fmt: str) -> str:
    qtype = question.qtype
    if qtype == "essay":
        return "{" + "".join(_general_feedback(question, fmt, indent="")) + "}"
    if qtype == "truefalse":
        correct = bool(question.correct_truefalse)
        right, wrong = question.true_feedback, question.false_feedback
        if not correct:
            right, wrong = wrong, right
        block = "{" + ("TRUE" if correct else "FALSE")
        if wrong or right:
            block += "#" + _html(wrong, fmt)
        if right:
            block += "#" + _html(right, fmt)
        return block + "".join(_general_feedback(question, fmt, indent="")) + "}"
    if qtype == "shortanswer" and any("->" in answer.text for answer in question.answers):
        # "=" and "->" together would read as matching: write the one answer without "=".
        answer = question.answers[0]
        return (
            "{%100%"
            + _plain(answer.text)
            + _feedback(answer.feedback, fmt)
            + "".join(_general_feedback(question, fmt, indent=""))
            + "}"
        )

    if qtype in ("multichoice", "multiresponse"):
        lines = _choice_lines(question, fmt)
    elif qtype == "shortanswer":
        lines = [
            f"\t=%{_weight(answer.fraction)}%"
            + _plain(answer.text)
            + _feedback(answer.feedback, fmt)
            for answer in question.answers
        ]
    elif qtype == "numerical":
        lines = [
            f"\t=%{_weight(answer.fraction)}%"
            + _numeric_spec(answer)
            + _feedback(answer.feedback, fmt)
            for answer in question.answers
        ]
    elif qtype == "matching":
        lines = [
            "\t=" + _html(answer.text, fmt) + " -> " + _escape(answer.match)
            for answer in question.answers
        ]
    else:
        raise ValueError(f"unknown question type {qtype!r}")
    opening = "{#" if qtype == "numerical" else "{"
    return "\n".join([opening, *lines, *_general_feedback(question, fmt), "}"])


def _tag_lines(question: ParsedQuestion) -> str:
    """Moodle 4 tag comments (``// [tag:…]``), one line, before the question."""
    tags = [t.replace("]", "").replace("\n", " ").strip() for t in question.tags or []]
    tags = [t for t in tags if t]
    return "// " + " ".join(f"[tag:{t}]" for t in tags) + "\n" if tags else ""


def _write_question(question: ParsedQuestion) -> str:
    return _tag_lines(question) + _write_question_body(question)


def _write_question_body(question: ParsedQuestion) -> str:
    fmt, before, after = _question_text(question)
    head = "::" + _escape(question.name) + "::[" + fmt + "]" + _escape(before)
    if question.qtype == "description":
        return head
    block = _answer_block(question, fmt)
    if after is None:
        return head + block
    # Something must follow the block, or it would not be a missing-word question.
    tail = _escape(after) if after.strip() else _escape(after) + "\\n"
    return head + block + tail


def _category_line(category: str) -> str:
    path = "$course$/top" + ("/" + category if category else "")
    return "$CATEGORY: " + path


def _normal_category(category: str) -> str:
    return " ".join(category.replace("\r", "\n").split("\n")).strip()


def export_gift(questions: Iterable[ParsedQuestion]) -> str:
    """Write questions as a GIFT file (UTF-8 text; encode it when saving)."""
    chunks: list[str] = []
    category = ""
    for question in questions:
        wanted = _normal_category(question.category)
        if wanted != category:
            chunks.append(_category_line(wanted))
            category = wanted
        chunks.append(_write_question(question))
    return "\n\n".join(chunks) + "\n" if chunks else ""
