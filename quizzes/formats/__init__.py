"""Question import/export formats: Moodle GIFT (read and write) and Aiken (read).

Pure Python; the quizzes app turns ``ParsedQuestion`` objects into models and back.
"""

from .aiken import parse_aiken
from .base import (
    BLANK,
    FORMATS,
    QTYPES,
    FormatError,
    ParsedAnswer,
    ParsedQuestion,
    decode_upload,
    display_html,
    inline_html,
    match_shortanswer,
    render_text,
    sanitize_html,
)
from .gift import numerical_answer_text, parse_gift
from .gift_export import export_gift

__all__ = [
    "BLANK",
    "FORMATS",
    "QTYPES",
    "FormatError",
    "ParsedAnswer",
    "ParsedQuestion",
    "decode_upload",
    "display_html",
    "export_gift",
    "inline_html",
    "match_shortanswer",
    "numerical_answer_text",
    "parse_aiken",
    "parse_gift",
    "render_text",
    "sanitize_html",
]
