from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_QUESTION_ADMIN = [
    "quizzes.add_questionbank",
    "quizzes.change_questionbank",
    "quizzes.view_questionbank",
    "quizzes.add_category",
    "quizzes.change_category",
    "quizzes.delete_category",
    "quizzes.view_category",
    "quizzes.add_question",
    "quizzes.change_question",
    "quizzes.delete_question",
    "quizzes.view_question",
    "quizzes.add_quiz",
    "quizzes.change_quiz",
    "quizzes.view_quiz",
]


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = _("测验")
    default_auto_field = "django.db.models.BigAutoField"

    # Synchronised onto the role groups by lms.organisation.roles after migrate.
    role_permissions = {
        "trainer": _QUESTION_ADMIN
        + [
            "quizzes.view_attempt",
            "quizzes.view_all_results",
            "quizzes.mark_attempt",
            "quizzes.regrade_attempts",
        ],
        # District admins see results of their own district's learners only.
        "district_admin": ["quizzes.view_attempt", "quizzes.view_all_results"],
        "city_admin": _QUESTION_ADMIN
        + [
            "quizzes.delete_questionbank",
            "quizzes.delete_quiz",
            "quizzes.view_attempt",
            "quizzes.view_all_results",
            "quizzes.mark_attempt",
            "quizzes.regrade_attempts",
        ],
    }

    def ready(self):
        from courses.completion import register_requirement

        from . import importing, results

        register_requirement(results.course_quiz_passed)
        importing.register_with_course_loader()

        from lms.jobs.tasks import register

        register("question_import", "quizzes.importing.run_job")
