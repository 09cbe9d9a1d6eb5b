from django.contrib import messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup

from lms.organisation.admin_views import DistrictScopedViewSet

from .models import Enrollment, LessonProgress


class EnrollmentViewSet(DistrictScopedViewSet):
    """Enrolments are created by learners, rollout waves and ``courses.enrolment``; the admin
    lists, filters, inspects and exports them (roles only get the view permission)."""

    model = Enrollment
    name = "enrollments"
    district_field = "user__staff_profile__district"
    icon = "list-ul"
    menu_label = _("报名")
    list_display = ["user", "course", "source", "enrolled_at", "due_at", "completed_at"]
    list_filter = ["course", "source", "completed_at"]
    search_fields = [
        "user__username",
        "user__staff_profile__full_name",
        "user__staff_profile__employee_no",
    ]
    list_export = ["user", "course", "source", "enrolled_at", "due_at", "completed_at"]
    export_filename = "enrollments"
    ordering = ["-enrolled_at"]
    list_per_page = 50
    inspect_view_enabled = True
    form_fields = ["due_at"]
    list_select_related = ["user", "user__staff_profile", "course"]


class LessonProgressViewSet(DistrictScopedViewSet):
    model = LessonProgress
    name = "lesson_progress"
    district_field = "user__staff_profile__district"
    icon = "tick"
    menu_label = _("学习进度")
    list_display = ["user", "course", "lesson", "completed_at"]
    list_filter = ["course"]
    search_fields = [
        "user__username",
        "user__staff_profile__full_name",
        "user__staff_profile__employee_no",
    ]
    list_export = ["user", "course", "lesson", "completed_at"]
    export_filename = "lesson-progress"
    ordering = ["-completed_at"]
    list_per_page = 50
    inspect_view_enabled = True
    form_fields = ["user", "course", "lesson"]
    list_select_related = ["user", "user__staff_profile", "course", "lesson"]


class LearningGroup(ViewSetGroup):
    menu_label = _("学习记录")
    menu_icon = "doc-full-inverse"
    menu_order = 210
    items = (EnrollmentViewSet, LessonProgressViewSet)


@hooks.register("register_admin_viewset")
def register_learning_viewsets():
    return LearningGroup()


def _warn_new_lesson(request, course):
    """Before a new lesson goes live, tell the trainer whom it concerns (the policy in
    ``courses.completion``): learners still learning must read it; completions are kept."""
    from .completion import affected_by_new_lesson

    if request.method != "GET" or course is None:
        return
    learning, completed = affected_by_new_lesson(course)
    if not (learning or completed):
        return
    messages.warning(
        request,
        gettext(
            "发布这篇新课文后，《%(course)s》正在学习的 %(learning)d 名学员须读完它才能完成课程并"
            "取得证书；已完成的 %(completed)d 名学员保留其完成记录和证书。"
        )
        % {"course": course.title, "learning": learning, "completed": completed},
    )


@hooks.register("before_create_page")
def warn_before_adding_a_lesson(request, parent_page, page_class):
    from .models import CoursePage, LessonPage

    if issubclass(page_class, LessonPage):
        _warn_new_lesson(request, CoursePage.objects.filter(pk=parent_page.pk).first())


@hooks.register("before_edit_page")
def warn_before_publishing_a_lesson(request, page):
    from .models import CoursePage, LessonPage

    if isinstance(page.specific_deferred, LessonPage) and not page.live:
        parent = page.get_parent()
        _warn_new_lesson(request, CoursePage.objects.filter(pk=parent.pk).first())
