from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.module_loading import import_string


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
