from decimal import Decimal

from django import template
from django.utils.safestring import mark_safe

from courses.wording import plain_number
from lms.formats.numbers import percent
from quizzes.formats import display_html
from quizzes.views import course_quiz_context

register = template.Library()


@register.inclusion_tag("quizzes/includes/course_quiz.html", takes_context=True)
def course_quiz(context, course):
    """``{% load quizzes_tags %}{% course_quiz page %}`` on the course page."""
    request = context.get("request")
    info = course_quiz_context(request, course) if request is not None else None
    return {"info": info, "request": request}


@register.filter
def question_html(value: str) -> str:
    """Stored question HTML (stem, option, feedback, explanation) as learners see it: Wagtail's
    rich-text embeds expanded (images, page links) and sanitised again (quizzes.formats)."""
    return mark_safe(display_html(value or ""))  # noqa: S308 - sanitised by nh3 just now


@register.filter
def qtype_label(value: str) -> str:
    """A question type code (``multichoice``) as its translated name (单选题)."""
    from quizzes.models import Question

    return str(dict(Question.QTYPE_CHOICES).get(value, value))


@register.filter
def stat(value, scale=1) -> str:
    """A statistic as the statistics page shows every number: two decimals ("25.00",
    "6.67"), ``scale`` times the value (``row.fraction|stat:100``); "—" when there is none."""
    if value is None or value == "":
        return "—"
    # The one rounding of percentages (half up, in Decimal): lms.formats.numbers.percent.
    return str(percent(Decimal(str(value)) * Decimal(str(scale)), 100, digits=2))


@register.filter
def score(value) -> str:
    """A score or pass mark, the same everywhere: "100", "87.5", "66.67" (no trailing zeros)."""
    return plain_number(value)
