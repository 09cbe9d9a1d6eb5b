import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from django.test import TestCase
from django.urls import reverse
from openpyxl import Workbook
from wagtail.models import ModelLogEntry

from lms.jobs.models import FileJob
from lms.organisation import roles
from lms.organisation.models import StaffProfile
from lms.rollout import importing
from lms.rollout.models import StaffImport
from tests.factories import make_user

pytestmark = pytest.mark.django_db

ZH = "姓名,工号,所属区,服务中心,手机,邮箱,职务,窗口\n"
EN = "name,employee_no,district,service_centre,phone,email\n"


def csv_bytes(text, encoding="utf-8"):
    return text.encode(encoding)


def run(data, name="staff.csv", **kwargs):
    result = importing.preview(data, name, **kwargs)
    if result.ok:
        importing.apply(result)
    return result


def test_chinese_header_creates_staff():
    text = (
        ZH + "王小明,HP1001,黄浦区,黄浦区政务服务中心,13812345678,wxm@example.com,受理员,3号窗口\n"
    )
    result = run(csv_bytes(text))
    assert result.ok, result.errors
    profile = StaffProfile.objects.get(employee_no="HP1001")
    assert profile.full_name == "王小明"
    assert profile.district.code == "HP"
    assert profile.window == "3号窗口" and profile.job_title == "受理员"
    user = profile.user
    assert user.username == "HP1001" and user.email == "wxm@example.com"
    assert not user.has_usable_password()
    assert user.groups.filter(name=roles.WINDOW_STAFF).exists()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_encodings(encoding):
    text = EN + "李晓红,PD2001,浦东新区,浦东新区政务服务中心,,\n"
    result = run(csv_bytes(text, encoding))
    assert result.ok, result.errors
    assert StaffProfile.objects.get(employee_no="PD2001").full_name == "李晓红"


@pytest.mark.parametrize("value", ["黄浦", "黄浦区", "Huangpu", "HP", "hp"])
def test_district_by_name_code_english(value):
    result = run(csv_bytes(EN + f"张三,X{abs(hash(value)) % 10000},{value},,,\n"))
    assert result.ok, result.errors
    assert result.rows[0].district.code == "HP"


def test_xlsx():
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "工号", "所属区", "服务中心", "手机", "邮箱"])
    ws.append(["赵敏", "PD3001", "浦东新区", "中心", 13912345678, "zm@example.com"])
    buf = io.BytesIO()
    wb.save(buf)
    result = run(buf.getvalue(), name="staff.xlsx")
    assert result.ok, result.errors
    assert StaffProfile.objects.get(employee_no="PD3001").phone == "13912345678"


def test_errors_named_with_row_numbers_and_nothing_written():
    text = (
        ZH
        + "甲,A001,黄浦区,,,,,\n"
        + "乙,A002,黄浦区,,12345,bad-email,,\n"
        + "丙,A001,黄浦区,,,,,\n"
        + "丁,A004,火星区,,,,,\n"
        + ",A005,黄浦区,,,,,\n"
    )
    result = run(csv_bytes(text))
    messages = [str(e) for e in result.errors]
    assert "第 5 行：所属区“火星区”不存在" in messages
    assert any(m.startswith("第 3 行：手机") for m in messages)
    assert any(m.startswith("第 3 行：邮箱") for m in messages)
    assert "第 4 行：工号“A001”与第 2 行重复" in messages
    assert any(m.startswith("第 6 行：姓名不能为空") for m in messages)
    assert not StaffProfile.objects.filter(employee_no__startswith="A").exists()
    with pytest.raises(importing.ImportFileError):
        importing.apply(result)


