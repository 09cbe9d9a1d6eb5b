from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("课程")
    default_auto_field = "django.db.models.BigAutoField"

    # Synchronised to the role groups after migrate
    # (lms.organisation.roles.sync_role_permissions). Page permissions on the training tree are
    # GroupPagePermissions, granted to trainers by courses.loader.ensure_training_index (run by
    # load_curriculum).
    role_permissions = {
        "district_admin": ["courses.view_enrollment", "courses.view_lessonprogress"],
        "city_admin": ["courses.view_enrollment", "courses.view_lessonprogress"],
    }

    def ready(self):
        # Connects the receivers that start a new content generation on every content change,
        # in every process (management commands too, which never load the URLconf).
        from . import snapshots  # noqa: F401
