"""Expiry reminders: one email per certificate at each stage before it expires (by default 60,
30 and 7 days; ``settings.CERTIFICATE_EXPIRY_REMINDER_DAYS``).

No extra bookkeeping: ``reminded_at`` holds the last reminder, and a certificate is due for a
stage when it has entered the stage's window since then. Running the sender several times a
day sends each stage once."""

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from .rendering import format_date_zh

DEFAULT_STAGES = (60, 30, 7)


def reminder_stages() -> list[int]:
    """The reminder stages in days before expiry, largest first."""
    days = getattr(settings, "CERTIFICATE_EXPIRY_REMINDER_DAYS", DEFAULT_STAGES)
    return sorted({int(d) for d in days if int(d) > 0}, reverse=True)


def days_left(expires_at, now=None) -> int:
    """Whole calendar days (Shanghai) from today to the expiry date: a certificate that
    expires ten days from now has 10 days left, whatever the hour."""
    now = now or timezone.now()
    return max(0, (timezone.localdate(expires_at) - timezone.localdate(now)).days)


def _stage_start(expires_at, stages, now):
    """The start of the stage window the certificate is in now (None: no stage yet)."""
    left = expires_at - now
    current = None
    for days in stages:  # largest first: the last one that still contains ``left`` wins
        if left <= timedelta(days=days):
            current = days
    return None if current is None else expires_at - timedelta(days=current)


def send_expiry_reminders(days=None, now=None):
    """Email holders whose valid certificate has entered a reminder stage since their last
    reminder. ``days`` (one stage) overrides the configured stages. Returns the count."""
    from .lifecycle import open_renewals
    from .models import Certificate

    now = now or timezone.now()
    # The e-mail invites the holder to retrain: their course re-opens for a new cycle now.
    open_renewals(at=now)
    stages = [days] if days else reminder_stages()
    if not stages:
        return 0
    due = (
        Certificate.objects.valid(now)
        .filter(expires_at__lte=now + timedelta(days=max(stages)))
        .select_related("user", "course")
        .order_by("expires_at")
    )
    sent = 0
    for cert in due:
        if not cert.user.email or not cert.user.is_active:
            continue
        start = _stage_start(cert.expires_at, stages, now)
        if start is None or (cert.reminded_at is not None and cert.reminded_at >= start):
            continue
        # Claim the certificate first: a concurrent run cannot send the same reminder.
        claimed = Certificate.objects.filter(pk=cert.pk, reminded_at=cert.reminded_at).update(
            reminded_at=now
        )
        if not claimed:
            continue
        context = {
            "certificate": cert,
            "expires_on": format_date_zh(cert.expires_at),
            "days_left": days_left(cert.expires_at, now),
            "site_url": settings.SITE_URL.rstrip("/"),
        }
        subject = f"【培训平台】证书即将到期：{cert.course.title}"
        body = render_to_string("certificates/email/expiry_reminder.txt", context)
        send_mail(subject, body, None, [cert.user.email])
        sent += 1
    return sent