def test_atomic_apply_rolls_back(monkeypatch):
    """A database failure half-way through apply (here: an account created by someone else
    between preview and confirmation) writes nothing, not even the earlier batches."""
    monkeypatch.setattr(importing, "BATCH", 1)
    text = ZH + "甲,B001,黄浦区,,,,,\n乙,B002,黄浦区,,,,,\n"
    result = importing.preview(csv_bytes(text), "x.csv")
    assert result.ok
    get_user_model().objects.create(username="B002")
    with pytest.raises(IntegrityError):
        importing.apply(result)
    assert not StaffProfile.objects.filter(employee_no__in=["B001", "B002"]).exists()
    assert not get_user_model().objects.filter(username="B001").exists()
    assert not StaffImport.objects.exists()


def test_update_by_employee_number_and_deactivate_leavers():
    stay = make_user(district="HP", employee_no="HP0001", full_name="旧名字")
    leaver = make_user(district="HP", employee_no="HP0002")
    other_district = make_user(district="PD", employee_no="PD0001")
    text = ZH + "新名字,HP0001,黄浦,新中心,,,,\n新人,HP0003,黄浦,,,,,\n"
    result = run(csv_bytes(text), deactivate_missing=True)
    assert result.ok, result.errors
    assert [p.employee_no for p in result.leavers] == ["HP0002"]
    stay.staff_profile.refresh_from_db()
    assert stay.staff_profile.full_name == "新名字"
    assert stay.staff_profile.service_centre == "新中心"
    leaver.refresh_from_db()
    leaver.staff_profile.refresh_from_db()
    assert leaver.staff_profile.is_active is False and leaver.is_active is False
    other_district.staff_profile.refresh_from_db()
    assert other_district.staff_profile.is_active
    assert StaffProfile.objects.filter(employee_no="HP0002").exists()  # never deleted
    record = StaffImport.objects.get()
    assert (record.created, record.updated, record.deactivated) == (1, 1, 1)
    assert ModelLogEntry.objects.filter(action="rollout.import").count() == 1


def test_missing_column_and_wrong_type():
    with pytest.raises(importing.ImportFileError, match="工号"):
        importing.preview(csv_bytes("姓名,所属区\n甲,黄浦\n"), "x.csv")
    with pytest.raises(importing.ImportFileError):
        importing.preview(b"%PDF", "x.pdf")


def test_command(tmp_path, capsys):
    path = tmp_path / "staff.csv"
    path.write_bytes((ZH + "甲,C001,黄浦,,,,,\n乙,C002,浦东新区,,,,,\n").encode("gb18030"))
    with pytest.raises(CommandError):
        call_command("import_staff", str(path), "--district", "HP")  # PD row is an error
    call_command("import_staff", str(path), "--dry-run")
    assert not StaffProfile.objects.filter(employee_no="C001").exists()
    call_command("import_staff", str(path))
    assert StaffProfile.objects.filter(employee_no__in=["C001", "C002"]).count() == 2


