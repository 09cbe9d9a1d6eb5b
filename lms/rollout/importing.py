"""Staff import from the spreadsheets HR offices send (XLSX or CSV).

``preview(...)`` reads the file through the one upload reader
(``lms.organisation.uploads.read_table``: streaming, with limits on rows, columns and cell
length), validates every row and names every
error (row number as the spreadsheet shows it, column, message) and, for people already known,
every field that changes (old → new). ``apply(...)`` writes everything in one transaction, in
bulk, or nothing. Existing staff are matched by employee number, case-insensitively ("xh001"
is "XH001"); districts by official code ("310104"), letter code ("XH"), Chinese or English
name. With ``deactivate_missing`` the active staff of the imported districts who are not in the
file are deactivated (never deleted).

In the admin an import is a background file job (``lms.jobs``): upload → preview → confirm →
run with progress → result, the same wizard as the question import; ``run_job`` is its handler.

Password policy: new accounts get an UNUSABLE password and the window_staff group; staff set
their own password through "forgot password" (password reset by email). No password is ever
generated, shown or stored in clear text, so a preview page, a log or a screenshot leaks none.
"""

import csv
import io
import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.log_actions import log

from lms.organisation.models import District, StaffProfile
from lms.organisation.roles import (
    WINDOW_STAFF,
    admin_district_ids,
    can_edit_person,
    is_privileged,
)
from lms.organisation.uploads import read_table as read_upload_table

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
# The labels as the preview shows them (translated).
FIELD_LABELS = {
    "full_name": gettext_lazy("姓名"),
    "employee_no": gettext_lazy("工号"),
    "district": gettext_lazy("所属区"),
    "service_centre": gettext_lazy("服务中心"),
    "phone": gettext_lazy("手机"),
    "email": gettext_lazy("邮箱"),
    "job_title": gettext_lazy("职务"),
    "window": gettext_lazy("窗口"),
    "is_active": gettext_lazy("状态"),
}
PROFILE_FIELDS = ["full_name", "service_centre", "phone", "job_title", "window"]
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
BATCH = 500
PREVIEW_ROWS_SHOWN = 1000


class ImportFileError(Exception):
    """The file as a whole cannot be read (type, size, encoding, limits, missing columns)."""


@dataclass
class RowError:
    line: int
    field: str
    message: str

    @property
    def column(self) -> str:
        """The field's label in the active language (not the file's Chinese header)."""
        return str(FIELD_LABELS.get(self.field, self.field))

    def labelled(self) -> str:
        """ "District: …" / "所属区：…" (the colon translated with the sentence)."""
        return _("%(column)s：%(message)s") % {"column": self.column, "message": self.message}

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
    # (field, old, new) for an existing person; values as the preview shows them.
    changes: list = field(default_factory=list)

    @property
    def action(self):
        if self.errors:
            return "error"
        if self.profile is None:
            return "create"
        return "update" if self.changes else "unchanged"


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

    def count(self, action):
        return sum(1 for r in self.rows if r.action == action)

    @property
    def to_create(self):
        return self.count("create")

    @property
    def new_without_email(self) -> int:
        """New people without an e-mail address: they cannot use "forgot password" and need
        an activation slip for their first sign-in."""
        return sum(1 for r in self.rows if needs_slip(r))

    @property
    def to_update(self):
        return self.count("update")

    @property
    def unchanged(self):
        return self.count("unchanged")

    def as_dict(self, limit=PREVIEW_ROWS_SHOWN):
        """What the wizard keeps in the job and shows: counts, every error (up to ``limit``),
        the rows that do something (errors first, then changes, then new people)."""
        order = {"error": 0, "update": 1, "create": 2, "unchanged": 3}
        shown = sorted(
            (r for r in self.rows if r.action != "unchanged"),
            key=lambda r: (order[r.action], r.line),
        )
        return {
            "filename": self.filename,
            "ok": self.ok,
            "counts": {
                "rows": len(self.rows),
                "create": self.to_create,
                "update": self.to_update,
                "unchanged": self.unchanged,
                "error": len(self.errors),
                "deactivate": len(self.leavers),
                "without_email": self.new_without_email,
            },
            "errors": [str(e) for e in self.errors[:limit]],
            "rows": [
                {
                    "line": r.line,
                    "full_name": r.values.get("full_name", ""),
                    "employee_no": r.profile.employee_no if r.profile else r.values["employee_no"],
                    "district": r.district.name_zh if r.district else r.values.get("district"),
                    "action": r.action,
                    "needs_slip": needs_slip(r),
                    "changes": [[str(FIELD_LABELS[f]), old, new] for f, old, new in r.changes],
                    "errors": [e.labelled() for e in r.errors],
                }
                for r in shown[:limit]
            ],
            "leavers": [
                {
                    "full_name": p.full_name,
                    "employee_no": p.employee_no,
                    "district": str(p.district),
                }
                for p in self.leavers[:limit]
            ],
            "truncated": len(shown) > limit,
            "deactivate_missing": self.deactivate_missing,
            "districts": [d.name_zh for d in self.districts],
        }


