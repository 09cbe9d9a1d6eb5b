"""Security middleware and helpers: admin two-factor enforcement, CSP, audit of role changes.

* ``AdminTwoFactorMiddleware`` -- everyone who can use the Wagtail admin (superusers, trainers,
  district and city administrators) needs a confirmed TOTP device (django-otp) and an
  OTP-verified session for ``/admin/``; otherwise they are sent to the enrolment page
  (``otp_setup``, QR code) or the verification page (``otp_verify``). ``LMS_REQUIRE_2FA``
  turns this off (the test settings do, so ``client.force_login`` works for admin tests).
  It also restricts Wagtail's "Site history" audit report to ``wagtailcore.view_modellogentry``.
* ``ContentSecurityPolicyMiddleware`` -- django-csp with the admin relaxations of
  ``LMS_ADMIN_CSP_REPLACE`` on ``/admin/`` and a ``Permissions-Policy`` header.
* Role changes (``User.groups``) are written to Wagtail's audit log as ``lms.role_change``.
"""

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin
from django.utils.http import urlencode
from django_otp import user_has_device
from wagtail.log_actions import log

from lms.organisation import roles

AUDIT_LOG_PERMISSION = "wagtailcore.view_modellogentry"
AUDIT_REPORT_VIEWS = {
    "wagtailadmin_reports:site_history",
    "wagtailadmin_reports:site_history_results",
}
TWO_FACTOR_ROLES = {roles.TRAINER, roles.DISTRICT_ADMIN, roles.CITY_ADMIN}
# Admin URLs an unverified administrator may still reach.
EXEMPT_ADMIN_VIEWS = {
    "wagtailadmin_login",
    "wagtailadmin_logout",
    "wagtailadmin_javascript_catalog",
}


def admin_prefix():
    return reverse("wagtailadmin_home")


def requires_two_factor(user):
    """Whether ``user`` must present a TOTP code before using the admin."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return any(roles.has_role(user, role) for role in TWO_FACTOR_ROLES) or user.has_perm(
        roles.ADMIN_ACCESS
    )


def is_two_factor_verified(user):
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def can_view_audit_log(user):
    return user.is_authenticated and user.has_perm(AUDIT_LOG_PERMISSION)


class AdminTwoFactorMiddleware(MiddlewareMixin):
    """Place after ``django_otp.middleware.OTPMiddleware``."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.path_info.startswith(admin_prefix()):
            return None
        user = request.user
        match = request.resolver_match
        view_name = match.view_name if match else ""
        if (
            getattr(settings, "LMS_REQUIRE_2FA", True)
            and view_name not in EXEMPT_ADMIN_VIEWS
            and requires_two_factor(user)
            and not is_two_factor_verified(user)
        ):
            target = "otp_verify" if user_has_device(user, confirmed=True) else "otp_setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        if view_name in AUDIT_REPORT_VIEWS and not can_view_audit_log(user):
            from wagtail.admin.auth import permission_denied

            return permission_denied(request)
        return None


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp, relaxed for the Wagtail admin only; also sends ``Permissions-Policy``."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if report_only:
            return parts
        if request.path_info.startswith(admin_prefix()):
            replace = dict(getattr(settings, "LMS_ADMIN_CSP_REPLACE", {}))
        elif getattr(request, "is_preview", False) or getattr(request, "is_dummy", False):
            # Wagtail renders a preview through the whole middleware chain with the page's own
            # URL, then shows it in an admin iframe: learner policy, but same-origin framing.
            replace = {"frame-ancestors": ["'self'"]}
        else:
            return parts
        replace.update(parts.replace or {})
        return PolicyParts(parts.config, parts.update, replace, parts.nonce)

    def process_response(self, request, response):
        response = super().process_response(request, response)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        return response


def unwrap_user(user):
    """The real User behind ``request.user`` (auth and django-otp each wrap it lazily).

    Wagtail's ``log()`` unwraps only one level of ``LazyObject``; pass it the real instance.
    """
    from django.utils.functional import LazyObject, empty

    while isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    return user


def reset_two_factor(user):
    """Remove every TOTP device of ``user`` (lost phone); they enrol again at next admin visit.

    Run by a city administrator from ``manage.py shell`` (see docs/SECURITY.md). The Wagtail
    audit log records it as ``lms.otp_reset``.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    deleted, _detail = TOTPDevice.objects.filter(user=user).delete()
    log(instance=unwrap_user(user), action="lms.otp_reset", data={"devices": deleted})
    return deleted


# --- Audit: role changes --------------------------------------------------------------------

User = get_user_model()


def _group_names(pk_set):
    return sorted(Group.objects.filter(pk__in=pk_set).values_list("name", flat=True))


def _log_role_change(user, added=(), removed=()):
    if hasattr(user, "_role_cache"):
        del user._role_cache
    log(
        instance=user,
        action="lms.role_change",
        data={"added": list(added), "removed": list(removed)},
    )


@receiver(
    m2m_changed, sender=User.groups.through, dispatch_uid="lms.organisation.security.role_change"
)
def log_role_change(sender, instance, action, reverse, model, pk_set, **kwargs):
    """Audit every change of a user's role groups, from either side of the relation.

    The acting user comes from Wagtail's log context (set by every admin view); changes made
    from a shell or a management command are logged as done by the system.
    """
    if action == "pre_clear":
        # Remember what is about to be removed; post_clear has no pk_set.
        if reverse:
            instance._lms_cleared_user_ids = list(instance.user_set.values_list("pk", flat=True))
        else:
            instance._lms_cleared_group_ids = list(instance.groups.values_list("pk", flat=True))
        return
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if action == "post_clear":
        if reverse:
            pk_set = set(getattr(instance, "_lms_cleared_user_ids", []))
        else:
            pk_set = set(getattr(instance, "_lms_cleared_group_ids", []))
        action = "post_remove"
    if not pk_set:
        return
    if reverse:
        # group.user_set.add(...): ``instance`` is the Group, ``pk_set`` the users.
        names = [instance.name]
        for user in User.objects.filter(pk__in=pk_set):
            if action == "post_add":
                _log_role_change(user, added=names)
            else:
                _log_role_change(user, removed=names)
    else:
        names = _group_names(pk_set)
        if action == "post_add":
            _log_role_change(instance, added=names)
        else:
            _log_role_change(instance, removed=names)


def axes_username(request, credentials):
    """The username django-axes records: at most 150 characters (the User field), so a
    hostile login with a 5,000-character name is refused as a failed login, not a 500."""
    username = credentials.get("username") if credentials else None
    if username is None:
        username = request.POST.get("username", "") if request is not None else ""
    return str(username)[:150]
