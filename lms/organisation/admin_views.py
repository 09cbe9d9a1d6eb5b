"""District scoping for Wagtail admin viewsets: a district administrator sees only their district.

The index view filters its queryset; every view of a single object (edit, delete, inspect,
history, usage, copy) checks the object it found against the scoped queryset, so an object of
another district is simply not found (404).
"""

import datetime

from django.db.models import Q
from django.http import Http404
from django.utils import formats, timezone
from wagtail.admin.ui.tables import BooleanColumn
from wagtail.admin.views.generic.models import InspectView
from wagtail.admin.viewsets.model import ModelViewSet

from .roles import scope_to_districts
from .spreadsheets import SafeCsvExportMixin


class ScopedMixin:
    viewset_scope = None  # the viewset's bound ``scope(queryset, user)``

    def scope_queryset(self, queryset):
        return self.viewset_scope(queryset, self.request.user)


class ScopedIndexMixin(ScopedMixin):
    def get_base_queryset(self):
        return self.scope_queryset(super().get_base_queryset())


class ScopedObjectMixin(ScopedMixin):
    def get_object(self, *args, **kwargs):
        # Wagtail's views look objects up in different ways (some ignore ``queryset``), so
        # check the object they found against the scoped queryset.
        obj = super().get_object(*args, **kwargs)
        if not self.scope_queryset(self.model._default_manager.filter(pk=obj.pk)).exists():
            raise Http404
        return obj


def scoped(view_class, mixin, scope):
    return type(
        f"DistrictScoped{view_class.__name__}", (mixin, view_class), {"viewset_scope": scope}
    )


class TermSearchMixin:
    """ORM search of an admin listing: every whitespace-separated term of the query must occur
    (as a substring, ``icontains``) in one of ``search_fields``. Wagtail's own ORM search looks
    for the whole query as one substring, so "续展 有效期" found nothing. Chinese words are
    found inside names and text on SQLite and PostgreSQL alike (pg_trgm indexes there,
    ``lms.organisation.search.trigram_indexes``)."""

    def search_queryset(self, queryset):
        if not self.is_searching or self.search_backend_name:
            return super().search_queryset(queryset)
        condition = Q()
        for term in self.search_query.split():
            condition &= Q(
                *[Q(**{f"{field}__icontains": term}) for field in self.search_fields or []],
                _connector=Q.OR,
            )
        return queryset.filter(condition)


class ListSelectRelatedMixin:
    """The listing (and its ``list_export``) loads ``list_select_related`` with its rows, as
    Django admin's option of that name does: one query for the page, not one per row and
    related column."""

    list_select_related = ()

    def get_base_queryset(self):
        queryset = super().get_base_queryset()
        if self.list_select_related:
            queryset = queryset.select_related(*self.list_select_related)
        return queryset


class SafeExportViewSet(ModelViewSet):
    """A ModelViewSet whose ``list_export`` CSV download neutralises formula-like cells, whose
    search matches every term of the query (``TermSearchMixin``) and whose listing loads
    ``list_select_related`` with its rows.

    Wagtail's ModelViewSet (unlike SnippetViewSet) has no ``get_queryset(request)`` hook: a
    viewset names the relations its columns read in ``list_select_related`` instead."""

    list_select_related = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        view_class = self.index_view_class
        self.index_view_class = type(
            f"SafeExport{view_class.__name__}",
            (ListSelectRelatedMixin, TermSearchMixin, SafeCsvExportMixin, view_class),
            {"list_select_related": tuple(self.list_select_related)},
        )


class DistrictScopedViewSet(SafeExportViewSet):
    """The one district-scope base class: a ModelViewSet whose views all filter by the user's
    administered districts (organisation, learning records, attempts, certificates, rollout).

    ``district_field`` names the path to the district; override ``scope`` for other rules and
    ``edit_scope`` when fewer objects may be changed (edit, delete, copy) than seen.
    """

    district_field = "district"
    object_views = (
        "edit_view_class",
        "delete_view_class",
        "inspect_view_class",
        "history_view_class",
        "usage_view_class",
        "copy_view_class",
    )
    change_views = ("edit_view_class", "delete_view_class", "copy_view_class")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.index_view_class = scoped(self.index_view_class, ScopedIndexMixin, self.scope)
        for attr in self.object_views:
            view_class = getattr(self, attr, None)
            if view_class is not None:
                scope = self.edit_scope if attr in self.change_views else self.scope
                setattr(self, attr, scoped(view_class, ScopedObjectMixin, scope))

    def scope(self, queryset, user):
        return scope_to_districts(queryset, user, self.district_field)

    def edit_scope(self, queryset, user):
        return self.scope(queryset, user)


class _YesNo:
    """A boolean that reads 是/否 (translated) where Wagtail prints its value as text."""

    def __init__(self, flag):
        self.flag = bool(flag)

    def __bool__(self):
        return self.flag

    def __str__(self):
        from django.utils.translation import gettext

        return gettext("是") if self.flag else gettext("否")


class YesNoColumn(BooleanColumn):
    """Wagtail's BooleanColumn (✓/✗ icon) whose accessible title is 是/否, not "True"."""

    def get_value(self, instance):
        value = super().get_value(instance)
        return None if value is None else _YesNo(value)


class LocalInspectView(InspectView):
    """Wagtail's inspect page with values as the listings show them: times in the local time
    zone (Asia/Shanghai) in the active language's format, not UTC; booleans as 是/否 (Yes/No),
    not a raw "True"; "—" for an empty value."""

    EMPTY = "—"

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        return local_display_value(value, self.EMPTY)


def local_display_value(value, empty="—"):
    """A model value for reading: local date and time, 是/否, "—" for nothing."""
    if value is None or value == "":
        return empty
    if isinstance(value, bool):
        return str(_YesNo(value))
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    return value
