from django.urls import path

from . import views

app_name = "courses"
urlpatterns = [
    path("courses/<int:course_id>/enrol/", views.enrol_view, name="enrol"),
    path("lessons/<int:lesson_id>/complete/", views.complete_lesson_view, name="complete_lesson"),
]
