"""Overdue reminders to staff and a weekly digest to district and city administrators.

Idempotent per day: a ReminderLog row (unique per kind, user and day) is claimed before each
email, so running the command twice a day sends nothing new. The weekly digest goes to an
administrator at most once in seven days.

Scheduling: ``manage.py run_schedule`` (from cron, e.g. hourly) queues the django_tasks below;
the worker of the configured task backend runs them.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from courses.completion import overdue_q
from courses.models import Enrollment

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


def overdue_enrollments(now, district_ids=None):
    """The overdue enrolments (``courses.completion.overdue_q``) of active staff, of
    ``district_ids`` only when given: whom the reminders concern."""
    qs = Enrollment.objects.filter(
        overdue_q(now), user__is_active=True, user__staff_profile__is_active=True
    )
    if district_ids is not None:
        qs = qs.filter(user__staff_profile__district_id__in=district_ids)
    return qs


def send_overdue_reminders(now=None, district_ids=None):
    """One email per overdue learner per day, listing every overdue course; only the staff of
    ``district_ids`` when given. Returns the number sent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    overdue = (
        overdue_enrollments(now, district_ids)
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
        site_url = settings.SITE_URL.rstrip("/")
        context = {
            "name": user.staff_profile.full_name,
            "enrollments": enrollments,
            "site_url": site_url,
            "home_url": site_url + reverse("home"),
        }
        send_mail(
            "【培训平台】您有逾期未完成的培训课程",
            render_to_string("rollout/email/overdue.txt", context),
            None,
            [user.email],
        )
        sent += 1
    return sent


def _admins(perm, exclude_perm=None):
    """Active administrators with an e-mail address holding ``perm`` (Django permissions, not
    group names)."""
    from django.contrib.auth import get_user_model

    backend = "django.contrib.auth.backends.ModelBackend"  # permissions from groups/users
    User = get_user_model()
    users = User.objects.with_perm(perm, include_superusers=False, backend=backend)
    users = users.filter(is_active=True)
    if exclude_perm:
        users = users.exclude(
            pk__in=User.objects.with_perm(
                exclude_perm, include_superusers=False, backend=backend
            ).values("pk")
        )
    return users.exclude(email="")


def overdue_people(district_ids=None, now=None, limit=None):
    """[(profile, [enrollment, …])] of active staff with overdue enrolments, by district."""
    now = now or timezone.now()
    qs = (
        overdue_enrollments(now, district_ids)
        .select_related("course", "user__staff_profile__district")
        .order_by(
            "user__staff_profile__district__sort_order",
            "user__staff_profile__employee_no",
            "due_at",
        )
    )
    people = {}
    for enrollment in qs:
        profile = enrollment.user.staff_profile
        people.setdefault(profile.pk, (profile, []))[1].append(enrollment)
    result = list(people.values())
    return result[:limit] if limit else result


def overdue_reminder_plan(district_ids=None, now=None):
    """Who an overdue reminder sent now would reach, as ``send_overdue_reminders`` decides:
    ``{"to_send": …, "without_email": …, "reminded_today": …}``, each a list of
    ``(profile, [enrollment, …])`` from ``overdue_people``."""
    now = now or timezone.now()
    people = overdue_people(district_ids, now=now)
    already = set(
        ReminderLog.objects.filter(
            kind=ReminderLog.Kind.OVERDUE,
            sent_on=timezone.localdate(now),
            user_id__in=[profile.user_id for profile, _enrollments in people],
        ).values_list("user_id", flat=True)
    )
    plan = {"to_send": [], "without_email": [], "reminded_today": []}
    for profile, enrollments in people:
        if not profile.user.email:
            plan["without_email"].append((profile, enrollments))
        elif profile.user_id in already:
            plan["reminded_today"].append((profile, enrollments))
        else:
            plan["to_send"].append((profile, enrollments))
    return plan


def expiring_certificates(district_ids=None, now=None, days=None):
    """Valid certificates of active staff expiring within ``days`` (the largest reminder
    stage), soonest first."""
    from certificates.models import Certificate
    from certificates.reminders import reminder_stages

    now = now or timezone.now()
    days = days or max(reminder_stages() or [30])
    qs = Certificate.objects.valid(now).filter(
        expires_at__lte=now + datetime.timedelta(days=days),
        user__is_active=True,
        user__staff_profile__is_active=True,
    )
    if district_ids is not None:
        qs = qs.filter(user__staff_profile__district_id__in=district_ids)
    return qs.select_related("course", "user__staff_profile__district").order_by("expires_at")


def _digest_sent_recently(today):
    week_ago = today - datetime.timedelta(days=6)
    return set(
        ReminderLog.objects.filter(
            kind=ReminderLog.Kind.SUMMARY, sent_on__gte=week_ago
        ).values_list("user_id", flat=True)
    )


def send_weekly_summaries(now=None):
    """The weekly digest, once in seven days per administrator: a district administrator gets
    their district's numbers, overdue people and certificates expiring soon; a city
    administrator every district's. Returns the number sent."""
    from certificates.reminders import days_left, reminder_stages

    now = now or timezone.now()
    today = timezone.localdate(now)
    recent = _digest_sent_recently(today)
    site_url = settings.SITE_URL.rstrip("/")
    window = max(reminder_stages() or [30])
    sent = 0

    district_admins = (
        _admins("rollout.view_dashboard", exclude_perm="lms.view_all_districts")
        .filter(staff_profile__district__isnull=False, staff_profile__is_active=True)
        .select_related("staff_profile__district")
    )
    for user in district_admins:
        profile = user.staff_profile
        if user.pk in recent or not _claim(ReminderLog.Kind.SUMMARY, user, today):
            continue
        ids = [profile.district_id]
        numbers = city_numbers(RosterFilter(district_ids=ids), now=now)
        expiring = [
            (c, days_left(c.expires_at, now)) for c in expiring_certificates(ids, now, window)
        ]
        context = {
            "name": profile.full_name,
            "district": profile.district,
            "total": numbers["total"].numbers,
            "by_wave": numbers["by_wave"],
            "overdue": overdue_people(ids, now),
            "expiring": expiring,
            "window": window,
            "today": today,
            "site_url": site_url,
            "dashboard_url": site_url
            + reverse("rollout_admin:district_dashboard", args=[profile.district_id]),
            "overdue_url": site_url + reverse("rollout_admin:roster") + "?status=overdue",
        }
        send_mail(
            f"【培训平台】{profile.district.name_zh}培训周报（{today:%Y-%m-%d}）",
            render_to_string("rollout/email/weekly_summary.txt", context),
            None,
            [user.email],
        )
        sent += 1

    city_admins = _admins("lms.view_all_districts")
    city_context = None
    for user in city_admins:
        if user.pk in recent or not _claim(ReminderLog.Kind.SUMMARY, user, today):
            continue
        if city_context is None:
            numbers = city_numbers(RosterFilter(), now=now)
            overdue_by_district = defaultdict(int)
            for profile, _enrollments in overdue_people(None, now):
                overdue_by_district[profile.district_id] += 1
            expiring_by_district = defaultdict(int)
            for cert in expiring_certificates(None, now, window):
                expiring_by_district[cert.user.staff_profile.district_id] += 1
            lines = [
                {
                    "line": line,
                    "overdue_people": overdue_by_district.get(line.obj.pk, 0),
                    "expiring": expiring_by_district.get(line.obj.pk, 0),
                }
                for line in numbers["by_district"]
                if line.numbers["staff"]
            ]
            city_context = {
                "total": numbers["total"],
                "lines": lines,
                "overdue_people": sum(overdue_by_district.values()),
                "expiring": sum(expiring_by_district.values()),
                "window": window,
                "today": today,
                "site_url": site_url,
                "dashboard_url": site_url + reverse("rollout_admin:dashboard"),
            }
        profile = getattr(user, "staff_profile", None)
        context = {**city_context, "name": profile.full_name if profile else user.get_username()}
        send_mail(
            f"【培训平台】全市培训周报（{today:%Y-%m-%d}）",
            render_to_string("rollout/email/city_summary.txt", context),
            None,
            [user.email],
        )
        sent += 1
    return sent


def send_certificate_expiry_reminders(days=None):
    from certificates.reminders import send_expiry_reminders

    return send_expiry_reminders(days=days)


# -- scheduling (django_tasks) -----------------------------------------------------------------


@task()
def daily_reminders_task() -> dict:
    """Overdue reminders and certificate expiry reminders (idempotent within a day)."""
    return {
        "overdue": send_overdue_reminders(),
        "expiry": send_certificate_expiry_reminders(),
    }


@task()
def weekly_digest_task() -> int:
    """The weekly digest to district and city administrators (once in seven days each)."""
    return send_weekly_summaries()


def enqueue_scheduled(now=None, force_digest=False, digest=True) -> list[str]:
    """Queue what is due now: the daily reminders every time (they are idempotent), the
    open waves' enrolment, and (unless ``digest=False``: the scheduler runs the digest as a
    job of its own) the weekly digest on ``WEEKLY_DIGEST_WEEKDAY``. Run by
    ``manage.py run_schedule`` (see README). Returns the names queued."""
    from .models import RolloutWave
    from .services import enrol_wave_task

    now = now or timezone.now()
    queued = ["daily_reminders"]
    daily_reminders_task.enqueue()
    for wave_id in RolloutWave.objects.open(timezone.localdate(now)).values_list("pk", flat=True):
        enrol_wave_task.enqueue(wave_id)
        queued.append(f"enrol_wave:{wave_id}")
    weekday = getattr(settings, "WEEKLY_DIGEST_WEEKDAY", 1)
    if force_digest or (digest and timezone.localdate(now).isoweekday() == weekday):
        weekly_digest_task.enqueue()
        queued.append("weekly_digest")
    return queued
