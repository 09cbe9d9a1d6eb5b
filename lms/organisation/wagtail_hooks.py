import django_filters
from django.core.exceptions import PermissionDenied
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.viewsets.base import ViewSetGroup

from . import roles
from .admin_views import DistrictScopedViewSet, LocalInspectView, YesNoColumn
from .email_change import tell_if_email_change_pending
from .forms import StaffProfileForm
from .models import District, StaffProfile


class DistrictHistoryView(HistoryView):
    """A district's history (the audit entries on the district, such as "remind the overdue")
    is readable with ``lms.view_district``: district administrators read their own district's
    (the viewset's scope), not only those who may change districts."""

    any_permission_required = ["add", "change", "delete", "view"]


class DistrictViewSet(DistrictScopedViewSet):
    """The districts; a district administrator sees (and reads the history of) their own."""

    model = District
    district_field = "pk"
    history_view_class = DistrictHistoryView
    icon = "site"
    menu_label = _("区")
    list_display = ["name_zh", "name_en", "code", "admin_code"]
    search_fields = ["name_zh", "name_en", "code"]
    ordering = ["sort_order"]
    form_fields = ["name_zh", "name_en", "code", "admin_code", "sort_order"]
    add_to_admin_menu = False


class PersonObjectMixin:
    """Edit/delete a staff profile only where ``roles.can_edit_person`` allows (district
    administrators: people whose highest role is window staff)."""

    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        if not roles.can_edit_person(self.request.user, obj.user):
            raise PermissionDenied
        return obj


class PersonEditView(PersonObjectMixin, generic.EditView):
    def form_valid(self, form):
        response = super().form_valid(form)
        tell_if_email_change_pending(self.request, form)
        return response


class PersonDeleteView(PersonObjectMixin, generic.DeleteView):
    pass