def needs_slip(row) -> bool:
    """A new person without e-mail: their first sign-in needs an activation slip."""
    return row.action == "create" and not (row.values.get("email") or "").strip()


# -- reading -----------------------------------------------------------------------------------


def read_table(data, filename):
    """Non-empty rows of cells (strings) from CSV or XLSX bytes, each as ``(line, cells)``;
    the first is the header. Any limit exceeded is an ``ImportFileError`` naming the row."""
    name = filename.lower()
    if not name.endswith((".csv", ".xlsx")):
        raise ImportFileError(_("只接受 .xlsx 或 .csv 文件。"))
    try:
        return list(read_upload_table(data, filename, "staff"))
    except ValidationError as exc:
        raise ImportFileError(" ".join(exc.messages)) from exc


def check_upload(uploaded):
    """The one upload validator (lms.organisation.uploads) for a staff file."""
    from lms.organisation.uploads import validate_upload

    try:
        validate_upload(uploaded, "staff")
    except ValidationError as exc:
        raise ImportFileError(" ".join(exc.messages)) from exc


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


def number_key(number):
    """Employee numbers are compared without regard to case."""
    return number.upper()


def _chunks(items, size=2000):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- validating --------------------------------------------------------------------------------


def _clean_value(key, value):
    return value.replace(" ", "") if key == "phone" else value


def _changes(row, mapping):
    """(field, old, new) of an existing person, exactly what ``apply`` writes."""
    profile, values = row.profile, row.values
    changes = []
    for key in PROFILE_FIELDS:
        if key in mapping:
            new = _clean_value(key, values.get(key, ""))
            old = getattr(profile, key)
            if new != old:
                changes.append((key, old, new))
    if row.district is not None and row.district.pk != profile.district_id:
        changes.append(("district", str(profile.district or ""), row.district.name_zh))
    email = values.get("email", "")
    if email and email != profile.user.email:
        changes.append(("email", profile.user.email, email))
    if not (profile.is_active and profile.user.is_active):
        changes.append(("is_active", _("停用"), _("在岗")))
    return changes


def _may_change(user, person):
    """Whether the import run by ``user`` (None: a command, city level) may change ``person``:
    ``roles.can_edit_person`` (district administrators: window staff only)."""
    return user is None or can_edit_person(user, person)


