"""The roster's filters as a Wagtail filter set (``RosterReportView.filterset_class``; the city
dashboard and the background export read the same one). A district administrator's choices are
their own district and the waves covering it; whatever is asked, ``roster_filter`` never leaves
the user's district scope (``lms.organisation.roles.admin_district_ids``)."""

import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet

from courses.models import CoursePage
from lms.organisation.roles import admin_district_ids, administered_districts

from .models import RolloutWave
from .roster import PEOPLE_CHOICES, STATUS_CHOICES, RosterFilter


def _districts(request):
    return administered_districts(request.user)


def _waves(request):
    return RolloutWave.objects.covering(admin_district_ids(request.user))


def _unchanged(queryset, name, value):
    """The roster is one query built from all the filters at once (``roster_queryset``): a
    filter on its own changes nothing; ``RosterFilterSet.roster_filter`` combines them."""
    return queryset


class RosterFilterSet(WagtailFilterSet):
    district = django_filters.ModelChoiceFilter(
        label=_("区"), empty_label=_("全部区"), queryset=_districts, method=_unchanged
    )
    wave = django_filters.ModelChoiceFilter(
        label=_("培训批次"), empty_label=_("全部批次"), queryset=_waves, method=_unchanged
    )
    course = django_filters.ModelChoiceFilter(
        label=_("课程"),
        empty_label=_("全部课程"),
        queryset=CoursePage.objects.order_by("code"),
        method=_unchanged,
    )
    status = django_filters.ChoiceFilter(
        label=_("状态"), empty_label=_("全部状态"), choices=STATUS_CHOICES, method=_unchanged
    )
    # The people a dashboard tile counts (its link): every row of each of them.
    people = django_filters.ChoiceFilter(
        label=_("人员"), empty_label=_("全部人员"), choices=PEOPLE_CHOICES, method=_unchanged
    )

    class Meta:
        model = get_user_model()
        fields = []

    def roster_filter(self) -> RosterFilter:
        """The RosterFilter, forced to the user's districts (invalid input → their scope)."""
        data = self.form.cleaned_data if self.is_valid() else {}
        district = data.get("district")
        allowed = admin_district_ids(self.request.user)
        ids = list(allowed) if allowed is not None else None
        if district is not None:
            ids = [district.pk]  # one of ``allowed`` (the choices are scoped)
        return RosterFilter(
            district_ids=ids,
            wave=data.get("wave"),
            course=data.get("course"),
            status=data.get("status") or "",
            people=data.get("people") or "",
        )
