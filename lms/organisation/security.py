"""Security middleware and helpers: admin two-factor enforcement, CSP, audit of role changes.

* ``TwoFactorMiddleware`` -- an account holding any permission (trainers, district and city
  administrators, staff, superusers) acts as window staff -- no permission at all -- until its
  session is verified with a TOTP code (django-otp), on every URL; the admin and any view
  that refuses it send it to the enrolment page (``otp_setup``, QR code) or the verification
  page (``otp_verify``). ``LMS_REQUIRE_2FA`` turns this off (the test settings do, so
  ``client.force_login`` works for admin tests). It also restricts Wagtail's "Site history"
  audit report to ``wagtailcore.view_modellogentry``.
* ``ContentSecurityPolicyMiddleware`` -- django-csp with the admin relaxations of
  ``LMS_ADMIN_CSP_REPLACE`` on ``/admin/`` and a ``Permissions-Policy`` header.
* Role changes (``User.groups``) are written to Wagtail's audit log as ``lms.role_change``.
"""

from axes.handlers.database import AxesDatabaseHandler
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin
from django.utils.functional import LazyObject, SimpleLazyObject
from django.utils.http import urlencode
from django_otp import user_has_device
from wagtail.log_actions import log

AUDIT_LOG_PERMISSION = "wagtailcore.view_modellogentry"
AUDIT_REPORT_VIEWS = {
    "wagtailadmin_reports:site_history",
    "wagtailadmin_reports:site_history_results",
}
# Admin URLs an unverified administrator may still reach.
EXEMPT_ADMIN_VIEWS = {
    "wagtailadmin_login",
    "wagtailadmin_logout",
    "wagtailadmin_javascript_catalog",
}


def admin_prefix():
    return reverse("wagtailadmin_home")


def requires_two_factor(user):
    """Whether ``user`` must present a TOTP code before using any permission.

    Window staff hold no permission at all (lms.organisation.roles); whoever holds one -- a
    role above
    window staff, a permission granted directly, staff status or superuser -- needs a second
    factor. Permission-based, so a new role or a directly granted permission is covered too.
    """
    user = unwrap_user(user)
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return bool(user.get_all_permissions())


def is_two_factor_verified(user):
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def is_unverified_session(user):
    """``request.user`` is a privileged account reduced to window staff (no second factor)."""
    return isinstance(user, LazyObject) and bool(getattr(user, "lms_unverified", False))


def can_view_audit_log(user):
    return user.is_authenticated and user.has_perm(AUDIT_LOG_PERMISSION)


class UnverifiedSessionUser(LazyObject):
    """``request.user`` for a privileged account whose session has not passed the second
    factor: the same account with the rights of window staff -- no permission, neither staff
    nor superuser. Every check that asks ``has_perm`` (views, viewsets, Wagtail's permission
    policies, menus) therefore refuses it, whatever the URL. Everything else (pk, name,
    groups, ``save()``) is the real user's; the real object is never modified.
    """

    is_superuser = False
    is_staff = False
    lms_unverified = True

    def __init__(self, user):
        super().__init__()
        self._wrapped = user

    def _setup(self):  # pragma: no cover - always constructed with its user
        raise AssertionError("UnverifiedSessionUser is built with its user")

    def has_perm(self, perm, obj=None):
        return False

    def has_perms(self, perm_list, obj=None):
        return not list(perm_list)

    def has_module_perms(self, app_label):
        return False

    def get_all_permissions(self, obj=None):
        return set()

    get_user_permissions = get_group_permissions = get_all_permissions


def session_user(user):
    """The user a request acts as: unverified privileged accounts are reduced to window staff."""
    if user.is_authenticated and not is_two_factor_verified(user) and requires_two_factor(user):
        return UnverifiedSessionUser(user)
    return user


def _otp_redirect(request, user):
    target = "otp_verify" if user_has_device(user, confirmed=True) else "otp_setup"
    return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")


class TwoFactorMiddleware(MiddlewareMixin):
    """One rule for every view: without a verified second factor a privileged account holds
    no permission (``UnverifiedSessionUser``). Place after ``OTPMiddleware``.

    On top of that rule, for the user's convenience: the Wagtail admin sends such a session to
    the enrolment/verification page, and so does any view that refuses it (PermissionDenied
    or Http404) -- after the code the same URL is opened again with the full rights.
    ``LMS_REQUIRE_2FA = False`` (developer machines, most tests) switches all of it off.
    It also restricts Wagtail's "Site history" audit report to ``wagtailcore.view_modellogentry``.
    """

    def process_request(self, request):
        if not getattr(settings, "LMS_REQUIRE_2FA", True):
            return
        user = request.user
        request.user = SimpleLazyObject(lambda: session_user(user))

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.path_info.startswith(admin_prefix()):
            return None
        user = request.user
        match = request.resolver_match
        view_name = match.view_name if match else ""
        if view_name not in EXEMPT_ADMIN_VIEWS and is_unverified_session(user):
            return _otp_redirect(request, user)
        if (
            view_name in AUDIT_REPORT_VIEWS
            and user.has_perm("wagtailadmin.access_admin")  # others: Wagtail's own login/refusal
            and not can_view_audit_log(user)
        ):
            from wagtail.admin.auth import permission_denied

            return permission_denied(request)
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied | Http404) and is_unverified_session(
            request.user
        ):
            return _otp_redirect(request, request.user)
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
    from django.utils.functional import empty

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


