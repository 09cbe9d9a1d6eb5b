"""Certificate PDFs with WeasyPrint: fast CJK rendering, one shared font configuration.

Speed:
- ONE ``FontConfiguration`` per process (module level), so the ``@font-face`` font is loaded
  into fontconfig once, and the stylesheet is parsed once per font profile;
- the CJK font is a pre-subset Noto Sans CJK SC (GB2312, see ``certificates.fonts``), so
  HarfBuzz's per-render subset is small and renumbers glyphs;
- a batch renders many certificates as the pages of ONE document (``render_pdf`` with many
  contexts), chunked so memory stays flat.

Safety: the ``SafeURLFetcher`` only reads ``data:`` URLs and files under our own asset
directories (static/certificates and var/fonts), never follows redirects and never touches the
network; everything else fails (and WeasyPrint leaves the resource out).
"""

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from courses.wording import plain_number

from . import fonts

logger = logging.getLogger(__name__)

TEMPLATE = "certificates/certificate.html"
STATIC_DIR = Path(settings.BASE_DIR) / "static" / "certificates"
BASE_CSS = STATIC_DIR / "certificate.css"
# Bound on one document: a batch is rendered in chunks of this many pages.
MAX_PAGES_PER_DOCUMENT = 500
# A render that takes longer fails with CertificateRenderError (no PDF is stored), and the
# fetcher refuses every resource once the limit has passed; the task queue's job timeout
# (RQ_QUEUES DEFAULT_TIMEOUT) is the hard stop for a worker.
RENDER_TIME_LIMIT = getattr(settings, "CERTIFICATE_RENDER_TIME_LIMIT", 60)


class CertificateRenderError(Exception):
    """A certificate cannot be rendered faithfully (e.g. a character no font can draw)."""


def allowed_roots():
    return [STATIC_DIR.resolve(), fonts.font_dir().resolve()]


class SafeURLFetcher(URLFetcher):
    """data: URLs and our own asset files only; no network, no redirects, no other files."""

    def __init__(self, **kwargs):
        kwargs.update(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=2)
        super().__init__(**kwargs)
        self.deadline = None

    def fetch(self, url, headers=None):
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise ValueError("certificate render time limit exceeded")
        scheme = url.split(":", 1)[0].lower()
        if scheme == "file":
            path = Path(unquote(urlsplit(url).path)).resolve()
            if not any(path.is_relative_to(root) for root in allowed_roots()):
                raise ValueError(f"file outside the certificate assets refused: {url}")
        elif scheme != "data":
            raise ValueError(f"URL refused: {url}")
        return super().fetch(url, headers)


@dataclass
class FontProfile:
    name: str
    font_face_css: str
    family: str


def _profiles():
    subset_uri = fonts.build_subset_font().resolve().as_uri()
    return {
        "cjk": FontProfile(
            "cjk",
            f'@font-face {{ font-family: "{fonts.SUBSET_FAMILY}"; src: url("{subset_uri}"); }}',
            f'"{fonts.SUBSET_FAMILY}", "{fonts.SYSTEM_CJK_FAMILY}", sans-serif',
        ),
        # The reference for benchmarks: same template and layout, Latin text, DejaVu.
        "latin": FontProfile("latin", "", '"DejaVu Sans", sans-serif'),
    }


class _Renderer:
    def __init__(self):
        self.lock = threading.Lock()
        self.font_config = None
        self.stylesheets = {}

    def stylesheet(self, profile_name):
        if self.font_config is None:
            self.font_config = FontConfiguration()
        if profile_name not in self.stylesheets:
            profile = _profiles()[profile_name]
            css = (
                profile.font_face_css
                + f"\n:root {{ --family: {profile.family}; }}\n"
                + f"body {{ font-family: {profile.family}; }}\n"
                + BASE_CSS.read_text(encoding="utf-8")
            )
            self.stylesheets[profile_name] = CSS(
                string=css,
                base_url=STATIC_DIR.as_uri() + "/",
                font_config=self.font_config,
                url_fetcher=SafeURLFetcher(),
            )
        return self.stylesheets[profile_name]

    def render(self, html, profile_name):
        with self.lock:
            fetcher = SafeURLFetcher()
            started = time.monotonic()
            fetcher.deadline = started + RENDER_TIME_LIMIT
            document = HTML(
                string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=fetcher
            ).render(
                stylesheets=[self.stylesheet(profile_name)],
                font_config=self.font_config,
                optimize_images=False,
            )
            pdf = document.write_pdf()
            elapsed = time.monotonic() - started
            if elapsed > RENDER_TIME_LIMIT:
                raise CertificateRenderError(f"certificate render took {elapsed:.1f} s")
            return pdf


renderer = _Renderer()


# --- context ------------------------------------------------------------------------------


def _as_date(value):
    if isinstance(value, datetime):
        return timezone.localtime(value).date()
    return value


def format_date_zh(value):
    """2026年11月24日"""
    if value is None:
        return ""
    value = _as_date(value)
    return f"{value.year}年{value.month}月{value.day}日"


