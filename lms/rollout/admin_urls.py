"""Admin URLs, mounted under /admin/rollout/ by wagtail_hooks (namespace rollout_admin)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.CityDashboardView.as_view(), name="dashboard"),
    path(
        "district/<int:district_id>/",
        views.DistrictDashboardView.as_view(),
        name="district_dashboard",
    ),
    path("remind-overdue/", views.RemindOverdueView.as_view(), name="remind_overdue"),
    path("roster/", views.RosterReportView.as_view(), name="roster"),
    path(
        "roster/results/", views.RosterReportView.as_view(results_only=True), name="roster_results"
    ),
    path("roster/export-xlsx/", views.ExportXLSXView.as_view(), name="export_xlsx"),
    path("exports/", views.ExportListView.as_view(), name="exports"),
    *views.staff_import_wizard.urlpatterns(),
    path("waves/<int:pk>/enrol/", views.EnrolWaveView.as_view(), name="enrol_wave"),
    path("waves/preview/", views.WavePreviewView.as_view(), name="wave_preview"),
    path("sessions/<int:pk>/attendance/", views.AttendanceView.as_view(), name="attendance"),
    path(
        "sessions/<int:pk>/sign-in-sheet.pdf",
        views.SignInSheetView.as_view(),
        name="sign_in_sheet",
    ),
    path("sessions/<int:pk>/checkin/", views.CheckinScreenView.as_view(), name="checkin_screen"),
]
