"""Two-factor enrolment (QR code) and verification pages for administrators and trainers."""

import base64

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_ratelimit.core import is_ratelimited
from wagtail.log_actions import log

from lms.organisation import otp_enrolment
from lms.organisation.security import client_ip, unwrap_user


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("动态验证码"),
        min_length=6,
        max_length=8,
        help_text=_("打开身份验证器应用，输入当前显示的 6 位数字。"),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_token(self):
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError(_("验证码只包含数字。"))
        return token


def _next_url(request):
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("wagtailadmin_home")


def _qr_svg(url):
    # segno draws the code as SVG paths only: the URL (with the secret) is not echoed as text.
    return mark_safe(segno.make(url, error="m").svg_inline(scale=5, border=2))  # noqa: S308


@never_cache
@login_required
def otp_enrol(request, token):
    """An enrolment link (``lms.organisation.otp_enrolment``): opened while signed in as the
    account it names, it allows this session to enrol that account's first TOTP device."""
    user = request.user
    if user_has_device(user, confirmed=True):
        return redirect(f"{reverse('otp_verify')}?{urlencode({'next': _next_url(request)})}")
    if not otp_enrolment.token_is_valid(token, user):
        return render(request, "registration/otp_enrol_invalid.html", status=400)
    request.session[otp_enrolment.SESSION_KEY] = token
    return redirect(f"{reverse('otp_setup')}?{urlencode({'next': _next_url(request)})}")


def _enrolment_needed(request, user):
    """The setup page of a session without an enrolment link: how to get one. The person may
    have a link mailed to the account's own address (at most 3 an hour)."""
    real_user = unwrap_user(user)
    if request.method == "POST" and request.POST.get("send_link") and real_user.email:
        limited = is_ratelimited(
            request, group="lms.otp_enrol_mail", key="user", rate="3/h", increment=True
        )
        if limited:
            messages.error(request, _("发送过于频繁，请稍后再试。"))
        else:
            otp_enrolment.issue_enrolment_link(
                real_user, email=True, hours=otp_enrolment.email_link_hours()
            )
            messages.success(
                request,
                _("启用链接已发送到 %(email)s，请查收邮件。")
                % {"email": otp_enrolment.masked_email(real_user.email)},
            )
        return redirect(f"{reverse('otp_setup')}?{urlencode({'next': _next_url(request)})}")
    context = {
        "masked_email": otp_enrolment.masked_email(real_user.email) if real_user.email else "",
        "next": _next_url(request),
    }
    return render(request, "registration/otp_enrol_needed.html", context)


@never_cache
@sensitive_post_parameters("token")
@login_required
def otp_setup(request):
    """Enrol a TOTP device. Only while the user has no confirmed device, and only in a session
    that opened an enrolment link for this account (the password alone is not enough)."""
    user = request.user
    if user_has_device(user, confirmed=True):
        return redirect(f"{reverse('otp_verify')}?{urlencode({'next': _next_url(request)})}")
    grant = request.session.get(otp_enrolment.SESSION_KEY, "")
    if not otp_enrolment.token_is_valid(grant, user):
        request.session.pop(otp_enrolment.SESSION_KEY, None)
        return _enrolment_needed(request, user)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=str(_("身份验证器")), confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            otp_login(request, device)
            request.session.pop(otp_enrolment.SESSION_KEY, None)
            real_user = unwrap_user(user)
            log(  # also spends the link (otp_enrolment.SPENDING_ACTIONS)
                instance=real_user,
                action="lms.otp_enrol",
                user=real_user,
                data={"ip": client_ip(request), "via": "link"},  # the client, behind the proxies
            )
            messages.success(request, _("双重验证已启用。以后登录管理后台时需要输入动态验证码。"))
            return redirect(_next_url(request))
        form.add_error("token", _("验证码不正确或已过期，请重新输入。"))
    context = {
        "form": form,
        "qr_svg": _qr_svg(device.config_url),
        "secret": base64.b32encode(device.bin_key).decode("ascii"),
        "next": _next_url(request),
    }
    return render(request, "registration/otp_setup.html", context)


@never_cache
@sensitive_post_parameters("token")
@login_required
def otp_verify(request):
    """Ask for the current TOTP code and mark the session as verified."""
    user = request.user
    if not user_has_device(user, confirmed=True):
        return redirect(f"{reverse('otp_setup')}?{urlencode({'next': _next_url(request)})}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in devices_for_user(user, confirmed=True):
            if device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                return redirect(_next_url(request))
        form.add_error("token", _("验证码不正确或已过期，请重新输入。多次输错后需等待片刻再试。"))
    return render(
        request, "registration/otp_verify.html", {"form": form, "next": _next_url(request)}
    )
