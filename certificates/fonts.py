"""The certificate fonts: a pre-subset Noto Sans CJK SC, built once and cached under var/fonts.

WeasyPrint subsets every embedded font at each render with HarfBuzz. Subsetting the full
Noto CJK face (65,000 glyphs, 19 MB collection) costs ~0.15 s and keeps glyph ids, so PDFs
weigh ~275 KB. We pre-subset the Simplified Chinese face to GB2312 + Latin + CJK punctuation
(~7,600 characters), desubroutinised, and load it with ``@font-face``: the per-render subset
is then fast and small. Characters outside it (rare name characters such as 䶮, 㛃, 𠮷) fall
back, through Pango/fontconfig, to the installed full "Noto Sans CJK SC"; characters no font
covers make issuance fail with a clear error instead of printing an empty box (.notdef).
"""

import functools
import hashlib
import os
import threading
from pathlib import Path

from django.conf import settings

SYSTEM_CJK_FONT = Path(
    os.environ.get("CERTIFICATE_CJK_FONT", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
)
SYSTEM_CJK_FAMILY = "Noto Sans CJK SC"
SUBSET_FAMILY = "Certificate SC"
FONT_BUILD_VERSION = "1"
_lock = threading.Lock()


def font_dir() -> Path:
    return Path(getattr(settings, "VAR_DIR", settings.BASE_DIR / "var")) / "fonts"


def subset_font_path() -> Path:
    return font_dir() / "certificate-sc.otf"


def _extra_ranges():
    ranges = [
        (0x20, 0x7E),  # ASCII
        (0xA0, 0xFF),  # Latin-1
        (0x2000, 0x206F),  # general punctuation
        (0x2100, 0x214F),  # letterlike symbols (№, ℃)
        (0x3000, 0x303F),  # CJK symbols and punctuation
        (0xFF00, 0xFFEF),  # full-width forms
    ]
    for start, end in ranges:
        yield from range(start, end + 1)


def gb2312_characters() -> set[int]:
    chars = set(_extra_ranges())
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((hi, lo)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


def _face_index(path: Path, family: str) -> int:
    from fontTools.ttLib import TTCollection

    if path.suffix.lower() != ".ttc":
        return 0
    collection = TTCollection(str(path), lazy=True)
    for index, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == family:
            return index
    return 0


def build_subset_font(path: Path | None = None, force=False) -> Path:
    """Write the GB2312 subset of Noto Sans CJK SC (idempotent; a few seconds the first time)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    path = path or subset_font_path()
    stamp = path.with_suffix(".version")
    wanted = f"{FONT_BUILD_VERSION}:{SYSTEM_CJK_FONT}:{SYSTEM_CJK_FONT.stat().st_size}"
    with _lock:
        if not force and path.exists() and stamp.exists() and stamp.read_text() == wanted:
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        font = TTFont(
            str(SYSTEM_CJK_FONT), fontNumber=_face_index(SYSTEM_CJK_FONT, SYSTEM_CJK_FAMILY)
        )
        options = subset.Options()
        options.desubroutinize = True
        options.hinting = False
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.layout_features = ["kern", "liga", "locl", "palt", "halt", "vert", "vrt2"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=gb2312_characters())
        subsetter.subset(font)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        font.save(str(tmp))
        os.replace(tmp, path)
        stamp.write_text(wanted)
    return path


@functools.cache
def subset_cmap() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(str(build_subset_font()), lazy=True).getBestCmap())


@functools.cache
def fallback_cmap() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    if not SYSTEM_CJK_FONT.exists():
        return frozenset()
    index = _face_index(SYSTEM_CJK_FONT, SYSTEM_CJK_FAMILY)
    return frozenset(TTFont(str(SYSTEM_CJK_FONT), fontNumber=index, lazy=True).getBestCmap())


def uncovered_characters(text: str) -> list[str]:
    """Characters of ``text`` that neither the subset nor the fallback font can draw."""
    covered = subset_cmap()
    missing = {ch for ch in text if not ch.isspace() and ord(ch) not in covered}
    if not missing:
        return []
    fallback = fallback_cmap()
    return sorted(ch for ch in missing if ord(ch) not in fallback)


def font_digest() -> str:
    return hashlib.sha256(subset_font_path().read_bytes()).hexdigest()[:12]