def format_date_en(value):
    """24 November 2026"""
    if value is None:
        return ""
    value = _as_date(value)
    return f"{value.day} {value.strftime('%B')} {value.year}"


def qr_svg(url):
    """The verification URL as an inline SVG QR code (segno; trusted content)."""
    # A fixed mask skips segno's evaluation of all eight masks (5 ms → 1.5 ms per code);
    # any mask yields a valid, readable code.
    qr = segno.make(url, error="m", micro=False, mask=4)
    return mark_safe(qr.svg_inline(scale=3, border=2, dark="#111"))  # noqa: S308


# Fixed labels printed on every certificate (the editable wording lives in CertificateSettings).
LABELS_ZH = {
    "certify": "兹证明",
    "comrade": "同志",
    "course": "课程",
    "hours": "学时",
    "serial": "证书编号",
    "validity": "有效期",
    "to": "至",
    "scan": "扫码验证",
    "verify_at": "验证网址",
    "code": "验证码",
    "lparen": "（",
    "rparen": "）",
}
# Only for the benchmark reference: the same template with Latin text.
LABELS_LATIN = {
    "certify": "This is to certify that",
    "comrade": "",
    "course": "Course",
    "hours": "Hours",
    "serial": "Serial No.",
    "validity": "Valid",
    "to": "to",
    "scan": "Scan to verify",
    "verify_at": "Verify at",
    "code": "Code",
    "lparen": " (",
    "rparen": ")",
}


@dataclass
class CertificateContext:
    """Everything printed on one certificate (plain data: renderable without a database)."""

    holder_name: str
    district_name: str
    district_name_en: str
    course_title: str
    course_code: str
    hours: str
    serial: str
    issued_on: str
    expires_on: str
    verify_url: str
    bilingual: bool = False
    # Printed as text beside the QR code, so a photocopy can be checked by hand.
    verification_code: str = ""
    issued_on_en: str = ""
    expires_on_en: str = ""
    wording: dict = field(default_factory=dict)
    labels: dict = field(default_factory=lambda: dict(LABELS_ZH))

    def qr(self):
        return qr_svg(self.verify_url)

    @property
    def text(self):
        return " ".join(
            [self.holder_name, self.district_name, self.course_title, self.serial]
            + [self.verify_url, self.verification_code]
            + [str(v) for v in self.wording.values()]
        )


def context_for(certificate, wording=None):
    from .models import CertificateSettings

    wording = wording or CertificateSettings.wording()
    course = certificate.course
    district = certificate.holder_district
    return CertificateContext(
        holder_name=certificate.holder_name,
        district_name=district.name_zh if district else wording["city_name_zh"],
        district_name_en=district.name_en if district else wording["city_name_en"],
        course_title=course.title,
        course_code=course.code,
        hours=plain_number(course.hours),  # as the pages show it (credit_hours)
        serial=certificate.serial,
        issued_on=format_date_zh(certificate.issued_at),
        expires_on=format_date_zh(certificate.expires_at),
        issued_on_en=format_date_en(certificate.issued_at),
        expires_on_en=format_date_en(certificate.expires_at),
        verify_url=certificate.verify_url,
        verification_code=certificate.verification_code,
        bilingual=course.certificate_language == "bilingual",
        wording=wording,
    )


def check_renderable(contexts):
    for ctx in contexts:
        missing = fonts.uncovered_characters(ctx.text)
        if missing:
            raise CertificateRenderError(
                f"证书 {ctx.serial} 含有任何字体都无法显示的字符：{''.join(missing)!r}"
                f" ({', '.join(f'U+{ord(c):04X}' for c in missing)})"
            )


def fonts_check_text(text):
    """Raise CertificateRenderError if some character of ``text`` has no glyph in any font."""
    missing = fonts.uncovered_characters(text)
    if missing:
        raise CertificateRenderError(
            f"无法在证书上显示以下字符（没有字体包含它们）：{''.join(missing)}"
            f" ({', '.join(f'U+{ord(c):04X}' for c in missing)})"
        )


def render_html(contexts, lang="zh-Hans"):
    return render_to_string(TEMPLATE, {"certificates": contexts, "lang": lang})


def render_pdf(contexts, profile="cjk"):
    """One PDF with one A4 landscape page per context."""
    contexts = list(contexts)
    if profile == "cjk":
        check_renderable(contexts)
    if len(contexts) > MAX_PAGES_PER_DOCUMENT:
        raise CertificateRenderError("too many pages for one document; use render_many")
    html = render_html(contexts, "zh-Hans" if profile == "cjk" else "en")
    return renderer.render(html, profile)


def render_many(contexts, chunk=100, profile="cjk"):
    """Yield PDFs of ``chunk`` pages each: memory stays flat whatever the batch size."""
    batch = []
    for ctx in contexts:
        batch.append(ctx)
        if len(batch) >= chunk:
            yield render_pdf(batch, profile)
            batch = []
    if batch:
        yield render_pdf(batch, profile)


def render_certificate(certificate):
    return render_pdf([context_for(certificate)])
