import django_filters
from django import forms
from django.contrib import messages
from django.urls import include, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.active_filters import BaseFilterAdapter, register_filter_adapter_class
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button

from lms.organisation.admin_views import DistrictScopedViewSet, SafeExportViewSet, YesNoColumn

from . import admin_views
from .admin_forms import question_edit_handler
from .admin_views import QuestionCreateView, QuestionEditView, can_try_quizzes
from .models import Attempt, Category, Question, QuestionBank, Quiz
from .results import counted_attempts


class QuestionBankViewSet(ModelViewSet):
    model = QuestionBank
    icon = "folder-open-inverse"
    menu_label = _("题库")
    list_display = ["name", "description", "created_at"]
    search_fields = ["name", "description"]
    form_fields = ["name", "description"]


class CategoryViewSet(ModelViewSet):
    model = Category
    icon = "folder-inverse"
    menu_label = _("题目分类")
    list_display = ["path", "bank"]
    list_filter = ["bank"]
    search_fields = ["name", "path"]
    panels = [FieldPanel("bank"), FieldPanel("parent"), FieldPanel("name")]


def preview_link(question):
    url = reverse("quizzes_admin:question_preview", args=[question.pk])
    return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("预览"))


class QuestionFilterSet(WagtailFilterSet):
    # The category filter's options name their bank (Category.__str__): one query for all.
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.select_related("bank"),
        label=Question._meta.get_field("category").verbose_name,
    )

    class Meta:
        model = Question
        fields = ["bank", "qtype", "category"]


class QuestionViewSet(SafeExportViewSet):
    model = Question
    filterset_class = QuestionFilterSet
    icon = "help"
    menu_label = _("题目")
    list_display = [
        "name",
        "qtype",
        "category",
        "bank",
        Column("updated_at", label=_("更新时间"), sort_key="updated_at"),
        "retired_at",
        Column("preview", label=_("预览"), accessor=lambda question: preview_link(question)),
    ]
    # Substring matches through the ORM (pg_trgm-indexed on PostgreSQL), not the full-text
    # backend: Chinese has no spaces, and SQLite's FTS table has no ``name``/``text`` columns.
    search_backend_name = None
    search_fields = ["name", "text", "category__path"]
    list_export = ["name", "qtype", "category", "bank"]
    list_per_page = 50
    list_select_related = ["bank", "category__bank"]  # a category names its bank

    # One form per type (quizzes.admin_forms.question_edit_handler): a new question's type is
    # chosen first, an existing one's is kept; each type's answers are checked on save.
    add_view_class = QuestionCreateView
    edit_view_class = QuestionEditView
    copy_view_enabled = False  # a copy would need its type's form: not offered

    def get_edit_handler(self):
        return question_edit_handler(Question.MULTICHOICE)  # the views pick their type's


def try_quiz_button(quiz, user, priority=50):
    """试做: the trainer's way into the quiz (quizzes.admin_views.try_quiz), or None."""
    if not can_try_quizzes(user):
        return None
    return Button(
        _("试做"),
        url=reverse("quizzes_admin:try_quiz", args=[quiz.pk]),
        icon_name="resubmit",
        priority=priority,
    )


