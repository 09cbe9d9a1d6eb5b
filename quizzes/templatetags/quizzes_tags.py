from django import template

from quizzes.views import course_quiz_context

register = template.Library()


@register.inclusion_tag("quizzes/includes/course_quiz.html", takes_context=True)
def course_quiz(context, course):
    """``{% load quizzes_tags %}{% course_quiz page %}`` on the course page."""
    request = context.get("request")
    info = course_quiz_context(request, course) if request is not None else None
    return {"info": info, "request": request}
