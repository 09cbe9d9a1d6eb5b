import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from lms.jobs.models import FileJob, KindJobMixin, KindManager, param_property, result_property

from .storage import get_private_storage

CITY_DISTRICT_CODE = "SH"  # staff without a district (city level)


def new_verification_code():
    """128 random bits, URL-safe (22 characters)."""
    return secrets.token_urlsafe(16)


class SerialCounter(models.Model):
    """The last serial number issued per (year, district): locked with select_for_update."""

    year = models.PositiveSmallIntegerField()
    district_code = models.CharField(max_length=4)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "district_code"], name="unique_serial_counter")
        ]

    def __str__(self):
        return f"{self.year}-{self.district_code}: {self.last_number}"


class CertificateQuerySet(models.QuerySet):
    def current(self):
        """Neither revoked nor superseded (may be expired)."""
        return self.filter(revoked_at__isnull=True, superseded_at__isnull=True)

    def valid(self, at=None):
        return self.current().filter(expires_at__gt=at or timezone.now())

    def expired(self, at=None):
        return self.current().filter(expires_at__lte=at or timezone.now())

    def administered_by(self, user):
        """The certificates ``user`` may act on in the admin (list, inspect, download, revoke,
        reinstate, reissue, batch): those of people whose CURRENT district ``user``
        administers (``lms.organisation.roles.scope_to_people``), never by the district
        printed at issue time (``holder_district``, which a transfer does not change)."""
        from lms.organisation.roles import scope_to_people

        return scope_to_people(self, user)

    def with_status(self, status, at=None):
        """The certificates whose ``status_at(at)`` is ``status`` (same precedence)."""
        at = at or timezone.now()
        if status == Certificate.VALID:
            return self.valid(at)
        if status == Certificate.EXPIRED:
            return self.filter(revoked_at__isnull=True, expires_at__lte=at)
        if status == Certificate.REVOKED:
            return self.filter(revoked_at__isnull=False)
        if status == Certificate.SUPERSEDED:
            return self.filter(
                revoked_at__isnull=True, superseded_at__isnull=False, expires_at__gt=at
            )
        return self


class Certificate(models.Model):
    wagtail_reference_index_ignore = True  # a record, not content: no reference-index task

    VALID, EXPIRED, REVOKED, SUPERSEDED = "valid", "expired", "revoked", "superseded"
    STATUS_CHOICES = [
        (VALID, _("有效")),
        (EXPIRED, _("已过期")),
        (REVOKED, _("已撤销")),
        (SUPERSEDED, _("已被新证书替代")),
    ]

    serial = models.CharField(_("证书编号"), max_length=32, unique=True, editable=False)
    verification_code = models.CharField(
        _("验证码"), max_length=43, unique=True, default=new_verification_code, editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="certificates",
        verbose_name=_("持证人"),
    )
    course = models.ForeignKey(
        "courses.CoursePage",
        on_delete=models.CASCADE,
        related_name="certificates",
        verbose_name=_("课程"),
    )
    # Snapshot of the holder at issue time.
    holder_name = models.CharField(_("姓名"), max_length=50)
    holder_district = models.ForeignKey(
        "lms.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificates",
        verbose_name=_("所属区"),
    )
    holder_district_code = models.CharField(_("区代码"), max_length=4)
    holder_employee_no = models.CharField(_("工号"), max_length=32, blank=True)

    issued_at = models.DateTimeField(_("颁发时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("有效期至"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("撤销人"),
    )
    superseded_at = models.DateTimeField(_("替代时间"), null=True, blank=True)
    superseded_by = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supersedes",
        verbose_name=_("替代证书"),
    )
    reminded_at = models.DateTimeField(_("到期提醒时间"), null=True, blank=True)
    pdf = models.FileField(
        _("PDF"), storage=get_private_storage, upload_to="certificates/%Y/", blank=True
    )
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("证书")
        verbose_name_plural = _("证书")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course"],
                condition=Q(revoked_at__isnull=True, superseded_at__isnull=True),
                name="one_current_certificate_per_user_course",
            )
        ]
        indexes = [
            models.Index(fields=["user", "course"]),
            models.Index(fields=["holder_district", "course"]),
            models.Index(fields=["expires_at"]),
        ]

    def __str__(self):
        return f"{self.serial} {self.holder_name}"

    def get_absolute_url(self):
        return reverse("certificates:pdf", args=[self.pk])

    def status_at(self, at=None):
        """Revoked, else expired once its date has passed (also when a later certificate
        renewed it), else superseded (replaced before its date), else valid."""
        if self.revoked_at:
            return self.REVOKED
        if self.expires_at <= (at or timezone.now()):
            return self.EXPIRED
        if self.superseded_at:
            return self.SUPERSEDED
        return self.VALID

    @property
    def status(self):
        return self.status_at()

    def get_status_display(self):
        return dict(self.STATUS_CHOICES)[self.status]

    get_status_display.short_description = _("状态")  # list and export column heading

    @property
    def is_valid(self):
        return self.status == self.VALID

    @property
    def verify_path(self):
        return reverse("verify:verify", args=[self.verification_code])

    @property
    def verify_url(self):
        return settings.SITE_URL.rstrip("/") + self.verify_path

    @staticmethod
    def expiry_for(course, issued_at):
        return issued_at + timedelta(days=course.certificate_validity_days)


