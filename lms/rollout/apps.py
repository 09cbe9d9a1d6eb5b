from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RolloutConfig(AppConfig):
    name = "lms.rollout"
    label = "rollout"
    verbose_name = _("滚动培训")
    default_auto_field = "django.db.models.BigAutoField"
