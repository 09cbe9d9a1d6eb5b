"""Issue 16, "account activation without e-mail": a district administrator imports staff
without e-mail, prints their activation slips from the import result, and one of them
activates on a phone (390×844) with the code from the slip and lands signed in."""

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.conftest import E2E_DB, admin_login

pytestmark = [pytest.mark.e2e, E2E_DB]

PHONE = {"width": 390, "height": 844}
NEW_STAFF = [
    ("孙三木", "HP91001", "黄浦区", "黄浦区政务服务中心", "13800000011", ""),
    ("李四月", "HP91002", "黄浦区", "黄浦区政务服务中心", "13800000012", ""),
]
CODE = re.compile(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{2}")


def staff_xlsx(path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "工号", "所属区", "服务中心", "手机", "邮箱"])
    for row in NEW_STAFF:
        sheet.append(list(row))
    workbook.save(path)
    return path


def test_district_admin_prints_slips_and_staff_activates_on_a_phone(open_page, tmp_path):
    from django.contrib.auth import get_user_model

    from tests.factories import make_user

    make_user("district_admin", district="HP", username="admin_hp", full_name="黄浦管理员")
    admin = open_page()
    admin_login(admin, "admin_hp")

    # Import two people without e-mail; the result offers their activation slips.
    admin.goto("/admin/rollout/import/")
    admin.locator("#id_file").set_input_files(str(staff_xlsx(tmp_path / "黄浦区新人.xlsx")))
    admin.get_by_role("button", name="上传并预览").click()
    expect(admin.locator("main")).to_contain_text("将新增 2 人")
    admin.get_by_role("button", name="确认导入").click()
    expect(admin.locator("main")).to_contain_text("导入完成：新增 2 人")
    expect(admin.locator("main")).to_contain_text("2 名新导入人员尚无密码")
    admin.locator("[data-print-slips]").click()

    # The confirmation lists both; confirming downloads the PDF.
    for name, employee_no, *_rest in NEW_STAFF:
        expect(admin.locator("[data-slip-people]")).to_contain_text(
            f"{name} · 工号（登录名） {employee_no}"
        )
    with admin.expect_download() as download_info:
        admin.get_by_role("button", name="生成激活单 PDF").click()
    data = Path(download_info.value.path()).read_bytes()
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "HP91001" in text and "HP91002" in text
    slip = text[text.index("HP91001") :]
    code = CODE.search(slip).group(0)
    assert sum(len(page.images) for page in reader.pages) == 2  # one QR code per slip

    # The staff listing: Wagtail's bulk-action checkboxes, "打印激活单" in the footer.
    admin.goto("/admin/staffprofile/?q=HP91002")
    row = admin.locator("tr", has_text="李四月")
    row.locator("input.bulk-action-checkbox").check()
    admin.locator(".bulk-actions-buttons a", has_text="打印激活单").click()
    expect(admin.locator("[data-slip-people]")).to_contain_text("李四月 · 工号（登录名） HP91002")
    expect(admin.locator("[data-slip-people]")).not_to_contain_text("孙三木")

    # On a phone: the login page's link, then the activation form.
    phone = open_page(viewport=PHONE)
    phone.goto("/accounts/login/")
    phone.get_by_role("link", name="首次登录？使用激活码").click()
    expect(phone).to_have_url(re.compile(r"/accounts/activate/$"))
    # What the QR code opens: username in the query, the code in the fragment (filled in by
    # the page, then dropped from the address bar).
    phone.goto(f"/accounts/activate/?u=HP91001#{code}")
    expect(phone.locator("#id_code")).to_have_value(code)
    expect(phone.locator("#id_username")).to_have_value("HP91001")
    assert "#" not in phone.url
    phone.locator("#id_new_password1").fill("Sun-Sanmu-2026!")
    phone.locator("#id_new_password2").fill("Sun-Sanmu-2026!")
    phone.get_by_role("button", name="激活并登录").click()
    phone.wait_for_load_state()
    assert "/accounts/" not in phone.url, phone.url
    expect(phone.locator("body")).to_contain_text("孙三木")
    user = get_user_model().objects.get(username="HP91001")
    assert user.check_password("Sun-Sanmu-2026!")

    # The slip is spent: the same code again is the generic error.
    other = open_page(viewport=PHONE)
    other.goto(f"/accounts/activate/?u=HP91001#{code}")
    other.locator("#id_new_password1").fill("Another-pass-2026!")
    other.locator("#id_new_password2").fill("Another-pass-2026!")
    other.get_by_role("button", name="激活并登录").click()
    expect(other.locator(".form-errors")).to_contain_text("用户名或激活码不正确")