def preview(data, filename, user=None, district_code=None, deactivate_missing=False, progress=None):
    """Read and validate a staff file. ``user`` (a district administrator) or ``district_code``
    restrict the rows to some districts: rows of other districts are errors. ``progress``,
    when given, is called as ``progress(done, total)``."""
    result = ImportPreview(filename=filename, deactivate_missing=deactivate_missing)
    table = read_table(data, filename)
    if not table:
        raise ImportFileError(_("文件是空的。"))
    mapping = map_header(table[0][1])

    allowed_ids = admin_district_ids(user) if user is not None else None
    forced = None
    if district_code:
        forced = District.lookup(district_code)
        if forced is None:
            raise ImportFileError(_("区“%(value)s”不存在。") % {"value": district_code})
        allowed_ids = (
            [forced.pk] if allowed_ids is None else [i for i in allowed_ids if i == forced.pk]
        )

    total = len(table) - 1
    districts = list(District.objects.all())
    lookup_cache = {}
    seen = {}
    for done, (line, cells) in enumerate(table[1:], start=1):
        if progress is not None and done % 1000 == 0:
            progress(done, total)
        values = {
            key: (cells[index] if index < len(cells) else "") for key, index in mapping.items()
        }
        row = ImportRow(line=line, values=values)

        def error(column, message, row=row):
            row.errors.append(RowError(row.line, column, message))

        for key in REQUIRED:
            if not values.get(key):
                error(key, _("%(col)s不能为空") % {"col": FIELD_LABELS[key]})
        for key, limit in MAX_LENGTHS.items():
            if len(values.get(key, "")) > limit:
                error(key, _("%(col)s超过 %(n)s 个字") % {"col": FIELD_LABELS[key], "n": limit})

        number = values.get("employee_no", "")
        if number:
            key = number_key(number)
            if not EMPLOYEE_NO_RE.match(number):
                error("employee_no", _("工号“%(v)s”只能包含字母、数字、- 和 _") % {"v": number})
            elif key in seen:
                error(
                    "employee_no",
                    _("工号“%(v)s”与第 %(other)s 行重复") % {"v": number, "other": seen[key]},
                )
            else:
                seen[key] = line

        name = values.get("district", "")
        if name:
            if name not in lookup_cache:
                lookup_cache[name] = District.lookup(name, districts=districts)
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

    # Existing staff by employee number (any case), in a few queries.
    keys = {number_key(r.values["employee_no"]) for r in result.rows if r.values.get("employee_no")}
    existing = {}
    for chunk in _chunks(keys):
        for profile in (
            StaffProfile.objects.annotate(number_key=Upper("employee_no"))
            .filter(number_key__in=chunk)
            .select_related("user", "district")
        ):
            existing[number_key(profile.employee_no)] = profile
    free = [k for k in keys if k not in existing]
    taken = set()
    for chunk in _chunks(free):
        taken.update(
            number_key(name)
            for name in get_user_model()
            .objects.annotate(name_key=Upper("username"))
            .filter(name_key__in=chunk)
            .values_list("username", flat=True)
        )
    for row in result.rows:
        number = row.values.get("employee_no")
        key = number_key(number) if number else None
        profile = existing.get(key)
        if profile is not None:
            row.profile = profile
            if allowed_ids is not None and profile.district_id not in allowed_ids:
                row.errors.append(
                    RowError(
                        row.line, "employee_no", _("工号“%(v)s”属于其他区的人员") % {"v": number}
                    )
                )
            elif not row.errors:
                row.changes = _changes(row, mapping)
                # The staff editor's rule (hole 8 of issue 15), which an import must not
                # bypass: only people the importer may edit change, and the e-mail of a
                # privileged account changes only with that person's confirmation.
                if row.changes and not _may_change(user, profile.user):
                    row.errors.append(
                        RowError(
                            row.line,
                            "employee_no",
                            _("工号“%(v)s”的账号拥有管理权限，不能通过导入修改") % {"v": number},
                        )
                    )
                elif any(key == "email" for key, _o, _n in row.changes) and is_privileged(
                    profile.user
                ):
                    row.errors.append(
                        RowError(
                            row.line,
                            "email",
                            _(
                                "工号“%(v)s”的账号拥有管理权限，邮箱须由本人确认后更改，不能通过导入修改"
                            )
                            % {"v": number},
                        )
                    )
        elif key in taken:
            row.errors.append(
                RowError(
                    row.line, "employee_no", _("登录名“%(v)s”已被其他账号使用") % {"v": number}
                )
            )
        result.errors.extend(row.errors)
    if progress is not None:
        progress(total, total)

    result.districts = sorted(
        {r.district for r in result.rows if r.district is not None}
        | ({forced} if forced else set()),
        key=lambda d: d.sort_order,
    )
    if deactivate_missing and result.districts:
        result.leavers = [
            p
            for p in StaffProfile.objects.filter(district__in=result.districts, is_active=True)
            .select_related("user", "district")
            .order_by("district__sort_order", "employee_no")
            if number_key(p.employee_no) not in keys and _may_change(user, p.user)
        ]
    if not result.rows:
        result.errors.append(RowError(0, "", _("文件中没有数据行。")))
    return result


