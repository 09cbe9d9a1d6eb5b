"""The question editor's form: checks each question type's answers before saving, with the
messages a trainer understands (Moodle's rules for the same types)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from wagtail.admin.forms import WagtailAdminModelForm

from .models import Question

FULL = Decimal("1")
TOLERANCE = Decimal("0.0001")


def _answers(formset):
    """The choices of the inline formset that will be kept, as cleaned data."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if not data or data.get("DELETE"):
            continue
        rows.append(data)
    return rows


def check_answers(question: Question, answers: list[dict]) -> list[str]:
    """The per-type rules; each broken one as a translated message."""
    qtype = question.qtype
    fractions = [Decimal(str(a.get("fraction") or 0)) for a in answers]
    full = sum(1 for f in fractions if abs(f - FULL) < TOLERANCE)
    errors = []
    if qtype == Question.MULTICHOICE:
        if len(answers) < 2:
            errors.append(_("单选题至少需要两个选项"))
        if full != 1:
            errors.append(_("单选题必须恰好有一个满分选项"))
        if any(not (a.get("text") or "").strip() for a in answers):
            errors.append(_("选项内容不能为空"))
    elif qtype == Question.MULTIRESPONSE:
        if len(answers) < 2:
            errors.append(_("多选题至少需要两个选项"))
        positive = sum((f for f in fractions if f > 0), Decimal(0))
        if abs(positive - FULL) > Decimal("0.01"):
            errors.append(_("多选题正确选项的得分比例之和必须为 100%"))
        if any(not (a.get("text") or "").strip() for a in answers):
            errors.append(_("选项内容不能为空"))
    elif qtype == Question.TRUEFALSE:
        if question.correct_truefalse is None:
            errors.append(_("判断题必须选择正确答案"))
    elif qtype == Question.SHORTANSWER:
        if not any(
            (a.get("text") or "").strip()
            and abs(Decimal(str(a.get("fraction") or 0)) - FULL) < TOLERANCE
            for a in answers
        ):
            errors.append(_("简答题至少需要一个满分答案"))
    elif qtype == Question.NUMERICAL:
        if not any(
            a.get("value") is not None
            and abs(Decimal(str(a.get("fraction") or 0)) - FULL) < TOLERANCE
            for a in answers
        ):
            errors.append(_("数值题至少需要一个满分的数值答案"))
        if any((a.get("tolerance") or 0) < 0 for a in answers):
            errors.append(_("误差不能为负数"))
    elif qtype == Question.MATCHING:
        pairs = [a for a in answers if (a.get("text") or "").strip()]
        if len(pairs) < 2 or any(not (a.get("match") or "").strip() for a in pairs):
            errors.append(_("配对题至少需要两对完整的题目与答案"))
    elif qtype in (Question.ESSAY, Question.DESCRIPTION) and answers:
        errors.append(_("论述题和说明不需要选项或答案，请删除它们"))
    return errors


class QuestionAdminForm(WagtailAdminModelForm):
    def clean(self):
        cleaned = super().clean()
        formset = self.formsets.get("choices")
        if formset is None or not formset.is_valid():
            return cleaned
        question = Question(
            qtype=cleaned.get("qtype"), correct_truefalse=cleaned.get("correct_truefalse")
        )
        errors = check_answers(question, _answers(formset))
        if errors:
            raise ValidationError(errors)
        return cleaned
