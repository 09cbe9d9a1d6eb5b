import django_filters
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem

from lms.organisation.admin_views import DistrictScopedViewSet
from lms.organisation.roles import is_admin

from . import admin_views
from .issuing import ACTION_ISSUE, ACTION_REINSTATE, ACTION_REISSUE, ACTION_REVOKE
from .models import Certificate


class CertificateFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=Certificate.STATUS_CHOICES, method="filter_status"
    )

    class Meta:
        model = Certificate
        fields = ["course", "holder_district"]

    def filter_status(self, queryset, name, value):
        return queryset.with_status(value)


class CertificateViewSet(DistrictScopedViewSet):
    model = Certificate
    district_field = "holder_district"
    icon = "doc-full"
    menu_label = _("证书")
    menu_order = 400
    add_to_admin_menu = True
    list_display = [
        "serial",
        "holder_name",
        "holder_employee_no",
        "holder_district",
        "course",
        "issued_at",
        "expires_at",
        "get_status_display",
    ]
    filterset_class = CertificateFilterSet
    search_fields = ["serial", "holder_name", "holder_employee_no"]
    list_export = [
        "serial",
        "holder_name",
        "holder_employee_no",
        "holder_district_code",
        "course",
        "issued_at",
        "expires_at",
        "get_status_display",
    ]
    export_filename = "certificates"
    list_per_page = 50
    inspect_view_enabled = True
    inspect_view_fields = [
        "serial",
        "holder_name",
        "holder_employee_no",
        "holder_district",
        "course",
        "issued_at",
        "expires_at",
        "revoked_at",
        "revoked_reason",
        "revoked_by",
        "superseded_by",
        "pdf_sha256",
    ]
    # Certificates are issued by the platform, never created or edited by hand.
    form_fields = ["revoked_reason"]

    def get_queryset(self, request):
        return Certificate.objects.select_related("course", "holder_district")

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("revoke/<int:pk>/", admin_views.revoke_view, name="revoke"),
            path("reissue/<int:pk>/", admin_views.reissue_view, name="reissue"),
            path("reinstate/<int:pk>/", admin_views.reinstate_view, name="reinstate"),
        ]


certificate_viewset = CertificateViewSet("certificates_certificate", url_prefix="certificates")


@hooks.register("register_admin_viewset")
def register_certificate_viewset():
    return certificate_viewset


@hooks.register("register_admin_urls")
def register_batch_urls():
    return [
        path("certificate-batches/", admin_views.batch_index, name="certificates_batches"),
        path(
            "certificate-batches/<int:pk>/download/",
            admin_views.batch_download,
            name="certificates_batch_download",
        ),
    ]


class AdminOnlyMenuItem(MenuItem):
    def is_shown(self, request):
        return is_admin(request.user)


@hooks.register("register_admin_menu_item")
def register_batch_menu_item():
    return AdminOnlyMenuItem(
        _("证书批量下载"), reverse("certificates_batches"), icon_name="download", order=410
    )


@hooks.register("register_log_actions")
def register_certificate_actions(actions):
    actions.register_action(ACTION_ISSUE, _("颁发证书"), _("颁发证书"))
    actions.register_action(ACTION_REISSUE, _("重新颁发证书"), _("重新颁发证书"))
    actions.register_action(ACTION_REVOKE, _("撤销证书"), _("撤销证书"))
    actions.register_action(ACTION_REINSTATE, _("恢复被撤销的证书"), _("恢复被撤销的证书"))
