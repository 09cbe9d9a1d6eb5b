"""Staff import from the spreadsheets HR offices send (XLSX or CSV).

``preview(...)`` reads and validates every row and names every error (row number as the
spreadsheet shows it, column, message); ``apply(...)`` writes everything in one transaction or
nothing. Existing staff are matched by employee number and updated; with ``deactivate_missing``
the active staff of the imported districts who are not in the file are deactivated (never
deleted).

Password policy: new accounts get an UNUSABLE password and the window_staff group; staff set
their own password through "forgot password" (password reset by email). No password is ever
generated, shown or stored in clear text, so a preview page, a log or a screenshot leaks none.
"""

import csv
import io
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from lms.organisation.models import District, StaffProfile
from lms.organisation.roles import WINDOW_STAFF, admin_district_ids

from .models import StaffImport

# Accepted header names (Chinese first, English second) → field.
HEADER_ALIASES = {
    "full_name": ["姓名", "name", "full_name"],
    "employee_no": ["工号", "employee_no", "employee no", "employee_number"],
    "district": ["所属区", "区", "district"],
    "service_centre": ["服务中心", "service_centre", "service_center", "service centre"],
    "phone": ["手机", "手机号", "phone", "mobile"],
    "email": ["邮箱", "电子邮箱", "email", "e-mail"],
    "job_title": ["职务", "job_title", "job title"],
    "window": ["窗口", "window"],
}
COLUMN_LABELS = {
    "full_name": "姓名",
    "employee_no": "工号",
    "district": "所属区",
    "service_centre": "服务中心",
    "phone": "手机",
    "email": "邮箱",
    "job_title": "职务",
    "window": "窗口",
}
REQUIRED = ["full_name", "employee_no", "district"]
MAX_LENGTHS = {
    "full_name": 50,
    "employee_no": 32,
    "service_centre": 100,
    "job_title": 50,
    "window": 50,
    "email": 254,
}
EMPLOYEE_NO_RE = re.compile(r"^[A-Za-z0-9_-]+$")
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
ALLOWED_EXTENSIONS = {".csv", ".xlsx"}


class ImportFileError(Exception):
    """The file as a whole cannot be read (type, size, encoding, missing columns)."""


@dataclass
class RowError:
    line: int
    column: str
    message: str

    def __str__(self):
        if self.line:
            return _("第 %(line)s 行：%(message)s") % {"line": self.line, "message": self.message}
        return self.message


@dataclass
class ImportRow:
    line: int
    values: dict
    district: District | None = None
    profile: StaffProfile | None = None
    errors: list = field(default_factory=list)

    @property
    def action(self):
        if self.errors:
            return "error"
        return "update" if self.profile else "create"


@dataclass
class ImportPreview:
    filename: str
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    leavers: list = field(default_factory=list)
    districts: list = field(default_factory=list)
    deactivate_missing: bool = False

    @property
    def ok(self):
        return not self.errors

    @property
    def to_create(self):
        return sum(1 for r in self.rows if r.action == "create")

    @property
    def to_update(self):
        return sum(1 for r in self.rows if r.action == "update")


# -- reading -----------------------------------------------------------------------------------


