"""Reader for the Aiken format (single-answer multiple choice), as Moodle reads it
(``question/format/aiken/format.php``)::

    Question text
    A. first option
    B) second option
    ANSWER: B

Lines are trimmed; blank lines and one-character lines are ignored. An option line is a
capital letter, ``.`` or ``)`` and optional space. ``ANSWER: X`` ends the question; ``X`` names
the option by its position (A = first). Texts are plain text: HTML special characters come out
escaped (``<b>`` is stored as ``&lt;b&gt;``).

Moodle skips bad questions with an error and imports the rest; we reject the whole file,
naming every bad line: an option or ``ANSWER`` line outside a question ("question not
started"), an ``ANSWER`` after fewer than two options (on the ``ANSWER`` line), an ``ANSWER``
letter with no option, and a question with options but no ``ANSWER`` line (on the line where
that question starts).

Differences from Moodle, both lenient: the question text may span several lines (before the
first option), and ``ANSWER：`` with a full-width colon is accepted. Moodle starts a new question
at every text line, so a second text line would discard the first as "not finished".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .base import (
    FormatError,
    ParsedAnswer,
    ParsedQuestion,
    _,
    default_name,
    normalize_source,
    plain_to_html,
)

__all__ = ["parse_aiken"]

_OPTION_RE = re.compile(r"[A-Z][).][ \t]?")
_ANSWER_RE = re.compile(r"ANSWER[:：]")


@dataclass
class _Open:
    line: int
    text: list[str]
    options: list[str] = field(default_factory=list)


def _not_finished(question: _Open, next_line: int | None) -> tuple[int, str]:
    if next_line is None:
        message = _("题目没有结束：文件结束前缺少“ANSWER: 字母”行。")
    else:
        message = _("题目没有结束：第 %(next)d 行开始新题之前缺少“ANSWER: 字母”行。") % {
            "next": next_line
        }
    return question.line, message


def parse_aiken(text: str) -> list[ParsedQuestion]:
    """Parse an Aiken file. Returns every question, or raises :class:`FormatError` listing
    every bad line."""
    questions: list[ParsedQuestion] = []
    errors: list[tuple[int, str]] = []
    current: _Open | None = None

    for number, raw in enumerate(normalize_source(text).split("\n"), start=1):
        line = raw.strip()
        if len(line.encode("utf-8")) < 2:
            continue
        option = _OPTION_RE.match(line)
        answer = None if option else _ANSWER_RE.match(line)
        if option or answer:
            if current is None:
                errors.append((number, _("题目尚未开始：选项行和 ANSWER 行之前必须先有题干。")))
                continue
            if option:
                content = line[2:].strip()
                if not content:
                    errors.append((number, _("选项内容为空。")))
                current.options.append(content)
                continue
            question, current = current, None
            if len(question.options) < 2:
                errors.append((number, _("题目至少需要 2 个选项。")))
                continue
            letter = line[answer.end() :].strip()[:1].upper()
            index = ord(letter) - ord("A") if "A" <= letter <= "Z" else -1
            if not 0 <= index < len(question.options):
                last = chr(ord("A") + len(question.options) - 1)
                errors.append(
                    (number, _("ANSWER 行必须给出一个选项字母（A–%(last)s）。") % {"last": last})
                )
                continue
            html = plain_to_html("\n".join(question.text))
            questions.append(
                ParsedQuestion(
                    qtype="multichoice",
                    name=default_name(html),
                    text=html,
                    text_format="plain",
                    answers=[
                        ParsedAnswer(plain_to_html(content), 1.0 if i == index else 0.0)
                        for i, content in enumerate(question.options)
                    ],
                    line=question.line,
                )
            )
            continue
        # A text line: a new question, or more text of a question without options yet.
        if current is not None and not current.options:
            current.text.append(line)
            continue
        if current is not None:
            errors.append(_not_finished(current, number))
        current = _Open(number, [line])

    if current is not None:
        errors.append(_not_finished(current, None))
    if errors:
        raise FormatError(sorted(errors, key=lambda error: error[0]))
    return questions
