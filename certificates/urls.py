from django.urls import path

from . import views

app_name = "certificates"
urlpatterns = [
    path("", views.index, name="index"),
    path("lookup/", views.lookup, name="lookup"),
    path("<int:pk>/pdf/", views.pdf, name="pdf"),
    path("<int:pk>/badge.json", views.badge, name="badge"),
]
