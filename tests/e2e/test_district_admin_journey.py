"""A district administrator imports staff from an XLSX file through the admin import view,
watches the district dashboard change, and exports the roster."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import E2E_DB, admin_login

pytestmark = [pytest.mark.e2e, E2E_DB]

NEW_STAFF = [
    ("赵一鸣", "HP90001", "黄浦区", "黄浦区政务服务中心", "13800000001", "zhao@example.com"),
    ("钱二丽", "HP90002", "黄浦区", "黄浦区政务服务中心", "13800000002", "qian@example.com"),
]


def staff_xlsx(path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "工号", "所属区", "服务中心", "手机", "邮箱"])
    for row in NEW_STAFF:
        sheet.append(list(row))
    workbook.save(path)
    return path


def kpis(page):
    """The dashboard's headline numbers: {label: int}; a tile without a figure ("—", e.g.
    现场出勤 where no session took place) is left out."""
    numbers = {}
    for box in page.locator(".rollout-kpis > div, .rollout-kpis > a").all():
        label = box.evaluate("el => el.firstChild.textContent.trim()")
        value = box.locator("strong").inner_text().strip().rstrip("%")
        if value != "—":
            numbers[label] = int(value)
    return numbers


def test_district_admin_imports_staff_and_exports_the_roster(browser_page, learner, tmp_path):
    from lms.organisation.models import District, StaffProfile
    from tests.factories import make_user

    page = browser_page
    make_user("district_admin", district="HP", username="admin_hp", full_name="黄浦管理员")
    huangpu = District.objects.get(code="HP")

    # The dashboard before: one staff member (the learner), enrolled in the wave's course.
    admin_login(page, "admin_hp")
    page.goto("/admin/rollout/")
    expect(page).to_have_url(re.compile(rf"/admin/rollout/district/{huangpu.pk}/$"))
    before = kpis(page)
    assert before["在岗人数"] >= 1 and before["已报名"] >= 1, before

    # Import two new staff members in the import wizard: upload → preview → confirm → result.
    page.goto("/admin/rollout/import/")
    page.locator("#id_file").set_input_files(str(staff_xlsx(tmp_path / "黄浦区人员.xlsx")))
    page.get_by_role("button", name="上传并预览").click()
    expect(page.locator("main")).to_contain_text("将新增 2 人")
    for name, *_rest in NEW_STAFF:
        expect(page.locator("table.job-table")).to_contain_text(name)
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator("main")).to_contain_text("导入完成：新增 2 人")
    assert StaffProfile.objects.filter(employee_no__in=["HP90001", "HP90002"]).count() == 2

    # The dashboard after: two more staff, enrolled by the open wave.
    page.goto(f"/admin/rollout/district/{huangpu.pk}/")
    after = kpis(page)
    assert after["在岗人数"] == before["在岗人数"] + 2, (before, after)
    assert after["已报名"] == before["已报名"] + 2, (before, after)
    for name, *_rest in NEW_STAFF:
        expect(page.locator("table.rollout-table")).to_contain_text(name)

    # Export the roster (CSV, UTF-8 with BOM) and find the new names in it.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出 CSV").click()
    download = download_info.value
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), data[:10]
    text = data.decode("utf-8-sig")
    for name, employee_no, *_rest in NEW_STAFF:
        assert name in text and employee_no in text
    assert "王小明" in text
    assert "13800000001" not in text  # no phone numbers in the roster
