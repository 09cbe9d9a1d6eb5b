"""E-mail changes of privileged accounts need that person's confirmation (issue 15, hole 8).

An administrator who changes the e-mail of an account holding any permission (trainer,
administrator) does not change it: the person receives a link at their current address, and
only they -- signed in as themselves -- can confirm it. Otherwise whoever may edit the profile
could point the address at their own mailbox and take the account over with a password reset.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.mail import send_mail
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail.log_actions import log

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