# --- The client address (issue 15, hole 5) ---------------------------------------------------


def client_ip(request):
    """The client's address, the one answer for every component (django-axes, the rate limits
    of django-ratelimit, audit data).

    ``LMS_TRUSTED_PROXY_COUNT`` is the number of reverse proxies in front of the application
    (production default 1: the TLS proxy). Each appends the address it received the request
    from to ``X-Forwarded-For``; the client is the address that the outermost trusted proxy
    saw, i.e. the ``count``-th entry from the right of ``X-Forwarded-For`` + ``REMOTE_ADDR``.
    Anything further left was written by the client and is ignored. With 0 (no proxy: the
    development server, tests) ``X-Forwarded-For`` is ignored altogether.
    """
    import ipaddress

    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = int(getattr(settings, "LMS_TRUSTED_PROXY_COUNT", 0) or 0)
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    chain = [part for part in forwarded if part] + [remote]
    if len(chain) <= count:
        # Fewer hops than configured: the request bypassed a proxy; trust only REMOTE_ADDR.
        return remote
    candidate = chain[-(count + 1)]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


# Login lockouts (django-axes): per username and client address, with back-off.
LOCKOUT_BASE_MINUTES = 15
LOCKOUT_MAX = 60  # minutes: a shared address (an office behind NAT) is never locked for days


