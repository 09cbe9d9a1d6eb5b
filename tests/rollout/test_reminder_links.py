"""Reminders that reach their readers: every link in every e-mail opens (200) for its
recipient -- signed in, and signed out (the link leads through the sign-in, and for the
administrators the second factor, back to itself); expiry reminders at 60, 30 and 7 days with
the right number of days left; a weekly digest for district and city administrators, queued
through django_tasks."""

import datetime
import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from certificates.issuing import issue
from certificates.models import Certificate
from certificates.reminders import send_expiry_reminders
from courses.models import Enrollment
from lms.organisation import roles
from lms.rollout.models import ReminderLog
from lms.rollout.reminders import enqueue_scheduled, send_weekly_summaries
from tests.factories import make_user
from tests.security.helpers import confirmed_device, current_token

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def site_courses(courses, training_index):
    Site.objects.filter(is_default_site=True).update(root_page=training_index)
    return courses


@pytest.fixture
def world(site_courses):
    now = timezone.now()
    late = make_user(district="HP", full_name="王小明", username="late")
    Enrollment.objects.create(user=late, course=site_courses[0], due_at=now - DAY)
    holder = make_user(district="HP", full_name="李证书", username="holder")
    cert = issue(holder, site_courses[1])
    Certificate.objects.filter(pk=cert.pk).update(
        expires_at=now + 10 * DAY - datetime.timedelta(minutes=5)
    )
    hp_admin = make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin")
    city = make_user(roles.CITY_ADMIN, district=None, username="cityadmin")
    return {"late": late, "holder": holder, "cert": cert, "hp_admin": hp_admin, "city": city}


def _links(body):
    base = settings.SITE_URL.rstrip("/")
    urls = re.findall(r"https?://[^\s，。）)]+", body)
    assert urls, body
    for url in urls:
        assert url.startswith(base), url
    return [url[len(base) :] or "/" for url in urls]


def test_every_link_in_every_email_opens_for_its_recipient(world, client):
    call_command("send_reminders")
    recipients = {m.to[0] for m in mail.outbox}
    users = {u.email: u for u in get_user_model().objects.filter(email__in=recipients)}
    assert {world[k].email for k in ("late", "holder", "hp_admin", "city")} <= recipients
    checked = 0
    for message in mail.outbox:
        client.force_login(users[message.to[0]])
        for path in _links(message.body):
            response = client.get(path, follow=True)
            assert response.status_code == 200, (message.subject, path)
            checked += 1
    assert checked >= 6


PASSWORD = "Pass-word-123"  # tests.factories.UserFactory


def _sign_in_and_follow(client, user, device, path):
    """Open ``path`` signed out; answer the sign-in page (and the second-factor page) on the
    way; return the last response and the path it answered (with its query)."""
    response, asked = client.get(path), path
    for _step in range(6):
        if response.status_code != 302:
            return response, asked
        asked = response["Location"]
        target = asked.split("?", 1)[0]
        if target in (reverse("login"), reverse("wagtailadmin_login")):
            assert "next=" in asked, asked  # the link is not forgotten on the way
            response = client.post(asked, {"username": user.username, "password": PASSWORD})
        elif target == reverse("otp_verify"):
            assert device is not None, f"{user} asked for a second factor"
            # A new sign-in in the same 30 s: let the current code be used again.
            type(device).objects.filter(pk=device.pk).update(last_t=-1)
            device.refresh_from_db()
            response = client.post(asked, {"token": current_token(device)})
        else:
            response = client.get(asked)
    raise AssertionError(f"{path}: too many redirects")


def test_every_link_leads_a_signed_out_recipient_back_to_itself(world, settings):
    """The recipient reads the e-mail signed out: each link goes through the sign-in page (and
    the second factor of the administrators) and ends on the page linked, with its filters --
    the district administrator on the overdue roster of their district, the city administrator
    on the city dashboard -- not on a home page or the learner site."""
    settings.LMS_REQUIRE_2FA = True
    devices = {world[key].pk: confirmed_device(world[key]) for key in ("hp_admin", "city")}
    call_command("send_reminders")
    users = {u.email: u for u in get_user_model().objects.exclude(email="")}
    landed = {}
    for message in mail.outbox:
        user = users[message.to[0]]
        for path in _links(message.body):
            response, final = _sign_in_and_follow(Client(), user, devices.get(user.pk), path)
            assert response.status_code == 200, (message.subject, path, final)
            assert final == path, (message.subject, path, final)
            landed[(user.username, path)] = response.content.decode()
    digest = {k: v for k, v in landed.items() if k[0] in ("hpadmin", "cityadmin")}
    assert len(digest) == 3  # two links in the district digest, one in the city digest
    roster = landed[("hpadmin", reverse("rollout_admin:roster") + "?status=overdue")]
    assert "王小明" in roster
    hp = world["hp_admin"].staff_profile.district
    district = landed[("hpadmin", reverse("rollout_admin:district_dashboard", args=[hp.pk]))]
    assert "黄浦区培训看板" in district
    assert "data-district-table" in landed[("cityadmin", reverse("rollout_admin:dashboard"))]


