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

    def get_queryset(self, request):
        return Enrollment.objects.select_related("user", "user__staff_profile", "course")


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

    def get_queryset(self, request):
        return LessonProgress.objects.select_related(
            "user", "user__staff_profile", "course", "lesson"
        )


class LearningGroup(ViewSetGroup):
    menu_label = _("学习记录")
    menu_icon = "doc-full-inverse"
    menu_order = 210
    items = (EnrollmentViewSet, LessonProgressViewSet)


@hooks.register("register_admin_viewset")
def register_learning_viewsets():
    return LearningGroup()
