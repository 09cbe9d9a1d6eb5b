from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = _("证书")
    default_auto_field = "django.db.models.BigAutoField"

    role_permissions = {
        # Trainers design the certificate (its settings) but manage no one's certificates:
        # no list, so no 证书 menu item (the certificate list is scoped to the districts one
        # administers, lms.organisation.admin_views.DistrictScopedViewSet).
        "trainer": ["certificates.change_certificatesettings"],
        "district_admin": [
            "certificates.view_certificate",
            "certificates.change_certificate",
        ],
        "city_admin": [
            "certificates.view_certificate",
            "certificates.change_certificate",
            "certificates.change_certificatesettings",
        ],
    }

    def ready(self):
        from courses.completion import course_completed

        from . import storage  # noqa: F401  (setting_changed receiver)
        from .tasks import on_course_completed

        course_completed.connect(
            on_course_completed, dispatch_uid="certificates.issue_on_completion"
        )
        # A regrade that withdraws a pass withdraws the certificate resting on it.
        from quizzes.signals import pass_withdrawn

        from .lifecycle import on_pass_withdrawn

        pass_withdrawn.connect(on_pass_withdrawn, dispatch_uid="certificates.regrade_withdrawal")
        # So does any other completion requirement taken back (e.g. an attendance unticked).
        from courses.completion import requirement_withdrawn

        from .lifecycle import on_requirement_withdrawn

        requirement_withdrawn.connect(
            on_requirement_withdrawn, dispatch_uid="certificates.requirement_withdrawal"
        )
        # Mark certified courses in the learner's course list (courses' status registry).
        from courses import progress

        from .authorisation import certified_course_status

        progress.register_status_provider(certified_course_status)
        # A valid certificate keeps its course counted as completed during recertification.
        from courses.completion import register_held_completion

        from .authorisation import valid_certificate_pairs

        register_held_completion(valid_certificate_pairs)
