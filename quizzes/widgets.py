"""Admin widgets for question editing."""

from decimal import Decimal

from django import forms

# Moodle's grade options for an answer (question/type/edit_question_form.php), as fractions.
MOODLE_GRADES = [
    1, 0.9, 0.8333333, 0.8, 0.75, 0.7, 0.6666667, 0.6, 0.5, 0.4, 0.3333333, 0.3, 0.25, 0.2,
    0.1666667, 0.1428571, 0.125, 0.1111111, 0.1, 0.05,
]  # fmt: skip


def _key(value) -> str:
    return f"{Decimal(str(value)).quantize(Decimal('0.00001'))}"


def _label(value: float) -> str:
    percent = f"{value * 100:.5f}".rstrip("0").rstrip(".")
    return f"{percent} %"


FRACTION_CHOICES = (
    [(_key(v), _label(v)) for v in MOODLE_GRADES]
    + [(_key(0), "0 %")]
    + [(_key(-v), _label(-v)) for v in reversed(MOODLE_GRADES)]
)


class FractionSelect(forms.Select):
    """Moodle's weight drop-down (100 %, 90 %, 83.33333 %, … 0, … −100 %) for a choice's
    ``fraction``. A stored value outside the list (an imported 35 %) stays a choice, so saving
    the form never changes it silently."""

    def __init__(self, attrs=None):
        super().__init__(attrs, choices=FRACTION_CHOICES)

    def format_value(self, value):
        if value in (None, ""):
            return [_key(0)]
        return [_key(value)]

    def get_context(self, name, value, attrs):
        current = self.format_value(value)[0]
        if current not in dict(self.choices):
            self.choices = [*self.choices, (current, _label(float(current)))]
        return super().get_context(name, value, attrs)


class CategorySelect(forms.Select):
    """The question's 分类: each option names its bank (``data-bank``), so the editor's
    script (``js/admin-category-by-bank.js``) offers only the chosen 题库's categories."""

    class Media:
        js = ["js/admin-category-by-bank.js"]

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-bank"] = str(instance.bank_id)
        return option


class CorrectCheckbox(forms.CheckboxInput):
    """An option's 正确 tick, kept in step with its weight drop-down in the browser by
    ``js/admin-correct-tick.js`` (the form applies the same rules on save:
    ``quizzes.admin_forms.apply_ticks``): ticking sets 100 % (single choice), unticking 0 %,
    choosing a weight ticks or unticks."""

    class Media:
        js = ["js/admin-correct-tick.js"]

    def __init__(self, single: bool, attrs=None):
        super().__init__({**(attrs or {}), "data-correct-tick": "single" if single else "multiple"})