def test_expiry_reminders_at_60_30_and_7_days(site_courses):
    holder = make_user(district="HP", username="h")
    cert = issue(holder, site_courses[0])
    expires = timezone.now() + 400 * DAY
    Certificate.objects.filter(pk=cert.pk).update(expires_at=expires)
    sent = []
    for days_before in (90, 61, 59, 58, 31, 30, 29, 8, 7, 6, 1):
        now = expires - days_before * DAY + datetime.timedelta(hours=1)
        sent.append((days_before, send_expiry_reminders(now=now)))
    assert [d for d, n in sent if n] == [59, 30, 7]
    assert len(mail.outbox) == 3


def test_configurable_stages(site_courses, settings):
    settings.CERTIFICATE_EXPIRY_REMINDER_DAYS = [14]
    holder = make_user(district="HP", username="h")
    cert = issue(holder, site_courses[0])
    expires = timezone.now() + 400 * DAY
    Certificate.objects.filter(pk=cert.pk).update(expires_at=expires)
    assert send_expiry_reminders(now=expires - 30 * DAY) == 0
    assert send_expiry_reminders(now=expires - 13 * DAY) == 1


def test_ten_days_left_says_ten(world):
    send_expiry_reminders()
    (message,) = [m for m in mail.outbox if world["holder"].email in m.to]
    assert "还有 10 天" in message.body


def test_weekly_digest_for_district_and_city_admins(world):
    assert send_weekly_summaries() == 2
    by_to = {m.to[0]: m for m in mail.outbox}
    district = by_to[world["hp_admin"].email]
    assert "黄浦区" in district.subject
    assert "王小明" in district.body  # overdue person
    assert "李证书" in district.body and "还有 10 天" in district.body  # expiring certificate
    city = by_to[world["city"].email]
    assert "全市" in city.subject
    assert "黄浦区" in city.body and "徐汇区" not in city.body  # districts without staff left out
    assert "逾期未完成人数：1" in city.body
    assert send_weekly_summaries() == 0  # once in seven days
    assert ReminderLog.objects.filter(kind="summary").count() == 2


def test_run_schedule_queues_the_digest_on_its_weekday(world, settings):
    today = timezone.localdate()
    settings.WEEKLY_DIGEST_WEEKDAY = (today.isoweekday() % 7) + 1  # tomorrow
    queued = enqueue_scheduled()
    assert "weekly_digest" not in queued and "daily_reminders" in queued
    assert {world["late"].email, world["holder"].email} <= {m.to[0] for m in mail.outbox}
    assert world["hp_admin"].email not in {m.to[0] for m in mail.outbox}
    settings.WEEKLY_DIGEST_WEEKDAY = today.isoweekday()
    call_command("run_schedule")
    assert world["hp_admin"].email in {m.to[0] for m in mail.outbox}


def test_weekly_digest_is_a_scheduled_job_that_sends_the_digests(world):
    """Issue 16: the digest existed but nothing ran it. It is on the one timetable (RQ's cron in
    production, run_scheduled_jobs in demo): Monday 08:00 Shanghai time, and running the job
    sends the district and city digests (once in seven days)."""
    from croniter import croniter

    from lms.jobs.scheduling import JOBS

    [job] = [job for job in JOBS if job.name == "weekly_digest"]
    assert job.cron == "0 8 * * 1"
    sunday = timezone.make_aware(datetime.datetime(2026, 11, 29, 20, 0))
    fires = croniter(job.cron, timezone.localtime(sunday)).get_next(datetime.datetime)
    assert (fires.isoweekday(), fires.hour, fires.minute) == (1, 8, 0)
    job.func()
    recipients = {m.to[0] for m in mail.outbox}
    assert {world["hp_admin"].email, world["city"].email} <= recipients
    assert world["late"].email not in recipients  # the digest only, not the daily reminders
    sent = len(mail.outbox)
    job.func()
    assert len(mail.outbox) == sent


def test_daily_reminders_and_wave_enrolment_run_by_themselves(world, settings):
    """The overdue and expiry reminders and the enrolment of open waves were only queued by a
    hand-run ``run_schedule``: they are a job on the one timetable (hourly), which sends each
    reminder once and never the digest."""
    from lms.jobs.scheduling import JOBS

    [job] = [job for job in JOBS if job.name == "reminders_and_enrolment"]
    assert job.cron == "7 * * * *"
    settings.WEEKLY_DIGEST_WEEKDAY = timezone.localdate().isoweekday()  # digest day: still none
    job.func()
    recipients = [m.to[0] for m in mail.outbox]
    assert {world["late"].email, world["holder"].email} <= set(recipients)
    assert world["hp_admin"].email not in recipients and world["city"].email not in recipients
    sent = len(mail.outbox)
    job.func()  # an hour later: nothing new
    assert len(mail.outbox) == sent
