from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters


class LoginView(auth_views.LoginView):
    """Login; with no ``next``, a user lands where ``settings.LOGIN_LANDING`` (a callable
    ``(user) -> url | None`` named by a higher app, e.g. the administrators' dashboards) says,
    else on the learner home."""

    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        dotted = getattr(settings, "LOGIN_LANDING", None)
        if dotted:
            url = import_string(dotted)(self.request.user)
            if url:
                return url
        return super().get_default_redirect_url()


@login_required
def home(request):
    """ "My training": each app contributes a section through ``HOME_SECTIONS``.

    The organisation app knows nothing of courses or certificates; the sections are
    plain callables ``(request) -> dict | None`` named in settings, rendered in order.
    """
    sections = []
    for dotted in getattr(settings, "HOME_SECTIONS", []):
        section = import_string(dotted)(request)
        if section:
            sections.append(section)
    return render(request, "lms/home.html", {"sections": sections})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


# -- account activation with a printed slip (lms.organisation.activation) ----------------------

ACTIVATION_RATE_IP = "30/h"  # a training room shares one address
ACTIVATION_RATE_USERNAME = "10/h"


def _activation_address_limited(request) -> bool:
    """django-ratelimit per client address; counts every POST."""
    from django_ratelimit.core import is_ratelimited

    return is_ratelimited(
        request,
        group="lms.activate.ip",
        key="ip",
        rate=getattr(settings, "ACTIVATION_RATE_LIMIT_IP", ACTIVATION_RATE_IP),
        method="POST",
        increment=True,
    )


def _activation_username_failures(request, username: str, count: bool) -> bool:
    """The per-(case-folded)-username limit on *failed* codes: whether it is spent, and with
    ``count=True`` record one more failure. Only failures count, so strangers from many
    addresses cannot spend the real person's allowance with requests they get right -- and a
    correct code passes even when strangers' failures have spent it."""
    from django_ratelimit.core import get_usage

    usage = get_usage(
        request,
        group="lms.activate.username",
        key=lambda group, request: username.strip().casefold()[:150],
        rate=getattr(settings, "ACTIVATION_RATE_LIMIT_USERNAME", ACTIVATION_RATE_USERNAME),
        method="POST",
        increment=count,
    )
    return bool(usage and usage["count"] >= usage["limit"])


def _activation_refused(request):
    response = render(request, "registration/activate_limited.html", status=429)
    response["Retry-After"] = "3600"
    return response


@never_cache
@sensitive_post_parameters("code", "new_password1", "new_password2")
@csrf_protect
def activate(request):
    """``/accounts/activate/``: username + activation code + new password → signed in."""
    from django.contrib.auth import login
    from django.shortcuts import redirect

    from .activation import use_code
    from .forms import ActivationForm

    if request.user.is_authenticated:
        return redirect("home")
    if request.method == "POST":
        if _activation_address_limited(request):
            return _activation_refused(request)
        username = request.POST.get("username", "")
        # Per username: only failed codes count; a correct, usable code (~49 bits) passes even
        # when the failures of strangers have spent the allowance.
        username_spent = _activation_username_failures(request, username, count=False)
        form = ActivationForm(request.POST)
        valid = form.is_valid()
        if form.code_failed:
            _activation_username_failures(request, username, count=True)
        if username_spent and not form.code_ok:
            return _activation_refused(request)
        if valid:
            if use_code(form.record, form.cleaned_data["new_password1"]):
                login(
                    request, form.record.user, backend="lms.organisation.auth.ProfileModelBackend"
                )
                return redirect("home")
            form.add_error(None, ActivationForm.error_messages["invalid"])
    else:
        form = ActivationForm(initial={"username": request.GET.get("u", "")[:150]})
    return render(request, "registration/activate.html", {"form": form})
