from django import template
from django.utils.safestring import mark_safe

from courses.markdown import table_to_html

register = template.Library()


@register.filter
def markdown_table(text):
    """Render a table block's Markdown; the output is sanitised by nh3 (courses.markdown)."""
    return mark_safe(table_to_html(text or ""))  # noqa: S308
