"""One rounding of percentages (walk-through after issue 16, defect 4): "1 of 8" is 12.5 %,
which Python's round() made 12 % on the dashboard, the wave list and the digest.
``lms.formats.numbers.percent`` rounds half up everywhere: 13 %."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrollment
from lms.formats.numbers import percent
from lms.organisation import roles
from lms.rollout.reminders import send_weekly_summaries
from lms.rollout.services import enrol_wave
from tests.factories import make_user

from .conftest import make_wave

pytestmark = pytest.mark.django_db


def test_percent_rounds_half_up():
    assert [percent(n, 8) for n in range(9)] == [0, 13, 25, 38, 50, 63, 75, 88, 100]
    assert percent(1, 8, 1) == Decimal("12.5") and percent(1, 3, 1) == Decimal("33.3")
    assert percent(Decimal("0.125"), 1) == 13 and percent(0.125, 1) == 13  # fractions
    assert percent(1, 0) is None and percent(None, 8) is None and percent(1, 0, default=0) == 0


def test_one_of_eight_is_13_percent_on_the_dashboard_wave_list_and_digest(courses, client):
    staff = [make_user(district="HP") for _ in range(8)]
    wave = make_wave(courses[:1], districts=("HP",), name="八人批次")
    enrol_wave(wave)
    Enrollment.objects.filter(user=staff[0]).update(completed_at=timezone.now())
    city = make_user(roles.CITY_ADMIN, None, username="city_pct")
    client.force_login(city)

    html = client.get(reverse("rollout_admin:dashboard")).content.decode()
    table = html[html.index("data-district-table") :]
    row = table[table.index("黄浦区") :]
    row = row[: row.index("</tr>")]
    assert ">13%<" in row and "12%" not in row
    kpis = html[html.index("data-kpis") :]
    assert "13%" in kpis[: kpis.index("</div>")]

    waves = client.get(reverse("rollout_waves:index")).content.decode()
    wave_row = waves[waves.index("八人批次") :]
    assert "13%" in wave_row[: wave_row.index("</tr>")]

    send_weekly_summaries()
    [digest] = [m for m in mail.outbox if m.to == [city.email]]
    assert "报名完成率：13%" in digest.body
