import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from courses.models import Enrollment
from lms.organisation import roles
from lms.rollout.models import ReminderLog
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_overdue_reminders_and_weekly_summary_once_a_day(courses):
    now = timezone.now()
    late = make_user(district="HP", full_name="王小明")
    on_time = make_user(district="HP")
    done = make_user(district="HP")
    Enrollment.objects.create(user=late, course=courses[0], due_at=now - datetime.timedelta(days=1))
    Enrollment.objects.create(user=late, course=courses[1], due_at=now - datetime.timedelta(days=2))
    Enrollment.objects.create(
        user=on_time, course=courses[0], due_at=now + datetime.timedelta(days=3)
    )
    Enrollment.objects.create(
        user=done, course=courses[0], due_at=now - datetime.timedelta(days=1), completed_at=now
    )
    hp_admin = make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin")

    call_command("send_reminders")
    overdue = [m for m in mail.outbox if late.email in m.to]
    assert len(overdue) == 1
    assert "逾期" in overdue[0].subject
    assert "王小明" in overdue[0].body and courses[0].title in overdue[0].body
    summaries = [m for m in mail.outbox if hp_admin.email in m.to]
    assert len(summaries) == 1 and "黄浦区" in summaries[0].subject
    assert "逾期人数：1" in summaries[0].body  # people, as on the dashboard (two enrolments)
    assert len(mail.outbox) == 2

    call_command("send_reminders")  # same day: nothing new
    assert len(mail.outbox) == 2
    assert ReminderLog.objects.count() == 2
