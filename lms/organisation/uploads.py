"""One check for every file a user uploads for import (staff rosters, question banks).

    from lms.organisation.uploads import validate_upload
    validate_upload(request.FILES["file"], ["xlsx", "csv"], settings.MAX_IMPORT_UPLOAD_SIZE)

Checks the extension, the size and the content (sniffed, never trusted from the browser's
content type): XLSX must be a ZIP archive holding ``[Content_Types].xml``; CSV, GIFT, Aiken and
TXT must decode as UTF-8 (with or without BOM) or GB18030 and contain no NUL bytes. Raises
``django.core.exceptions.ValidationError`` with a Chinese message; returns the detected text
encoding (``"utf-8-sig"``, ``"utf-8"``, ``"gb18030"``) for text files and ``None`` for XLSX.
"""

import os
import zipfile

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

TEXT_EXTENSIONS = {"csv", "gift", "txt", "aiken"}
ZIP_EXTENSIONS = {"xlsx"}
MAX_XLSX_MEMBERS = 10_000
MAX_XLSX_UNCOMPRESSED = 200 * 1024 * 1024  # zip bombs


def _extension(name):
    return os.path.splitext(name or "")[1].lower().lstrip(".")


def _read_all(uploaded_file, max_size):
    uploaded_file.seek(0)
    data = uploaded_file.read(max_size + 1)
    uploaded_file.seek(0)
    return data


def _check_xlsx(uploaded_file):
    uploaded_file.seek(0)
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            total = sum(info.file_size for info in infos)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ValidationError(_("文件内容不是有效的 Excel（.xlsx）工作簿。"), code="bad_content")
    finally:
        uploaded_file.seek(0)
    if "[Content_Types].xml" not in names:
        raise ValidationError(_("文件内容不是有效的 Excel（.xlsx）工作簿。"), code="bad_content")
    if len(infos) > MAX_XLSX_MEMBERS or total > MAX_XLSX_UNCOMPRESSED:
        raise ValidationError(_("Excel 工作簿解压后过大，无法导入。"), code="too_large")


def _check_text(data):
    if b"\x00" in data:
        raise ValidationError(
            _("文件包含二进制内容（NUL 字节），不是文本文件。"), code="bad_content"
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
            return "utf-8"
        return encoding
    raise ValidationError(
        _("无法识别文件编码，请保存为 UTF-8 或 GB18030 编码的文本。"), code="encoding"
    )


def validate_upload(uploaded_file, allowed_extensions, max_size):
    """Validate an uploaded file; see the module docstring."""
    allowed = {ext.lower().lstrip(".") for ext in allowed_extensions}
    ext = _extension(getattr(uploaded_file, "name", ""))
    if ext not in allowed:
        raise ValidationError(
            _("不支持的文件类型“%(ext)s”。允许的类型：%(allowed)s。")
            % {"ext": ext or "-", "allowed": "、".join(sorted(allowed))},
            code="extension",
        )
    size = getattr(uploaded_file, "size", None)
    if size is None:
        size = len(_read_all(uploaded_file, max_size))
    if size == 0:
        raise ValidationError(_("文件为空。"), code="empty")
    if size > max_size:
        raise ValidationError(
            _("文件过大（%(size)s），上限为 %(max)s。")
            % {"size": filesizeformat(size), "max": filesizeformat(max_size)},
            code="too_large",
        )
    if ext in ZIP_EXTENSIONS:
        _check_xlsx(uploaded_file)
        return None
    if ext in TEXT_EXTENSIONS:
        return _check_text(_read_all(uploaded_file, max_size))
    raise ValidationError(_("无法检查该类型文件的内容。"), code="extension")
