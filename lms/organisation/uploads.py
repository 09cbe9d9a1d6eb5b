"""The one check for every file a user uploads: staff rosters, question banks, documents.

    from lms.organisation.uploads import validate_upload, read_table
    validate_upload(request.FILES["file"], "staff")          # or "questions", "document"
    for line, cells in read_table(data, "staff.xlsx", "staff"):
        ...

``validate_upload`` checks the extension, the size and the content (sniffed, never trusted from
the browser's content type):

- ZIP containers (XLSX, DOCX, PPTX, ODT, ZIP): a real ZIP archive (Office files holding
  ``[Content_Types].xml``, ODT ``mimetype``),
  at most ``MAX_ZIP_MEMBERS`` members, at most ``max_uncompressed`` bytes once unpacked and no
  member inflating more than ``max_ratio`` times (zip bombs);
- text (CSV, GIFT, Aiken, TXT): UTF-8 (with or without BOM) or GB18030, no NUL bytes, at most
  ``max_rows`` lines of at most ``max_cell_chars`` characters;
- PDF, MP4, WebM: their signature in the first bytes.

``read_table`` reads CSV or XLSX as a stream of rows, with the limits on rows, columns and cell
length. XLSX is read with openpyxl in read-only (streaming) mode and the declared dimensions of
the sheet are ignored: a 1.5 KB file that declares ``A1:XFD1048576`` costs what its real cells
cost, not 17 billion empty ones.

The limits per kind of upload live in ``settings.UPLOAD_LIMITS``; every error is a
``django.core.exceptions.ValidationError`` with a translated message naming the row.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

TEXT_EXTENSIONS = {"csv", "gift", "txt", "aiken"}
OOXML_EXTENSIONS = {"xlsx", "docx", "pptx"}
ZIP_EXTENSIONS = OOXML_EXTENSIONS | {"odt", "zip"}
# Binary formats recognised by their first bytes: extension -> (offset, signature).
MAGIC = {"pdf": (None, b"%PDF-"), "mp4": (4, b"ftyp"), "webm": (0, b"\x1a\x45\xdf\xa3")}
TABLE_EXTENSIONS = {"csv", "xlsx"}
MAX_ZIP_MEMBERS = 10_000

DEFAULT_LIMITS = {
    "staff": {
        "extensions": ["xlsx", "csv"],
        "max_rows": 50_000,
        "max_columns": 50,
        "max_cell_chars": 1_000,
    },
    "questions": {
        "extensions": ["gift", "txt", "aiken"],
        "max_rows": 200_000,
        "max_cell_chars": 100_000,
    },
    "document": {
        # extensions: settings.WAGTAILDOCS_EXTENSIONS
        "max_rows": 1_000_000,
        "max_cell_chars": 1_000_000,
    },
}


@dataclass(frozen=True)
class UploadPolicy:
    """What one kind of upload may be."""

    kind: str
    extensions: frozenset = field(default_factory=frozenset)
    max_bytes: int = 5 * 1024 * 1024
    max_rows: int | None = None
    max_columns: int | None = None
    max_cell_chars: int | None = None
    max_ratio: int = 100
    max_uncompressed: int = 50 * 1024 * 1024


def policy(kind: str | UploadPolicy, **overrides) -> UploadPolicy:
    """The policy of ``kind`` from ``settings.UPLOAD_LIMITS`` (read at call time, so tests and
    deployments can change it). ``max_bytes`` defaults to ``MAX_IMPORT_UPLOAD_SIZE`` for imports
    and ``WAGTAILDOCS_MAX_UPLOAD_SIZE`` for documents."""
    if isinstance(kind, UploadPolicy):
        return replace(kind, **overrides) if overrides else kind
    configured = getattr(settings, "UPLOAD_LIMITS", {}) or {}
    values = {**DEFAULT_LIMITS.get(kind, {}), **configured.get(kind, {}), **overrides}
    if kind == "document":
        values.setdefault("extensions", getattr(settings, "WAGTAILDOCS_EXTENSIONS", None) or [])
    if "max_bytes" not in values:
        values["max_bytes"] = (
            getattr(settings, "WAGTAILDOCS_MAX_UPLOAD_SIZE", None) or 20 * 1024 * 1024
            if kind == "document"
            else getattr(settings, "MAX_IMPORT_UPLOAD_SIZE", 5 * 1024 * 1024)
        )
    values.setdefault("max_ratio", getattr(settings, "MAX_UPLOAD_COMPRESSION_RATIO", 100))
    values.setdefault("max_uncompressed", getattr(settings, "MAX_UPLOAD_UNCOMPRESSED", 50 * 2**20))
    values["extensions"] = frozenset(e.lower().lstrip(".") for e in values.get("extensions", ()))
    return UploadPolicy(kind=kind, **values)


def extension(name: str | None) -> str:
    return os.path.splitext(name or "")[1].lower().lstrip(".")


def _read_all(uploaded_file, max_size):
    uploaded_file.seek(0)
    data = uploaded_file.read(max_size + 1)
    uploaded_file.seek(0)
    return data


def _too_large():
    return ValidationError(_("压缩文件解压后过大或压缩比异常，无法导入。"), code="too_large")


def _check_zip(uploaded_file, ext, rules):
    bad = ValidationError(
        _("文件内容不是有效的 Excel（.xlsx）工作簿。")
        if ext == "xlsx"
        else _("文件内容不是有效的 %(type)s 文件。") % {"type": ext.upper()},
        code="bad_content",
    )
    uploaded_file.seek(0)
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise bad from None
    finally:
        uploaded_file.seek(0)
    names = {info.filename for info in infos}
    if ext in OOXML_EXTENSIONS and "[Content_Types].xml" not in names:
        raise bad
    if ext == "odt" and "mimetype" not in names:
        raise bad
    if len(infos) > MAX_ZIP_MEMBERS:
        raise _too_large()
    total = compressed = 0
    for info in infos:
        total += info.file_size
        compressed += info.compress_size
        # Small members may compress well; the ratio counts from 1 KB compressed.
        if info.file_size > rules.max_ratio * max(info.compress_size, 1024):
            raise _too_large()
    if total > rules.max_uncompressed or total > rules.max_ratio * max(compressed, 1024):
        raise _too_large()


def decode_text(data: bytes) -> tuple[str, str]:
    """``(text, encoding)``: UTF-8 (with or without BOM), else GB18030 as older Excel saves
    it."""
    if b"\x00" in data:
        raise ValidationError(
            _("文件包含二进制内容（NUL 字节），不是文本文件。"), code="bad_content"
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
            encoding = "utf-8"
        return text, encoding
    raise ValidationError(
        _("无法识别文件编码，请保存为 UTF-8 或 GB18030 编码的文本。"), code="encoding"
    )


def _too_many_rows(rules):
    return ValidationError(
        _("文件行数过多：最多 %(n)s 行。请拆分后分批导入。") % {"n": rules.max_rows},
        code="too_many_rows",
    )


def _cell_too_long(line, column, rules):
    return ValidationError(
        _("第 %(line)s 行第 %(col)s 列：内容过长（最多 %(n)s 个字符）。")
        % {"line": line, "col": column, "n": rules.max_cell_chars},
        code="cell_too_long",
    )


def _check_text(data, ext, rules):
    text, encoding = decode_text(data)
    if ext == "csv":
        return encoding  # rows, columns and cells are checked as the table is read
    lines = text.splitlines()
    if rules.max_rows is not None and len(lines) > rules.max_rows:
        raise _too_many_rows(rules)
    if rules.max_cell_chars is not None:
        for number, line in enumerate(lines, start=1):
            if len(line) > rules.max_cell_chars:
                raise ValidationError(
                    _("第 %(line)s 行：内容过长（最多 %(n)s 个字符）。")
                    % {"line": number, "n": rules.max_cell_chars},
                    code="cell_too_long",
                )
    return encoding


def validate_upload(
    uploaded_file, kind: str | UploadPolicy | Iterable[str] = "staff", max_size: int | None = None
) -> str | None:
    """Validate an uploaded file against the policy of ``kind``; see the module docstring.
    ``kind`` may also be a list of extensions (with ``max_size``) for a one-off check.
    Returns the text encoding of text files, ``None`` for binary ones."""
    if isinstance(kind, str | UploadPolicy):
        rules = policy(kind, **({"max_bytes": max_size} if max_size else {}))
    else:
        rules = policy(
            "custom", extensions=list(kind), **({"max_bytes": max_size} if max_size else {})
        )
    ext = extension(getattr(uploaded_file, "name", ""))
    if ext not in rules.extensions:
        raise ValidationError(
            _("不支持的文件类型“%(ext)s”。允许的类型：%(allowed)s。")
            % {"ext": ext or "-", "allowed": "、".join(sorted(rules.extensions))},
            code="extension",
        )
    size = getattr(uploaded_file, "size", None)
    if size is None:
        size = len(_read_all(uploaded_file, rules.max_bytes))
    if size == 0:
        raise ValidationError(_("文件为空。"), code="empty")
    if size > rules.max_bytes:
        raise ValidationError(
            _("文件过大（%(size)s），上限为 %(max)s。")
            % {"size": filesizeformat(size), "max": filesizeformat(rules.max_bytes)},
            code="too_large",
        )
    if ext in ZIP_EXTENSIONS:
        _check_zip(uploaded_file, ext, rules)
        return None
    if ext in MAGIC:
        offset, signature = MAGIC[ext]
        uploaded_file.seek(0)
        head = uploaded_file.read(1024)
        uploaded_file.seek(0)
        found = signature in head if offset is None else head[offset:].startswith(signature)
        if not found:
            raise ValidationError(
                _("文件内容不是有效的 %(type)s 文件。") % {"type": ext.upper()},
                code="bad_content",
            )
        return None
    if ext in TEXT_EXTENSIONS:
        return _check_text(_read_all(uploaded_file, rules.max_bytes), ext, rules)
    raise ValidationError(_("无法检查该类型文件的内容。"), code="extension")


# -- reading tables ----------------------------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime.datetime) and value.time() == datetime.time(0):
        value = value.date()
    return str(value).strip()


def _checked_rows(rows: Iterable, rules: UploadPolicy) -> Iterator[tuple[int, list[str]]]:
    """Number the rows (1-based, as the spreadsheet shows them), skip empty ones and enforce
    the limits on rows, columns and cell length."""
    count = 0
    for line, raw in enumerate(rows, start=1):
        if not any(raw):
            continue
        cells = [_cell(v) for v in raw]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        count += 1
        if rules.max_rows is not None and count > rules.max_rows + 1:  # + the header
            raise _too_many_rows(rules)
        if rules.max_columns is not None and len(cells) > rules.max_columns:
            raise ValidationError(
                _("第 %(line)s 行：列数过多（最多 %(n)s 列）。")
                % {"line": line, "n": rules.max_columns},
                code="too_many_columns",
            )
        if rules.max_cell_chars is not None:
            for column, cell in enumerate(cells, start=1):
                if len(cell) > rules.max_cell_chars:
                    raise _cell_too_long(line, column, rules)
                if "\x00" in cell:
                    raise ValidationError(
                        _("第 %(line)s 行：含有不可见的控制字符（NUL）。") % {"line": line},
                        code="bad_content",
                    )
        yield line, cells


def _xlsx_rows(data: bytes, rules: UploadPolicy) -> Iterator[tuple]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise ValidationError(_("无法读取 XLSX 文件。"), code="bad_content") from exc
    try:
        sheet = workbook.worksheets[0]
        # Never trust the declared <dimension>: it decides how many empty cells openpyxl pads.
        sheet.reset_dimensions()
        # One column beyond the limit is read, so a too-wide row is noticed, never padded.
        max_col = rules.max_columns + 1 if rules.max_columns else 16_384
        yield from sheet.iter_rows(max_col=max_col, values_only=True)
    except ValidationError:
        raise
    except Exception as exc:  # a corrupt sheet XML part
        raise ValidationError(_("无法读取 XLSX 文件。"), code="bad_content") from exc
    finally:
        workbook.close()


def _csv_rows(data: bytes, rules: UploadPolicy) -> Iterator[list]:
    text, _encoding = decode_text(data)
    # newline="": the csv module sees CR, LF and CRLF line ends as they are (old Mac Excel
    # saves bare CR), and quoted cells keep their line breaks.
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ValidationError(
                _("第 %(line)d 行：CSV 格式错误（%(error)s）。")
                % {"line": reader.line_num, "error": exc},
                code="bad_content",
            ) from exc
        yield row


def read_table(
    data: bytes, filename: str, kind: str | UploadPolicy = "staff"
) -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` for every non-empty row of a CSV or XLSX file, cells as stripped
    strings, as a stream. Raises ``ValidationError`` naming the row for a file beyond the
    policy's limits."""
    rules = policy(kind)
    ext = extension(filename)
    if ext == "xlsx":
        return _checked_rows(_xlsx_rows(data, rules), rules)
    if ext == "csv":
        return _checked_rows(_csv_rows(data, rules), rules)
    raise ValidationError(_("只接受 .xlsx 或 .csv 文件。"), code="extension")
