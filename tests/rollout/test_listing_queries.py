"""The admin listings cost the same number of queries for a few rows as for many: each viewset
names the relations its columns read (``list_select_related``). Wagtail's ModelViewSet has no
``get_queryset(request)`` hook, so the select_related once written there never ran and every
row queried its district, user, course… again."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certificates.models import Certificate
from courses.models import Enrollment
from lms.organisation import roles
from lms.organisation.models import District
from lms.rollout.models import TrainingSession
from tests.factories import make_user
from tests.quizzes.utils import gift_questions, make_bank

from .conftest import make_wave

pytestmark = pytest.mark.django_db


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _person(n):
    return make_user(roles.TRAINER, username=f"p{n}-{timezone.now().timestamp()}", full_name="王")


def _add_sessions(courses, n):
    wave = make_wave(courses, name=f"批次{TrainingSession.objects.count()}")
    for i in range(n):
        TrainingSession.objects.create(
            wave=wave,
            course=courses[i % 2],
            district=District.objects.get(code="HP"),
            starts_at=timezone.now() + datetime.timedelta(days=2),
            place=f"三楼{i}",
            trainer=_person(i),
        )


def _add_enrolments(courses, n):
    for i in range(n):
        Enrollment.objects.create(user=_person(i), course=courses[i % 2])


def _add_certificates(courses, n):
    now = timezone.now()
    for i in range(n):
        Certificate.objects.create(
            serial=f"T-{Certificate.objects.count()}",
            user=_person(i),
            course=courses[i % 2],
            holder_name="王",
            holder_district=District.objects.get(code="HP"),
            holder_district_code="HP",
            issued_at=now,
            expires_at=now + datetime.timedelta(days=700),
        )


def _add_questions(courses, n):
    number = re.sub(r"\D", "", str(timezone.now().timestamp()))
    make_bank(name=f"题库{number}", text=gift_questions(n, category=f"类{number}"))


LISTINGS = {
    "staffprofile:index": lambda courses, n: [_person(i) for i in range(n)],
    "rollout_sessions:index": _add_sessions,
    "enrollments:index": _add_enrolments,
    "certificates_certificate:index": _add_certificates,
    "question:index": _add_questions,
}


@pytest.mark.parametrize("url_name", sorted(LISTINGS))
def test_listing_queries_do_not_grow_with_rows(client, courses, url_name):
    client.force_login(
        get_user_model().objects.create_superuser("root", "root@example.com", "Pass-word-123")
    )
    add = LISTINGS[url_name]
    url = reverse(url_name)
    add(courses, 2)
    few = _queries(client, url)
    add(courses, 4)
    assert _queries(client, url) == few


def test_remind_overdue_page_queries_do_not_grow_with_people(client, courses):
    """The overdue reminders' page names each overdue person (with e-mail, reminded today, or
    without e-mail and their phone): the existing pin counts an empty page only."""
    from lms.rollout.models import ReminderLog
    from lms.rollout.reminders import overdue_reminder_plan

    admin = make_user(roles.DISTRICT_ADMIN, username="hp-remind")
    client.force_login(admin)
    url = reverse("rollout_admin:remind_overdue") + f"?district={admin.staff_profile.district_id}"
    due = timezone.now() - datetime.timedelta(days=1)

    def add(n):
        for i in range(n):
            person = _person(i)
            if i % 3 == 0:
                get_user_model().objects.filter(pk=person.pk).update(email="")
            elif i % 3 == 1:
                ReminderLog.objects.create(
                    kind=ReminderLog.Kind.OVERDUE, user=person, sent_on=timezone.localdate()
                )
            for course in courses:
                Enrollment.objects.create(user=person, course=course, due_at=due)

    add(3)
    few = _queries(client, url)
    add(6)
    assert _queries(client, url) == few
    plan = overdue_reminder_plan([admin.staff_profile.district_id])
    assert {key: len(people) for key, people in plan.items()} == {
        "to_send": 3,
        "without_email": 3,
        "reminded_today": 3,
    }
