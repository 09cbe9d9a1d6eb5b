import time

import pytest
from django.urls import reverse

from lms.organisation import roles
from lms.rollout.exports import iter_csv
from lms.rollout.models import TrainingSession
from lms.rollout.roster import RosterFilter
from tests.factories import make_user

from .conftest import bulk_roster, make_wave

pytestmark = pytest.mark.django_db


def test_admin_pages_render_for_city_admin(courses, client):
    wave = make_wave(courses)
    session = TrainingSession.objects.create(wave=wave, starts_at=wave.due_at, place="黄浦")
    client.force_login(make_user(roles.CITY_ADMIN, district=None, username="city"))
    home = client.get(reverse("wagtailadmin_home"), follow=True).content.decode()
    assert reverse("rollout_admin:dashboard") in home  # sidebar props (JSON)
    for url in (
        reverse("rollout_admin:dashboard"),
        reverse("rollout_admin:roster"),
        reverse("rollout_admin:exports"),
        reverse("rollout_admin:import"),
        reverse("rollout_waves:index"),
        reverse("rollout_waves:add"),
        reverse("rollout_waves:edit", args=[wave.pk]),
        reverse("rollout_sessions:index"),
        reverse("rollout_sessions:add"),
        reverse("rollout_admin:attendance", args=[session.pk]),
        reverse("rollout_admin:enrol_wave", args=[wave.pk]),
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.skip(reason="benchmark: run by hand with -s")
def test_benchmark_10000(courses, client):  # pragma: no cover
    bulk_roster(10_000, courses)
    make_wave(courses)
    client.force_login(make_user(roles.CITY_ADMIN, district=None, username="city"))
    client.get(reverse("rollout_admin:dashboard"))
    t = time.perf_counter()
    client.get(reverse("rollout_admin:dashboard"))
    print("dashboard", time.perf_counter() - t)
    t = time.perf_counter()
    n = sum(1 for _ in iter_csv(RosterFilter()))
    print("csv rows", n, time.perf_counter() - t)
