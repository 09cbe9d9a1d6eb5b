"""The application's URLs plus a trivial login-required view (benchmark reference only)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from lms.urls import urlpatterns as lms_urlpatterns


@login_required
def trivial(request):
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial, name="bench_trivial"), *lms_urlpatterns]
