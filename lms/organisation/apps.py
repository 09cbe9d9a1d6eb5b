from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class OrganisationConfig(AppConfig):
    """Districts, staff profiles, roles and access: the ground floor (app label kept as "lms")."""

    name = "lms.organisation"
    label = "lms"
    verbose_name = _("组织与人员")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import account, auth, roles, signals  # noqa: F401

        account.install_account_form()

        post_migrate.connect(roles.sync_role_permissions, dispatch_uid="lms.sync_roles")
