"""QR check-in at an in-person session: the trainer's screen shows a QR code of a URL whose
token rotates every ``SLOT_SECONDS``; a learner signed in on their phone scans it and is
recorded present. The token is an HMAC (keyed with ``settings.SECRET_KEY`` through Django's
``salted_hmac``) of the session id and the time slot; the current and the previous slot are
accepted, so a code scanned just before it changes still works."""

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


def is_session_day(session, now=None) -> bool:
    return timezone.localtime(now or timezone.now()).date() == session.local_date