def axes_cool_off(request):
    """How long a username+address stays locked: 15 minutes after five failures, doubling with
    each further five within 24 hours since the last successful sign-in from there (10: 30,
    15: 60), at most one hour. Counted from axes' failure log for this username and client
    address only, so an attacker who keeps guessing extends their own lock, never anyone
    else's. Attempts refused during a lock are not recorded at all
    (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False``), so they neither count nor
    extend it."""
    import datetime

    from axes.models import AccessFailureLog, AccessLog
    from django.db.models import Max
    from django.utils import timezone

    minutes = LOCKOUT_BASE_MINUTES
    if request is not None:
        username = axes_username(request, getattr(request, "axes_credentials", None))
        address = client_ip(request)
        since = timezone.now() - datetime.timedelta(hours=24)
        # A successful sign-in from there starts the count anew.
        last_success = AccessLog.objects.filter(
            username=username, ip_address=address, attempt_time__gte=since
        ).aggregate(last=Max("attempt_time"))["last"]
        failures = AccessFailureLog.objects.filter(
            username=username,
            ip_address=address,
            attempt_time__gte=last_success or since,
        ).count()
        limit = max(int(getattr(settings, "AXES_FAILURE_LIMIT", 5)), 1)
        minutes = LOCKOUT_BASE_MINUTES * 2 ** min(max(0, failures // limit - 1), 8)
    return datetime.timedelta(minutes=min(minutes, LOCKOUT_MAX))


# Per-account throttle across addresses: the lock above is per username + address, so an
# attacker rotating addresses had unlimited guesses at one account. Once
# ``LMS_ACCOUNT_FAILURE_LIMIT`` failures within ``LMS_ACCOUNT_WINDOW_MINUTES``, from any mix
# of addresses, have been counted, a sign-in from an address the account has not used
# (successfully within ``LMS_KNOWN_ADDRESS_DAYS``) must wait a short, progressive delay after
# the account's last counted failure: ``LMS_ACCOUNT_DELAY_MINUTES`` (1), doubling with every
# further ``AXES_FAILURE_LIMIT`` failures, at most ``LMS_ACCOUNT_MAX_DELAY_MINUTES`` (15).
# Throttling, not a lockout (OWASP; django-axes' cool-off): attempts refused during the delay
# are not recorded, so they neither count nor push the delay back; the correct password from
# a new address passes once the delay is over; known addresses are never delayed.


def account_failure_limit() -> int:
    return max(int(getattr(settings, "LMS_ACCOUNT_FAILURE_LIMIT", 20)), 1)


def account_window_minutes() -> int:
    return max(int(getattr(settings, "LMS_ACCOUNT_WINDOW_MINUTES", 60)), 1)


def _account_attempts(username: str):
    import datetime

    from axes.models import AccessAttempt
    from django.utils import timezone

    since = timezone.now() - datetime.timedelta(minutes=account_window_minutes())
    return AccessAttempt.objects.filter(username=username, attempt_time__gte=since)


def account_failures(username: str) -> int:
    """Failed sign-ins on ``username`` from every address within the account window, as
    django-axes still holds them (``axes_reset_username`` clears them)."""
    from django.db.models import Sum

    total = _account_attempts(username).aggregate(total=Sum("failures_since_start"))["total"]
    return total or 0


def account_delay(failures: int):
    """The delay after the account's last counted failure, for ``failures`` in the window."""
    import datetime

    limit = account_failure_limit()
    if failures < limit:
        return datetime.timedelta(0)
    step = max(int(getattr(settings, "AXES_FAILURE_LIMIT", 5)), 1)
    base = max(int(getattr(settings, "LMS_ACCOUNT_DELAY_MINUTES", 1)), 1)
    most = max(int(getattr(settings, "LMS_ACCOUNT_MAX_DELAY_MINUTES", 15)), base)
    minutes = base * 2 ** min((failures - limit) // step, 16)
    return datetime.timedelta(minutes=min(minutes, most))


def is_known_address(username: str, address: str) -> bool:
    """Whether ``username`` signed in successfully from ``address`` recently."""
    import datetime

    from axes.models import AccessLog
    from django.utils import timezone

    days = int(getattr(settings, "LMS_KNOWN_ADDRESS_DAYS", 30))
    since = timezone.now() - datetime.timedelta(days=days)
    return AccessLog.objects.filter(
        username=username, ip_address=address, attempt_time__gte=since
    ).exists()


def account_wait(request, credentials=None):
    """How long this sign-in attempt must still wait because of the account-wide throttle
    (``timedelta(0)``: not throttled)."""
    import datetime

    from django.db.models import Max
    from django.utils import timezone

    none = datetime.timedelta(0)
    if request is None:
        return none
    username = axes_username(request, credentials)
    if not username:
        return none
    delay = account_delay(account_failures(username))
    if not delay:
        return none
    last = _account_attempts(username).aggregate(last=Max("attempt_time"))["last"]
    remaining = (last + delay - timezone.now()) if last else none
    if remaining <= none or is_known_address(username, client_ip(request)):
        return none
    return remaining


def account_locked(request, credentials=None) -> bool:
    """The account-wide throttle refuses this sign-in attempt now."""
    return bool(account_wait(request, credentials))


class LoginAttemptHandler(AxesDatabaseHandler):
    """django-axes' database handler (``AXES_HANDLER``) with the per-account throttle on top
    of the per username + address lock of ``AXES_LOCKOUT_PARAMETERS``.

    axes itself can combine ``["username"]`` with ``[["username", "ip_address"]]`` in
    ``AXES_LOCKOUT_PARAMETERS``, but with one ``AXES_FAILURE_LIMIT`` for both: five failures
    from anywhere would lock anyone's account for everyone. Here the account counts with its
    own, higher limit, delays rather than locks, and spares known addresses."""

    def get_failures(self, request, credentials=None) -> int:
        failures = super().get_failures(request, credentials)
        if account_locked(request, credentials):
            from axes.helpers import get_failure_limit

            return max(failures, get_failure_limit(request, credentials))
        return failures

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        # Set by axes' backend when it refused the attempt because of an existing lock: such
        # an attempt is not recorded (axes returns early) and must not touch any expiry.
        refused = bool(request is not None and getattr(request, "axes_locked_out", False))
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or refused:
            return
        username = axes_username(request, credentials)
        if username and account_failures(username) >= account_failure_limit():
            # Keep the account's failures for the whole window (each record would expire on
            # its own address's shorter cool-off and the count would drop below the cap).
            # This only keeps records for counting; the per-address lock still ends with its
            # own cool-off (axes reads ``attempt_time``), and the throttle with its delay.
            import datetime

            from axes.models import AccessAttemptExpiration
            from django.utils import timezone

            until = timezone.now() + datetime.timedelta(minutes=account_window_minutes())
            AccessAttemptExpiration.objects.filter(
                access_attempt__username=username, expires_at__lt=until
            ).update(expires_at=until)


def retry_after(request, credentials=None) -> int:
    """Seconds until this refused sign-in may be tried again: the longer of the per-address
    lock's remaining cool-off and the account throttle's remaining delay."""
    import math

    from axes.helpers import get_cool_off, get_failure_limit
    from axes.models import AccessAttempt
    from django.db.models import Max, Sum
    from django.utils import timezone

    seconds = math.ceil(account_wait(request, credentials).total_seconds())
    cool_off = get_cool_off(request)
    if request is not None and cool_off:
        username = axes_username(request, credentials)
        attempts = AccessAttempt.objects.filter(
            username=username,
            ip_address=client_ip(request),
            attempt_time__gte=timezone.now() - cool_off,
        )
        agg = attempts.aggregate(n=Sum("failures_since_start"), last=Max("attempt_time"))
        if (agg["n"] or 0) >= get_failure_limit(request, credentials) and agg["last"]:
            own = math.ceil((agg["last"] + cool_off - timezone.now()).total_seconds())
            seconds = max(seconds, own)
    return max(seconds, 1)


def lockout_response(request, original_response, credentials):
    """django-axes' locked-out page (HTTP 429) with ``Retry-After``: the real time left."""
    from django.shortcuts import render

    seconds = retry_after(request, credentials)
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": max(1, -(-seconds // 60)),
    }
    response = render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=429)
    response["Retry-After"] = str(seconds)
    return response
