import contextlib
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from lms.organisation.uploads import validate_upload

MB = 1024 * 1024


def upload(name, data):
    return SimpleUploadedFile(name, data)


def xlsx_bytes():
    wb = Workbook()
    wb.active.append(["姓名", "工号"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_real_xlsx_accepted():
    assert validate_upload(upload("名单.xlsx", xlsx_bytes()), ["xlsx", "csv"], MB) is None


def test_zip_without_content_types_is_not_xlsx():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("evil.txt", "x")
    with pytest.raises(ValidationError, match="Excel"):
        validate_upload(upload("a.xlsx", buf.getvalue()), ["xlsx"], MB)


def test_renamed_binary_is_not_xlsx():
    with pytest.raises(ValidationError, match="Excel"):
        validate_upload(upload("a.xlsx", b"MZ\x90\x00" * 100), ["xlsx"], MB)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("姓名,工号\n张三,E1\n".encode(), "utf-8"),
        ("\ufeff姓名,工号\n".encode(), "utf-8-sig"),
        ("姓名,工号\n张三,E1\n".encode("gb18030"), "gb18030"),
    ],
)
def test_text_encodings(data, encoding):
    assert validate_upload(upload("staff.csv", data), ["csv"], MB) == encoding


def test_gift_and_aiken_text_accepted():
    gift = "::Q1:: 专利权期限? {=20 年 ~10 年}\n".encode()
    assert validate_upload(upload("bank.gift", gift), ["gift", "txt"], MB) == "utf-8"
    assert validate_upload(upload("bank.txt", gift), ["gift", "txt"], MB) == "utf-8"


def test_nul_bytes_rejected():
    with pytest.raises(ValidationError, match="NUL"):
        validate_upload(upload("staff.csv", b"a,b\x00,c\n"), ["csv"], MB)


def test_undecodable_text_rejected():
    with pytest.raises(ValidationError, match="编码"):
        validate_upload(upload("staff.csv", b"\xff\xfe\x80\x80abc"), ["csv"], MB)


def test_extension_checked_case_insensitively():
    assert validate_upload(upload("STAFF.CSV", b"a,b\n"), ["csv"], MB) == "utf-8"
    with pytest.raises(ValidationError, match="不支持的文件类型") as info:
        validate_upload(upload("staff.exe", b"a,b\n"), ["csv", "xlsx"], MB)
    assert info.value.code == "extension"
    with pytest.raises(ValidationError, match="不支持"):
        validate_upload(upload("no-extension", b"a,b\n"), ["csv"], MB)


def test_size_limit_and_empty_file():
    with pytest.raises(ValidationError, match="文件过大") as info:
        validate_upload(upload("big.csv", b"a" * (MB + 1)), ["csv"], MB)
    assert "1.0" in str(info.value)
    with pytest.raises(ValidationError, match="文件为空"):
        validate_upload(upload("empty.csv", b""), ["csv"], MB)


def test_file_position_is_reset_for_the_caller():
    f = upload("staff.csv", "姓名\n".encode())
    validate_upload(f, ["csv"], MB)
    assert f.read() == "姓名\n".encode()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_never_crashes_on_arbitrary_bytes(data):
    for name in ("x.csv", "x.xlsx", "x.gift"):
        with contextlib.suppress(ValidationError):
            validate_upload(upload(name, data), ["csv", "xlsx", "gift"], MB)
