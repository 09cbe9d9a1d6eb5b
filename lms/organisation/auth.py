"""Authentication helpers that keep every page's fixed cost low."""

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

ADMIN_NAV_SESSION_KEY = "lms_admin_nav"


class ProfileUserMixin:
    """Loads the staff profile with the user, so templates showing the name cost no query."""

    def get_user(self, user_id):
        user = (
            get_user_model()
            ._default_manager.select_related("staff_profile")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and user.is_active else None


class ProfileModelBackend(ProfileUserMixin, ModelBackend):
    pass


class AxesBackend(ProfileUserMixin, AxesStandaloneBackend):
    """django-axes' lockout check first in the chain (as axes requires)."""


@receiver(user_logged_in, dispatch_uid="lms.remember_admin_nav")
def remember_admin_nav(sender, request, user, **kwargs):
    """Decide once per login whether the header shows the admin link (the admin itself
    checks permissions on every request; this only saves two queries on every page)."""
    if request is not None and hasattr(request, "session"):
        request.session[ADMIN_NAV_SESSION_KEY] = user.has_perm("wagtailadmin.access_admin")


def navigation(request):
    session = getattr(request, "session", None)
    return {"show_admin_link": bool(session and session.get(ADMIN_NAV_SESSION_KEY))}
