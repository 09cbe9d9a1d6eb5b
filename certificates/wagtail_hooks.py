import django_filters
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic import history
from wagtail.admin.views.generic.models import IndexView, InspectView
from wagtail.admin.widgets.button import Button, HeaderButton
from wagtail.log_actions import LogFormatter

from lms.organisation.admin_views import DistrictScopedViewSet
from lms.organisation.roles import administered_districts, is_admin

from . import admin_views
from .issuing import ACTION_ISSUE, ACTION_REINSTATE, ACTION_REISSUE, ACTION_REVOKE
from .models import Certificate


def _administered_districts(request):
    """The district choices: the user's own (none without a request)."""
    return administered_districts(getattr(request, "user", None))


class CertificateFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=Certificate.STATUS_CHOICES, method="filter_status"
    )
    # A district administrator is offered their own district only (the roster's scope).
    holder_district = django_filters.ModelChoiceFilter(
        label=_("所属区"), queryset=_administered_districts
    )

    class Meta:
        model = Certificate
        fields = ["course", "holder_district"]

    def filter_status(self, queryset, name, value):
        return queryset.with_status(value)


EMPTY = "—"
URL_NAMESPACE = "certificates_certificate"


def lifecycle_actions(certificate, user):
    """The lifecycle actions (revoke, reinstate, reissue views of this viewset) that apply to
    ``certificate``'s status for ``user``: (url name, label, icon) triples. The views require
    ``certificates.change_certificate`` and the district scope; callers only offer objects the
    user already sees through the scoped views."""
    if not user.has_perm("certificates.change_certificate"):
        return []
    status = certificate.status  # the model owns the status rule
    if status == Certificate.VALID:
        return [
            ("revoke", _("撤销"), "warning"),
            ("reissue", _("重新签发"), "repeat"),
        ]
    if status == Certificate.REVOKED:
        return [("reinstate", _("恢复（撤销有误）"), "undo")]
    return []


def _action_url(name, certificate):
    return reverse(f"{URL_NAMESPACE}:{name}", args=[certificate.pk])


class CertificateIndexView(IndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        for priority, (name, label, icon) in enumerate(
            lifecycle_actions(instance, self.request.user), start=40
        ):
            buttons.append(
                Button(label, url=_action_url(name, instance), icon_name=icon, priority=priority)
            )
        return buttons


class CertificateInspectView(InspectView):
    """Read-only: local times, "—" for empty fields and the certificate's status; the lifecycle
    actions that apply are header buttons."""

    @property
    def header_buttons(self):
        return [
            HeaderButton(label, url=_action_url(name, self.object), icon_name=icon)
            for name, label, icon in lifecycle_actions(self.object, self.request.user)
        ]

    def get_field_label(self, field_name, field):
        if field_name == "status":
            return _("状态")
        return super().get_field_label(field_name, field)

    def get_status_display_value(self):
        return self.object.get_status_display()

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        if value is None or value == "":
            return EMPTY
        if hasattr(value, "tzinfo") and hasattr(value, "hour"):
            return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
        return value


class CertificateHistoryView(history.HistoryView):
    """No edit view: the header links to the inspect page instead."""

    @property
    def header_buttons(self):
        return [
            HeaderButton(
                _("查看"),
                url=reverse(f"{URL_NAMESPACE}:inspect", args=[self.object.pk]),
                icon_name="info-circle",
            )
        ]


class CertificateViewSet(DistrictScopedViewSet):
    model = Certificate
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
        "status",
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
    # Certificates are issued by the platform and never created, edited, copied or deleted by
    # hand: revoke, reinstate and reissue (certificates.issuing) are their only changes.
    form_fields = []
    copy_view_enabled = False
    index_view_class = CertificateIndexView
    inspect_view_class = CertificateInspectView
    history_view_class = CertificateHistoryView
    removed_views = ("add", "edit", "delete")
    list_select_related = ["course", "holder_district"]

    def scope(self, queryset, user):
        # The holder's current district, not the one printed at issue time.
        return queryset.administered_by(user)

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            **{"add_url_name": None, "edit_url_name": None, "delete_url_name": None, **kwargs}
        )

    @property
    def url_finder_class(self):
        # Links to a certificate from elsewhere in the admin (history, usage) open its
        # inspect page.
        return type(
            "CertificateURLFinder",
            (ModelAdminURLFinder,),
            {"edit_url_name": self.get_url_name("inspect")},
        )

    def get_urlpatterns(self):
        patterns = [p for p in super().get_urlpatterns() if p.name not in self.removed_views]
        return patterns + [
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


class ReasonLogFormatter(LogFormatter):
    """A lifecycle log entry whose message names the reason recorded in its data."""

    reason_message = ""

    def format_message(self, log_entry):
        reason = (log_entry.data or {}).get("reason")
        if not reason:
            return self.message
        return self.reason_message % {"reason": reason}


@hooks.register("register_log_actions")
def register_certificate_actions(actions):
    actions.register_action(ACTION_ISSUE, _("颁发证书"), _("颁发证书"))
    actions.register_action(ACTION_REISSUE, _("重新颁发证书"), _("重新颁发证书"))

    @actions.register_action(ACTION_REVOKE)
    class RevokeFormatter(ReasonLogFormatter):
        label = _("撤销证书")
        message = _("撤销证书")
        reason_message = _("撤销证书，原因：%(reason)s")

    @actions.register_action(ACTION_REINSTATE)
    class ReinstateFormatter(ReasonLogFormatter):
        label = _("恢复被撤销的证书")
        message = _("恢复被撤销的证书")
        reason_message = _("恢复被撤销的证书，原因：%(reason)s")
