"""Shared pieces of the question-format readers and writers.

Everything here is plain Python: no models, no database. Messages are translated with Django's
``gettext`` when Django is configured (the msgids are Chinese, like the rest of the project).

Text formats
------------
Every text a reader produces (question text, answer texts of multiple-choice questions and
matching sub-questions, all feedback) is *safe HTML*, whatever the source said:

``html``
    sanitised with nh3 (common formatting tags, links, images, tables; no script, style
    elements, event handlers or ``javascript:`` URLs).
``markdown``
    converted with Python-Markdown (tables, fenced code), then sanitised like ``html``.
``plain``
    HTML-escaped; line breaks become ``<br>``.
``moodle``
    Moodle's "auto-format", which is also GIFT's default when a text has no ``[format]`` tag:
    HTML tags in the text are *kept* (sanitised like ``html``) and line breaks become
    ``<br>``. Moodle's own examples write ``<b>`` without an ``[html]`` tag and a learner
    expects to see bold text, not ``&lt;b&gt;``; anything unsafe is removed by the sanitiser.

The readers record the source format in ``ParsedQuestion.text_format``; the text itself is
always HTML. Texts that are plain by nature keep plain text: the expected responses of
short-answer questions, the number specifications of numerical questions and the right-hand
side (``match``) of matching pairs. Templates must escape those.
"""

from __future__ import annotations

import codecs
import html as html_lib
import math
import re
from dataclasses import dataclass, field

import markdown as markdown_lib
import nh3
from django.conf import settings
from django.core.exceptions import AppRegistryNotReady
from django.utils.translation import gettext

FORMATS = ("html", "markdown", "plain", "moodle")
QTYPES = (
    "multichoice",
    "multiresponse",
    "truefalse",
    "shortanswer",
    "numerical",
    "matching",
    "essay",
    "description",
)
#: What a missing-word question shows where the answer block was.
BLANK = "_____"
#: Longest question name kept (Moodle's limit).
MAX_NAME_LENGTH = 255
#: Length of a name made up from the question text.
DEFAULT_NAME_LENGTH = 80


def _(message: str) -> str:
    """Translate with Django when it is set up; the parsers also work without Django."""
    if not settings.configured:
        return message
    try:
        return gettext(message)
    except AppRegistryNotReady:
        return message


class FormatError(Exception):
    """The one exception the readers raise for bad input.

    ``errors`` lists ``(line, message)`` pairs: ``line`` is 1-based, or 0 for a problem with
    the file as a whole; ``message`` is already translated.
    """

    def __init__(self, errors: list[tuple[int, str]]):
        self.errors: list[tuple[int, str]] = list(errors)
        super().__init__(self.errors)

    def messages(self) -> list[str]:
        """One translated line per error, e.g. "第 3 行：…"."""
        out = []
        for line, message in self.errors:
            if line > 0:
                out.append(_("第 %(line)d 行：%(message)s") % {"line": line, "message": message})
            else:
                out.append(message)
        return out

    def __str__(self) -> str:
        return "\n".join(self.messages())


@dataclass
class ParsedAnswer:
    """One answer of a parsed question.

    ``text`` is HTML for multiple-choice answers and matching sub-questions, plain text for the
    expected responses of short-answer questions (``*`` is a wildcard) and the number
    specification of numerical answers (``"1822:2"``, ``"3.141..3.142"``, or ``"*"`` for the
    catch-all "any other number" answer, whose ``value`` is ``None``).
    """

    text: str
    fraction: float
    feedback: str = ""
    value: float | None = None
    tolerance: float = 0.0
    match: str = ""


@dataclass
class ParsedQuestion:
    """One parsed question. ``line`` (where it started in the source) is not compared."""

    qtype: str
    name: str
    text: str
    text_format: str
    answers: list[ParsedAnswer]
    general_feedback: str = ""
    category: str = ""
    line: int = field(default=0, compare=False)
    missing_word: bool = False
    correct_truefalse: bool | None = None
    true_feedback: str = ""
    false_feedback: str = ""
    case_sensitive: bool = False
    #: Moodle 4 question tags from ``// [tag:…]`` comment lines (e.g. ``lesson:slug``).
    tags: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- sanitising

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
    "del", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small",
    "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u",
    "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "*": {"title", "style", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type"},
}
_ALLOWED_STYLE_PROPERTIES = {
    "color", "background-color", "font-weight", "font-style", "text-decoration",
    "text-align", "vertical-align", "width", "height",
}  # fmt: skip