def run_on_commit():
    """Run what the request queued after commit (as it runs in autocommit outside tests)."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def upload(client, text, name="staff.csv", **fields):
    """Upload through the wizard; returns the page it lands on (the job's page once the
    queued preview task has run, or the form with its errors)."""
    content = text if isinstance(text, bytes) else text.encode("utf-8")
    with run_on_commit():
        response = client.post(
            reverse("rollout_admin:import"),
            {"file": SimpleUploadedFile(name, content), **fields},
        )
    return client.get(response.url) if response.status_code == 302 else response


def job_of(response):
    return response.context["job"]


def confirm(client, job):
    with run_on_commit():
        return client.post(reverse("rollout_admin:import_job", args=[job.pk]), {"confirm": "1"})


def test_admin_upload_preview_confirm(client):
    admin = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(admin)
    response = upload(client, ZH + "甲,D001,黄浦,,,,,\n")
    assert response.status_code == 200
    job = job_of(response)
    assert job.kind == "staff_import" and job.state == FileJob.State.READY
    # The header names the import and the file (not just "Home").
    labels = [str(item["label"]) for item in response.context["breadcrumbs_items"]]
    assert labels[1:] == ["导入工作人员", "staff.csv"]
    assert "确认导入" in response.content.decode()
    assert not StaffProfile.objects.filter(employee_no="D001").exists()
    response = confirm(client, job)
    assert response.status_code == 302
    assert StaffProfile.objects.filter(employee_no="D001").exists()
    body = client.get(response.url).content.decode()
    assert "导入完成：新增 1 人" in body
    job.refresh_from_db()
    assert job.state == FileJob.State.DONE and job.result["applied"]["created"] == 1
    assert not job.file  # the uploaded file is deleted once imported
    # Confirmation is single use.
    confirm(client, job)
    assert StaffImport.objects.count() == 1


def test_admin_upload_shows_errors(client):
    admin = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(admin)
    response = upload(client, ZH + "甲,D001,火星区,,,,,\n")
    body = response.content.decode()
    assert "第 2 行：所属区“火星区”不存在" in body
    assert "确认导入" not in body
    # Confirming a preview with errors is refused and writes nothing.
    assert confirm(client, job_of(response)).status_code == 404
    assert not StaffProfile.objects.filter(employee_no="D001").exists()


def test_admin_upload_size_and_type(client, settings):
    settings.MAX_IMPORT_UPLOAD_SIZE = 10
    admin = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(admin)
    assert "文件过大" in upload(client, ZH + "甲,D001,黄浦,,,,,\n").content.decode()
    assert "不支持的文件类型" in upload(client, "x", name="staff.exe").content.decode()
    assert not FileJob.objects.exists()


def test_district_admin_imports_only_own_district(client):
    admin = make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin")
    client.force_login(admin)
    response = upload(client, ZH + "甲,E001,黄浦,,,,,\n乙,E002,浦东新区,,,,,\n")
    body = response.content.decode()
    assert "第 3 行：所属区“浦东新区”不在您可导入的范围内" in body
    assert "确认导入" not in body
    # Cannot take over another district's staff by employee number either.
    make_user(district="PD", employee_no="PD9999")
    body = upload(client, ZH + "甲,PD9999,黄浦,,,,,\n").content.decode()
    assert "属于其他区的人员" in body


# -- issue 16, finding 10: district codes, employee numbers, changed fields, templates ----------


@pytest.mark.parametrize(
    "value", ["310104", "徐汇区", "徐汇", "Xuhui", "Xuhui District", "XH", "xh"]
)
def test_district_by_official_code_and_names(value):
    result = importing.preview(csv_bytes(EN + f"张三,XH9001,{value},,,\n"), "x.csv")
    assert result.ok, [str(e) for e in result.errors]
    assert result.rows[0].district.code == "XH"


def test_employee_numbers_match_case_insensitively():
    person = make_user(district="XH", employee_no="XH001", full_name="王小明")
    result = run(csv_bytes(ZH + "王晓明,xh001,310104,,,,,\n"))
    assert result.ok, result.errors
    assert (result.to_create, result.to_update) == (0, 1)
    assert StaffProfile.objects.filter(employee_no__iexact="xh001").count() == 1
    assert not get_user_model().objects.filter(username="xh001").exists()
    person.staff_profile.refresh_from_db()
    assert person.staff_profile.full_name == "王晓明"
    assert person.staff_profile.employee_no == "XH001"  # the number keeps its spelling
    # The same person twice in one file, in two spellings, is an error naming both rows.
    result = importing.preview(csv_bytes(ZH + "甲,XH002,徐汇,,,,,\n乙,xh002,徐汇,,,,,\n"), "x.csv")
    assert "第 3 行：工号“xh002”与第 2 行重复" in [str(e) for e in result.errors]
    # A new person whose number is somebody's login name in another case is refused.
    make_user(district="XH", username="ab77", employee_no="ZZ1")
    result = importing.preview(csv_bytes(ZH + "丙,AB77,徐汇,,,,,\n"), "x.csv")
    assert "第 2 行：登录名“AB77”已被其他账号使用" in [str(e) for e in result.errors]


def test_preview_shows_each_changed_field_old_and_new(client):
    person = make_user(
        district="HP", employee_no="HP0100", full_name="旧名字", service_centre="旧中心"
    )
    person.email = "old@example.com"
    person.save()
    make_user(district="HP", employee_no="HP0101", full_name="不变", service_centre="")
    admin = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(admin)
    text = (
        "姓名,工号,所属区,服务中心,邮箱\n"
        "新名字,hp0100,徐汇区,旧中心,new@example.com\n"
        "不变,HP0101,黄浦,,\n"
    )
    response = upload(client, text)
    preview = response.context["preview"]
    assert preview["counts"] | {"rows": 0} == {
        "rows": 0,
        "create": 0,
        "update": 1,
        "unchanged": 1,
        "error": 0,
        "deactivate": 0,
        "without_email": 0,
    }
    [row] = preview["rows"]  # the unchanged person is counted, not listed
    assert row["changes"] == [
        ["姓名", "旧名字", "新名字"],
        ["所属区", "黄浦区", "徐汇区"],
        ["邮箱", "old@example.com", "new@example.com"],
    ]
    body = response.content.decode()
    assert "<del>旧名字</del> → <ins>新名字</ins>" in body
    assert "<del>黄浦区</del> → <ins>徐汇区</ins>" in body
    confirm(client, response.context["job"])
    person.refresh_from_db()
    person.staff_profile.refresh_from_db()
    assert person.email == "new@example.com"
    assert person.staff_profile.district.code == "XH"
    assert StaffImport.objects.get().updated == 1


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_templates_download_and_import_as_they_are(client, fmt):
    admin = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(admin)
    page = client.get(reverse("rollout_admin:import")).content.decode()
    url = reverse("rollout_admin:import_template", args=[fmt])
    assert url in page
    response = client.get(url)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = response.content
    if fmt == "csv":
        assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel shows the Chinese header
    else:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data))
        codes = book.worksheets[1]
        assert codes.max_row == 17  # header + the 16 districts with their official codes
        assert ["徐汇区", "310104", "XH", "Xuhui"] in [
            [c.value for c in r] for r in codes.iter_rows()
        ]
    result = importing.preview(data, f"template.{fmt}")
    assert result.ok, [str(e) for e in result.errors]
    assert result.rows[0].district.code == "XH"


# -- issue 15, hole 6: big files in the background, with progress --------------------------------


def test_large_csv_runs_in_the_background_with_progress(client, monkeypatch):
    """0.5 MB, 20,000 rows: once 448 s in one request; now a background job reporting progress,
    written in bulk in a few seconds."""
    import time

    codes = ["黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "闵行区"]
    lines = [f"王{i:05d},W{i:05d},{codes[i % len(codes)]}" for i in range(20_000)]
    text = "姓名,工号,所属区\n" + "\n".join(lines) + "\n"
    assert 0.4 * 2**20 < len(text.encode()) < 0.6 * 2**20
    admin = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(admin)
    reports = []
    original = FileJob.report

    def spy(job, progress, total=None, step=None):
        reports.append((job.state, progress, total))
        return original(job, progress, total, step)

    monkeypatch.setattr(FileJob, "report", spy)
    started = time.monotonic()
    response = upload(client, text)
    job = response.context["job"]
    assert response.context["preview"]["counts"]["create"] == 20_000
    assert len(response.context["preview"]["rows"]) == 1000  # the page shows the first 1000
    response = confirm(client, job)
    elapsed = time.monotonic() - started
    job.refresh_from_db()
    assert job.state == FileJob.State.DONE, job.error
    assert job.result["applied"]["created"] == 20_000
    assert StaffProfile.objects.filter(employee_no__startswith="W").count() == 20_000
    assert get_user_model().objects.filter(groups__name=roles.WINDOW_STAFF).count() >= 20_000
    # Progress was reported while validating and while writing, in steps.
    checking = [p for state, p, total in reports if total == 20_000]
    assert len(set(checking)) >= 10
    assert elapsed < 90, elapsed
    progress = client.get(reverse("rollout_admin:import_progress", args=[job.pk])).json()
    assert progress["state"] == "done" and progress["percent"] == 100


def test_jobs_are_private_to_their_requester(client):
    owner = make_user(roles.CITY_ADMIN, district=None, username="city")
    other = make_user(roles.CITY_ADMIN, district=None, username="city2")
    client.force_login(owner)
    job = upload(client, ZH + "甲,P001,黄浦,,,,,\n").context["job"]
    client.force_login(other)
    for name in ("import_job", "import_progress"):
        assert client.get(reverse(f"rollout_admin:{name}", args=[job.pk])).status_code == 404
    assert confirm(client, job).status_code == 404
    assert not StaffProfile.objects.filter(employee_no="P001").exists()


def test_confirm_validates_again_and_writes_nothing_when_the_data_changed(client):
    admin = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(admin)
    job = upload(client, ZH + "甲,Q001,黄浦,,,,,\n乙,Q002,黄浦,,,,,\n").context["job"]
    get_user_model().objects.create(username="q002")  # taken since the preview
    body = client.get(confirm(client, job).url).content.decode()
    job.refresh_from_db()
    assert job.state == FileJob.State.FAILED
    assert "第 3 行：登录名“Q002”已被其他账号使用" in body
    assert not StaffProfile.objects.filter(employee_no__in=["Q001", "Q002"]).exists()


def test_expired_jobs_are_purged_with_their_files(client):
    import datetime

    from django.utils import timezone

    admin = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(admin)
    job = upload(client, ZH + "甲,R001,黄浦,,,,,\n").context["job"]
    storage, name = job.file.storage, job.file.name
    assert storage.exists(name)
    call_command("purge_file_jobs")
    assert FileJob.objects.filter(pk=job.pk).exists()  # not expired yet
    FileJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - datetime.timedelta(1))
    call_command("purge_file_jobs")
    assert not FileJob.objects.filter(pk=job.pk).exists()
    assert not storage.exists(name)


@pytest.mark.parametrize(
    ("language", "name"), [("zh-hans", "工作人员导入模板"), ("en", "staff-import-template")]
)
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_template_download_has_a_meaningful_translated_file_name(client, fmt, language, name):
    """Issue 16: the template came as "template.xlsx". The file name is translated (RFC 5987
    ``filename*``, percent-encoded UTF-8) with a meaningful ASCII fallback."""
    from urllib.parse import quote

    admin = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(admin)
    client.cookies["django_language"] = language
    url = reverse("rollout_admin:import_template", args=[fmt])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response["Content-Disposition"] == (
        f'attachment; filename="staff-import-template.{fmt}"; '
        f"filename*=UTF-8''{quote(f'{name}.{fmt}', safe='')}"
    )


def test_preview_says_who_needs_an_activation_slip(client):
    """The preview promised "forgot password" to everyone, also to people without e-mail."""
    admin = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(admin)
    response = upload(client, ZH + "甲,D101,黄浦,,,,,\n乙,D102,黄浦,,,yi@example.com,,\n")
    html = response.content.decode()
    assert "其中 1 名新人员没有邮箱" in html and "需凭激活单首次登录" in html
    assert html.count("data-needs-slip") == 1
    row = html[html.index("D101") : html.index("</tr>", html.index("D101"))]
    assert "data-needs-slip" in row
    # Everyone has an e-mail: the old sentence.
    response = upload(client, ZH + "丙,D103,黄浦,,,bing@example.com,,\n")
    html = response.content.decode()
    assert "新账号没有初始密码，人员通过“忘记密码”设置密码。" in html
    assert "data-needs-slip" not in html
