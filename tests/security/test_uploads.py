import contextlib
import io
import resource
import signal
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


# -- hole 6: one validator with limits on bytes, rows, columns, cells and compression ----------


def inline_row(number, values):
    cells = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>'
        for i, v in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


def dimension_bomb():
    """A hand-made 1.5 KB XLSX declaring ``A1:XFD1048576`` (16,384 columns × 1,048,576 rows)
    with three real rows, the last one at row 1,048,576. openpyxl pads every row it yields to
    the declared width and fills the missing rows in between: 17 billion empty cells for a
    reader that trusts the declared dimension."""
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    sheet = (
        f'<worksheet xmlns="{ns}"><dimension ref="A1:XFD1048576"/><sheetData>'
        + inline_row(1, ["姓名", "工号", "所属区"])
        + inline_row(2, ["张三", "XH001", "徐汇区"])
        + inline_row(1048576, ["李四", "XH002", "310104"])
        + "</sheetData></worksheet>"
    )
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{ns}" xmlns:r="{rel}"><sheets>'
            '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


@contextlib.contextmanager
def time_limit(seconds):
    """Fail (instead of hanging or exhausting memory) when the block runs too long."""

    def expired(signum, frame):
        raise TimeoutError(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.django_db
def test_xlsx_declaring_a_huge_dimension_reads_only_its_real_cells():
    from lms.rollout import importing

    data = dimension_bomb()
    assert len(data) < 2 * 1024
    validate_upload(upload("名单.xlsx", data), "staff")  # small, plausible, compressed sanely
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    with time_limit(20):
        result = importing.preview(data, "名单.xlsx")
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) * 1024
    assert result.ok, result.errors
    assert [(r.line, r.values["employee_no"]) for r in result.rows] == [
        (2, "XH001"),
        (1048576, "XH002"),
    ]
    assert grown < 50 * MB


def test_zip_bomb_refused_by_compression_ratio():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<c/>" * (4 * MB))  # 16 MB of the same
    assert len(buf.getvalue()) < 100 * 1024
    with pytest.raises(ValidationError, match="压缩比") as info:
        validate_upload(upload("staff.xlsx", buf.getvalue()), "staff")
    assert info.value.code == "too_large"


def test_row_column_and_cell_limits_name_the_row(settings):
    from lms.organisation.uploads import read_table

    settings.UPLOAD_LIMITS = {
        "staff": {"extensions": ["csv", "xlsx"], "max_rows": 3, "max_columns": 4,
                  "max_cell_chars": 10},
    }  # fmt: skip
    ok = "姓名,工号\n" + "甲,1\n" * 3
    assert len(list(read_table(ok.encode(), "a.csv", "staff"))) == 4
    with pytest.raises(ValidationError, match="最多 3 行"):
        list(read_table(("姓名,工号\n" + "甲,1\n" * 4).encode(), "a.csv", "staff"))
    with pytest.raises(ValidationError, match="第 2 行：列数过多"):
        list(read_table("姓名,工号\n1,2,3,4,5\n".encode(), "a.csv", "staff"))
    with pytest.raises(ValidationError, match="第 3 行第 2 列：内容过长"):
        list(read_table(("姓名,工号\n甲,1\n乙," + "长" * 11 + "\n").encode(), "a.csv", "staff"))
    wb = Workbook()
    wb.active.append(["姓名", "工号"])
    wb.active.append([1, 2, 3, 4, 5, 6])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ValidationError, match="第 2 行：列数过多"):
        list(read_table(buf.getvalue(), "a.xlsx", "staff"))


def test_question_files_limited_in_lines_and_line_length(settings):
    settings.UPLOAD_LIMITS = {"questions": {"extensions": ["gift"], "max_rows": 2,
                                            "max_cell_chars": 20}}  # fmt: skip
    assert validate_upload(upload("a.gift", b"::Q:: x {T}\n"), "questions") == "utf-8"
    with pytest.raises(ValidationError, match="最多 2 行"):
        validate_upload(upload("a.gift", b"a\nb\nc\n"), "questions")
    with pytest.raises(ValidationError, match="第 2 行：内容过长"):
        validate_upload(upload("a.gift", b"a\n" + b"b" * 21 + b"\n"), "questions")


@pytest.mark.parametrize(
    ("name", "data", "ok"),
    [
        ("handbook.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", True),
        ("handbook.pdf", b"<html><script>alert(1)</script>", False),
        ("slides.pptx", b"MZ\x90\x00" * 10, False),
        ("clip.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 20, True),
        ("clip.mp4", b"<svg onload=alert(1)>", False),
        ("script.exe", b"MZ\x90\x00", False),
    ],
)
def test_document_uploads_are_sniffed(name, data, ok):
    if ok:
        validate_upload(upload(name, data), "document")
    else:
        with pytest.raises(ValidationError):
            validate_upload(upload(name, data), "document")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data", "accepted"),
    [
        ("handbook.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n", True),
        ("handbook.pdf", b"<html><script>alert(1)</script></html>", False),
        ("forms.xlsx", b"PK\x03\x04" + b"\x00" * 40, False),
    ],
)
def test_wagtail_document_uploads_go_through_the_validator(client, name, data, accepted):
    from django.contrib.auth import get_user_model
    from django.urls import reverse
    from wagtail.documents import get_document_model
    from wagtail.models import Collection

    admin = get_user_model().objects.create_superuser("docs-admin", "d@example.com", "x")
    client.force_login(admin)
    response = client.post(
        reverse("wagtaildocs:add"),
        {
            "title": "文件",
            "file": upload(name, data),
            "collection": Collection.get_first_root_node().pk,
        },
    )
    assert get_document_model().objects.exists() is accepted
    if not accepted:
        assert response.status_code == 200
        assert "文件内容不是有效的" in response.content.decode()