#: Rich text stored by Wagtail's Draftail editor (the question editor): an image is stored as
#: ``<embed embedtype="image" id="…" format="…" alt="…"/>``, a link to a page as
#: ``<a linktype="page" id="…">``. Storage keeps exactly these (and nothing else of the kind);
#: :func:`display_html` expands them with Wagtail's ``expand_db_html`` when shown.
_RICH_TEXT_IMAGE_FORMATS = {"fullwidth", "left", "right"}
_STORED_TAGS = _ALLOWED_TAGS | {"embed"}
_STORED_ATTRIBUTES = {
    **_ALLOWED_ATTRIBUTES,
    "a": {"href", "id"},
    "embed": {"id", "alt"},
}
_STORED_ATTRIBUTE_VALUES = {
    "a": {"linktype": {"page"}},
    "embed": {"embedtype": {"image"}, "format": _RICH_TEXT_IMAGE_FORMATS},
}
_DIGITS_RE = re.compile(r"^[0-9]{1,12}$")
_EMBED_RE = re.compile(r"<embed(\b[^>]*?)\s*/?>")


def _stored_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Database ids only in the ``id`` of a Wagtail link or image embed."""
    if attribute == "id" and tag in ("a", "embed"):
        return value if _DIGITS_RE.match(value) else None
    return value


#: Classes Wagtail gives an expanded rich-text image (its format): kept on an ``<img>`` so an
#: exported image embed reads back with its format (quizzes.rich_images).
_IMAGE_CLASSES = {"img": {"richtext-image", "full-width", "left", "right"}}

_CLEANER = nh3.Cleaner(
    tags=_STORED_TAGS,
    clean_content_tags={"script", "style"},
    attributes=_STORED_ATTRIBUTES,
    allowed_classes=_IMAGE_CLASSES,
    tag_attribute_values=_STORED_ATTRIBUTE_VALUES,
    attribute_filter=_stored_attribute,
    url_schemes={"http", "https", "mailto"},
    filter_style_properties=_ALLOWED_STYLE_PROPERTIES,
    strip_comments=True,
)

#: What is shown: the stored subset with Wagtail's embeds expanded (an image embed becomes
#: ``<img class="richtext-image full-width" …>``): no ``embed``, no ``linktype``.
_DISPLAY_CLEANER = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    clean_content_tags={"script", "style"},
    attributes=_ALLOWED_ATTRIBUTES,
    allowed_classes=_IMAGE_CLASSES,
    url_schemes={"http", "https", "mailto"},
    filter_style_properties=_ALLOWED_STYLE_PROPERTIES,
    strip_comments=True,
)


class TextConversionError(Exception):
    """Raised by :func:`render_text` for text it cannot convert (readers turn it into a
    :class:`FormatError` for the question)."""


def _clean_for_storage(value: str) -> str:
    # Wagtail finds its embeds by ``<embed …/>`` (wagtail.rich_text.rewriters), which the
    # HTML serialiser writes as ``<embed …>``: close them again.
    return _EMBED_RE.sub(r"<embed\1/>", _CLEANER.clean(value)).strip()


def sanitize_html(value: str) -> str:
    """Sanitise HTML until the result is stable (so sanitising it again changes nothing)."""
    value = value.strip()
    for _attempt in range(5):
        cleaned = _clean_for_storage(value)
        if cleaned == value:
            break
        value = cleaned
    return value


_SINGLE_P_RE = re.compile(r"\A<p>((?:(?!</?p[\s>]).)*)</p>\Z", re.DOTALL)


def inline_html(value: str) -> str:
    """Sanitised HTML of a short text (an option, a match, feedback): a value that is one
    paragraph and nothing else (Draftail wraps every text in ``<p>``) is stored without it,
    so it sits inline beside a radio button; several paragraphs are kept as they are."""
    value = sanitize_html(value)
    match = _SINGLE_P_RE.match(value)
    return match.group(1).strip() if match else value


def display_html(value: str) -> str:
    """Stored question HTML as a learner's page shows it: Wagtail's image embeds and page
    links expanded (``expand_db_html``), then sanitised again to the display subset."""
    if not value:
        return ""
    from wagtail.rich_text import expand_db_html

    return _DISPLAY_CLEANER.clean(expand_db_html(value)).strip()


def plain_to_html(text: str) -> str:
    """Escape plain text for HTML (``&``, ``<``, ``>``) and turn line breaks into ``<br>``."""
    return html_lib.escape(text, quote=False).replace("\n", "<br>")


def html_to_plain(value: str) -> str:
    """Exact inverse of :func:`plain_to_html` on its output."""
    return (
        value.replace("<br>", "\n").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    )


#: Deepest nesting of HTML elements accepted in a text (real questions stay under 10).
MAX_HTML_DEPTH = 32
#: Markdown: deepest nesting of [ ] ( ) < >, most openers left unclosed, deepest nesting of
#: blockquotes and indented lists. Python-Markdown scans from each opener to its closer (or
#: the end of the text) and nests blocks recursively, so unbounded nesting or many unclosed
#: openers make the conversion quadratic.
MAX_MARKDOWN_BRACKETS = 16

_VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^<>]*?(/?)>")
# The start of a Markdown line: its indentation (list nesting) and blockquote markers.
_MARKDOWN_BLOCK_RE = re.compile(r"^([ \t]*)((?:>[ \t]*)*)", re.MULTILINE)
_BRACKETS = {"[": "]", "(": ")", "<": ">"}
_CLOSERS = {closer: opener for opener, closer in _BRACKETS.items()}


def _too_deep() -> TextConversionError:
    return TextConversionError(
        _("文本嵌套过深：HTML 标签最多嵌套 %(depth)d 层。") % {"depth": MAX_HTML_DEPTH}
    )


def check_nesting(text: str, fmt: str) -> None:
    """Raise :class:`TextConversionError` for text nested too deeply to convert in linear
    time (one pass, linear in the text)."""
    if fmt == "plain":
        return
    if "<" in text:
        depth = 0
        for match in _TAG_RE.finditer(text):
            closing, name, self_closing = match.groups()
            if name.lower() in _VOID_TAGS or self_closing:
                continue
            depth = max(0, depth - 1) if closing else depth + 1
            if depth > MAX_HTML_DEPTH:
                raise _too_deep()
    if fmt != "markdown":
        return
    for match in _MARKDOWN_BLOCK_RE.finditer(text):
        indent, quotes = match.groups()
        if len(indent.expandtabs(4)) // 4 + quotes.count(">") > MAX_MARKDOWN_BRACKETS:
            raise TextConversionError(
                _("Markdown 文本中的引用或列表嵌套过深（最多 %(count)d 层）。")
                % {"count": MAX_MARKDOWN_BRACKETS}
            )
    stack: list[str] = []
    unclosed = 0
    for char in text:
        if char in _BRACKETS:
            stack.append(char)
            if len(stack) > MAX_MARKDOWN_BRACKETS:
                break
        elif char in _CLOSERS:
            opener = _CLOSERS[char]
            # Openers skipped by this closer are never closed.
            while stack and stack[-1] != opener:
                stack.pop()
                unclosed += 1
            if stack:
                stack.pop()
        if unclosed > MAX_MARKDOWN_BRACKETS:
            break
    if len(stack) + unclosed > MAX_MARKDOWN_BRACKETS:
        raise TextConversionError(
            _("Markdown 文本中的括号嵌套过深或未配对的过多（最多 %(count)d 个）。")
            % {"count": MAX_MARKDOWN_BRACKETS}
        )


def render_text(text: str, fmt: str) -> str:
    """Convert source text in one of :data:`FORMATS` to safe HTML (see the module docstring).

    Raises :class:`TextConversionError` for text nested too deeply (:func:`check_nesting`)."""
    text = text.strip()
    if not text:
        return ""
    if fmt == "plain":
        return plain_to_html(text)
    check_nesting(text, fmt)
    if fmt == "markdown":
        try:
            converted = markdown_lib.markdown(
                text, extensions=["tables", "fenced_code", "sane_lists"]
            )
        except RecursionError:
            raise TextConversionError(_("文本嵌套过深，无法转换。"))
        return sanitize_html(converted)
    if fmt == "html":
        return sanitize_html(text)
    # "moodle": HTML allowed, line breaks kept. A stable result needs no second pass.
    cleaned = sanitize_html(text)
    if "\n" not in cleaned:
        return cleaned
    return sanitize_html(cleaned.replace("\n", "<br>"))


def render_question_text(fmt: str, before: str, after: str | None = None) -> tuple[str, bool]:
    """Render a question text, with a blank between ``before`` and ``after`` when ``after`` is
    not ``None`` (missing-word questions).

    Returns ``(html, blank_shown)``. The blank goes through the conversion as an inert private
    character and becomes :data:`BLANK` afterwards; if the conversion dropped it (say it was
    inside an attribute the sanitiser removed), ``blank_shown`` is false.
    """
    if after is None:
        return render_text(before, fmt), False
    sentinel = _unused_private_char(before + after)
    rendered = render_text(before + sentinel + after, fmt)
    if sentinel in rendered:
        return rendered.replace(sentinel, BLANK), True
    return rendered, False


def _unused_private_char(text: str) -> str:
    present = set(text)
    for code in range(0xE000, 0xF900):
        if chr(code) not in present:
            return chr(code)
    for code in range(0xF0000, 0xFFFFE):  # pragma: no cover - needs 6400 distinct PUA chars
        if chr(code) not in present:
            return chr(code)
    raise TextConversionError(_("文本无法转换。"))  # pragma: no cover


# --------------------------------------------------------------------------- names

_BREAKING_TAG_RE = re.compile(r"<(?:br|hr|/p|/div|/li|/h[1-6]|/td|/th|/tr|/blockquote)\b[^>]*>")


def html_to_text(value: str) -> str:
    """Visible text of sanitised HTML, whitespace collapsed."""
    text = nh3.clean(_BREAKING_TAG_RE.sub(" ", value), tags=set())
    return " ".join(html_lib.unescape(text).split())


def clean_name(name: str) -> str:
    """Collapse whitespace and cut to :data:`MAX_NAME_LENGTH` characters."""
    return " ".join(name.split())[:MAX_NAME_LENGTH].strip()


def default_name(text_html: str) -> str:
    """A question name made from the start of its text, as Moodle does when none is given."""
    text = html_to_text(text_html)
    if len(text) > DEFAULT_NAME_LENGTH:
        text = text[: DEFAULT_NAME_LENGTH - 3].rstrip() + "..."
    return clean_name(text) or _("未命名题目")


# --------------------------------------------------------------------------- source text

_SURROGATES = re.compile("[\ud800-\udfff]")


def normalize_source(text: str) -> str:
    """Drop a byte-order mark and NUL characters, unify line endings (CRLF, CR) to LF."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return _SURROGATES.sub("\ufffd", text)


