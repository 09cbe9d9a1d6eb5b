from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RolloutConfig(AppConfig):
    name = "lms.rollout"
    label = "rollout"
    verbose_name = _("滚动培训")
    default_auto_field = "django.db.models.BigAutoField"

    # Merged into the role groups by lms.organisation.roles.sync_role_permissions after migrate.
    # Object-level scoping (a district administrator sees only their district) is done in
    # every view with lms.organisation.roles; these only open the doors.
    role_permissions = {
        "trainer": [
            "rollout.view_rolloutwave",
            "rollout.view_trainingsession",
            "rollout.view_attendance",
            "rollout.add_attendance",
            "rollout.change_attendance",
        ],
        "district_admin": [
            "rollout.view_rolloutwave",
            "rollout.view_trainingsession",
            "rollout.add_trainingsession",
            "rollout.change_trainingsession",
            "rollout.view_attendance",
            "rollout.add_attendance",
            "rollout.change_attendance",
            "rollout.view_rosterexport",
            "rollout.add_rosterexport",
            "rollout.import_staff",
            "rollout.view_dashboard",
            # "Enrol now" for their own district's part of a wave (scoped in the view).
            "rollout.enrol_rolloutwave",
            # "Remind the overdue now" on the dashboard (their district's people only).
            "rollout.send_reminders",
        ],
        "city_admin": [
            "rollout.view_rolloutwave",
            "rollout.add_rolloutwave",
            "rollout.change_rolloutwave",
            "rollout.delete_rolloutwave",
            "rollout.enrol_rolloutwave",
            "rollout.view_trainingsession",
            "rollout.add_trainingsession",
            "rollout.change_trainingsession",
            "rollout.delete_trainingsession",
            "rollout.view_attendance",
            "rollout.add_attendance",
            "rollout.change_attendance",
            "rollout.view_rosterexport",
            "rollout.add_rosterexport",
            "rollout.import_staff",
            "rollout.view_dashboard",
            "rollout.send_reminders",
        ],
    }

    def ready(self):
        from certificates.exports import register_population
        from lms.jobs.tasks import register

        from . import services  # (signal receivers)

        register("staff_import", "lms.rollout.importing.run_job")
        register_population(
            "wave",
            services.wave_population,
            choices=services.wave_choices,
            label=services.wave_name,
        )

        # A course with ``attendance_required`` completes only after its learner was present
        # at one of its sessions (courses' completion rule; lower floors never import this).
        from courses.completion import register_requirement

        register_requirement(services.attended_course, missing=services.attendance_missing)
