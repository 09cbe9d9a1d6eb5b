from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.shortcuts import redirect
from django.urls import include, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.models import CreateView, DeleteView, EditView, IndexView
from wagtail.admin.widgets import ListingButton

from courses.completion import completed_q
from lms.formats.numbers import percent
from lms.organisation.admin_views import DistrictScopedViewSet, LocalInspectView
from lms.organisation.models import District, StaffProfile
from lms.organisation.roles import admin_district_ids, is_admin

from . import admin_urls
from .forms import RolloutWaveForm, TrainingSessionForm
from .models import RolloutWave, TrainingSession
from .services import (
    enrolment_preview,
    has_recorded_attendance,
    schedule_wave_enrolment,
    wave_has_recorded_attendance,
)
from .views import editable_sessions, visible_sessions, visible_waves


def perm(*perms):
    """A menu/button check: the user holds every one of ``perms``."""
    return lambda user: user.has_perms(perms)


class RoleMenuItem(MenuItem):
    def __init__(self, *args, check, **kwargs):
        super().__init__(*args, **kwargs)
        self.check = check

    def is_shown(self, request):
        return self.check(request.user)


# -- viewsets ----------------------------------------------------------------------------------


def _waves_for(user):
    """Waves hold no personal data: whoever may view waves without administering districts
    (trainers) sees them all; administrators their districts'."""
    if not user.has_perm("rollout.view_rolloutwave"):
        return RolloutWave.objects.none()
    if not is_admin(user):
        return RolloutWave.objects.all()
    return visible_waves(user)


