from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from .admin_views import DistrictScopedViewSet
from .forms import StaffProfileForm
from .models import District, StaffProfile


class DistrictViewSet(ModelViewSet):
    model = District
    icon = "site"
    menu_label = _("区")
    list_display = ["name_zh", "name_en", "code", "admin_code"]
    search_fields = ["name_zh", "name_en", "code"]
    ordering = ["sort_order"]
    form_fields = ["name_zh", "name_en", "code", "admin_code", "sort_order"]
    add_to_admin_menu = False


class StaffProfileViewSet(DistrictScopedViewSet):
    model = StaffProfile
    icon = "user"
    menu_label = _("工作人员")
    list_display = ["full_name", "employee_no", "district", "service_centre", "job_title", "is_active"]
    list_filter = ["district", "is_active"]
    search_fields = ["full_name", "employee_no", "service_centre", "user__username"]
    list_export = ["full_name", "employee_no", "district", "service_centre", "window", "job_title",
                   "is_active"]
    export_filename = "staff"
    ordering = ["district__sort_order", "employee_no"]
    list_per_page = 50
    inspect_view_enabled = True
    inspect_view_fields = ["full_name", "employee_no", "district", "service_centre", "window",
                           "job_title", "is_active", "joined_at"]
    panels = [
        FieldPanel("full_name"), FieldPanel("employee_no"), FieldPanel("username"),
        FieldPanel("email"), FieldPanel("district"), FieldPanel("service_centre"),
        FieldPanel("window"), FieldPanel("job_title"), FieldPanel("phone"),
        FieldPanel("is_active"),
    ]

    def get_form_class(self, for_update=False):
        return StaffProfileForm

    def get_queryset(self, request):
        return StaffProfile.objects.select_related("district", "user")


class OrganisationGroup(ViewSetGroup):
    menu_label = _("组织与人员")
    menu_icon = "group"
    menu_order = 200
    items = (StaffProfileViewSet, DistrictViewSet)


@hooks.register("register_admin_viewset")
def register_organisation_viewsets():
    return OrganisationGroup()
