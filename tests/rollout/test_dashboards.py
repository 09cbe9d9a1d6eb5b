import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from certificates.authorisation import authorised_user_ids
from lms.organisation import roles
from lms.organisation.models import District
from lms.rollout.dashboards import city_numbers, totals_from_rows
from lms.rollout.exports import HEADERS, iter_csv
from lms.rollout.roster import RosterFilter, roster_values
from tests.factories import make_user

from .conftest import bulk_roster, make_wave

pytestmark = pytest.mark.django_db


def test_dashboard_numbers_equal_the_export(courses):
    users = bulk_roster(60, courses)
    make_wave(courses, districts=("HP", "PD"))
    numbers = city_numbers(RosterFilter())
    rows = list(roster_values(RosterFilter()))
    expected = totals_from_rows(rows)
    for key, value in expected.items():
        assert numbers["total"].numbers[key] == value, key
    # Some of everything, so the comparison means something.
    assert all(
        expected[k] > 0
        for k in ("enrolled", "completed", "passed", "certified", "overdue", "not_enrolled")
    )
    # Authorised agrees with the certificates app's own rule.
    assert expected["authorised"] == len(authorised_user_ids([u.pk for u in users]))
    # Per district as well, and the CSV export has the same rows.
    hp = District.objects.get(code="HP")
    hp_line = next(line for line in numbers["by_district"] if line.obj == hp)
    hp_rows = [r for r in rows if r["district"] == "黄浦区"]
    assert totals_from_rows(hp_rows) == {k: hp_line.numbers[k] for k in totals_from_rows(hp_rows)}
    csv_lines = "".join(iter_csv(RosterFilter())).splitlines()
    assert len(csv_lines) - 1 == len(rows)
    assert sum(1 for line in csv_lines if ",未报名," in line) == expected["not_enrolled"]
    # By wave: what the wave enrolled; these enrolments were made before it, so none.
    wave_line = numbers["by_wave"][0]
    assert wave_line.numbers["enrolled"] == wave_line.numbers["completed"] == 0
    assert wave_line.numbers["staff"] == sum(
        1 for u in users if u.staff_profile.district.code in ("HP", "PD")
    )


def test_authorised_when_all_required_certificates_valid(courses):
    users = bulk_roster(40, courses)
    ids = authorised_user_ids([u.pk for u in users])
    assert ids, "the fixture should authorise somebody"
    rows = list(roster_values(RosterFilter()))
    mine = {r["employee_no"] for r in rows if r["authorised"]}
    theirs = {u.username for u in users if u.pk in ids}
    assert mine == theirs


def test_repeated_passes_and_certificates_count_once(courses):
    """Three passed attempts and a superseded plus a current certificate for one course are one
    passed and one certified enrollment, on the dashboard as in the export."""
    from certificates.models import Certificate
    from quizzes.models import Attempt

    from .conftest import quizzes_for

    (user,) = bulk_roster(1, courses[:1], prefix="D")
    quiz = quizzes_for(courses[:1])[0]
    Attempt.objects.filter(user=user).delete()
    Certificate.objects.filter(user=user).delete()
    for number in (1, 2, 3):
        Attempt.objects.create(
            quiz=quiz, user=user, number=number, status="graded", score=90, passed=True
        )
    now = timezone.now()
    days = datetime.timedelta(days=1)
    same = {"user": user, "course": courses[0], "holder_name": "x", "holder_district_code": "HP"}
    old = Certificate.objects.create(
        serial="OLD1",
        issued_at=now - 9 * days,
        expires_at=now + 9 * days,
        superseded_at=now,
        **same,
    )
    new = Certificate.objects.create(
        serial="NEW1", issued_at=now, expires_at=now + 700 * days, **same
    )
    old.superseded_by = new
    old.save(update_fields=["superseded_by"])
    numbers = city_numbers(RosterFilter())["total"].numbers
    assert (numbers["enrolled"], numbers["passed"], numbers["certified"]) == (1, 1, 1)
    assert numbers == {**numbers, **totals_from_rows(list(roster_values(RosterFilter())))}
    # Only one of the two courses is required and held: not authorised; then the other
    # course stops being required and the same person is.
    assert numbers["authorised"] == 0
    courses[1].required_for_authorisation = False
    courses[1].save_revision().publish()
    assert city_numbers(RosterFilter())["total"].numbers["authorised"] == 1


def test_everybody_authorised_when_no_course_is_required(courses):
    bulk_roster(9, courses, prefix="N")
    for course in courses:
        course.required_for_authorisation = False
        course.save_revision().publish()
    numbers = city_numbers(RosterFilter())["total"].numbers
    assert numbers["staff"] == numbers["authorised"] == 9
    assert numbers == {**numbers, **totals_from_rows(list(roster_values(RosterFilter())))}


@pytest.mark.parametrize("size", [100, 10_000])
def test_constant_queries(size, courses, client, django_assert_num_queries):
    """The city dashboard page and the roster export cost the same number of queries at 100
    and at 10,000 staff (data built with bulk_create)."""
    bulk_roster(size, courses)
    make_wave(courses)
    admin = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(admin)
    url = reverse("rollout_admin:dashboard")
    client.get(url)  # warm caches (site, menu, permissions)
    with django_assert_num_queries(QUERIES["dashboard"]):
        response = client.get(url)
    assert response.status_code == 200
    assert "<svg" in response.content.decode()
    with django_assert_num_queries(QUERIES["numbers"]):
        city_numbers(RosterFilter())
    with django_assert_num_queries(QUERIES["export"]):
        lines = sum(1 for _ in iter_csv(RosterFilter()))
    assert lines > size


def test_numbers_via_http(courses, client):
    bulk_roster(30, courses)
    admin = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(admin)
    response = client.get(reverse("rollout_admin:dashboard"))
    from lms.rollout.dashboards import progress_by_district

    people = progress_by_district(RosterFilter())
    enrolled = sum(row["enrolled_people"] for row in people.values())
    body = response.content.decode()
    assert f"<strong>{enrolled}</strong>" in body  # the tiles count people
    assert "黄浦区" in body and "authorised-table" in body


def test_district_dashboard_lists_staff_and_status(courses, client):
    bulk_roster(12, courses)
    admin = make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin")
    client.force_login(admin)
    hp = District.objects.get(code="HP")
    response = client.get(reverse("rollout_admin:district_dashboard", args=[hp.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "员工0" in body and "C101" in body
    assert "员工1<" not in body  # 员工1 is in PD
    assert HEADERS  # imported for symmetry with the export


# Query budgets, pinned: the same at 100 and at 10,000 rows.
# numbers: districts, counts, required courses, people, waves (+2 prefetches), weekly.
# dashboard: + people by district; numbers: + what each wave enrolled
# The export: courses, districts (their names in the active language), the rows.
QUERIES = {"dashboard": 20, "numbers": 9, "export": 3}