class ScopedViewSet(DistrictScopedViewSet):
    """Rollout viewsets on the common district-scope base class; ``visible(user)`` and
    ``editable(user)`` (default: ``visible``) are the querysets of the rollout rules."""

    visible = None
    editable = None
    extra_buttons = ()

    def scope(self, queryset, user):
        return queryset.filter(pk__in=type(self).visible(user).values("pk"))

    def edit_scope(self, queryset, user):
        rule = type(self).editable or type(self).visible
        return queryset.filter(pk__in=rule(user).values("pk"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        buttons = self.extra_buttons
        index = self.index_view_class

        class IndexView(index):
            def get_list_more_buttons(self, instance):
                more = list(super().get_list_more_buttons(instance))
                for label, url_name, icon, check in buttons:
                    if check(self.request.user):
                        more.append(
                            ListingButton(
                                label,
                                url=reverse(url_name, args=[instance.pk]),
                                icon_name=icon,
                                priority=5,
                            )
                        )
                return more

        self.index_view_class = IndexView


def _wave_message(request, wave, newly_open=False):
    """After saving an open wave: say what enrolment has done or will do, in the wave's own
    tense (opening later, open since a date, past its due date), and which districts have
    nobody to enrol yet. A wave that was open already and still misses people (staff added
    since) enrols them now, in the background; ``newly_open``: saving it queued that already
    (``services._wave_saved``)."""
    if wave.status != RolloutWave.Status.OPEN:
        return
    preview = enrolment_preview(wave)
    today = timezone.localdate()
    values = {
        "date": date_format(wave.opens_on, "DATE_FORMAT"),
        "people": preview.pending_people,
        "enrolled": preview.enrolled_people,
        "courses": preview.courses,
    }
    if wave.opens_on > today:
        messages.info(
            request,
            _("批次将于 %(date)s 开放，届时自动为 %(people)s 人报名 %(courses)s 门课程。")
            % {**values, "people": preview.people},
        )
    elif wave.due_on < today:
        messages.info(
            request,
            _("批次已于 %(date)s 截止，不再自动为人员报名。")
            % {"date": date_format(wave.due_on, "DATE_FORMAT")},
        )
    elif not preview.pending_people:
        messages.info(
            request,
            ngettext(
                "批次自 %(date)s 起开放，%(enrolled)s 人已报名 %(courses)s 门课程。",
                "批次自 %(date)s 起开放，%(enrolled)s 人已报名 %(courses)s 门课程。",
                preview.enrolled_people,
            )
            % values,
        )
    else:
        if not newly_open:
            schedule_wave_enrolment(wave.pk)
        if preview.enrolled_people:
            text = ngettext(
                "批次自 %(date)s 起开放，%(enrolled)s 人已报名；正在后台为其余 %(people)s 人"
                "报名 %(courses)s 门课程。",
                "批次自 %(date)s 起开放，%(enrolled)s 人已报名；正在后台为其余 %(people)s 人"
                "报名 %(courses)s 门课程。",
                preview.pending_people,
            )
        else:
            text = ngettext(
                "批次自 %(date)s 起开放：正在后台为 %(people)s 人报名 %(courses)s 门课程。",
                "批次自 %(date)s 起开放：正在后台为 %(people)s 人报名 %(courses)s 门课程。",
                preview.pending_people,
            )
        messages.info(request, text % values)
    if preview.empty_districts:
        messages.warning(
            request,
            _("以下区尚无在岗人员，请先导入工作人员：%(districts)s")
            % {"districts": str(_("、")).join(d.display_name for d in preview.empty_districts)},
        )


class WaveSavedMessageMixin:
    def form_valid(self, form):
        # The status before this save (a new wave has none): saving a wave that was not open
        # queues its enrolment itself (services._wave_saved).
        was_open = form.initial.get("status") == RolloutWave.Status.OPEN
        response = super().form_valid(form)
        _wave_message(self.request, self.object, newly_open=not was_open)
        return response


class WaveCreateView(WaveSavedMessageMixin, CreateView):
    pass


class WaveEditView(WaveSavedMessageMixin, EditView):
    pass


class AttendanceProtectedDeleteView(DeleteView):
    """Deleting refused while attendance is recorded (``attendance_recorded``): completions
    and certificates may rest on it, and deleting it would leave them standing without it.
    The page says why instead of asking to confirm; a POST is refused with that message."""

    template_name = "rollout/admin/confirm_delete.html"
    refusal = ""

    def attendance_recorded(self) -> bool:
        raise NotImplementedError

    @cached_property
    def refused(self) -> bool:
        return self.attendance_recorded()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.refused:
            context["is_protected"] = True
            context["refusal"] = self.refusal
        return context

    def form_valid(self, form):
        if self.refused:
            messages.error(self.request, self.refusal)
            return redirect(self.get_success_url())
        return super().form_valid(form)


class SessionDeleteView(AttendanceProtectedDeleteView):
    refusal = _(
        "本场培训已有出勤记录，不能删除：已完成的学习和证书依据这些记录。"
        "如某人的出勤记错了，请在考勤表中取消勾选（将提示撤销哪些证书）。"
    )

    def attendance_recorded(self) -> bool:
        return has_recorded_attendance(self.object)


class WaveDeleteView(AttendanceProtectedDeleteView):
    refusal = _("本批次的现场培训已有出勤记录，不能删除批次：已完成的学习和证书依据这些记录。")

    def attendance_recorded(self) -> bool:
        return wave_has_recorded_attendance(self.object)


def _district_names(wave):
    return str(_("、")).join(d.display_name for d in wave.districts.all()) or "—"


def _completed_rate(wave):
    """People who completed every enrolment of the wave, of the people enrolled (as on the
    dashboards, which count people)."""
    if not wave.enrolled_people:
        return "—"
    done = wave.enrolled_people - wave.unfinished_people
    return f"{percent(done, wave.enrolled_people)}%"


class WaveIndexView(IndexView):
    """The wave list: districts, what the wave enrolled and its completion, in a constant
    number of queries."""

    def get_base_queryset(self):
        # A district administrator counts only their own district's people: a wave that spans
        # several districts must not show them the others' figures.
        mine = Q()
        district_ids = admin_district_ids(self.request.user)
        if district_ids is not None:
            mine = Q(enrolment_links__enrollment__user__staff_profile__district_id__in=district_ids)
        # People are window staff (the organisation's rule), counted once each, as on the
        # dashboards; enrolments (人次) are shown beside them.
        staff = Q(
            enrolment_links__enrollment__user__staff_profile__in=StaffProfile.objects.window_staff()
        )
        mine &= staff
        person = "enrolment_links__enrollment__user"
        done = completed_q("enrolment_links__enrollment__")
        return (
            super()
            .get_base_queryset()
            .prefetch_related(Prefetch("districts", District.objects.order_by("sort_order")))
            .annotate(
                enrolled_people=Count(person, filter=mine, distinct=True),
                unfinished_people=Count(person, filter=mine & ~done, distinct=True),
                enrolled_n=Count("enrolment_links", filter=mine),
            )
        )

    @cached_property
    def columns(self):
        columns = super().columns
        extra = [
            Column("districts", label=_("区"), accessor=_district_names),
            Column("enrolled_people", label=_("已报名人数"), sort_key="enrolled_people"),
            Column("enrolled_n", label=_("报名（人次）"), sort_key="enrolled_n"),
            Column("completed_rate", label=_("完成率（按人）"), accessor=_completed_rate),
        ]
        return [*columns[:2], *extra, *columns[2:]]


class RolloutWaveViewSet(ScopedViewSet):
    model = RolloutWave
    visible = staticmethod(_waves_for)
    icon = "calendar-alt"
    menu_label = _("培训批次")
    url_prefix = "rollout/waves"
    name = "rollout_waves"
    add_to_admin_menu = False
    list_display = ["name", "opens_on", "due_on", "status", "last_enrolled_at"]
    list_filter = ["status", "districts"]
    search_fields = ["name"]
    inspect_view_enabled = True
    inspect_view_class = LocalInspectView
    index_view_class = WaveIndexView
    add_view_class = WaveCreateView
    edit_view_class = WaveEditView
    delete_view_class = WaveDeleteView
    extra_buttons = [
        (
            _("立即报名"),
            "rollout_admin:enrol_wave",
            "user",
            lambda u: u.has_perm("rollout.enrol_rolloutwave") and is_admin(u),
        )
    ]

    def get_form_class(self, for_update=False):
        return RolloutWaveForm  # its Meta.fields are the form's fields


class TrainingSessionViewSet(ScopedViewSet):
    model = TrainingSession
    visible = staticmethod(visible_sessions)
    # Hole 9 (issue 15): a district administrator sees the city-wide sessions of waves that
    # cover their district but changes only their own district's sessions.
    editable = staticmethod(editable_sessions)
    icon = "group"
    menu_label = _("现场培训")
    url_prefix = "rollout/sessions"
    name = "rollout_sessions"
    add_to_admin_menu = False
    list_display = ["__str__", "course", "district", "trainer_name", "capacity"]
    list_filter = ["wave", "district"]
    # __str__ reads the course (or the wave), trainer_name the trainer's staff profile.
    list_select_related = ["wave", "course", "district", "trainer__staff_profile"]

    delete_view_class = SessionDeleteView

    def get_form_class(self, for_update=False):
        return TrainingSessionForm  # its Meta.fields are the form's fields

    extra_buttons = [
        (_("考勤"), "rollout_admin:attendance", "tasks", perm("rollout.view_attendance")),
        (_("签到表"), "rollout_admin:sign_in_sheet", "doc-full", perm("rollout.view_attendance")),
        (
            _("扫码签到屏幕"),
            "rollout_admin:checkin_screen",
            "mobile-alt",
            perm("rollout.change_attendance"),
        ),
    ]


wave_viewset = RolloutWaveViewSet()
session_viewset = TrainingSessionViewSet()


@hooks.register("register_admin_viewset")
def register_rollout_viewsets():
    return [wave_viewset, session_viewset]


@hooks.register("register_admin_urls")
def register_rollout_urls():
    return [path("rollout/", include((admin_urls.urlpatterns, "rollout_admin")))]


@hooks.register("register_admin_menu_item")
def register_rollout_menu():
    items = [
        RoleMenuItem(
            _("培训看板"),
            reverse("rollout_admin:dashboard"),
            icon_name="table",
            order=100,
            check=perm("rollout.view_dashboard"),
        ),
        RoleMenuItem(
            _("培训批次"),
            reverse("rollout_waves:index"),
            icon_name="calendar-alt",
            order=200,
            check=perm("rollout.view_rolloutwave"),
        ),
        RoleMenuItem(
            _("现场培训"),
            reverse("rollout_sessions:index"),
            icon_name="group",
            order=300,
            check=perm("rollout.view_trainingsession"),
        ),
        RoleMenuItem(
            _("培训花名册"),
            reverse("rollout_admin:roster"),
            icon_name="list-ul",
            order=400,
            check=perm("rollout.view_rosterexport"),
        ),
        RoleMenuItem(
            _("花名册导出"),
            reverse("rollout_admin:exports"),
            icon_name="download",
            order=500,
            check=perm("rollout.view_rosterexport"),
        ),
        RoleMenuItem(
            _("导入工作人员"),
            reverse("rollout_admin:import"),
            icon_name="upload",
            order=600,
            check=perm("rollout.import_staff"),
        ),
    ]

    class RolloutSubmenu(SubmenuMenuItem):
        def is_shown(self, request):
            return any(item.is_shown(request) for item in items)

    return RolloutSubmenu(_("滚动培训"), Menu(items=items), icon_name="date", order=250)


@hooks.register("register_log_actions")
def register_rollout_log_actions(actions):
    actions.register_action("rollout.import", _("导入工作人员"), _("导入了工作人员名单"))
    actions.register_action("rollout.export", _("导出花名册"), _("导出了培训花名册"))
    actions.register_action("rollout.enrol", _("批次报名"), _("为培训批次报名"))
    actions.register_action("rollout.remind", _("提醒逾期人员"), _("向逾期人员发送了提醒"))


# "Print activation slips" on the staff listing (lms.rollout.slip_actions).
from .slip_actions import PrintSlipsBulkAction  # noqa: E402

hooks.register("register_bulk_action", PrintSlipsBulkAction)
