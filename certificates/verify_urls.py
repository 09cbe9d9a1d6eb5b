from django.urls import path, re_path

from . import views

app_name = "verify"
urlpatterns = [
    re_path(r"^(?P<code>[^/]{1,64})\.json$", views.verify, {"fmt": "json"}, name="verify_json"),
    path("<str:code>/", views.verify, name="verify"),
]
