from django.urls import path

from . import views

app_name = "rollout"
urlpatterns = [
    path("exports/<int:pk>/download/", views.ExportDownloadView.as_view(), name="export_download"),
]
