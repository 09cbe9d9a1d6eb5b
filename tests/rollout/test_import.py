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