class QuizIndexView(generic.IndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        button = try_quiz_button(instance, self.request.user)
        return [*buttons, button] if button else buttons


#: The quiz settings that decide who passes: changing one concerns learners still learning.
RULE_FIELDS = ("pass_mark", "max_attempts", "questions_per_attempt")


def _affected_text(quiz):
    from courses.completion import affected_by_change

    learning, completed = affected_by_change(quiz.course)
    return {"course": quiz.course.title, "learning": learning, "completed": completed}


class QuizEditView(generic.EditView):
    """The quiz form warns the trainer, before and after a change of the pass mark, the number
    of attempts or the paper size, how many learners it concerns (``courses.completion``:
    learners still learning need a pass under the new rules; completions are kept)."""

    @property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        button = try_quiz_button(self.object, self.request.user)
        return [*buttons, button] if button else buttons

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if self.object.course_id:
            messages.warning(
                request,
                gettext(
                    "修改及格分、作答次数或每次抽题数：《%(course)s》正在学习的 %(learning)d 名"
                    "学员须按新规则通过测验；已完成的 %(completed)d 名学员保留其完成记录和证书。"
                )
                % _affected_text(self.object),
            )
        return response

    def form_valid(self, form):
        changed = [name for name in RULE_FIELDS if name in form.changed_data]
        response = super().form_valid(form)
        if changed and self.object.course_id:
            fields = "、".join(str(Quiz._meta.get_field(name).verbose_name) for name in changed)
            messages.warning(
                self.request,
                gettext(
                    "已修改%(fields)s：《%(course)s》正在学习的 %(learning)d 名学员须按新规则通过"
                    "测验；已完成的 %(completed)d 名学员保留其完成记录和证书。"
                )
                % {"fields": fields, **_affected_text(self.object)},
            )
        return response


class QuizViewSet(ModelViewSet):
    model = Quiz
    index_view_class = QuizIndexView
    edit_view_class = QuizEditView
    icon = "tasks"
    menu_label = _("测验")
    list_display = [
        "title",
        "course",
        "bank",
        "pass_mark",
        "max_attempts",
        YesNoColumn("live", label=_("已发布")),
    ]
    list_filter = ["live", "show_answers", "bank"]
    search_fields = ["title", "description"]


class YesNoFilterAdapter(BaseFilterAdapter):
    """A yes/no filter's active-filter pill reads 是/否, not Python's True/False."""

    def get_active_filters(self):
        for active in super().get_active_filters():
            yield active._replace(value=gettext("是") if self.value else gettext("否"))


register_filter_adapter_class(django_filters.BooleanFilter, adapter_class=YesNoFilterAdapter)

INCLUDE_TRIALS = "include_trials"


def includes_trials(request) -> bool:
    """Does the attempt listing show trainers' trials (试做) too? Off unless asked."""
    return forms.CheckboxInput().value_from_datadict(request.GET, None, INCLUDE_TRIALS)


class CheckboxFilter(django_filters.BooleanFilter):
    """A tick box: unticked is the default (not "filtering"), ticked is True."""

    field_class = forms.BooleanField


class AttemptFilterSet(WagtailFilterSet):
    # Read by AttemptIndexView.get_base_queryset (counted attempts unless ticked).
    include_trials = CheckboxFilter(label=_("包括试做"), method="keep")

    class Meta:
        model = Attempt
        fields = ["quiz", "status", "passed"]

    def keep(self, queryset, name, value):
        return queryset


class AttemptIndexView(generic.IndexView):
    """作答记录: the attempts that count (``quizzes.results.counted_attempts``); trainers'
    trials only with the 包括试做 filter."""

    def get_base_queryset(self):
        base = Attempt.objects.all() if includes_trials(self.request) else counted_attempts()
        return base.select_related("user", "quiz", "user__staff_profile")


class AttemptInspectView(generic.InspectView):
    """One attempt: times in local time, yes/no translated, each response with its answer
    and score, and the regrades logged on it."""

    template_name = "quizzes/admin/attempt_inspect.html"

    def get_field_display_value(self, field_name, field):
        value = getattr(self.object, field_name, None)
        if isinstance(value, bool):
            return gettext("是") if value else gettext("否")
        if field_name == "user":
            return admin_views.person_label(self.object.user)
        if hasattr(value, "tzinfo") and value is not None and timezone.is_aware(value):
            from django.utils.formats import date_format

            return date_format(timezone.localtime(value), "DATETIME_FORMAT")
        return super().get_field_display_value(field_name, field)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["responses"] = admin_views.response_rows(self.object)
        context["regrades"] = admin_views.regrade_entries(self.object)
        return context


class AttemptViewSet(DistrictScopedViewSet):
    """Read-only results (no one is granted add/change): district admins see their district."""

    model = Attempt
    icon = "list-ul"
    menu_label = _("作答记录")
    index_view_class = AttemptIndexView
    inspect_view_class = AttemptInspectView
    filterset_class = AttemptFilterSet
    list_display = [
        "user",
        "quiz",
        "number",
        "status",
        "score",
        YesNoColumn("passed", label=_("及格")),
        YesNoColumn("is_trial", label=_("试做")),
        "submitted_at",
    ]
    search_fields = ["user__username", "user__staff_profile__full_name", "quiz__title"]
    list_export = [
        "user",
        "quiz",
        "number",
        "status",
        "score",
        "passed",
        "started_at",
        "submitted_at",
        "graded_at",
    ]
    export_filename = "quiz-attempts"
    inspect_view_enabled = True
    inspect_view_fields = [
        "user",
        "quiz",
        "number",
        "status",
        "is_trial",
        "score",
        "passed",
        "started_at",
        "deadline",
        "submitted_at",
        "graded_at",
    ]
    form_fields = ["status"]

    def scope(self, queryset, user):
        return admin_views.scope_attempts(queryset, user)


class QuizzesGroup(ViewSetGroup):
    menu_label = _("题库与测验")
    menu_icon = "tasks"
    menu_order = 250
    items = (QuizViewSet, QuestionViewSet, CategoryViewSet, QuestionBankViewSet, AttemptViewSet)


@hooks.register("register_admin_viewset")
def register_quiz_viewsets():
    return QuizzesGroup()


admin_urlpatterns = (
    [
        *admin_views.question_import_wizard.urlpatterns(),
        path("banks/<int:pk>/export/", admin_views.export_view, name="export"),
        path("marking/", admin_views.marking_view, name="marking"),
        path("statistics/", admin_views.statistics_index, name="statistics"),
        path("statistics/<int:pk>/", admin_views.statistics_view, name="quiz_statistics"),
        path("questions/<int:pk>/preview/", admin_views.question_preview, name="question_preview"),
        path("quizzes/<int:pk>/try/", admin_views.try_quiz, name="try_quiz"),
        path("questions/<int:pk>/regrade/", admin_views.regrade_view, name="regrade"),
    ],
    "quizzes_admin",
)


@hooks.register("register_admin_urls")
def register_quiz_admin_urls():
    return [path("quiz-tools/", include(admin_urlpatterns))]


class PermissionMenuItem(MenuItem):
    def __init__(self, *args, permission, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request):
        return request.user.has_perm(self.permission)


@hooks.register("register_admin_menu_item")
def register_import_menu_item():
    return PermissionMenuItem(
        _("导入/导出题目"),
        reverse("quizzes_admin:import"),
        icon_name="upload",
        order=251,
        permission="quizzes.add_question",
    )


@hooks.register("register_admin_menu_item")
def register_marking_menu_item():
    return PermissionMenuItem(
        _("批阅论述题"),
        reverse("quizzes_admin:marking"),
        icon_name="edit",
        order=252,
        permission="quizzes.mark_attempt",
    )


@hooks.register("register_admin_menu_item")
def register_statistics_menu_item():
    return PermissionMenuItem(
        _("测验统计"),
        reverse("quizzes_admin:statistics"),
        icon_name="table",
        order=253,
        permission="quizzes.view_all_results",
    )


@hooks.register("register_log_actions")
def register_quiz_log_actions(actions):
    actions.register_action("quizzes.mark", _("批阅论述题"), _("批阅论述题并更新成绩"))
    actions.register_action("quizzes.import", _("导入题目"), _("导入题目到题库"))
    actions.register_action("quizzes.regrade", _("重新评分"), _("更正答案后重新评分本次作答"))
    actions.register_action(
        "quizzes.regrade_question", _("重新评分"), _("更正答案后重新评分本题的作答")
    )


@hooks.register("register_page_header_buttons")
def course_page_try_quiz_button(page, user, view_name, next_url=None):
    """试做 on a course page's admin header, when the course has a quiz."""
    from courses.models import CoursePage

    if not issubclass(page.specific_class or object, CoursePage) or not can_try_quizzes(user):
        return
    quiz = Quiz.objects.filter(course_id=page.pk).only("pk").first()
    if quiz is not None:
        yield try_quiz_button(quiz, user, priority=35)
