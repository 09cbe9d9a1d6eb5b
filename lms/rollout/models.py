"""Rolling rollout: waves that enrol districts in courses, in-person sessions with attendance,
reminder bookkeeping and background roster exports."""

import datetime

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lms.jobs.models import FileJob, KindJobMixin, KindManager, param_property, result_property


def private_storage():
    return storages["private"]


class RolloutWaveQuerySet(models.QuerySet):
    def open(self, today=None):
        """Waves that enrol newcomers: status open, already opened, not past due."""
        today = today or timezone.localdate()
        return self.filter(status=RolloutWave.Status.OPEN, opens_on__lte=today, due_on__gte=today)

    def covering(self, district_ids):
        """Waves covering any of ``district_ids`` (None: every wave), each once."""
        if district_ids is None:
            return self.all()
        return self.filter(districts__in=district_ids).distinct()


class RolloutWave(models.Model):
    """A batch of the rolling rollout (滚动培训批次): some districts, some required courses."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        OPEN = "open", _("进行中")
        CLOSED = "closed", _("已结束")

    name = models.CharField(_("批次名称"), max_length=100)
    districts = models.ManyToManyField(
        "lms.District", related_name="rollout_waves", verbose_name=_("区")
    )
    courses = models.ManyToManyField(
        "courses.CoursePage", related_name="rollout_waves", verbose_name=_("必修课程")
    )
    opens_on = models.DateField(_("开始日期"))
    due_on = models.DateField(_("截止日期"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default="draft")
    last_enrolled_at = models.DateTimeField(_("最近报名时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = RolloutWaveQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_on", "name"]
        verbose_name = _("培训批次")
        # Chinese has no plural; English does ("Rollout waves" over a listing).
        verbose_name_plural = pgettext_lazy("plural", "培训批次")
        permissions = [
            ("enrol_rolloutwave", _("可为培训批次报名")),
            ("import_staff", _("可导入工作人员")),
            ("view_dashboard", _("可查看培训看板")),
            ("send_reminders", _("可立即提醒逾期人员")),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.opens_on and self.due_on and self.due_on < self.opens_on:
            raise ValidationError({"due_on": _("截止日期不能早于开始日期。")})

    @property
    def due_at(self):
        """The end of the due date in the local time zone (enrollments' due_at)."""
        end = datetime.datetime.combine(self.due_on, datetime.time(23, 59, 59))
        return timezone.make_aware(end)

    @property
    def is_open(self):
        today = timezone.localdate()
        return self.status == self.Status.OPEN and self.opens_on <= today <= self.due_on


def person_name(user) -> str:
    """A person as the rollout names them: their staff profile's full name, else the
    account's, else the username."""
    profile = getattr(user, "staff_profile", None)
    return (profile.full_name if profile else "") or user.get_full_name() or user.username


class TrainingSessionQuerySet(models.QuerySet):
    def with_seats(self):
        """Annotate ``booked_n``: the seats booked (one subquery)."""
        from django.db.models import Count, IntegerField, OuterRef, Subquery
        from django.db.models.functions import Coalesce

        booked = (
            Attendance.objects.booked()
            .filter(session=OuterRef("pk"))
            .order_by()
            .values("session")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(booked_n=Coalesce(Subquery(booked, output_field=IntegerField()), 0))

    def with_bookable(self, now=None):
        """Annotate ``bookable``, the one rule "a learner may still book a seat": the session
        has not started yet and seats remain (booked < capacity, as ``book_session`` counts).
        A session under way, or full, is listed but not bookable."""
        from django.db.models import BooleanField, ExpressionWrapper, F, Q

        now = now or timezone.now()
        qs = self if "booked_n" in self.query.annotations else self.with_seats()
        return qs.annotate(
            bookable=ExpressionWrapper(
                Q(starts_at__gt=now, booked_n__lt=F("capacity")), output_field=BooleanField()
            )
        )

    def bookable(self, now=None):
        """The sessions a seat can still be booked at (``with_bookable``)."""
        return self.with_bookable(now).filter(bookable=True)


class TrainingSession(models.Model):
    """An optional in-person session of a wave; its expected staff are the wave's staff of the
    session's district (or of all the wave's districts when no district is set)."""

    wave = models.ForeignKey(
        RolloutWave, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("培训批次")
    )
    district = models.ForeignKey(
        "lms.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="training_sessions",
        verbose_name=_("区"),
        help_text=_("留空表示批次内所有区的人员。"),
    )
    course = models.ForeignKey(
        "courses.CoursePage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="training_sessions",
        verbose_name=_("课程"),
        help_text=_("本次现场培训所对应的课程。"),
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    place = models.CharField(_("地点"), max_length=200)
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="training_sessions",
        verbose_name=_("培训师"),
    )
    capacity = models.PositiveIntegerField(_("容量"), default=50)

    objects = TrainingSessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("现场培训")
        verbose_name_plural = pgettext_lazy("plural", "现场培训")

    def __str__(self):
        local = timezone.localtime(self.starts_at)
        what = self.course.title if self.course_id and self.course else str(self.wave)
        return f"{what} · {local:%Y-%m-%d %H:%M} · {self.place}"

    @admin.display(description=_("培训师"), ordering="trainer__staff_profile__full_name")
    def trainer_name(self) -> str:
        """The trainer's full name (their staff profile's, else the account's), not a
        username."""
        return person_name(self.trainer) if self.trainer is not None else ""

    @property
    def local_date(self) -> datetime.date:
        return timezone.localtime(self.starts_at).date()

    def is_expected(self, profile) -> bool:
        """Is ``profile`` (a StaffProfile) among the session's expected staff?"""
        if profile is None or not profile.is_active:
            return False
        if self.district_id:
            return profile.district_id == self.district_id
        return self.wave.districts.filter(pk=profile.district_id).exists()

    def expected_staff(self):
        from lms.organisation.models import StaffProfile

        district_ids = (
            [self.district_id]
            if self.district_id
            else self.wave.districts.values_list("pk", flat=True)
        )
        return (
            StaffProfile.objects.window_staff()
            .filter(district__in=district_ids)
            .select_related("district")
            .order_by("district__sort_order", "service_centre", "employee_no")
        )


class AttendanceQuerySet(models.QuerySet):
    def booked(self):
        return self.filter(booked_at__isnull=False)

    def present(self):
        return self.filter(present=True)


class Attendance(models.Model):
    """One person at one session: a booking (``booked_at``) made by the learner on their home
    page, and/or the attendance taken on the day (``present``: ticked on the sheet or scanned
    in with the QR code). One row per (session, person), so a booking becomes the attendance
    record it is checked against."""

    wagtail_reference_index_ignore = True  # a record, not content: no reference-index task

    session = models.ForeignKey(
        TrainingSession,
        on_delete=models.CASCADE,
        related_name="attendance",
        verbose_name=_("现场培训"),
    )
    staff = models.ForeignKey(
        "lms.StaffProfile",
        on_delete=models.CASCADE,
        related_name="attendance",
        verbose_name=_("工作人员"),
    )
    present = models.BooleanField(_("出席"), default=False)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("记录人"),
    )
    taken_at = models.DateTimeField(_("记录时间"), null=True, blank=True)
    booked_at = models.DateTimeField(_("预约时间"), null=True, blank=True)

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("出勤")
        verbose_name_plural = _("出勤")
        constraints = [
            models.UniqueConstraint(fields=["session", "staff"], name="unique_attendance")
        ]

    def __str__(self):
        return f"{self.session_id}/{self.staff_id}: {'✓' if self.present else '✗'}"


class ReminderLog(models.Model):
    """One row per reminder sent: the unique constraint makes send_reminders idempotent per day."""

    wagtail_reference_index_ignore = True  # a record, not content: no reference-index task

    class Kind(models.TextChoices):
        OVERDUE = "overdue", _("逾期提醒")
        SUMMARY = "summary", _("每周汇总")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("用户")
    )
    sent_on = models.DateField(_("发送日期"))
    sent_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("提醒记录")
        verbose_name_plural = _("提醒记录")
        constraints = [
            models.UniqueConstraint(fields=["kind", "user", "sent_on"], name="unique_reminder")
        ]

    def __str__(self):
        return f"{self.kind} {self.user_id} {self.sent_on}"


