"""Rollout admin views (dashboards, roster, exports, import, wave enrolment, attendance) and the
export download view. Every view checks the user's districts (lms.organisation.roles): an
object of another district is a 404."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.auth import require_admin_access
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView
from wagtail.admin.widgets import Button
from wagtail.log_actions import log

from lms.jobs.wizard import ImportWizard
from lms.organisation.models import District
from lms.organisation.roles import (
    ADMIN_ACCESS,
    admin_district_ids,
    can_administer_district,
    is_admin,
    is_city_admin,
    is_district_admin,
    scope_to_districts,
)
from lms.organisation.spreadsheets import attachment_disposition

from . import checkin, dashboards, exports, importing, pdf, reminders, services
from .filters import RosterFilterSet
from .forms import StaffImportForm
from .models import Attendance, RolloutWave, RosterExport, TrainingSession
from .roster import ROW_FIELDS, RosterFilter, roster_queryset, roster_rows
from .services import enrol_wave, enrolment_preview, evaluate_attendance


def require_perm(user, *perms):
    """Every rollout view opens its door with Django permissions (granted by
    lms.organisation.roles); the district scope (``admin_district_ids``) then limits what it
    shows."""
    if not user.has_perms(perms):
        raise PermissionDenied


def visible_waves(user):
    return RolloutWave.objects.covering(admin_district_ids(user))


def visible_sessions(user):
    """City admin: all; district admin: sessions of their district (or of waves covering it
    when the session has no district); trainer: the sessions they train."""
    from django.db.models import Q

    qs = TrainingSession.objects.select_related(
        "wave", "district", "course", "trainer__staff_profile"
    )
    if is_city_admin(user):
        return qs
    q = Q(pk__in=[])
    ids = admin_district_ids(user) if is_district_admin(user) else []
    if not user.has_perm("rollout.view_trainingsession"):
        return qs.none()
    if ids:
        q |= Q(district__in=ids) | Q(district__isnull=True, wave__districts__in=ids)
    if user.is_authenticated:
        q |= Q(trainer=user)
    return qs.filter(q).distinct()


def editable_sessions(user):
    """Sessions ``user`` may change: city level all; a district administrator only those of
    their own district (never a city-wide session, which has no district)."""
    if not user.has_perm("rollout.change_trainingsession"):
        return TrainingSession.objects.none()
    return scope_to_districts(TrainingSession.objects.all(), user)


class AdminTemplateView(WagtailAdminTemplateMixin, TemplateView):
    header_icon = "table"

    def get_breadcrumbs_items(self):
        # Wagtail's mixin stops at "Home", so the visible header of every page read "首页";
        # the last crumb is the page's own title (the slim header shows it).
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]


# -- dashboards --------------------------------------------------------------------------------


def landing_url(user) -> str | None:
    """The one rule of where a user lands after login (``settings.LOGIN_LANDING``; ``/admin/``
    follows it too): the city dashboard for a city administrator, their district's for a
    district administrator, Wagtail's home for everyone else who may use the admin (trainers;
    reviewers, whose home lists what awaits their review); None (the learner home) for window
    staff."""
    if not user.is_authenticated:
        return None
    if is_city_admin(user):
        return reverse("rollout_admin:dashboard")
    if is_district_admin(user):
        ids = admin_district_ids(user)
        if ids:
            return reverse("rollout_admin:district_dashboard", args=[ids[0]])
    if user.has_perm(ADMIN_ACCESS):
        return reverse("wagtailadmin_home")
    return None


@require_admin_access
def admin_home(request, *args, **kwargs):
    """/admin/: administrators go to their dashboard; everybody else gets Wagtail's home.

    Wrapped in Wagtail's ``require_admin_access`` like every view of ``wagtailadmin_urls``:
    this pattern shadows Wagtail's own home, so without it anybody (a learner, even an
    anonymous visitor) would get the admin home page."""
    url = landing_url(request.user)
    if url and url != request.path:
        return redirect(url)
    from wagtail.admin.views.home import HomeView

    return HomeView.as_view()(request, *args, **kwargs)


class DashboardMixin:
    """The people-based numbers, the sortable by-district table, the charts and the links of
    the tiles, for a roster filter."""

    def dashboard_context(self, filt, district=None):
        shown = dashboards.overview(filt, now=timezone.now())
        numbers, table = shown["numbers"], shown["table"]
        key = self.request.GET.get("sort", "")
        descending = key.startswith("-")
        key = key.lstrip("-")
        table["rows"] = dashboards.sort_rows(table["rows"], key, descending)
        return {
            "numbers": numbers,
            "table": table,
            "sort_columns": self.sort_columns(key, descending),
            "auth_chart": dashboards.authorised_chart(table["rows"]),
            "chart": dashboards.cumulative_chart(numbers["weekly"]),
            "links": self.tile_links(district),
            "remind_url": (
                reverse("rollout_admin:remind_overdue")
                if self.request.user.has_perm("rollout.send_reminders")
                else ""
            ),
        }

    def tile_links(self, district=None) -> dict:
        """Each tile's list, counting what the tile counts: people. The staff tile opens the
        staff list filtered to window staff (``StaffProfile.objects.window_staff``, what
        在岗人数 counts); the others the roster filtered to the people the tile counts
        (``RosterFilter.people``, the dashboards' per-person rules), which says how many people
        it lists. The dashboard's own filters (district, wave, course) go along."""
        from urllib.parse import urlencode

        scope = {}
        if district is not None:
            scope["district"] = district.pk
        else:
            for name in ("district", "wave", "course"):
                if self.request.GET.get(name, "").isdigit():
                    scope[name] = self.request.GET[name]
        roster = reverse("rollout_admin:roster")

        def people(which):
            return f"{roster}?{urlencode({**scope, 'people': which})}"

        if "wave" in scope or "course" in scope:
            # A wave's staff are those of its districts: the roster lists them all, once each
            # person (the staff list filters one district at a time).
            staff = f"{roster}?{urlencode(scope)}"
        else:
            query = {"district": scope["district"]} if "district" in scope else {}
            query["window_staff"] = "true"
            staff = f"{reverse('staffprofile:index')}?{urlencode(query)}"
        return {
            "staff": staff,
            "enrolled": people("enrolled"),
            "completed": people("completed"),
            "certified": people("certified"),
            "authorised": people("authorised"),
            "overdue": people("overdue"),
            "attended": f"{roster}?{urlencode(scope)}",
        }

    def sort_columns(self, key, descending):
        labels = dashboards.DISTRICT_COLUMNS
        query = self.request.GET.copy()
        columns = []
        for name, label in labels:
            active = name == key or (not key and name == "name")
            # First click sorts numbers high to low; a second click reverses.
            first = name if name == "name" else f"-{name}"
            query["sort"] = (name if descending else f"-{name}") if active else first
            columns.append(
                {
                    "label": label,
                    "active": active,
                    "descending": descending and active,
                    "query": query.urlencode(),
                }
            )
        return columns


class CityDashboardView(DashboardMixin, AdminTemplateView):
    template_name = "rollout/admin/city_dashboard.html"
    page_title = gettext_lazy("全市培训看板")

    def dispatch(self, request, *args, **kwargs):
        require_perm(request.user, "rollout.view_dashboard")
        if not is_city_admin(request.user):
            ids = admin_district_ids(request.user)
            if not ids:
                raise PermissionDenied
            return redirect("rollout_admin:district_dashboard", ids[0])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filters = RosterFilterSet(data=self.request.GET, request=self.request)
        filt = filters.roster_filter()
        context.update(form=filters.form, **self.dashboard_context(filt))
        return context


class DistrictDashboardView(DashboardMixin, AdminTemplateView):
    template_name = "rollout/admin/district_dashboard.html"

    def dispatch(self, request, district_id, *args, **kwargs):
        require_perm(request.user, "rollout.view_dashboard")
        self.district = get_object_or_404(District, pk=district_id)
        if not can_administer_district(request.user, self.district.pk):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("%(district)s培训看板") % {"district": self.district.display_name}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filt = RosterFilter(district_ids=[self.district.pk])
        extra = self.dashboard_context(filt, district=self.district)
        matrix = dashboards.district_matrix(RosterFilter(district_ids=[self.district.pk]))
        context.update(
            district=self.district,
            wave_bars=dashboards.bars(extra["numbers"]["by_wave"]),
            matrix=matrix,
            overdue_url=extra["links"]["overdue"],
            **extra,
        )
        return context


class RemindOverdueView(AdminTemplateView):
    """ "Remind the overdue" on a dashboard: e-mails every overdue person in the
    administrator's scope now (at most once a day each), says how many, and logs it. The page
    it returns to (GET) names the overdue people without e-mail -- they get no reminder -- with
    a link to print their activation slips."""

    template_name = "rollout/admin/remind_overdue.html"
    page_title = gettext_lazy("提醒逾期人员")

    def district_ids(self, request, value):
        # Its own permission: reading a dashboard is not enough to e-mail a district's staff.
        require_perm(request.user, "rollout.view_dashboard", "rollout.send_reminders")
        allowed = admin_district_ids(request.user)
        if allowed == []:
            raise PermissionDenied
        if value.isdigit():
            if allowed is not None and int(value) not in allowed:
                raise Http404
            return [int(value)]
        return allowed

    def get(self, request, *args, **kwargs):
        self.ids = self.district_ids(request, request.GET.get("district", ""))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        from lms.organisation.roles import phone_for

        from .slip_actions import PERMISSION, slips_url

        context = super().get_context_data(**kwargs)
        plan = reminders.overdue_reminder_plan(self.ids)
        without = [profile for profile, _enrollments in plan["without_email"]]
        for profile in without:  # district administrators may call their own staff
            profile.shown_phone = phone_for(profile, self.request.user)
        context.update(
            to_send=[profile for profile, _enrollments in plan["to_send"]],
            reminded_today=[profile for profile, _enrollments in plan["reminded_today"]],
            without_email=without,
            district_ids=self.ids,
            district_id=self.ids[0] if self.ids is not None and len(self.ids) == 1 else None,
        )
        if without and self.request.user.has_perm(PERMISSION):
            context["slips_url"] = slips_url([p.pk for p in without], self.request.get_full_path())
        if context["district_id"] is not None:
            context["back_url"] = reverse(
                "rollout_admin:district_dashboard", args=[context["district_id"]]
            )
        else:
            context["back_url"] = reverse("rollout_admin:dashboard")
        return context

    def post(self, request):
        district_id = request.POST.get("district", "")
        ids = self.district_ids(request, district_id)
        plan = reminders.overdue_reminder_plan(ids)
        overdue = plan["to_send"] + plan["without_email"] + plan["reminded_today"]
        sent = reminders.send_overdue_reminders(district_ids=ids)
        # The audit entry sits on each district reminded (what the district's history shows).
        per_district = {}
        for profile, _enrollments in overdue:
            per_district.setdefault(profile.district, []).append(profile.employee_no)
        for district, people in per_district.items():
            log(
                instance=district,
                action="rollout.remind",
                user=request.user,
                data={"overdue_people": len(people), "sent_total": sent, "scope": ids},
            )
        parts = [_("已向 %(sent)s 名逾期人员发送提醒。") % {"sent": sent}]
        if plan["without_email"]:
            n = len(plan["without_email"])
            parts.append(
                ngettext("%(n)s 人无邮箱，未发送。", "%(n)s 人无邮箱，未发送。", n) % {"n": n}
            )
        if plan["reminded_today"]:
            n = len(plan["reminded_today"])
            parts.append(
                ngettext(
                    "%(n)s 人今天已提醒过，未重复发送。", "%(n)s 人今天已提醒过，未重复发送。", n
                )
                % {"n": n}
            )
        messages.success(request, " ".join(parts))
        url = reverse("rollout_admin:remind_overdue")
        if ids is not None and len(ids) == 1:
            url += f"?district={ids[0]}"
        return redirect(url)


# -- roster report and exports -----------------------------------------------------------------


class RosterPaginator(WagtailPaginator):
    """The roster counts rows (a person once per course), not users: "24 条记录"."""

    @cached_property
    def items_count_label(self):
        return ngettext("%(n)s 条记录", "%(n)s 条记录", self.count) % {"n": self.count}


class RosterReportView(exports.RosterSpreadsheetMixin, ReportView):
    """The roster as a Wagtail report: ``filterset_class`` (district, wave, course, status;
    district-scoped) and ``list_export`` through ``RosterSpreadsheetMixin`` (``?export=csv``
    streams CSV with BOM; ``?export=xlsx`` the typed workbook with its title block;
    ``?export=pdf`` the printable sign-off roster). An XLSX or PDF of more than
    ``ROSTER_SYNC_EXPORT_ROWS`` rows is built in the background instead (``RosterExport``,
    listed under "花名册导出")."""

    page_title = gettext_lazy("培训花名册")
    header_icon = "table"
    index_url_name = "rollout_admin:roster"
    index_results_url_name = "rollout_admin:roster_results"
    results_template_name = "rollout/admin/roster_results.html"
    filterset_class = RosterFilterSet
    paginate_by = 100
    paginator_class = RosterPaginator

    def dispatch(self, request, *args, **kwargs):
        require_perm(request.user, "rollout.view_rosterexport")
        if not is_admin(request.user):
            raise PermissionDenied
        if self.is_export:
            require_perm(request.user, "rollout.add_rosterexport")
        self.export_now = timezone.now()
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        # The filters shape the query itself (which enrolments join, see roster_queryset), so
        # they are applied here, once, rather than by filtering a base queryset.
        self.roster_filter = self.filters.roster_filter().resolve()
        self.roster_qs = roster_queryset(self.roster_filter, self.export_now)
        return self.roster_qs.values_list(*ROW_FIELDS)

    def get_filtered_queryset(self):
        return self.get_queryset()

    def decorate_paginated_queryset(self, object_list):
        if self.is_export:
            return object_list  # streamed by the export hooks
        format_row = exports.RowFormatter(typed=True)
        return [format_row(row) for row in roster_rows(object_list, now=self.export_now)]

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context["headers"] = exports.headers()
        # The roster has a row per person and course; the dashboards' tiles count people: say
        # both, so a tile's list shows the tile's figure (one query).
        context["people_count"] = self.roster_qs.order_by().values("pk").distinct().count()
        return context

    @cached_property
    def header_more_buttons(self):
        buttons = super().header_more_buttons.copy()
        buttons.append(
            Button(
                _("打印版 PDF（签字）"),
                url=self.get_export_url(self.FORMAT_PDF),
                icon_name="doc-full",
                priority=110,
            )
        )
        return buttons

    def as_spreadsheet(self, queryset, spreadsheet_format):
        if spreadsheet_format != self.FORMAT_CSV:
            from .pdf import MAX_ROWS

            count = queryset.count()
            if spreadsheet_format == self.FORMAT_PDF and count > MAX_ROWS:
                messages.error(
                    self.request,
                    _("打印版最多 %(n)s 行，请先筛选（或导出 XLSX）。") % {"n": MAX_ROWS},
                )
                return redirect(self.request.get_full_path().replace("export=pdf", "export="))
            if count > settings.ROSTER_SYNC_EXPORT_ROWS:
                return self.export_in_background(spreadsheet_format)
        # The record keeps the file and its row count (stored once the file is written).
        self.export_record = exports.record_export(
            self.request.user, self.roster_filter, spreadsheet_format
        )
        return super().as_spreadsheet(queryset, spreadsheet_format)

    def export_in_background(self, fmt):
        export = exports.record_export(
            self.request.user, self.roster_filter, fmt, status=RosterExport.Status.PENDING
        )
        transaction.on_commit(lambda: exports.build_roster_export.enqueue(export.pk))
        messages.success(self.request, _("导出已开始，完成后可在“我的导出”中下载。"))
        return redirect("rollout_admin:exports")


class ExportXLSXView(View):
    """Queues the XLSX export (or the printable PDF roster, ``format=pdf``) as a background
    task (immediate in dev/tests)."""

    def post(self, request):
        require_perm(request.user, "rollout.view_rosterexport", "rollout.add_rosterexport")
        if not is_admin(request.user):
            raise PermissionDenied
        filt = RosterFilterSet(data=request.POST, request=request).roster_filter().resolve()
        fmt = "pdf" if request.POST.get("format") == "pdf" else "xlsx"
        export = exports.record_export(request.user, filt, fmt, status=RosterExport.Status.PENDING)
        transaction.on_commit(lambda: exports.build_roster_export.enqueue(export.pk))
        messages.success(request, _("导出已开始，完成后可在“我的导出”中下载。"))
        return redirect("rollout_admin:exports")


class ExportListView(AdminTemplateView):
    template_name = "rollout/admin/exports.html"
    page_title = gettext_lazy("花名册导出")

    def dispatch(self, request, *args, **kwargs):
        require_perm(request.user, "rollout.view_rosterexport")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        rows = list(visible_exports(user).select_related("requested_by", "district")[:50])
        scopes = exports.describe_scopes(rows)
        now = timezone.now()
        context["exports"] = [
            {
                "export": export,
                "scope": scopes[export.pk],
                "downloadable": can_download(user, export),
                # A finished export whose file is no longer kept: said, with the date.
                "expired": export.status == RosterExport.Status.DONE
                and export.expires_at is not None
                and export.expires_at <= now,
            }
            for export in rows
        ]
        return context


def visible_exports(user):
    qs = RosterExport.objects.all()
    if is_city_admin(user):
        return qs
    return qs.filter(requested_by=user)


def can_download(user, export) -> bool:
    """May ``user`` download ``export`` (one of ``visible_exports(user)``) now: the export's
    district in their scope and its file still kept. The history's links and the download
    view both ask this."""
    if not user.has_perm("rollout.view_rosterexport"):
        return False
    if export.district_id and not can_administer_district(user, export.district_id):
        return False
    return export.file_available


class ExportDownloadView(LoginRequiredMixin, View):
    """Serves a finished export from private storage to its requester (or a city admin)."""

    def get(self, request, pk):
        if not request.user.has_perm("rollout.view_rosterexport"):
            raise Http404
        export = get_object_or_404(visible_exports(request.user), pk=pk)
        if not can_download(request.user, export):
            raise Http404
        return FileResponse(
            export.file.open("rb"),
            as_attachment=True,
            filename=exports.download_name(export),
        )


# -- staff import ------------------------------------------------------------------------------


class StaffImportWizard(ImportWizard):
    """The staff import in the shared import wizard (lms.jobs.wizard); the work is done by
    ``importing.run_job`` in the background."""

    kind = "staff_import"
    upload_kind = "staff"
    namespace = "rollout_admin"
    url_prefix = "import"
    title = gettext_lazy("导入工作人员")
    form_class = StaffImportForm
    help_template = "rollout/admin/_import_help.html"
    preview_template = "rollout/admin/_import_preview.html"
    result_template = "rollout/admin/_import_result.html"
    template_formats = ("xlsx", "csv")
    template_ascii_name = "staff-import-template"

    def has_permission(self, user):
        return user.has_perm("rollout.import_staff") and admin_district_ids(user) != []

    def job_params(self, form):
        return {"deactivate_missing": form.cleaned_data["deactivate_missing"]}

    def result_context(self, request, job):
        """ "Print activation slips" for the people this import created who still have no
        usable password (they cannot sign in otherwise)."""
        from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX

        from .slip_actions import PERMISSION, scoped_profiles, slips_url

        ids = job.result.get("applied", {}).get("new_user_ids") or []
        if not ids or not request.user.has_perm(PERMISSION):
            return {}
        pks = list(
            scoped_profiles(request.user)
            .filter(user_id__in=ids, user__password__startswith=UNUSABLE_PASSWORD_PREFIX)
            .values_list("pk", flat=True)
        )
        if not pks:
            return {}
        return {"slips_count": len(pks), "slips_url": slips_url(pks, self.reverse("job", job.pk))}

    def template_file(self, fmt):
        data = importing.template_xlsx() if fmt == "xlsx" else importing.template_csv()
        return data, f"{_('工作人员导入模板')}.{fmt}"


staff_import_wizard = StaffImportWizard()


# -- waves and attendance ----------------------------------------------------------------------


def _ids(values) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


class WavePreviewView(View):
    """``GET ?districts=1&districts=2&courses=3``: what a wave of these districts and courses
    would enrol, as JSON for the wave form before it is saved (``static/rollout/wave_form.js``):
    ``people``, ``courses``, ``new`` enrolments and the sentence to show. A district
    administrator counts within their own districts only."""

    def get(self, request):
        from .forms import preview_text

        user = request.user
        may = ("rollout.add_rolloutwave", "rollout.change_rolloutwave")
        if not any(user.has_perm(perm) for perm in may):
            raise PermissionDenied
        district_ids = _ids(request.GET.getlist("districts"))
        allowed = admin_district_ids(user)
        if allowed is not None:
            district_ids = [pk for pk in district_ids if pk in allowed]
        preview = services.enrolment_preview_for(district_ids, _ids(request.GET.getlist("courses")))
        empty = [d.display_name for d in preview.empty_districts]
        return JsonResponse(
            {
                "people": preview.people,
                "courses": preview.courses,
                "new": preview.new,
                "text": preview_text(preview),
                "empty_text": (
                    _("以下区尚无在岗人员，请先导入工作人员：%(districts)s")
                    % {"districts": _("、").join(empty)}
                    if empty
                    else ""
                ),
            }
        )


class EnrolWaveView(AdminTemplateView):
    """'Enrol now': a city admin enrols the whole wave; a district admin only their district."""

    template_name = "rollout/admin/enrol_wave.html"
    page_title = gettext_lazy("立即报名")

    def dispatch(self, request, pk, *args, **kwargs):
        require_perm(request.user, "rollout.enrol_rolloutwave")
        if not is_admin(request.user):
            raise PermissionDenied
        self.wave = get_object_or_404(visible_waves(request.user), pk=pk)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        preview = enrolment_preview(self.wave, admin_district_ids(self.request.user))
        return super().get_context_data(wave=self.wave, preview=preview, **kwargs)

    def post(self, request):
        ids = admin_district_ids(request.user)
        created = enrol_wave(self.wave, district_ids=ids)
        log(
            instance=self.wave,
            action="rollout.enrol",
            user=request.user,
            data={"created": created, "districts": ids},
        )
        messages.success(request, _("已新增 %(n)s 条报名。") % {"n": created})
        return redirect("rollout_waves:index")


class AttendanceView(AdminTemplateView):
    """The trainer's attendance sheet: expected staff with a checkbox each (no phone numbers)."""

    template_name = "rollout/admin/attendance.html"

    def dispatch(self, request, pk, *args, **kwargs):
        require_perm(request.user, "rollout.view_attendance")
        if request.method == "POST":
            require_perm(request.user, "rollout.change_attendance")
        self.session = get_object_or_404(visible_sessions(request.user), pk=pk)
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("考勤：%(s)s") % {"s": self.session}

    def staff(self):
        staff = self.session.expected_staff()
        user = self.request.user
        if not is_city_admin(user) and self.session.trainer_id != user.pk:
            staff = staff.filter(district__in=admin_district_ids(user))
        return staff.only(
            "pk",
            "full_name",
            "employee_no",
            "service_centre",
            "window",
            "district__name_zh",
            "district__name_en",
        )

    def get_context_data(self, **kwargs):
        records = Attendance.objects.filter(session=self.session).values_list(
            "staff_id", "present", "booked_at"
        )
        present = {staff_id for staff_id, is_present, _b in records if is_present}
        booked = {staff_id for staff_id, _p, booked_at in records if booked_at}
        own = _profile(self.request.user)
        rows = [
            {
                "staff": s,
                "present": s.pk in present,
                "booked": s.pk in booked,
                "own": own is not None and s.pk == own.pk,
            }
            for s in self.staff()
        ]
        return super().get_context_data(
            session=self.session,
            rows=rows,
            present_n=len(present),
            over_capacity=len(present) > self.session.capacity,
            **kwargs,
        )

    def post(self, request):
        values = request.POST.getlist("present")
        present_ids = {int(v) for v in values if v.isdigit()}
        staff = list(self.staff())
        own = _profile(request.user)
        unknown = len(present_ids) != len(values) or present_ids - {s.pk for s in staff}
        now = timezone.now()
        existing = {a.staff_id: a for a in Attendance.objects.filter(session=self.session)}
        own_record = existing.get(own.pk) if own is not None else None
        # Their own row is shown disabled and left as it is (a QR check-in of their own
        # stays); ticking it is refused.
        own_changed = (
            own is not None and own.pk in present_ids and not (own_record and own_record.present)
        )
        if unknown or own_changed:
            # Nobody records their own attendance (an administrator of the district is
            # also its staff), nor that of somebody the session does not expect.
            messages.error(
                request,
                _("不能为本人记录出勤。")
                if own_changed and not unknown
                else _("只能为本场培训的应到人员记录出勤。"),
            )
            return redirect("rollout_admin:attendance", self.session.pk)
        sheet = [s for s in staff if own is None or s.pk != own.pk]
        unticked = [
            s.pk
            for s in sheet
            if s.pk not in present_ids and existing.get(s.pk) and existing[s.pk].present
        ]
        if unticked and not request.POST.get("confirm"):
            # Unticking withdraws the completions and certificates resting on the attendance:
            # say whose before anything is saved, and save only once confirmed.
            withdrawals = services.withdrawal_preview(self.session, unticked)
            if withdrawals:
                return self.render_to_response(
                    self.get_context_data(
                        withdrawals=withdrawals, posted_present=sorted(present_ids)
                    )
                )
        with transaction.atomic():
            new, changed = [], []
            for person in sheet:
                present = person.pk in present_ids
                record = existing.get(person.pk)
                if record is None:
                    new.append(
                        Attendance(
                            session=self.session,
                            staff=person,
                            present=present,
                            taken_by=request.user,
                            taken_at=now,
                        )
                    )
                elif record.present != present:
                    record.present, record.taken_by, record.taken_at = present, request.user, now
                    changed.append(record)
            Attendance.objects.bulk_create(new, ignore_conflicts=True)
            Attendance.objects.bulk_update(changed, ["present", "taken_by", "taken_at"])
            # Taking attendance back withdraws the completion (and certificate) resting on it.
            services.withdraw_attendance(
                self.session, [a.staff_id for a in changed if not a.present], actor=request.user
            )
        # Ticking someone again restores the certificate unticking them here revoked.
        restored = services.restore_attendance(
            self.session, [a.staff_id for a in changed if a.present], actor=request.user
        )
        newly_present = [a.staff_id for a in [*new, *changed] if a.present]
        evaluate_attendance(self.session, newly_present)
        messages.success(request, _("考勤已保存。"))
        if restored:
            messages.success(
                request,
                ngettext(
                    "已恢复 %(n)s 人的证书（考勤恢复）：%(names)s",
                    "已恢复 %(n)s 人的证书（考勤恢复）：%(names)s",
                    len(restored),
                )
                % {
                    "n": len(restored),
                    "names": str(_("、")).join(c.holder_name for c in restored),
                },
            )
        return redirect("rollout_admin:attendance", self.session.pk)


# -- sessions: the sign-in sheet and the trainer's check-in screen ------------------------------


class SignInSheetView(View):
    """The printable sign-in sheet (A4 PDF) of a session the user may see."""

    def get(self, request, pk):
        require_perm(request.user, "rollout.view_attendance")
        session = get_object_or_404(visible_sessions(request.user), pk=pk)
        data = pdf.render_sign_in_sheet(session)
        local = timezone.localtime(session.starts_at)
        district = session.district.display_name if session.district else _("批次内所有区")
        parts = [_("签到表"), district, f"{local:%Y%m%d-%H%M}", str(session.pk)]
        # One word per part, joined by hyphens: no spaces in the file name in any language.
        name = "-".join("-".join(str(part).split()) for part in parts) + ".pdf"
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = attachment_disposition(name, "sign-in-sheet.pdf")
        return response


class CheckinScreenView(View):
    """The trainer's full-screen check-in page: a QR code of the rotating check-in URL
    (``checkin``); static/rollout/checkin.js fetches a fresh code every 30 s."""

    def dispatch(self, request, pk, *args, **kwargs):
        require_perm(request.user, "rollout.change_attendance")
        self.session = get_object_or_404(
            visible_sessions(request.user).select_related("course"), pk=pk
        )
        return super().dispatch(request, *args, **kwargs)

    def code(self):
        url = self.request.build_absolute_uri(checkin.checkin_path(self.session.pk))
        # The names, newest first: the trainer sees at once a name of someone not in the room
        # (a forwarded link) and takes it back on the attendance sheet.
        names = list(
            Attendance.objects.present()
            .filter(session=self.session)
            .order_by("-taken_at", "-pk")
            .values_list("staff__full_name", flat=True)
        )
        return {
            "url": url,
            "svg": checkin.qr_svg(url),
            "seconds": checkin.seconds_left(),
            "present": len(names),
            "names": names,
        }

    def get(self, request):
        code = self.code()
        if request.GET.get("format") == "json":
            return JsonResponse(code)
        return render(
            request,
            "rollout/admin/checkin_screen.html",
            {
                "session": self.session,
                "code": code,
                "json_url": reverse("rollout_admin:checkin_screen", args=[self.session.pk])
                + "?format=json",
                "is_open": checkin.is_open(self.session),
            },
        )


# -- learners: upcoming sessions on the home page, booking, QR check-in ------------------------


def _profile(user):
    return getattr(user, "staff_profile", None) if user.is_authenticated else None


def session_rows(sessions) -> list:
    """Rows for ``rollout/includes/session_list.html`` (the home page and the course page):
    seats left, booked, present, and, for another session of a course already booked, the
    booking it would move (one booking per course: ``services.book_session``)."""
    booked = {s.course_id: s for s in sessions if s.mine and not s.present and s.course_id}
    rows = []
    for s in sessions:
        other = booked.get(s.course_id)
        rows.append(
            {
                "session": s,
                "seats_left": max(s.capacity - s.booked_n, 0),
                "bookable": s.bookable,
                "booked": s.mine,
                "present": s.present,
                "moves_from": other if other is not None and other.pk != s.pk else None,
            }
        )
    return rows


def home_section(request):
    """ "My training" home page section: the learner's upcoming in-person sessions."""
    profile = _profile(request.user)
    if profile is None:
        return None
    sessions = list(services.upcoming_sessions(profile))
    if not sessions:
        return None
    return {"template": "rollout/home_section.html", "rows": session_rows(sessions)}


def course_page_section(request, course):
    """The course page's sessions (``settings.COURSE_PAGE_SECTIONS``), for a course that
    requires attendance: the learner's upcoming sessions of it with booking buttons (the home
    page's list), that they attended, or that none is scheduled yet. No query otherwise."""
    if not getattr(course, "attendance_required", False) or not request.user.is_authenticated:
        return None
    profile = _profile(request.user)
    sessions = list(services.upcoming_sessions(profile, course=course)) if profile else []
    attended = profile is not None and course.pk in services.attended_course_ids(profile)
    return {
        "template": "rollout/course_sessions.html",
        "rows": session_rows(sessions),
        "attended": attended,
        "next": request.get_full_path(),
    }


def _back(request):
    """Where a booking form came from (the course page or the home page), if it is ours."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("home")


class BookSessionView(LoginRequiredMixin, View):
    """POST: book a seat (``action=book``) or give it back (``action=cancel``)."""

    def post(self, request, pk):
        profile = _profile(request.user)
        if profile is None:
            raise Http404
        session = get_object_or_404(TrainingSession, pk=pk)
        if request.POST.get("action") == "cancel":
            if services.cancel_booking(session.pk, profile):
                messages.success(request, _("已取消预约。"))
            elif Attendance.objects.present().filter(session=session, staff=profile).exists():
                messages.error(request, _("你已签到，不能取消预约。"))
            return _back(request)
        if session.starts_at < timezone.now():
            messages.error(request, _("该场培训已开始，不能再预约。"))
            return _back(request)
        try:
            record = services.book_session(session.pk, profile)
        except services.SessionFull:
            messages.error(request, _("该场培训已满员，请选择其他场次。"))
        except services.AlreadyAttended:
            messages.error(request, _("你已参加过本课程的现场培训，无需再预约。"))
        except services.NotExpected:
            raise Http404 from None
        else:
            if record.moved_from:
                messages.success(
                    request,
                    _("已改约到本场，原预约（%(sessions)s）已取消。")
                    % {
                        "sessions": _("、").join(
                            timezone.localtime(other.starts_at).strftime("%Y-%m-%d %H:%M")
                            for other in record.moved_from
                        )
                    },
                )
            else:
                messages.success(request, _("预约成功。"))
        return _back(request)


class CheckinView(LoginRequiredMixin, View):
    """Where the QR code leads. GET shows the session and a confirm button (no side effect);
    the POST (CSRF protected) records the signed-in learner present, when they are among the
    session's expected staff, the wave is not a draft, the token is current, check-in is open
    (``checkin.window``) and a seat is theirs (booked, or still free). Somebody not expected
    learns nothing about the session."""

    template_name = "rollout/checkin.html"

    def refusal(self, session, profile, token):
        """``(error, reveal)``: why check-in is refused (None: it is not) and whether the
        error may show the session's course, place and time."""
        if profile is None or not session.is_expected(profile):
            return _("你不在本场培训的参训名单中。"), False
        if services.is_draft(session):
            return _("该场培训所属批次尚未开放，不能签到。"), False
        if not checkin.token_is_valid(session.pk, token):
            return _("签到码已过期，请重新扫描培训师屏幕上的二维码。"), True
        if not checkin.is_open(session):
            return _("不在签到时间内：开始前 30 分钟至培训结束可以签到。"), True
        return None, True

    def render_page(self, request, session, status=200, **context):
        return render(request, self.template_name, {"session": session, **context}, status=status)

    def dispatch(self, request, pk, token, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.session = get_object_or_404(TrainingSession.objects.select_related("course"), pk=pk)
        self.profile = _profile(request.user)
        error, reveal = self.refusal(self.session, self.profile, token)
        if error:
            return self.render_page(
                request, self.session if reveal else None, status=403, error=error
            )
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        present = Attendance.objects.present().filter(session=self.session, staff=self.profile)
        if present.exists():
            return self.render_page(request, self.session, ok=True)
        return self.render_page(request, self.session, confirm=True)

    def post(self, request):
        try:
            services.check_in(self.session, self.profile, by=request.user, window=True)
        except services.SessionFull:
            error = _("本场已满员，请联系培训师。")
            return self.render_page(request, self.session, status=409, error=error)
        except (services.NotExpected, services.CheckinClosed):
            error = _("不能签到，请联系培训师。")
            return self.render_page(request, self.session, status=403, error=error)
        return self.render_page(request, self.session, ok=True)
