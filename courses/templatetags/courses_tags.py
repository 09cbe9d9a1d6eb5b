from decimal import Decimal, InvalidOperation

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import ngettext

from courses.markdown import table_to_html
from courses.wording import plain_number

register = template.Library()


@register.filter
def markdown_table(text):
    """Render a table block's Markdown; the output is sanitised by nh3 (courses.markdown)."""
    return mark_safe(table_to_html(text or ""))  # noqa: S308


def format_credit_hours(value) -> str:
    """ "2 学时" / "2 credit hours", "1 credit hour", "1.5 credit hours": no trailing ".0"."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    text = plain_number(number)
    return ngettext("%(hours)s 学时", "%(hours)s 学时", 1 if number == 1 else 2) % {"hours": text}


@register.filter
def credit_hours(value) -> str:
    return format_credit_hours(value)
