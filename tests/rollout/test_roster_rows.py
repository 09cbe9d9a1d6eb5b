"""Roster filters never multiply rows (finding 1): each status filter returns each person and
course once, on the page, in its count and in the CSV."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrollment
from lms.organisation import roles
from lms.rollout.exports import iter_csv
from lms.rollout.roster import RosterFilter, roster_queryset
from tests.factories import make_user

from .conftest import Attempt, quizzes_for

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture
def roster(courses):
    now = timezone.now()
    quiz = quizzes_for(courses[:1])[0]
    people = [make_user(district="HP", employee_no=f"HP{i:04d}") for i in range(6)]
    for user in people[:3]:  # overdue in both courses
        for course in courses:
            Enrollment.objects.create(user=user, course=course, due_at=now - DAY)
    for user in people[3:]:  # completed C101 and passed it (three attempts), C102 not started
        Enrollment.objects.create(user=user, course=courses[0], completed_at=now)
        Enrollment.objects.create(user=user, course=courses[1], due_at=now + DAY)
        for number in (1, 2, 3):
            Attempt().objects.create(
                user=user, quiz=quiz, number=number, status="graded", score=90, passed=True
            )
    return people


# The C102 learners have read nothing yet: 未开始 (not_started), as on their home page.
EXPECTED = {"overdue": 6, "not_started": 3, "completed": 3, "passed": 3}


@pytest.mark.parametrize("status", sorted(EXPECTED))
def test_each_status_filter_returns_each_row_once(roster, status):
    rows = list(roster_queryset(RosterFilter(status=status)).values_list("pk", "enr_course_id"))
    assert len(rows) == len(set(rows)) == EXPECTED[status]
    text = "".join(iter_csv(RosterFilter(status=status)))
    body = list(csv.reader(io.StringIO(text[1:])))[1:]
    assert len(body) == EXPECTED[status]


@pytest.mark.parametrize("status", sorted(EXPECTED))
def test_roster_page_counts_rows_once(roster, client, status):
    client.force_login(make_user(roles.CITY_ADMIN, district=None, username="city"))
    html = client.get(reverse("rollout_admin:roster"), {"status": status}).content.decode()
    table = html[html.index('<table class="rollout-table">') :]
    table = table[table.index("<tbody>") : table.index("</tbody>")]
    assert table.count("<tr>") == EXPECTED[status]


def test_wave_numbers_count_what_the_wave_enrolled(courses):
    """Finding 4: wave 2 covers districts already enrolled by wave 1; its row counts only the
    enrolments it created (the newcomers), not every enrolment of its districts."""
    from lms.rollout import dashboards
    from lms.rollout.services import enrol_wave

    from .conftest import make_wave

    for _ in range(5):
        make_user(district="HP")
    first = make_wave(courses, districts=("HP",), name="第一批")
    assert enrol_wave(first) == 10
    newcomers = [make_user(district="HP") for _ in range(2)]
    second = make_wave(courses[:1], districts=("HP",), name="第二批")
    assert enrol_wave(second) == 2
    Enrollment.objects.filter(user=newcomers[0]).update(completed_at=timezone.now())
    numbers = dashboards.city_numbers(RosterFilter())
    by_wave = {line.obj.pk: line.numbers for line in numbers["by_wave"]}
    assert by_wave[second.pk]["enrolled"] == 2
    assert by_wave[second.pk]["completed"] == 1
    assert by_wave[first.pk]["enrolled"] == 10