def decode(data):
    """UTF-8 (with or without BOM), else GB18030 as older Excel saves it."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("无法识别文件编码，请另存为 UTF-8 CSV 或 XLSX。"))


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_table(data, filename):
    """Rows of cells (strings) from CSV or XLSX bytes; the first row is the header."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise ImportFileError(_("无法读取 XLSX 文件。")) from exc
        ws = wb.worksheets[0]
        rows = [[_cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
        wb.close()
        return rows
    if name.endswith(".csv"):
        text = decode(data)
        # newline="": the csv module sees CR, LF and CRLF line ends as they are (old Mac
        # Excel saves bare CR), and quoted cells keep their line breaks.
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            rows = [[_cell(v) for v in row] for row in reader]
        except csv.Error as exc:
            raise ImportFileError(
                _("第 %(line)d 行：CSV 格式错误（%(error)s）。")
                % {"line": reader.line_num, "error": exc}
            ) from exc
        for line, row in enumerate(rows, start=1):
            if any("\x00" in cell for cell in row):
                raise ImportFileError(
                    _("第 %(line)d 行：含有不可见的控制字符（NUL）。") % {"line": line}
                )
        return rows
    raise ImportFileError(_("只接受 .xlsx 或 .csv 文件。"))


def check_upload(uploaded):
    """Type and size checks for an uploaded file."""
    name = uploaded.name or ""
    if not any(name.lower().endswith(ext) for ext in ALLOWED_EXTENSIONS):
        raise ImportFileError(_("只接受 .xlsx 或 .csv 文件。"))
    if uploaded.size > settings.MAX_IMPORT_UPLOAD_SIZE:
        raise ImportFileError(
            _("文件过大（上限 %(mb)s MB）。") % {"mb": settings.MAX_IMPORT_UPLOAD_SIZE // 2**20}
        )


def map_header(header):
    aliases = {alias.casefold(): key for key, names in HEADER_ALIASES.items() for alias in names}
    mapping = {}
    for index, title in enumerate(header):
        key = aliases.get(title.strip().lstrip("\ufeff").casefold())
        if key and key not in mapping:
            mapping[key] = index
    missing = [COLUMN_LABELS[key] for key in REQUIRED if key not in mapping]
    if missing:
        raise ImportFileError(_("缺少必填列：%(cols)s。") % {"cols": "、".join(missing)})
    return mapping


# -- validating --------------------------------------------------------------------------------


def preview(data, filename, user=None, district_code=None, deactivate_missing=False):
    """Read and validate a staff file. ``user`` (a district administrator) or ``district_code``
    restrict the rows to some districts: rows of other districts are errors."""
    result = ImportPreview(filename=filename, deactivate_missing=deactivate_missing)
    table = read_table(data, filename)
    if not table:
        raise ImportFileError(_("文件是空的。"))
    mapping = map_header(table[0])

    allowed_ids = admin_district_ids(user) if user is not None else None
    forced = None
    if district_code:
        forced = District.lookup(district_code)
        if forced is None:
            raise ImportFileError(_("区“%(value)s”不存在。") % {"value": district_code})
        allowed_ids = (
            [forced.pk] if allowed_ids is None else [i for i in allowed_ids if i == forced.pk]
        )

    lookup_cache = {}
    seen = {}
    for offset, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue
        values = {
            key: (cells[index] if index < len(cells) else "") for key, index in mapping.items()
        }
        row = ImportRow(line=offset, values=values)

        def error(column, message, row=row):
            row.errors.append(RowError(row.line, COLUMN_LABELS[column], message))

        for key in REQUIRED:
            if not values.get(key):
                error(key, _("%(col)s不能为空") % {"col": COLUMN_LABELS[key]})
        for key, limit in MAX_LENGTHS.items():
            if len(values.get(key, "")) > limit:
                error(key, _("%(col)s超过 %(n)s 个字") % {"col": COLUMN_LABELS[key], "n": limit})

        number = values.get("employee_no", "")
        if number:
            if not EMPLOYEE_NO_RE.match(number):
                error("employee_no", _("工号“%(v)s”只能包含字母、数字、- 和 _") % {"v": number})
            elif number in seen:
                error(
                    "employee_no",
                    _("工号“%(v)s”与第 %(other)s 行重复") % {"v": number, "other": seen[number]},
                )
            else:
                seen[number] = offset

        name = values.get("district", "")
        if name:
            if name not in lookup_cache:
                lookup_cache[name] = District.lookup(name)
            row.district = lookup_cache[name]
            if row.district is None:
                error("district", _("所属区“%(v)s”不存在") % {"v": name})
            elif allowed_ids is not None and row.district.pk not in allowed_ids:
                error("district", _("所属区“%(v)s”不在您可导入的范围内") % {"v": name})

        phone = values.get("phone", "")
        if phone and not PHONE_RE.match(phone.replace(" ", "")):
            error("phone", _("手机“%(v)s”格式不正确") % {"v": phone})
        email = values.get("email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                error("email", _("邮箱“%(v)s”格式不正确") % {"v": email})
        result.rows.append(row)

    # Existing staff by employee number, in one query.
    numbers = [r.values["employee_no"] for r in result.rows if r.values.get("employee_no")]
    existing = {
        p.employee_no: p
        for p in StaffProfile.objects.filter(employee_no__in=numbers).select_related("user")
    }
    usernames = set(
        get_user_model()
        .objects.filter(username__in=[n for n in numbers if n not in existing])
        .values_list("username", flat=True)
    )
    for row in result.rows:
        number = row.values.get("employee_no")
        profile = existing.get(number)
        if profile is not None:
            row.profile = profile
            if allowed_ids is not None and profile.district_id not in allowed_ids:
                row.errors.append(
                    RowError(row.line, "工号", _("工号“%(v)s”属于其他区的人员") % {"v": number})
                )
        elif number in usernames:
            row.errors.append(
                RowError(row.line, "工号", _("登录名“%(v)s”已被其他账号使用") % {"v": number})
            )
        result.errors.extend(row.errors)

    result.districts = sorted(
        {r.district for r in result.rows if r.district is not None}
        | ({forced} if forced else set()),
        key=lambda d: d.sort_order,
    )
    if deactivate_missing and result.districts:
        result.leavers = list(
            StaffProfile.objects.filter(district__in=result.districts, is_active=True)
            .exclude(employee_no__in=numbers)
            .select_related("user", "district")
        )
    if not result.rows:
        result.errors.append(RowError(0, "", _("文件中没有数据行。")))
    return result


# -- applying ----------------------------------------------------------------------------------


@transaction.atomic
def apply(result, user=None):
    """Write a valid preview: all rows or none. Returns the StaffImport record."""
    if not result.ok:
        raise ImportFileError(_("文件有错误，未导入任何数据。"))
    User = get_user_model()
    group = Group.objects.get(name=WINDOW_STAFF)
    created = updated = 0
    for row in result.rows:
        v = row.values
        profile = row.profile
        if profile is None:
            account = User(username=v["employee_no"], email=v.get("email", ""), is_active=True)
            account.set_unusable_password()
            account.save()
            account.groups.add(group)
            profile = StaffProfile(user=account, employee_no=v["employee_no"])
            created += 1
        else:
            profile = StaffProfile.objects.select_related("user").get(pk=profile.pk)
            account = profile.user
            fields = ["is_active"]
            account.is_active = True
            if v.get("email"):
                account.email = v["email"]
                fields.append("email")
            account.save(update_fields=fields)
            updated += 1
        profile.full_name = v["full_name"]
        profile.district = row.district
        profile.is_active = True
        for key in ("service_centre", "phone", "job_title", "window"):
            if key in v:
                setattr(profile, key, v[key].replace(" ", "") if key == "phone" else v[key])
        profile.save()

    deactivated = 0
    if result.deactivate_missing and result.leavers:
        ids = [p.pk for p in result.leavers]
        deactivated = StaffProfile.objects.filter(pk__in=ids, is_active=True).update(
            is_active=False
        )
        User.objects.filter(staff_profile__pk__in=ids).update(is_active=False)

    record = StaffImport.objects.create(
        uploaded_by=user if user is not None and user.is_authenticated else None,
        filename=result.filename[:255],
        district=result.districts[0] if len(result.districts) == 1 else None,
        created=created,
        updated=updated,
        deactivated=deactivated,
    )
    log(
        instance=record,
        action="rollout.import",
        user=record.uploaded_by,
        data={
            "filename": result.filename,
            "created": created,
            "updated": updated,
            "deactivated": deactivated,
            "districts": [d.code for d in result.districts],
        },
    )
    return record
