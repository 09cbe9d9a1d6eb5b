"""Activation slips: one A4 PDF with eight slips a page (cut lines between them), one slip per
person -- name, username, district, the one-time activation code, its expiry, the site address
and a QR code. Codes are issued by ``lms.organisation.activation``; this module only prints.

Rendered by WeasyPrint with the certificates' safe URL fetcher (no network, no files outside
our assets) and the pre-subset CJK font, like the printable roster (``lms.rollout.pdf``).

The PDF is rendered in the request and streamed to the administrator, never stored: it holds
plain codes, which exist nowhere else (the database keeps only their hashes). A selection is
therefore capped (``SLIPS_MAX_PER_PDF``, 100 people ≈ 13 pages, ~8 s).

The QR code opens ``/accounts/activate/?u=<username>#<code>``: on a phone the form is filled
in and only the password remains to be typed. The code sits in the URL *fragment*, which a
browser never sends to the server, so it appears in no access log or Referer. Printing the
code in the QR as well adds no risk: the slip carries the code in plain text anyway -- a slip
is a credential, to be handed to its person only.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from certificates import fonts
from certificates.rendering import STATIC_DIR, SafeURLFetcher, format_date_zh
from lms.organisation.activation import IssuedCode, issue_codes

TEMPLATE = "rollout/pdf/activation_slips.html"
SLIPS_PER_PAGE = 8
DEFAULT_MAX_PER_PDF = 100

_lock = threading.RLock()  # render and write under one lock (shared font configuration)
_font_config = None
_stylesheet = None


def max_per_pdf() -> int:
    return int(getattr(settings, "SLIPS_MAX_PER_PDF", DEFAULT_MAX_PER_PDF))


def _css():
    global _font_config, _stylesheet
    if _stylesheet is None:
        _font_config = FontConfiguration()
        subset = fonts.build_subset_font().resolve().as_uri()
        family = f'"{fonts.SUBSET_FAMILY}", "{fonts.SYSTEM_CJK_FAMILY}", sans-serif'
        _stylesheet = CSS(
            string=(
                f'@font-face {{ font-family: "{fonts.SUBSET_FAMILY}"; src: url("{subset}"); }}\n'
                "@page { size: A4; margin: 8mm; }\n"
                f"body {{ font-family: {family}; font-size: 9pt; margin: 0; }}\n"
                ".sheet { page-break-after: always; }\n"
                ".sheet:last-child { page-break-after: auto; }\n"
                ".slip { box-sizing: border-box; float: left; width: 97mm; height: 70mm;"
                " border: 0.6pt dashed #888; padding: 4mm 4mm 3mm; overflow: hidden; }\n"
                ".slip p { margin: 0 0 0.8mm; }\n"
                ".label { display: inline-block; width: 15mm; color: #444; text-indent: 0; }\n"
                # A value that wraps continues under the value, never under its label.
                ".field { padding-left: 15mm; text-indent: -15mm; }\n"
                ".nowrap { white-space: nowrap; }\n"
                ".title { font-size: 10.5pt; font-weight: bold; margin: 0 0 2mm; }\n"
                ".qr { float: right; width: 27mm; margin: 0 0 1mm 2mm; text-align: center;"
                " font-size: 6.5pt; color: #333; }\n"
                ".qr img { width: 27mm; height: 27mm; image-rendering: pixelated; }\n"
                '.code { font-family: "DejaVu Sans Mono", monospace; font-size: 14pt;'
                " font-weight: bold; letter-spacing: 0.5pt; }\n"
                ".url { font-size: 7.5pt; word-break: break-all; }\n"
                ".note { clear: both; margin: 1.5mm 0 0; font-size: 7pt; color: #333; }\n"
            ),
            font_config=_font_config,
            url_fetcher=SafeURLFetcher(),
        )
    return _stylesheet


def activation_url() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("activate")


def qr_url(username: str, code: str) -> str:
    """The QR code's target: the username in the query, the code in the fragment."""
    return f"{activation_url()}?{urlencode({'u': username})}#{code}"


def qr_img(url: str) -> str:
    """The QR code as an ``<img>`` with a PNG data URI, rendered here by segno (no network).

    Not inline SVG: WeasyPrint parses and draws each SVG path in Python, ~25 ms per code
    (400 slips: 10 s in QR codes alone); a 1-bit PNG drawn without smoothing costs ~3 ms
    and prints as sharp (one module = 4 pixels, 0.7 mm)."""
    import base64
    import io

    qr = segno.make(url, error="m", micro=False, mask=4)
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=4, border=1)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return mark_safe(f'<img class="qr-code" alt="QR" src="data:image/png;base64,{data}">')  # noqa: S308


@dataclass
class Slip:
    full_name: str
    username: str
    district: str
    code: str
    expires_on: str
    qr: str


def slip_for(item: IssuedCode) -> Slip:
    user = item.user
    profile = getattr(user, "staff_profile", None)
    district = profile.district.name_zh if profile and profile.district_id else ""
    return Slip(
        full_name=profile.full_name if profile else user.get_full_name() or user.get_username(),
        username=user.get_username(),
        district=district,
        code=item.code,
        expires_on=format_date_zh(item.record.expires_at),
        qr=qr_img(qr_url(user.get_username(), item.code)),
    )


def render_slips(issued: list[IssuedCode]) -> bytes:
    """The slips of ``issued`` as PDF bytes (Chinese: the slips are for window staff)."""
    with _lock:
        return render_document(issued).write_pdf()


def render_document(issued: list[IssuedCode]):
    """The laid-out WeasyPrint document of the slips (tests read its boxes)."""
    slips = [slip_for(item) for item in issued]
    pages = [slips[i : i + SLIPS_PER_PAGE] for i in range(0, len(slips), SLIPS_PER_PAGE)]
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
            TEMPLATE, {"pages": pages, "site_url": activation_url(), "count": len(slips)}
        )
    with _lock:
        stylesheet = _css()
        document = HTML(
            string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=SafeURLFetcher()
        ).render(stylesheets=[stylesheet], font_config=_font_config)
    return document


@transaction.atomic  # a failed render issues nothing
def print_slips(profiles, actor) -> tuple[bytes, int]:
    """Issue a new code to each person of ``profiles`` (their earlier unused codes are revoked;
    privileged accounts are skipped) and render their slips. Returns the PDF and the count."""
    profiles = list(profiles)
    users = []
    for profile in profiles:
        user = profile.user
        user.staff_profile = profile  # the slip reads name and district without a query
        users.append(user)
    issued = issue_codes(users, created_by=actor)
    return render_slips(issued), len(issued)
