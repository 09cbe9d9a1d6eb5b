"""Markdown → the HTML subset Wagtail's rich text stores (``RICH_FEATURES``), sanitised with nh3."""

import re

import markdown as md
import nh3

# Wagtail's rich-text storage format: <b>/<i>, headings h3/h4 inside text, lists, links, hr.
RICH_TEXT_TAGS = {"p", "br", "b", "i", "h3", "h4", "ul", "ol", "li", "a", "hr"}
TABLE_TAGS = RICH_TEXT_TAGS | {"table", "thead", "tbody", "tr", "th", "td", "caption"}
ATTRIBUTES = {"a": {"href"}, "th": {"scope"}}
URL_SCHEMES = {"http", "https", "mailto"}

_RENAMES = [
    (re.compile(r"<(/?)strong>"), r"<\1b>"),
    (re.compile(r"<(/?)em>"), r"<\1i>"),
    # A ## inside a text or callout block is demoted: h2 belongs to heading blocks.
    (re.compile(r"<(/?)h[12]>"), r"<\1h3>"),
    (re.compile(r"<(/?)h[56]>"), r"<\1h4>"),
]


def _convert(text, extensions):
    html = md.markdown(text, extensions=extensions, output_format="html")
    for pattern, replacement in _RENAMES:
        html = pattern.sub(replacement, html)
    return html


def to_rich_text(text):
    """Markdown (paragraphs, lists, bold, links) → sanitised rich-text HTML."""
    html = _convert(text, ["sane_lists"])
    return nh3.clean(
        html,
        tags=RICH_TEXT_TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    ).strip()


def table_to_html(text):
    """A Markdown table → sanitised HTML table (used when rendering the table block)."""
    html = _convert(text, ["tables"])
    html = html.replace("<th>", '<th scope="col">')
    return nh3.clean(
        html,
        tags=TABLE_TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    ).strip()


def to_plain(text):
    """Inline Markdown → plain text (for CharBlocks): drop emphasis markers and code ticks."""
    text = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: m.group(1) or m.group(2), text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    return text.strip()
