"""Wagtail's users app with our user editor (its own module: an apps module holding two
AppConfig classes would lose Django's automatic choice of ``lms.apps.LmsConfig``)."""

from wagtail.users.apps import WagtailUsersAppConfig


class WagtailUsersConfig(WagtailUsersAppConfig):
    """wagtail.users with lms.organisation.user_admin.UserViewSet: nobody grants a role above
    their own."""

    user_viewset = "lms.organisation.user_admin.UserViewSet"
