"""The question editor: one form per question type (only that type's fields, rich text in
Draftail for the stem, explanation and feedback), and the checks of each type's answers before
saving, with the messages a trainer understands (Moodle's rules for the same types)."""

import json
import re
from decimal import Decimal
from functools import cache

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, ObjectList
from wagtail.admin.rich_text import DraftailRichTextArea

from .models import Category, Question
from .rich_images import images_to_embeds
from .widgets import CategorySelect, FractionSelect

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
    """The editor's form of one question type: the type is the instance's (chosen before
    the form, see ``quizzes.admin_views.QuestionCreateView``), never a field of the form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("category")
        if field is not None and not self.is_bound:
            # Only the question's bank's categories (a posted category of another bank is
            # refused by Question.clean, with a message naming both banks).
            bank_id = self.instance.bank_id or self.initial.get("bank")
            categories = Category.objects.select_related("bank")
            if str(bank_id or "").isdigit():
                categories = categories.filter(bank_id=int(bank_id))
            field.queryset = categories

    def clean(self):
        cleaned = super().clean()
        formset = self.formsets.get("choices")
        if formset is not None and not formset.is_valid():
            return cleaned
        question = Question(
            qtype=self.instance.qtype,
            correct_truefalse=cleaned.get("correct_truefalse", self.instance.correct_truefalse),
        )
        errors = check_answers(question, _answers(formset) if formset is not None else [])
        if errors:
            raise ValidationError(errors)
        return cleaned


# --------------------------------------------------------------------------- per-type panels

#: Draftail features: the stem, explanation and essay rubric; feedback; an option's text.
STEM_FEATURES = ["bold", "italic", "ol", "ul", "link", "image"]
FEEDBACK_FEATURES = ["bold", "italic", "link"]
OPTION_FEATURES = ["bold", "italic"]


#: Void elements of the sanitised subset; stored as ``<br>``, ``<img …>`` (nh3's output).
_VOID_RE = re.compile(r"<(br|col|embed|hr|img)\b([^>]*?)\s*/?>")


class QuestionRichTextArea(DraftailRichTextArea):
    """Draftail for question texts. Stored HTML (imported or written before the editor) is
    read back with its void elements closed (``<br/>``: Wagtail's converter expects XHTML),
    and an ``<img>`` of the site's image library as Wagtail's image embed (Draftail drops any
    other ``<img>``; the edit view warns about those, ``quizzes.rich_images``).
    A posted value that is not the editor's JSON (a script, an old form posting HTML) is
    taken as HTML; either way the model sanitises it on save."""

    def format_value(self, value):
        if value and "image" in (self.features or ()):
            value = images_to_embeds(value)
        return super().format_value(_VOID_RE.sub(r"<\1\2/>", value) if value else value)

    def value_from_datadict(self, data, files, name):
        raw = data.get(name)
        if raw is None:
            return None
        try:
            state = json.loads(raw)
        except ValueError:
            return raw
        if not isinstance(state, dict):
            return ""
        try:
            return self.converter.to_database_format(raw)
        except (KeyError, TypeError, ValueError, AttributeError):
            return ""


def rich_text(features: list[str]) -> DraftailRichTextArea:
    return QuestionRichTextArea(features=features)


def _fraction():
    return FieldPanel("fraction", widget=FractionSelect(), heading=gettext_lazy("得分比例"))


def _feedback():
    return FieldPanel("feedback", widget=rich_text(FEEDBACK_FEATURES))


def _choice_panels(qtype: str) -> tuple[list, str, str] | None:
    """The inline rows of a type's answers: (panels, heading, label), or None (no answers)."""
    if qtype in (Question.MULTICHOICE, Question.MULTIRESPONSE):
        return (
            [
                FieldPanel("text", widget=rich_text(OPTION_FEATURES), heading=gettext_lazy("选项")),
                _fraction(),
                _feedback(),
            ],
            gettext_lazy("选项"),
            gettext_lazy("选项"),
        )
    if qtype == Question.SHORTANSWER:
        return (
            [
                FieldPanel(
                    "text",
                    widget=forms.TextInput,
                    heading=gettext_lazy("答案"),
                    help_text=gettext_lazy("可用 * 代表任意文字。"),
                ),
                _fraction(),
                _feedback(),
            ],
            gettext_lazy("可接受的答案"),
            gettext_lazy("答案"),
        )
    if qtype == Question.NUMERICAL:
        return (
            [
                FieldRowPanel([FieldPanel("value"), FieldPanel("tolerance"), _fraction()]),
                _feedback(),
            ],
            gettext_lazy("数值答案"),
            gettext_lazy("答案"),
        )
    if qtype == Question.MATCHING:
        return (
            [
                FieldPanel(
                    "text",
                    widget=rich_text(OPTION_FEATURES),
                    heading=gettext_lazy("题目"),
                    help_text=gettext_lazy("留空则为干扰答案。"),
                ),
                FieldPanel("match"),
            ],
            gettext_lazy("配对"),
            gettext_lazy("配对"),
        )
    return None


TRUEFALSE_CHOICES = [("true", gettext_lazy("对")), ("false", gettext_lazy("错"))]


def question_panels(qtype: str) -> list:
    """The editor's panels for one question type: its fields only."""
    head = [FieldRowPanel([FieldPanel("bank"), FieldPanel("category", widget=CategorySelect)])]
    if qtype == Question.DESCRIPTION:
        head.append(FieldPanel("name"))
    else:
        head.append(FieldRowPanel([FieldPanel("name"), FieldPanel("default_mark")]))
    panels = [*head, FieldPanel("text", widget=rich_text(STEM_FEATURES)), FieldPanel("image")]
    if qtype == Question.TRUEFALSE:
        panels += [
            FieldPanel("correct_truefalse", widget=forms.RadioSelect(choices=TRUEFALSE_CHOICES)),
            FieldPanel("true_feedback", widget=rich_text(FEEDBACK_FEATURES)),
            FieldPanel("false_feedback", widget=rich_text(FEEDBACK_FEATURES)),
        ]
    if qtype == Question.SHORTANSWER:
        panels.append(FieldPanel("case_sensitive"))
    if qtype in (Question.MULTICHOICE, Question.SHORTANSWER):
        panels.append(FieldPanel("missing_word"))
    if qtype == Question.ESSAY:
        panels.append(FieldPanel("rubric", widget=rich_text(STEM_FEATURES)))
    choices = _choice_panels(qtype)
    if choices is not None:
        rows, heading, label = choices
        panels.append(InlinePanel("choices", panels=rows, heading=heading, label=label))
    if qtype != Question.DESCRIPTION:
        panels.append(FieldPanel("explanation", widget=rich_text(STEM_FEATURES)))
    return panels


@cache
def question_edit_handler(qtype: str) -> ObjectList:
    """The bound edit handler of a question type (one per type, built once)."""
    return ObjectList(question_panels(qtype), base_form_class=QuestionAdminForm).bind_to_model(
        Question
    )
