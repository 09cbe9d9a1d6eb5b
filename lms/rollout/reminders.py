"""Overdue reminders to staff and a weekly summary to district administrators.

Idempotent per day: a ReminderLog row (unique per kind, user and day) is claimed before each
email, so running the command twice a day sends nothing new. The weekly summary goes to a
district administrator at most once in seven days.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from courses.models import Enrollment
from lms.organisation.models import StaffProfile
from lms.organisation.roles import DISTRICT_ADMIN

from .dashboards import city_numbers
from .models import ReminderLog
from .roster import RosterFilter


def _claim(kind, user, today):
    try:
        with transaction.atomic():
            ReminderLog.objects.create(kind=kind, user=user, sent_on=today)
        return True
    except IntegrityError:
        return False


def send_overdue_reminders(now=None):
    """One email per overdue learner per day, listing every overdue course. Returns count."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    overdue = (
        Enrollment.objects.filter(
            completed_at__isnull=True,
            due_at__lt=now,
            user__is_active=True,
            user__staff_profile__is_active=True,
        )
        .exclude(user__email="")
        .select_related("user", "user__staff_profile", "course")
        .order_by("user_id", "due_at")
    )
    by_user = defaultdict(list)
    for enrollment in overdue:
        by_user[enrollment.user].append(enrollment)
    already = set(
        ReminderLog.objects.filter(kind=ReminderLog.Kind.OVERDUE, sent_on=today).values_list(
            "user_id", flat=True
        )
    )
    sent = 0
    for user, enrollments in by_user.items():
        if user.pk in already or not _claim(ReminderLog.Kind.OVERDUE, user, today):
            continue
        context = {
            "name": user.staff_profile.full_name,
            "enrollments": enrollments,
            "site_url": settings.SITE_URL.rstrip("/"),
        }
        send_mail(
            "【培训平台】您有逾期未完成的培训课程",
            render_to_string("rollout/email/overdue.txt", context),
            None,
            [user.email],
        )
        sent += 1
    return sent


def send_weekly_summaries(now=None):
    """Each district administrator gets their district's numbers, once in seven days."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    week_ago = today - datetime.timedelta(days=6)
    admins = (
        StaffProfile.objects.active()
        .filter(user__groups__name=DISTRICT_ADMIN, district__isnull=False)
        .exclude(user__email="")
        .select_related("user", "district")
    )
    recent = set(
        ReminderLog.objects.filter(
            kind=ReminderLog.Kind.SUMMARY, sent_on__gte=week_ago
        ).values_list("user_id", flat=True)
    )
    sent = 0
    for profile in admins:
        if profile.user_id in recent or not _claim(ReminderLog.Kind.SUMMARY, profile.user, today):
            continue
        numbers = city_numbers(RosterFilter(district_ids=[profile.district_id]), now=now)
        context = {
            "name": profile.full_name,
            "district": profile.district,
            "total": numbers["total"].numbers,
            "by_wave": numbers["by_wave"],
            "today": today,
            "site_url": settings.SITE_URL.rstrip("/"),
        }
        send_mail(
            f"【培训平台】{profile.district.name_zh}培训周报（{today:%Y-%m-%d}）",
            render_to_string("rollout/email/weekly_summary.txt", context),
            None,
            [profile.user.email],
        )
        sent += 1
    return sent


def send_certificate_expiry_reminders(days=30):
    from certificates.reminders import send_expiry_reminders

    return send_expiry_reminders(days=days)
