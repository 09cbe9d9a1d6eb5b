from django.urls import path, register_converter

from lms.organisation.converters import IdConverter

from . import views

register_converter(IdConverter, "id")

app_name = "courses"
urlpatterns = [
    path("courses/<id:course_id>/enrol/", views.enrol_view, name="enrol"),
    path("lessons/<id:lesson_id>/complete/", views.complete_lesson_view, name="complete_lesson"),
]