class CertificateBatch(KindJobMixin, FileJob):
    """A download of many certificates (ZIP of PDFs or one merged PDF), built in the background:
    a background file job (lms.jobs) of kind ``certificate_batch``; what it holds (course,
    district, wave, format) are its parameters, the number of certificates its result."""

    KIND = "certificate_batch"
    ZIP, MERGED = "zip", "pdf"
    FORMAT_CHOICES = [(ZIP, _("ZIP（每人一个 PDF）")), (MERGED, _("合并 PDF（打印用）"))]
    STATUS_CHOICES = FileJob.State.choices
    FIELD_MAP = {
        "status": "state",
        "format": "params",
        "course": "params",
        "course_id": "params",
        "wave_id": "params",
        "certificate_count": "result",
    }

    format = param_property("format", default=ZIP)
    course_id = param_property("course_id")
    # A rollout wave id (the rollout app is a higher floor: no reference).
    wave_id = param_property("wave_id")
    certificate_count = result_property("certificate_count", default=0)

    objects = KindManager()

    class Meta:
        proxy = True
        verbose_name = _("证书批量下载")
        verbose_name_plural = _("证书批量下载")

    def __str__(self):
        return f"#{self.pk} {self.get_format_display()} {self.get_status_display()}"

    @property
    def course(self):
        from courses.models import CoursePage

        if not self.course_id:
            return None
        cached = getattr(self, "_course_cache", None)
        if cached is None or cached.pk != self.course_id:
            cached = self._course_cache = CoursePage.objects.filter(pk=self.course_id).first()
        return cached

    @course.setter
    def course(self, value):
        self.course_id = value.pk if value is not None else None
        self._course_cache = value

    def get_format_display(self):
        return dict(self.FORMAT_CHOICES).get(self.format, self.format)


DEFAULT_WORDING = {
    "issuing_body": "上海市知识产权局",
    "title_zh": "培训合格证书",
    "title_en": "Certificate of Completion",
    "body_zh": "经考核，该同志已完成下列知识产权公共服务窗口岗位培训课程，成绩合格，特发此证。",
    "body_en": "has completed the following training course for intellectual property "
    "public-service windows and passed the assessment.",
    "signature_line": "（盖章）",
}


@register_setting(icon="doc-full")
class CertificateSettings(BaseGenericSetting):
    """Certificate wording, editable by trainers (always escaped in the template)."""

    issuing_body = models.CharField(
        _("颁发机构"), max_length=60, default=DEFAULT_WORDING["issuing_body"]
    )
    title_zh = models.CharField(
        _("标题（中文）"), max_length=30, default=DEFAULT_WORDING["title_zh"]
    )
    title_en = models.CharField(
        _("标题（英文）"), max_length=60, default=DEFAULT_WORDING["title_en"]
    )
    body_zh = models.TextField(
        _("正文（中文）"), max_length=200, default=DEFAULT_WORDING["body_zh"]
    )
    body_en = models.TextField(
        _("正文（英文）"), max_length=300, default=DEFAULT_WORDING["body_en"]
    )
    signature_line = models.CharField(
        _("落款"), max_length=60, blank=True, default=DEFAULT_WORDING["signature_line"]
    )

    panels = [
        FieldPanel("issuing_body"),
        MultiFieldPanel([FieldPanel("title_zh"), FieldPanel("title_en")], heading=_("标题")),
        MultiFieldPanel([FieldPanel("body_zh"), FieldPanel("body_en")], heading=_("正文")),
        FieldPanel("signature_line"),
    ]

    class Meta:
        verbose_name = _("证书设置")

    @classmethod
    def wording(cls):
        obj = cls.load()
        data = {key: getattr(obj, key) for key in DEFAULT_WORDING}
        data.update(city_name_zh="上海市", city_name_en="Shanghai")
        return data
