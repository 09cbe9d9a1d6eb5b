"""QR check-in at an in-person session: the trainer's screen shows a QR code of a URL whose
token rotates every ``SLOT_SECONDS``; a learner signed in on their phone scans it and is
recorded present. The token is an HMAC (keyed with ``settings.SECRET_KEY`` through Django's
``salted_hmac``) of the session id and the time slot; the current and the previous slot are
accepted, so a code scanned just before it changes still works.

The token alone proves little (a photo of the screen can be forwarded), so check-in also needs
the session's time window (:func:`window`), a confirming POST from the learner's own signed-in
session, and the learner among the session's expected staff; the trainer's screen names every
person checked in as they arrive, and the attendance sheet takes a wrong one back. See
docs/SECURITY.md for the risk that remains."""

import datetime
import time

import segno
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.safestring import mark_safe

SLOT_SECONDS = 30
_SALT = "lms.rollout.checkin"


def current_slot(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // SLOT_SECONDS)


def token_for(session_id: int, slot: int) -> str:
    return salted_hmac(_SALT, f"{session_id}:{slot}", algorithm="sha256").hexdigest()[:24]


def token_is_valid(session_id: int, token: str, at: float | None = None) -> bool:
    """The token of the current slot or of the previous one."""
    slot = current_slot(at)
    return any(constant_time_compare(token, token_for(session_id, s)) for s in (slot, slot - 1))


def checkin_path(session_id: int, at: float | None = None) -> str:
    token = token_for(session_id, current_slot(at))
    return reverse("rollout:checkin", args=[session_id, token])


def checkin_url(session_id: int, at: float | None = None) -> str:
    return settings.SITE_URL.rstrip("/") + checkin_path(session_id, at)


def seconds_left(at: float | None = None) -> int:
    now = time.time() if at is None else at
    return SLOT_SECONDS - int(now % SLOT_SECONDS)


def qr_svg(url: str) -> str:
    """The URL as an inline SVG QR code (segno; our own markup)."""
    qr = segno.make(url, error="m", micro=False)
    return mark_safe(qr.svg_inline(scale=8, border=2, dark="#111"))  # noqa: S308


#: Check-in opens this long before the session starts …
OPENS_BEFORE = datetime.timedelta(minutes=30)
#: … and, for a session without an end time, closes this long after its start.
OPEN_WITHOUT_END = datetime.timedelta(hours=4)


def window(session) -> tuple[datetime.datetime, datetime.datetime]:
    """``(opens, closes)``: from 30 minutes before the start until the end (or 4 h after the
    start when the session has no end time)."""
    closes = session.ends_at or session.starts_at + OPEN_WITHOUT_END
    return session.starts_at - OPENS_BEFORE, closes


def is_open(session, now=None) -> bool:
    """Is check-in for ``session`` open at ``now``?"""
    opens, closes = window(session)
    return opens <= (now or timezone.now()) <= closes
