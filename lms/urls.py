from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls
from wagtail.documents.views.serve import serve as serve_document
from wagtail.urls import serve_pattern

from courses import snapshots
from courses import views as course_views
from lms.organisation import email_change, otp_views, views
from lms.organisation.forms import StaffPasswordResetForm
from lms.rollout import views as rollout_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("sw.js", course_views.service_worker, name="service_worker"),
    path("offline/", course_views.offline, name="offline"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/activate/", views.activate, name="activate"),
    path("accounts/2fa/setup/", otp_views.otp_setup, name="otp_setup"),
    path("accounts/2fa/verify/", otp_views.otp_verify, name="otp_verify"),
    path("accounts/2fa/enrol/<str:token>/", otp_views.otp_enrol, name="otp_enrol"),
    path(
        "accounts/email/confirm/<str:token>/",
        email_change.confirm_email_change,
        name="confirm_email_change",
    ),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=StaffPasswordResetForm),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    # Administrators land on their dashboard; everybody else gets Wagtail's home.
    path("admin/", rollout_views.admin_home),
    path("admin/", include(wagtailadmin_urls)),
    # Wagtail documents are training material for signed-in staff: the download needs a login
    # on top of Wagtail's own collection-privacy check (docs/SECURITY.md).
    path(
        "documents/<int:document_id>/<str:document_filename>",
        login_required(serve_document),
        name="wagtaildocs_serve",
    ),
    path("documents/", include(wagtaildocs_urls)),
    path("learn/", include("courses.urls")),
    path("quiz/", include("quizzes.urls")),
    path("certificates/", include("certificates.urls")),
    path("verify/", include("certificates.verify_urls")),
    path("rollout/", include("lms.rollout.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail serves the training pages; lesson snapshots (courses.snapshots) answer first.
urlpatterns += [
    re_path(r"^training/" + serve_pattern.removeprefix("^"), snapshots.serve, name="training_page"),
    path("training/", include(wagtail_urls)),
]
