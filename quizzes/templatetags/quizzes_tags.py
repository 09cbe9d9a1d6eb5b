from django import template
from django.utils.safestring import mark_safe

from courses.wording import plain_number
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
def score(value) -> str:
    """A score or pass mark, the same everywhere: "100", "87.5", "66.67" (no trailing zeros)."""
    return plain_number(value)
