"""Spreadsheet safety shared by every export (roster, Wagtail list exports)."""

from wagtail.admin.views.mixins import SpreadsheetExportMixin

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Make a text cell inert for spreadsheet programs (OWASP CSV injection): a cell that
    starts with = + - @, a tab or a carriage return gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class SafeCsvExportMixin:
    """For a view with Wagtail's ``SpreadsheetExportMixin``: CSV cells are neutralised
    (Wagtail already stores XLSX cells that look like formulas as strings)."""

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        if export_format == SpreadsheetExportMixin.FORMAT_CSV:
            return neutralise(value)
        return value
