"""E-mail changes made by an administrator (issue 15, hole 8; the walk-through after issue 16).

The one entry point is ``admin_changes_email``, used by both editors that offer the address
(the staff editor, ``forms.StaffProfileForm``, and Wagtail's user editor,
``user_admin.LimitedUserEditForm``):

* an account holding any permission (trainer, reviewer, administrator) -- before or through
  this very edit -- keeps its address: the person receives a link at their current address,
  and only they, signed in as themselves, can confirm it. Otherwise whoever may edit the
  profile could point the address at their own mailbox and take the account over with a
  password reset;
* any other account (window staff, who often have no address or a mistyped one) takes the new
  address at once, and the change is written to Wagtail's audit log (``lms.email_change_admin``,
  old and new address, by whom) and announced to the OLD address after the transaction
  commits, so a person whose password resets were redirected hears about it.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from .roles import is_privileged
from .security import unwrap_user

SALT = "lms.email_change"
MAX_AGE = 3 * 24 * 3600  # three days


def request_email_change(user, new_email, actor=None):
    """Send ``user`` a confirmation link for ``new_email``; returns the token."""
    token = signing.dumps({"user": user.pk, "email": new_email}, salt=SALT)
    link = settings.SITE_URL.rstrip("/") + reverse("confirm_email_change", args=[token])
    if user.email:
        send_mail(
            _("请确认邮箱变更"),
            _(
                "管理员请求将您的账号 %(username)s 的邮箱改为 %(email)s。\n"
                "如确认，请登录后打开以下链接（三天内有效）：\n%(link)s\n"
                "如非本人同意，请忽略本邮件并联系市管理员。"
            )
            % {"username": user.get_username(), "email": new_email, "link": link},
            None,
            [user.email],
        )
    log(
        instance=user,
        action="lms.email_change_requested",
        user=unwrap_user(actor) if actor is not None else None,
        data={"email": new_email},
    )
    return token


def mask_email(address: str) -> str:
    """``zhang.san@example.cn`` -> ``z***@example.cn`` (the domain stays readable)."""
    local, _at, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def _notify_old_address(user, old_email, new_email, actor):
    """Tell the previous address that an administrator changed it (a masked new address)."""
    actor_name = actor.get_username() if actor is not None else "—"
    send_mail(
        _("您的账号邮箱已变更"),
        _(
            "管理员 %(actor)s 于 %(when)s 将您的账号 %(username)s 的邮箱由本地址改为 %(email)s。\n"
            "今后密码重置等邮件将发送到新地址。\n"
            "如非您本人要求，请立即联系区管理员或市管理员。"
        )
        % {
            "actor": actor_name,
            "when": date_format(timezone.localtime(), "DATETIME_FORMAT"),
            "username": user.get_username(),
            "email": mask_email(new_email) if new_email else _("（空）"),
        },
        None,
        [old_email],
    )


def admin_changes_email(
    user, new_email: str, actor=None, *, old_email: str | None = None, privileged: bool = False
) -> bool:
    """An administrator (``actor``) sets ``user``'s e-mail to ``new_email`` in an editor.

    Privileged accounts (``roles.is_privileged``, or ``privileged=True`` when the same edit
    grants a role): ``user.email`` is left at ``old_email`` and the owner is asked to confirm
    (``request_email_change``); returns False. Other accounts: ``user.email`` is set (the
    caller saves ``user``), the change is logged and the old address notified after commit;
    returns True. ``old_email`` defaults to the stored address."""
    if old_email is None:
        old_email = (
            type(user).objects.filter(pk=user.pk).values_list("email", flat=True).first() or ""
        )
    new_email = new_email or ""
    if new_email == old_email:
        user.email = old_email
        return True
    actor = unwrap_user(actor) if actor is not None else None
    if privileged or is_privileged(user):
        user.email = old_email
        request_email_change(user, new_email, actor=actor)
        return False
    user.email = new_email
    log(
        instance=user,
        action="lms.email_change_admin",
        user=actor,
        data={"old": old_email, "new": new_email},
    )
    if old_email:
        transaction.on_commit(lambda: _notify_old_address(user, old_email, new_email, actor))
    return True


def tell_if_email_change_pending(request, form) -> None:
    """After an editor saved: say so when its e-mail change waits for the owner's confirmation
    (``form.email_change_pending``)."""
    if getattr(form, "email_change_pending", False):
        messages.info(
            request, _("邮箱变更须本人确认：确认链接已发送到原邮箱，确认前仍使用原邮箱。")
        )


@login_required
def confirm_email_change(request, token):
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature as exc:
        raise Http404 from exc
    if data.get("user") != request.user.pk:
        raise Http404  # only the person themselves
    user = get_user_model().objects.get(pk=request.user.pk)
    user.email = data["email"]
    user.save(update_fields=["email"])
    log(instance=user, action="lms.email_change", user=user, data={"email": user.email})
    messages.success(request, _("邮箱已更新。"))
    return redirect("home")
