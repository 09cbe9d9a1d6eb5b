"""Sentences that name pages (lessons, courses, quizzes), in both plain text (flash messages,
e-mails) and HTML with links (pages). Lists are joined with the translated separator
("、" in Chinese, ", " in English); brackets and punctuation live inside translated strings."""

from decimal import Decimal, InvalidOperation

from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext


def separator() -> str:
    return gettext("、")


def join_list(items) -> str:
    """Plain text: ``["a", "b"]`` → "a、b" / "a, b"."""
    return separator().join(str(item) for item in items)


def course_name(course) -> str:
    """ "知识产权基础（IP-101）" / "知识产权基础 (IP-101)"."""
    return gettext("%(title)s（%(code)s）") % {"title": course.title, "code": course.code}


class Linked(str):
    """A translated sentence naming pages: the plain sentence as a string (flash messages,
    e-mails, joins), rendered in a template (``{{ item }}``, autoescaped) with each named page
    linked (``__html__``)."""

    def __new__(cls, sentence: str, params: dict, lists: dict | None = None):
        # sentence: a translated "%(name)s" string; params: plain values; lists: name →
        # [(text, url)] pairs joined with the separator, each text linked to its url.
        lists = lists or {}
        values = dict(params)
        for name, pairs in lists.items():
            values[name] = join_list(text for text, _url in pairs)
        self = super().__new__(cls, sentence % values)
        self.sentence, self.params, self.lists = sentence, params, lists
        return self

    def __html__(self) -> SafeString:
        values = {
            name: value if isinstance(value, int | float) else conditional_escape(value)
            for name, value in self.params.items()
        }
        for name, pairs in self.lists.items():
            values[name] = escape(separator()).join(
                format_html('<a href="{}">{}</a>', url, text) if url else conditional_escape(text)
                for text, url in pairs
            )
        return mark_safe(escape(self.sentence) % values)  # noqa: S308 - every part escaped


def page_link(page) -> tuple[str, str]:
    """``(title, url)`` of a lesson or course page (its URL relative to the site)."""
    return page.title, page.get_url() or ""


def course_link(course) -> tuple[str, str]:
    return course_name(course), course.get_url() or ""


def plain_number(value) -> str:
    """A score, pass mark or number of hours without trailing zeros: 100.00 → "100",
    87.50 → "87.5", 2.0 → "2". Shared by the ``score`` and ``credit_hours`` filters and the
    certificate PDF."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if number == number.to_integral():
        return f"{number.to_integral():f}"
    return f"{number:f}".rstrip("0").rstrip(".")
