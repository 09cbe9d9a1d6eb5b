"""Expiry reminders: one email per certificate, ``days`` before it expires."""

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from .rendering import format_date_zh


def send_expiry_reminders(days=30, now=None):
    """Email holders whose valid certificate expires within ``days``; never twice. Returns count."""
    from .lifecycle import open_renewals
    from .models import Certificate

    now = now or timezone.now()
    # The e-mail invites the holder to retrain: their course re-opens for a new cycle now.
    open_renewals(at=now)
    due = (
        Certificate.objects.valid(now)
        .filter(expires_at__lte=now + timedelta(days=days), reminded_at__isnull=True)
        .select_related("user", "course")
        .order_by("expires_at")
    )
    sent = 0
    for cert in due:
        if not cert.user.email or not cert.user.is_active:
            continue
        # Claim the certificate first: a concurrent run cannot send the same reminder.
        claimed = Certificate.objects.filter(pk=cert.pk, reminded_at__isnull=True).update(
            reminded_at=now
        )
        if not claimed:
            continue
        context = {
            "certificate": cert,
            "expires_on": format_date_zh(cert.expires_at),
            "days_left": max(0, (cert.expires_at - now).days),
            "site_url": settings.SITE_URL.rstrip("/"),
        }
        subject = f"【培训平台】证书即将到期：{cert.course.title}"
        body = render_to_string("certificates/email/expiry_reminder.txt", context)
        send_mail(subject, body, None, [cert.user.email])
        sent += 1
    return sent
