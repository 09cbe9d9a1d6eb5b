"""District scoping for Wagtail admin viewsets: a district administrator sees only their district.

Every view of a scoped viewset (index, edit, delete, inspect, history, usage) builds its
queryset through ``scope_queryset``, so an object of another district is simply not found (404).
"""

from wagtail.admin.viewsets.model import ModelViewSet

from .roles import scope_to_districts


class DistrictScopedMixin:
    district_field = "district"

    def scope_queryset(self, queryset):
        return scope_to_districts(queryset, self.request.user, self.district_field)

    def get_base_queryset(self):
        return self.scope_queryset(super().get_base_queryset())

    def get_queryset(self):
        return self.scope_queryset(super().get_queryset())

    def get_object(self, queryset=None):
        if queryset is None:
            queryset = self.scope_queryset(self.model._default_manager.all())
        return super().get_object(queryset)


def scoped(view_class, district_field):
    return type(
        f"DistrictScoped{view_class.__name__}",
        (DistrictScopedMixin, view_class),
        {"district_field": district_field},
    )


class DistrictScopedViewSet(ModelViewSet):
    """A ModelViewSet whose views all filter by the user's administered districts."""

    district_field = "district"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for attr in (
            "index_view_class",
            "edit_view_class",
            "delete_view_class",
            "inspect_view_class",
            "history_view_class",
            "usage_view_class",
            "copy_view_class",
        ):
            view_class = getattr(self, attr, None)
            if view_class is not None:
                setattr(self, attr, scoped(view_class, self.district_field))
