"""First-time two-factor enrolment needs proof from outside the password.

Before this, a privileged account without a TOTP device could be enrolled by whoever had its
password: the setup page showed the secret to anyone signed in as that account, and the
attacker's phone became the account's second factor. Now the setup page shows a secret only to
a session that opened an **enrolment link** for that account:

* issued by a superuser/operator (``manage.py issue_2fa_enrolment USERNAME``, printed or mailed),
  or by a city administrator in the user editor (for accounts they may manage);
* or requested by the person on the setup page, and then e-mailed to the account's own address
  (privileged accounts' addresses change only with their owner's confirmation,
  ``lms.organisation.email_change``).

A link is signed (``SECRET_KEY``), names one account, expires (``LMS_2FA_ENROLMENT_LINK_HOURS``,
e-mailed links after ``LMS_2FA_ENROLMENT_EMAIL_HOURS``) and works once: it carries a digest of
the account's password hash and of its enrolment/reset history in the audit log, so an
enrolment, a device reset or a password change spends every link issued before.
Issuing is logged as ``lms.otp_enrol_link``, enrolment as ``lms.otp_enrol``.
"""

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from .security import unwrap_user

SALT = "lms.otp_enrolment"
SESSION_KEY = "lms_otp_enrolment"
# Audit-log actions that end the validity of every link issued before them.
SPENDING_ACTIONS = ("lms.otp_enrol", "lms.otp_reset")


def link_hours() -> int:
    return int(getattr(settings, "LMS_2FA_ENROLMENT_LINK_HOURS", 72))


def email_link_hours() -> int:
    return int(getattr(settings, "LMS_2FA_ENROLMENT_EMAIL_HOURS", 24))


def _history(user) -> int:
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import ModelLogEntry

    return ModelLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(get_user_model()),
        object_id=str(user.pk),
        action__in=SPENDING_ACTIONS,
    ).count()


def _state(user) -> str:
    value = f"{user.pk}:{user.password}:{_history(user)}"
    return salted_hmac(SALT, value).hexdigest()[:32]


def make_token(user, hours: int | None = None) -> str:
    """A one-time enrolment token for ``user``, valid for ``hours`` (default: the setting)."""
    user = unwrap_user(user)
    expires = int(time.time()) + 3600 * (hours if hours is not None else link_hours())
    return signing.dumps({"u": user.pk, "s": _state(user), "x": expires}, salt=SALT)


def token_is_valid(token: str, user) -> bool:
    """Whether ``token`` is an unspent, unexpired enrolment token for ``user``."""
    user = unwrap_user(user)
    if not token or not user.is_authenticated:
        return False
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return False
    return (
        data.get("u") == user.pk
        and int(data.get("x", 0)) > time.time()
        and data.get("s") == _state(get_user_model().objects.get(pk=user.pk))
    )


def enrolment_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("otp_enrol", args=[token])


def issue_enrolment_link(user, actor=None, email: bool = False, hours: int | None = None) -> str:
    """Make an enrolment link for ``user``; mail it to their own address when ``email``.
    Returns the link. Logged as ``lms.otp_enrol_link`` (by ``actor``; none = the operator or
    the person themselves)."""
    user = unwrap_user(user)
    url = enrolment_url(make_token(user, hours))
    emailed = bool(email and user.email)
    if emailed:
        send_mail(
            _("启用双重验证的链接"),
            _(
                "您好，%(username)s：\n"
                "请在 %(hours)s 小时内登录后打开以下链接，"
                "为管理后台启用双重验证（只能使用一次）：\n"
                "%(link)s\n"
                "如非本人操作，请勿打开，并立即联系市管理员修改密码。"
            )
            % {
                "username": user.get_username(),
                "hours": hours if hours is not None else link_hours(),
                "link": url,
            },
            None,
            [user.email],
        )
    log(
        instance=user,
        action="lms.otp_enrol_link",
        user=unwrap_user(actor) if actor is not None else None,
        data={"emailed": emailed},
    )
    return url


def masked_email(address: str) -> str:
    """``z***@example.com``: enough for the person to recognise their address."""
    name, _sep, domain = address.partition("@")
    return f"{name[:1]}***@{domain}" if domain else "***"