def decode_upload(data: bytes) -> str:
    """Decode an uploaded question file: UTF-8 (with or without BOM) or GB18030 (GBK).

    Raises :class:`FormatError` (line 0) for anything else, including binary files.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
        encodings = ("utf-8",)
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise FormatError(
        [(0, _("无法识别文件编码：请将文件保存为 UTF-8 或 GB18030（GBK）编码的纯文本后重新上传。"))]
    )


# --------------------------------------------------------------------------- numbers

_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_number(text: str) -> float | None:
    """A finite decimal number (``12``, ``-0.5``, ``1e3``), or ``None``."""
    text = text.strip()
    if not _NUMBER_RE.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


# --------------------------------------------------------------------------- scoring helper


def match_shortanswer(pattern: str, response: str, case_sensitive: bool = False) -> bool:
    """Whether a learner's ``response`` matches a short-answer ``pattern`` (Moodle semantics).

    ``*`` in the pattern matches any run of characters (also none); ``\\*`` is a literal star.
    Leading and trailing whitespace is ignored, runs of inner whitespace count as one space,
    and the comparison ignores case unless ``case_sensitive``.
    """
    parts = re.split(r"(\\\*|\*)", " ".join(pattern.split()))
    regex = "".join(
        ".*" if part == "*" else re.escape("*") if part == "\\*" else re.escape(part)
        for part in parts
    )
    flags = re.DOTALL if case_sensitive else re.DOTALL | re.IGNORECASE
    return re.fullmatch(regex, " ".join(response.split()), flags) is not None
