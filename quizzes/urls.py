from django.urls import path

from . import views

app_name = "quizzes"
urlpatterns = [
    path("", views.history, name="history"),
    path("progress/", views.progress, name="progress"),
    path("<int:pk>/", views.quiz_detail, name="quiz"),
    path("<int:pk>/start/", views.start, name="start"),
    path("attempt/<int:pk>/", views.attempt_view, name="attempt"),
    path("attempt/<int:pk>/save/", views.autosave, name="autosave"),
    path("attempt/<int:pk>/summary/", views.summary, name="summary"),
    path("attempt/<int:pk>/flag/<int:position>/", views.flag, name="flag"),
    path("attempt/<int:pk>/submit/", views.submit, name="submit"),
    path("attempt/<int:pk>/check/<int:position>/", views.check, name="check"),
    path("attempt/<int:pk>/result/", views.result, name="result"),
]
