from django.urls import path

from . import views

app_name = "rollout"
urlpatterns = [
    path("exports/<int:pk>/download/", views.ExportDownloadView.as_view(), name="export_download"),
    path("sessions/<int:pk>/book/", views.BookSessionView.as_view(), name="book_session"),
    path("checkin/<int:pk>/<str:token>/", views.CheckinView.as_view(), name="checkin"),
]
