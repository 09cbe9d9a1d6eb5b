"""The printable roster (A4 landscape, a signature column) for sign-off, rendered by
WeasyPrint with the certificates' safe URL fetcher (no network, no files outside our assets)
and the pre-subset CJK font."""

import threading

from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from certificates import fonts
from certificates.rendering import STATIC_DIR, SafeURLFetcher

from .exports import RowFormatter, describe_filter, headers
from .roster import RosterFilter, roster_values

TEMPLATE = "rollout/pdf/roster.html"
MAX_ROWS = 5000  # a larger roster is a spreadsheet, not a sign-off sheet

SHEET_TEMPLATE = "rollout/pdf/sign_in_sheet.html"

_lock = threading.Lock()
_font_config = None
_stylesheets = {}

ROSTER_RULES = (
    "@page { size: A4 landscape; margin: 12mm 10mm 14mm;"
    " @bottom-right { content: counter(page) ' / ' counter(pages);"
    " font-size: 8pt; } }\n"
    "body { font-size: 8.5pt; }\n"
    "h1 { font-size: 14pt; margin: 0 0 2mm; }\n"
    ".meta { margin: 0 0 3mm; color: #333; }\n"
    "table { width: 100%; border-collapse: collapse; }\n"
    "thead { display: table-header-group; }\n"
    "tr, tbody.person { page-break-inside: avoid; }\n"
    "th, td { border: 0.5pt solid #555; padding: 1.2mm 1.5mm; text-align: left; }\n"
    "th { background: #eee; }\n"
    "td.sign { width: 30mm; height: 8mm; }\n"
    ".foot { margin-top: 5mm; }\n"
)

SHEET_RULES = (
    "@page { size: A4; margin: 14mm 12mm 16mm;"
    " @bottom-right { content: counter(page) ' / ' counter(pages);"
    " font-size: 8pt; } }\n"
    "body { font-size: 10pt; }\n"
    "h1 { font-size: 15pt; margin: 0 0 3mm; }\n"
    "dl { margin: 0 0 4mm; display: grid; }\n"
    ".meta { margin: 0 0 1mm; }\n"
    "table { width: 100%; border-collapse: collapse; }\n"
    "thead { display: table-header-group; }\n"
    "tr { page-break-inside: avoid; }\n"
    "th, td { border: 0.5pt solid #555; padding: 1.5mm 2mm; text-align: left; }\n"
    "th { background: #eee; }\n"
    "td.no { width: 8mm; text-align: right; }\n"
    "td.sign { width: 40mm; height: 9mm; }\n"
    ".foot { margin-top: 6mm; }\n"
)


def _font_face():
    subset = fonts.build_subset_font().resolve().as_uri()
    family = f'"{fonts.SUBSET_FAMILY}", "{fonts.SYSTEM_CJK_FAMILY}", sans-serif'
    return (
        f'@font-face {{ font-family: "{fonts.SUBSET_FAMILY}"; src: url("{subset}"); }}\n'
        f"body {{ font-family: {family}; }}\n"
    )


def _css(rules: str):
    """The stylesheet of ``rules`` with the subset CJK font, built once (call under _lock)."""
    global _font_config
    if rules not in _stylesheets:
        _font_config = _font_config or FontConfiguration()
        _stylesheets[rules] = CSS(
            string=_font_face() + rules, font_config=_font_config, url_fetcher=SafeURLFetcher()
        )
    return _stylesheets[rules]


def _render(html: str, rules: str) -> bytes:
    """``html`` as PDF bytes with the safe URL fetcher and the stylesheet of ``rules``."""
    with _lock:
        stylesheet = _css(rules)
        document = HTML(
            string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=SafeURLFetcher()
        ).render(stylesheets=[stylesheet], font_config=_font_config)
        return document.write_pdf()


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
    # district … status and attendance; no enrolment date, serial
    keep = [0, 1, 2, 3, 4, 6, 7, 10, 11, 12, 13]
    return {
        **info,
        "headers": [columns[i] for i in keep],
        "rows": [[row[i] for i in keep] for row in rows],
        "people": by_person(rows, keep),
        "count": len(rows),
    }


def by_person(rows, keep) -> list[dict]:
    """The rows grouped by person (district, employee number: the roster's order), so each
    person signs once for all their courses: ``[{"rows": [...], "span": n}]``."""
    people = []
    last = None
    for row in rows:
        key = (row[0], row[2])
        if key != last:
            people.append({"rows": []})
            last = key
        people[-1]["rows"].append([row[i] for i in keep])
    for person in people:
        person["span"] = len(person["rows"])
    return people


def render_roster_pdf(filt: RosterFilter, now=None) -> tuple[bytes, int]:
    """The roster as PDF bytes, and its row count."""
    context = roster_context(filt, now)
    return _render(render_to_string(TEMPLATE, context), ROSTER_RULES), context["count"]


def sign_in_sheet_context(session) -> dict:
    """The sheet's rows: the people booked for the session first, then (when nobody booked,
    or for walk-ins) the rest of its expected staff — every expected person has a line to
    sign; those already present (QR check-in or ticked) carry ✓ and the time."""
    from .models import Attendance
    from .services import booked_staff

    present = dict(
        Attendance.objects.present().filter(session=session).values_list("staff_id", "taken_at")
    )

    def mark(people):
        for person in people:
            taken_at = present.get(person.pk, False)
            person.checked_in = taken_at is not False
            person.checked_in_at = timezone.localtime(taken_at) if taken_at else None
        return people

    booked = mark(list(booked_staff(session)))
    booked_ids = {p.pk for p in booked}
    others = mark([p for p in session.expected_staff() if p.pk not in booked_ids])
    return {
        "session": session,
        "starts_at": timezone.localtime(session.starts_at),
        "ends_at": timezone.localtime(session.ends_at) if session.ends_at else None,
        "trainer": session.trainer_name(),
        "booked": booked,
        "others": others,
        "printed_at": timezone.localtime(),
        "checked_in": len(present),
    }


def render_sign_in_sheet(session) -> bytes:
    """The session's sign-in sheet as A4 PDF bytes (the same safe fetcher and subset font)."""
    return _render(render_to_string(SHEET_TEMPLATE, sign_in_sheet_context(session)), SHEET_RULES)