class StaffIndexView(generic.IndexView):
    """The staff listing with Wagtail's bulk-action checkboxes for whoever may print
    activation slips (the action itself: lms.rollout.slip_actions)."""

    template_name = "lms/admin/staff_index.html"

    @cached_property
    def can_print_slips(self):
        return self.request.user.has_perm("lms.issue_activation_slip")

    @cached_property
    def columns(self):
        columns = super().columns
        if not self.can_print_slips:
            return columns
        return [BulkActionsCheckboxColumn("bulk_actions", obj_type="staffprofile"), *columns]

    def _get_title_column(self, *args, **kwargs):
        return super()._get_title_column(
            *args, **kwargs, get_title_id=lambda instance: f"staffprofile_{instance.pk}_title"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_print_slips"] = self.can_print_slips
        return context


def _administered_districts(request):
    """The district choices: the user's own (none without a request)."""
    return roles.administered_districts(getattr(request, "user", None))


class StaffFilterSet(WagtailFilterSet):
    """The staff list's filters: the district choices are the user's own (``administered_
    districts``, as on the roster); "window staff" is the organisation's rule
    (``StaffProfile.objects.window_staff``), what the dashboards' 在岗人数 counts."""

    district = django_filters.ModelChoiceFilter(label=_("所属区"), queryset=_administered_districts)
    window_staff = django_filters.BooleanFilter(
        label=_("窗口工作人员（计入在岗人数）"), method="filter_window_staff"
    )

    class Meta:
        model = StaffProfile
        fields = ["district", "is_active"]

    def filter_window_staff(self, queryset, name, value):
        if value is None:
            return queryset
        window_staff = StaffProfile.objects.window_staff().values("pk")
        if value:
            return queryset.filter(pk__in=window_staff)
        return queryset.exclude(pk__in=window_staff)


class StaffProfileViewSet(DistrictScopedViewSet):
    model = StaffProfile
    index_view_class = StaffIndexView
    edit_view_class = PersonEditView
    delete_view_class = PersonDeleteView
    icon = "user"
    menu_label = _("工作人员")
    list_display = [
        "full_name",
        "employee_no",
        "district",
        "service_centre",
        "job_title",
        YesNoColumn("is_active", label=_("在岗")),  # ✓/✗, not a raw "True"
        YesNoColumn("has_activated", label=_("已激活")),  # has a password: no slip needed
    ]
    filterset_class = StaffFilterSet
    search_fields = ["full_name", "employee_no", "service_centre", "user__username"]
    list_export = [
        "full_name",
        "employee_no",
        "district",
        "service_centre",
        "window",
        "job_title",
        "is_active",
    ]
    export_filename = "staff"
    ordering = ["district__sort_order", "employee_no"]
    list_per_page = 50
    list_select_related = ["district", "user"]
    inspect_view_enabled = True
    inspect_view_class = LocalInspectView
    inspect_view_fields = [
        "full_name",
        "employee_no",
        "district",
        "service_centre",
        "window",
        "job_title",
        "is_active",
        "joined_at",
    ]
    panels = [
        FieldPanel("full_name"),
        FieldPanel("employee_no"),
        FieldPanel("username"),
        FieldPanel("email"),
        FieldPanel("district"),
        FieldPanel("service_centre"),
        FieldPanel("window"),
        FieldPanel("job_title"),
        FieldPanel("phone"),
        FieldPanel("is_active"),
    ]

    def get_form_class(self, for_update=False):
        return StaffProfileForm


class OrganisationGroup(ViewSetGroup):
    menu_label = _("组织与人员")
    menu_icon = "group"
    menu_order = 200
    items = (StaffProfileViewSet, DistrictViewSet)


@hooks.register("register_admin_viewset")
def register_organisation_viewsets():
    return OrganisationGroup()


# --- Security: audit log actions and the Site history report (owned by lms/security.py) -----
from django.urls import reverse  # noqa: E402
from wagtail.admin.menu import MenuItem  # noqa: E402

from lms.organisation import security  # noqa: E402  (connects the role-change audit receiver)


@hooks.register("register_log_actions")
def register_security_log_actions(actions):
    actions.register_action("lms.role_change", _("角色变更"), _("角色已变更"))
    actions.register_action("lms.otp_enrol", _("启用双重验证"), _("已启用双重验证"))
    actions.register_action("lms.otp_reset", _("重置双重验证"), _("已重置双重验证"))
    actions.register_action(
        "lms.otp_enrol_link", _("发放双重验证启用链接"), _("已发放双重验证启用链接")
    )
    actions.register_action(
        "lms.email_change_requested", _("请求变更邮箱"), _("已请求变更邮箱（待本人确认）")
    )
    actions.register_action("lms.email_change", _("变更邮箱"), _("本人已确认邮箱变更"))
    actions.register_action(
        "lms.email_change_admin", _("管理员变更邮箱"), _("管理员已变更邮箱（已通知原邮箱）")
    )
    actions.register_action("lms.activation_slip", _("打印激活单"), _("已签发激活码（激活单）"))
    actions.register_action("lms.activate", _("激活账号"), _("本人已用激活码激活账号"))


@hooks.register("construct_reports_menu")
def restrict_site_history_report(request, menu_items):
    """Site history (the audit log) only for holders of wagtailcore.view_modellogentry."""
    menu_items[:] = [item for item in menu_items if item.name != "site-history"]
    if security.can_view_audit_log(request.user):
        menu_items.append(
            MenuItem(
                _("Site history"),
                reverse("wagtailadmin_reports:site_history"),
                name="site-history",
                icon_name="history",
                order=1000,
            )
        )


# Wagtail's user bulk actions limited to the accounts the editor may manage (user_admin);
# order=1 registers them after Wagtail's own, which they replace (same action types).
def _register_user_bulk_actions():
    from .user_admin import USER_BULK_ACTIONS

    for action_class in USER_BULK_ACTIONS:
        hooks.register("register_bulk_action", action_class, order=1)


_register_user_bulk_actions()