# -- applying ----------------------------------------------------------------------------------


@transaction.atomic
def apply(result, user=None, progress=None):
    """Write a valid preview, in bulk: all rows or none. Returns the StaffImport record.
    ``progress``, when given, is called as ``progress(done, total)`` after each batch."""
    if not result.ok:
        raise ImportFileError(_("文件有错误，未导入任何数据。"))
    User = get_user_model()
    group = Group.objects.get(name=WINDOW_STAFF)
    now = timezone.now()
    new_rows = [r for r in result.rows if r.action == "create"]
    changed_rows = [r for r in result.rows if r.action == "update"]
    total = len(new_rows) + len(changed_rows)
    done = 0

    # New people: accounts (unusable password), the window_staff group, profiles.
    joined, created_ids = [], []
    for batch in _chunks(new_rows, BATCH):
        accounts = []
        for row in batch:
            account = User(
                username=row.values["employee_no"],
                email=row.values.get("email", ""),
                first_name=row.values["full_name"][:150],  # Chinese names: all in first_name
                is_active=True,
            )
            account.set_unusable_password()
            accounts.append(account)
        User.objects.bulk_create(accounts)
        ids = dict(
            User.objects.filter(username__in=[a.username for a in accounts]).values_list(
                "username", "pk"
            )
        )
        User.groups.through.objects.bulk_create(
            [User.groups.through(user_id=ids[a.username], group_id=group.pk) for a in accounts]
        )
        profiles = []
        for row in batch:
            v = row.values
            profile = StaffProfile(
                user_id=ids[v["employee_no"]],
                employee_no=v["employee_no"],
                full_name=v["full_name"],
                district=row.district,
                is_active=True,
            )
            for key in PROFILE_FIELDS[1:]:
                if key in v:
                    setattr(profile, key, _clean_value(key, v[key]))
            profiles.append(profile)
        StaffProfile.objects.bulk_create(profiles)
        joined.extend(ids[a.username] for a in accounts)
        created_ids.extend(ids[a.username] for a in accounts)
        done += len(batch)
        if progress is not None:
            progress(done, total)

    # Known people: exactly the changes the preview showed.
    for batch in _chunks(changed_rows, BATCH):
        profiles, accounts = [], []
        for row in batch:
            profile = row.profile
            for key, _old, new in row.changes:
                if key in PROFILE_FIELDS:
                    setattr(profile, key, new)
                elif key == "district":
                    profile.district = row.district
                    joined.append(profile.user_id)
                elif key == "email":
                    profile.user.email = new
                elif key == "is_active":
                    joined.append(profile.user_id)
            profile.is_active = True
            profile.user.is_active = True
            profile.user.first_name, profile.user.last_name = profile.full_name[:150], ""
            profile.updated_at = now
            profiles.append(profile)
            accounts.append(profile.user)
        StaffProfile.objects.bulk_update(
            profiles, [*PROFILE_FIELDS, "district", "is_active", "updated_at"]
        )
        User.objects.bulk_update(accounts, ["email", "is_active", "first_name", "last_name"])
        done += len(batch)
        if progress is not None:
            progress(done, total)

    deactivated = 0
    if result.deactivate_missing and result.leavers:
        ids = [p.pk for p in result.leavers]
        deactivated = StaffProfile.objects.filter(pk__in=ids, is_active=True).update(
            is_active=False, updated_at=now
        )
        User.objects.filter(staff_profile__pk__in=ids).update(is_active=False)

    record = StaffImport.objects.create(
        uploaded_by=user if user is not None and user.is_authenticated else None,
        filename=result.filename[:255],
        district=result.districts[0] if len(result.districts) == 1 else None,
        created=len(new_rows),
        updated=len(changed_rows),
        deactivated=deactivated,
    )
    record.created_user_ids = created_ids  # for the result page's "print activation slips"
    log(
        instance=record,
        action="rollout.import",
        user=record.uploaded_by,
        data={
            "filename": result.filename,
            "created": record.created,
            "updated": record.updated,
            "deactivated": deactivated,
            "districts": [d.code for d in result.districts],
        },
    )
    if joined:
        # New, reactivated and moved people join their district's open waves (bulk; the
        # per-profile signal is for single saves).
        from .services import enrol_users_in_open_waves

        transaction.on_commit(lambda: enrol_users_in_open_waves(joined))
    return record


