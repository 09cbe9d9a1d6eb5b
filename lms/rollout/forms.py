from django import forms
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.widgets import AdminDateTimeInput

from courses.models import CoursePage
from lms.organisation.models import District
from lms.organisation.roles import admin_district_ids

from .models import RolloutWave, TrainingSession, person_name


class StaffImportForm(forms.Form):
    file = forms.FileField(
        label=_("人员名单"), help_text=_("XLSX 或 CSV（UTF-8 或 GB18030），首行为表头。")
    )
    deactivate_missing = forms.BooleanField(
        label=_("停用名单中没有的人员"),
        required=False,
        help_text=_("所导入区内、文件中没有的在岗人员将被停用（不会删除）。"),
    )


class TrainerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return person_name(user)


class TrainingSessionForm(WagtailAdminModelForm):
    """A district administrator may only place sessions in their district and its waves.
    The trainer list holds trainers only, shown by name (not every username in the city)."""

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        from django.contrib.auth import get_user_model

        from lms.organisation.roles import TRAINER

        if "trainer" in self.fields:
            field = self.fields["trainer"]
            self.fields["trainer"] = TrainerChoiceField(
                queryset=get_user_model()
                .objects.filter(groups__name=TRAINER, is_active=True)
                .select_related("staff_profile")
                .order_by("staff_profile__full_name", "username")
                .distinct(),
                required=field.required,
                label=field.label,
                widget=field.widget,
            )
        # The course is required for a new session: attendance counts per course (the
        # completion requirement, the roster's 出勤 column, the dashboards), so a session
        # without one counts nowhere. A session whose course was deleted later (SET_NULL) can
        # still be edited.
        if "course" in self.fields and (self.instance.pk is None or self.instance.course_id):
            self.fields["course"].required = True
        if "course" in self.fields and self.course_locked:
            self.fields["course"].help_text = _(
                "本场培训已有出勤记录，课程不能再更改（已完成的学习和证书依据这些记录）。"
            )
        ids = admin_district_ids(for_user) if for_user is not None else None
        if ids is not None:
            self.fields["district"].queryset = District.objects.filter(pk__in=ids)
            # 区 is optional (empty: the wave's staff of every district) for city-level users
            # only; a district administrator places sessions in their own district.
            self.fields["district"].required = True
            self.fields["district"].help_text = _("区管理员只能安排本区的现场培训。")
            self.fields["wave"].queryset = RolloutWave.objects.filter(districts__in=ids).distinct()

    @cached_property
    def course_locked(self) -> bool:
        """Attendance recorded at the session: completions and certificates may rest on it
        for its course, so the course stays (``services.has_recorded_attendance``)."""
        from .services import has_recorded_attendance

        return self.instance.pk is not None and has_recorded_attendance(self.instance)

    def clean_course(self):
        course = self.cleaned_data.get("course")
        # ``self.instance`` still holds the saved course while fields are cleaned.
        if self.course_locked and getattr(course, "pk", None) != self.instance.course_id:
            raise forms.ValidationError(
                _(
                    "本场培训已有出勤记录，不能更改课程：已完成的学习和证书依据这些记录。"
                    "如课程填错，请为正确的课程新建一场培训并在其中记录出勤。"
                ),
                code="course_locked",
            )
        return course

    class Meta:
        model = TrainingSession
        fields = [
            "wave",
            "course",
            "district",
            "starts_at",
            "ends_at",
            "place",
            "trainer",
            "capacity",
        ]
        widgets = {"starts_at": AdminDateTimeInput, "ends_at": AdminDateTimeInput}


class RolloutWaveForm(WagtailAdminModelForm):
    """Districts and courses as checkboxes (not Ctrl-click multi-selects)."""

    class Meta:
        model = RolloutWave
        fields = ["name", "districts", "courses", "opens_on", "due_on", "status"]
        widgets = {
            "districts": forms.CheckboxSelectMultiple(attrs={"class": "wave-checkboxes"}),
            "courses": forms.CheckboxSelectMultiple(attrs={"class": "wave-checkboxes"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["districts"].queryset = District.objects.order_by("sort_order")
        self.fields["courses"].queryset = CoursePage.objects.live().order_by("code")
