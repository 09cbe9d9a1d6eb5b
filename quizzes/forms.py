from django import forms
from django.utils.translation import gettext_lazy as _

from .formats import FormatError
from .importing import check_upload
from .models import QuestionBank, Quiz


class ImportForm(forms.Form):
    bank = forms.ModelChoiceField(
        QuestionBank.objects.all(), required=False, label=_("导入到已有题库")
    )
    new_bank = forms.CharField(label=_("或新建题库"), max_length=100, required=False)
    format = forms.ChoiceField(
        label=_("格式"), choices=[("gift", "Moodle GIFT"), ("aiken", "Aiken")], initial="gift"
    )
    file = forms.FileField(
        label=_("文件"), help_text=_("UTF-8 或 GB18030 编码的 .gift / .txt 文件。")
    )

    def clean(self):
        data = super().clean()
        if not data.get("bank") and not (data.get("new_bank") or "").strip():
            raise forms.ValidationError(_("请选择题库或填写新题库名称。"))
        upload = data.get("file")
        if upload is not None and data.get("format"):
            try:
                check_upload(upload.name, upload.size, data["format"])
            except FormatError as error:
                self.add_error("file", "；".join(error.messages()))
        return data

    def bank_name(self):
        bank = self.cleaned_data.get("bank")
        return bank.name if bank else self.cleaned_data["new_bank"].strip()


class MarkForm(forms.Form):
    response = forms.IntegerField(widget=forms.HiddenInput)
    percent = forms.DecimalField(
        label=_("得分（占本题分值的百分比）"), min_value=0, max_value=100, decimal_places=2
    )
    comment = forms.CharField(
        label=_("批阅意见"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MarkingFilterForm(forms.Form):
    quiz = forms.ModelChoiceField(Quiz.objects.all(), required=False, label=_("测验"))
    user = forms.CharField(label=_("学员（用户名或姓名）"), required=False)
    show = forms.ChoiceField(
        label=_("范围"),
        choices=[("pending", _("待批阅")), ("all", _("全部论述题"))],
        required=False,
    )