# -- the admin wizard's background job ----------------------------------------------------------


def run_job(job, phase):
    """Handler of the ``staff_import`` file job (lms.jobs): ``preview`` validates the uploaded
    file and keeps the preview in the job; ``apply`` validates again (the database may have
    changed) and writes it."""
    from lms.jobs.models import FileJob

    requester = job.requested_by
    job.start(step=_("读取并检查文件"))
    with job.file.open("rb") as handle:
        data = handle.read()
    try:
        result = preview(
            data,
            job.filename,
            user=requester,
            deactivate_missing=bool(job.params.get("deactivate_missing")),
            progress=lambda done, total: job.report(done, total),
        )
    except ImportFileError as exc:
        job.fail(str(exc))
        return
    if phase == "preview":
        job.finish(state=FileJob.State.READY, result={"preview": result.as_dict()})
        return
    if not result.ok:
        job.result = {"preview": result.as_dict()}
        job.finish(
            state=FileJob.State.FAILED, result=job.result, error=_("文件有错误，未导入任何数据。")
        )
        return
    job.report(0, result.to_create + result.to_update, step=_("写入数据"))
    record = apply(result, user=requester, progress=lambda done, total: job.report(done, total))
    summary = {
        "created": record.created,
        "updated": record.updated,
        "deactivated": record.deactivated,
        "unchanged": result.unchanged,
        "new_user_ids": getattr(record, "created_user_ids", []),
    }
    job.finish(result={**job.result, "applied": summary})
    job.delete_file()


# -- templates ---------------------------------------------------------------------------------

TEMPLATE_HEADER = ["姓名", "工号", "所属区", "服务中心", "手机", "邮箱", "职务", "窗口"]
TEMPLATE_EXAMPLE = [
    "王小明",
    "XH001",
    "310104",
    "徐汇区政务服务中心",
    "13812345678",
    "wangxm@example.com",
    "受理员",
    "3号窗口",
]


def template_csv():
    """The template as CSV (UTF-8 with BOM, so Excel shows the Chinese header)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(TEMPLATE_HEADER)
    writer.writerow(TEMPLATE_EXAMPLE)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx():
    """The template as XLSX: header, one example row, every cell text (so leading zeros and
    codes stay as typed), and a second sheet listing the districts and their codes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("人员名单")
    sheet.append(TEMPLATE_HEADER)
    sheet.append(TEMPLATE_EXAMPLE)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in sheet.iter_cols(min_row=1, max_row=200):
        for cell in column:
            cell.number_format = "@"
    for letter, width in zip("ABCDEFGH", [10, 12, 10, 24, 14, 26, 10, 10], strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    codes = workbook.create_sheet(_("区代码"))
    codes.append([_("区"), _("行政区划代码"), _("代码"), _("英文名称")])
    for cell in codes[1]:
        cell.font = Font(bold=True)
    for district in District.objects.all():
        codes.append([district.name_zh, district.admin_code, district.code, district.name_en])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
