"""The printable roster (A4 landscape, a signature column) for sign-off, rendered by
WeasyPrint with the certificates' safe URL fetcher (no network, no files outside our assets)
and the pre-subset CJK font."""

import threading

from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from certificates import fonts
from certificates.rendering import STATIC_DIR, SafeURLFetcher

from .exports import RowFormatter, describe_filter, headers
from .roster import RosterFilter, roster_values

TEMPLATE = "rollout/pdf/roster.html"
MAX_ROWS = 5000  # a larger roster is a spreadsheet, not a sign-off sheet

_lock = threading.Lock()
_font_config = None
_stylesheet = None


def _css():
    global _font_config, _stylesheet
    if _stylesheet is None:
        _font_config = FontConfiguration()
        subset = fonts.build_subset_font().resolve().as_uri()
        family = f'"{fonts.SUBSET_FAMILY}", "{fonts.SYSTEM_CJK_FAMILY}", sans-serif'
        _stylesheet = CSS(
            string=(
                f'@font-face {{ font-family: "{fonts.SUBSET_FAMILY}"; src: url("{subset}"); }}\n'
                "@page { size: A4 landscape; margin: 12mm 10mm 14mm;"
                " @bottom-right { content: counter(page) ' / ' counter(pages);"
                " font-size: 8pt; } }\n"
                f"body {{ font-family: {family}; font-size: 8.5pt; }}\n"
                "h1 { font-size: 14pt; margin: 0 0 2mm; }\n"
                ".meta { margin: 0 0 3mm; color: #333; }\n"
                "table { width: 100%; border-collapse: collapse; }\n"
                "thead { display: table-header-group; }\n"
                "tr { page-break-inside: avoid; }\n"
                "th, td { border: 0.5pt solid #555; padding: 1.2mm 1.5mm; text-align: left; }\n"
                "th { background: #eee; }\n"
                "td.sign { width: 30mm; height: 8mm; }\n"
                ".foot { margin-top: 5mm; }\n"
            ),
            font_config=_font_config,
            url_fetcher=SafeURLFetcher(),
        )
    return _stylesheet


class RosterTooLarge(Exception):
    pass


def roster_context(filt: RosterFilter, now=None) -> dict:
    info = describe_filter(filt)
    fmt = RowFormatter(typed=True)
    rows = []
    for row in roster_values(filt, now=now):
        rows.append(fmt(row))
        if len(rows) > MAX_ROWS:
            raise RosterTooLarge(MAX_ROWS)
    columns = headers()
    keep = [0, 1, 2, 3, 4, 6, 7, 10, 11, 12]  # district … status; no enrolment date, serial
    return {
        **info,
        "headers": [columns[i] for i in keep],
        "rows": [[row[i] for i in keep] for row in rows],
        "count": len(rows),
    }


def render_roster_pdf(filt: RosterFilter, now=None) -> tuple[bytes, int]:
    """The roster as PDF bytes, and its row count."""
    context = roster_context(filt, now)
    html = render_to_string(TEMPLATE, context)
    with _lock:
        stylesheet = _css()
        document = HTML(
            string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=SafeURLFetcher()
        ).render(stylesheets=[stylesheet], font_config=_font_config)
        return document.write_pdf(), context["count"]