class RosterExport(KindJobMixin, FileJob):
    """A roster export built in the background and kept in private storage: a background file
    job (lms.jobs) of kind ``roster_export``; the filters and the format are its parameters, the
    row count its result."""

    KIND = "roster_export"
    Status = FileJob.State
    FIELD_MAP = {"status": "state", "filters": "params", "format": "params", "row_count": "result"}

    filters = param_property("filters", default={})
    format = param_property("format", default="xlsx")
    row_count = result_property("row_count", default=0)

    #: what the export history shows for each format, translated
    FORMAT_LABELS = {
        "xlsx": _("Excel 表格（XLSX）"),
        "csv": _("CSV 文本表格"),
        "pdf": _("打印版 PDF"),
    }

    objects = KindManager()

    class Meta:
        proxy = True
        verbose_name = _("花名册导出")
        verbose_name_plural = _("花名册导出")

    def __str__(self):
        return f"{self._meta.verbose_name} #{self.pk}"

    def get_format_display(self) -> str:
        return str(self.FORMAT_LABELS.get(self.format, self.format))

    @property
    def file_available(self) -> bool:
        """A finished export whose file is still kept (not purged, not expired)."""
        return (
            self.status == self.Status.DONE
            and bool(self.file)
            and (self.expires_at is None or self.expires_at > timezone.now())
        )


class StaffImport(models.Model):
    """The record of one applied staff import (what the audit log entry points at)."""

    wagtail_reference_index_ignore = True  # a record, not content: no reference-index task

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("导入人"),
    )
    filename = models.CharField(_("文件名"), max_length=255)
    district = models.ForeignKey(
        "lms.District",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("区"),
    )
    created = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    deactivated = models.PositiveIntegerField(_("停用"), default=0)
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("人员导入")
        verbose_name_plural = _("人员导入")

    def __str__(self):
        return f"{self.filename}（{self.created_at:%Y-%m-%d}）"


class WaveEnrolment(models.Model):
    """An enrolment that a wave created -- or took over when its person moved into one of the
    wave's districts (``services.follow_district_waves``): what the wave enrolled (its
    numbers) and which enrolments follow the wave's deadline when it moves. An enrolment that
    existed before the wave (another wave, self-enrolment) is not the wave's."""

    wagtail_reference_index_ignore = True  # a record, not content: no reference-index task

    wave = models.ForeignKey(
        RolloutWave,
        on_delete=models.CASCADE,
        related_name="enrolment_links",
        verbose_name=_("培训批次"),
    )
    enrollment = models.ForeignKey(
        "courses.Enrollment",
        on_delete=models.CASCADE,
        related_name="wave_links",
        verbose_name=_("报名"),
    )

    class Meta:
        verbose_name = _("批次报名")
        verbose_name_plural = _("批次报名")
        constraints = [
            models.UniqueConstraint(fields=["enrollment"], name="unique_wave_enrolment"),
        ]
        indexes = [models.Index(fields=["wave", "enrollment"])]

    def __str__(self):
        return f"{self.wave_id}/{self.enrollment_id}"
