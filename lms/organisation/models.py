from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _


class District(models.Model):
    """One of Shanghai's 16 districts, seeded by migration."""

    code = models.CharField(
        _("代码"),
        max_length=4,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2,4}$")],
        help_text=_("两个大写字母，用于证书编号，例如 HP。"),
    )
    admin_code = models.CharField(_("行政区划代码"), max_length=6, unique=True)
    name_zh = models.CharField(_("中文名称"), max_length=20, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=40, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("区")
        verbose_name_plural = _("区")
        permissions = [("view_all_districts", _("可查看全部区的数据"))]

    def __str__(self):
        return self.name_zh

    @property
    def display_name(self):
        """The name in the active language: 黄浦区 in Chinese, "Huangpu" in English."""
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    @property
    def short_name(self):
        """黄浦区 → 黄浦; 浦东新区 stays as it is."""
        return self.name_zh.removesuffix("区") if self.name_zh != "浦东新区" else self.name_zh

    @classmethod
    def lookup(cls, value, districts=None):
        """Find a district by official administrative-division code ("310104"), letter code
        ("XH", any case), Chinese name (with or without 区) or English name (with or without
        "District"). ``districts``: the rows to search, when the caller already has them."""
        value = (value or "").strip()
        if not value:
            return None
        if value.endswith(".0") and value[:-2].isdigit():  # a code typed as a number in Excel
            value = value[:-2]
        folded = value.casefold().removesuffix(" district")
        for district in cls.objects.all() if districts is None else districts:
            if value.upper() == district.code or value == district.admin_code:
                return district
            if folded == district.name_en.casefold():
                return district
            if value in {district.name_zh, district.short_name, district.name_zh + "区"}:
                return district
        return None


class StaffProfileQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, user__is_active=True)

    def window_staff(self):
        """The one definition of "window staff" (在岗人数, wave members, rosters): active
        people, except those holding another role (administrator, trainer, reviewer) without
        also holding the window-staff role. A profile with no role at all counts (staff
        created before roles, or by hand)."""
        from django.contrib.auth import get_user_model

        from .roles import ROLES, WINDOW_STAFF

        memberships = get_user_model().groups.through.objects.filter(user_id=OuterRef("user_id"))
        other_roles = [role for role in ROLES if role != WINDOW_STAFF]
        return self.active().filter(
            Exists(memberships.filter(group__name=WINDOW_STAFF))
            | ~Exists(memberships.filter(group__name__in=other_roles))
        )


def active_people():
    """People in post: user active and staff profile (if any) active. The organisation's one
    rule for "has this person left?"; certificates, activation and everyone else use it."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    return get_user_model().objects.filter(
        Q(staff_profile__isnull=True) | Q(staff_profile__is_active=True), is_active=True
    )


def is_active_person(user) -> bool:
    """``user`` is in post: active, and their staff profile (if any) is active (a leaver's
    profile is deactivated while the user may still be active)."""
    if user is None or not user.is_active:
        return False
    try:
        profile = user.staff_profile
    except StaffProfile.DoesNotExist:
        return True
    return profile is None or profile.is_active


class StaffProfile(models.Model):
    """Everything the organisation knows about a person, one per user."""

    wagtail_reference_index_ignore = True  # a record, not content: no reference-index task

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_profile",
        verbose_name=_("用户"),
    )
    full_name = models.CharField(_("姓名"), max_length=50)
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        related_name="staff",
        null=True,
        blank=True,
        verbose_name=_("所属区"),
        help_text=_("市级人员可留空。"),
    )
    service_centre = models.CharField(_("服务中心"), max_length=100, blank=True)
    window = models.CharField(_("窗口"), max_length=50, blank=True)
    employee_no = models.CharField(
        _("工号"),
        max_length=32,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+$", _("工号只能包含字母、数字、- 和 _。"))],
    )
    job_title = models.CharField(_("职务"), max_length=50, blank=True)
    phone = models.CharField(_("手机"), max_length=20, blank=True)
    is_active = models.BooleanField(_("在岗"), default=True)
    joined_at = models.DateTimeField(_("加入时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = StaffProfileQuerySet.as_manager()

    class Meta:
        ordering = ["district__sort_order", "employee_no"]
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")
        indexes = [models.Index(fields=["district", "is_active"])]

    def __str__(self):
        return f"{self.full_name}（{self.employee_no}）"

    @property
    def has_activated(self) -> bool:
        """The person has set a password (signed in before, or activated with a slip): a new
        activation slip would reset it."""
        return self.user.has_usable_password()

    @property
    def masked_phone(self):
        return f"{self.phone[:3]}****{self.phone[-4:]}" if len(self.phone) >= 8 else ""


class ActivationCodeQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Neither used, revoked nor expired at ``now``."""
        from django.utils import timezone

        return self.filter(
            used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now or timezone.now()
        )


class ActivationCode(models.Model):
    """A one-time code printed on an activation slip: the first sign-in of a person without an
    e-mail address sets their password with it (``lms.organisation.activation``). Only a keyed
    hash of the code is stored; the plain code exists on the printed slip alone."""

    wagtail_reference_index_ignore = True  # a record, not content: no reference-index task

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="activation_codes",
        verbose_name=_("用户"),
    )
    code_hash = models.CharField(_("激活码摘要"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("签发人"),
    )
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("有效期至"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    objects = ActivationCodeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("激活码")
        verbose_name_plural = _("激活码")
        permissions = [("issue_activation_slip", _("可打印账号激活单"))]
        indexes = [models.Index(fields=["user", "used_at", "revoked_at"])]

    def __str__(self):
        return f"{self.user} · {self.created_at:%Y-%m-%d}"


def person_label(user) -> str:
    """A person as the admin names them: "张三（zhangsan）", or the username alone (no query
    when the staff profile is selected with the user)."""
    try:
        profile = user.staff_profile
    except Exception:  # noqa: BLE001 - RelatedObjectDoesNotExist: an account without profile
        profile = None
    name = getattr(profile, "full_name", "") if profile is not None else ""
    return f"{name}（{user.get_username()}）" if name else user.get_username()
