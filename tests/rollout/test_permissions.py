import csv
import io

import pytest
from django.urls import reverse

from courses.models import Enrollment
from lms.organisation import roles
from lms.organisation.models import District
from lms.rollout.models import TrainingSession
from tests.factories import make_user

from .conftest import make_wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(courses):
    hp_staff = make_user(district="HP", employee_no="HP0001", phone="13811112222")
    pd_staff = make_user(district="PD", employee_no="PD0001", phone="13933334444")
    Enrollment.objects.create(user=hp_staff, course=courses[0])
    Enrollment.objects.create(user=pd_staff, course=courses[0])
    hp_wave = make_wave(courses, districts=("HP",), name="HP wave")
    pd_wave = make_wave(courses, districts=("PD",), name="PD wave")
    return {
        "hp_admin": make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin"),
        "trainer": make_user(roles.TRAINER, district=None, username="trainer"),
        "hp_wave": hp_wave,
        "pd_wave": pd_wave,
        "hp": District.objects.get(code="HP"),
        "pd": District.objects.get(code="PD"),
    }


def test_district_admin_cannot_see_other_district_dashboard(setup, client):
    client.force_login(setup["hp_admin"])
    ok = client.get(reverse("rollout_admin:district_dashboard", args=[setup["hp"].pk]))
    assert ok.status_code == 200
    other = client.get(reverse("rollout_admin:district_dashboard", args=[setup["pd"].pk]))
    assert other.status_code == 404
    # The city dashboard sends them to their own district.
    response = client.get(reverse("rollout_admin:dashboard"))
    assert response.status_code == 302
    assert response.url == reverse("rollout_admin:district_dashboard", args=[setup["hp"].pk])


def test_district_admin_export_forced_to_own_district(setup, client):
    client.force_login(setup["hp_admin"])
    for query in ({}, {"district": setup["pd"].pk}, {"wave": setup["pd_wave"].pk}):
        response = client.get(reverse("rollout_admin:roster"), {**query, "export": "csv"})
        text = b"".join(response.streaming_content).decode("utf-8")
        rows = list(csv.reader(io.StringIO(text[1:])))[1:]
        assert "PD0001" not in text, query
        assert all(r[0] == "黄浦区" for r in rows), query
    report = client.get(reverse("rollout_admin:roster"), {"district": setup["pd"].pk})
    assert "PD0001" not in report.content.decode()


def test_district_admin_cannot_see_other_wave(setup, client):
    client.force_login(setup["hp_admin"])
    index = client.get(reverse("rollout_waves:index")).content.decode()
    assert "HP wave" in index and "PD wave" not in index
    pd_wave = setup["pd_wave"]
    assert client.get(reverse("rollout_waves:inspect", args=[pd_wave.pk])).status_code == 404
    assert client.get(reverse("rollout_admin:enrol_wave", args=[pd_wave.pk])).status_code == 404
    assert client.post(reverse("rollout_admin:enrol_wave", args=[pd_wave.pk])).status_code == 404
    # District admins view waves but do not edit them.
    edit = client.get(reverse("rollout_waves:edit", args=[setup["hp_wave"].pk]))
    assert edit.status_code in (302, 403)


def test_district_admin_cannot_see_other_district_session(setup, client):
    session = TrainingSession.objects.create(
        wave=setup["pd_wave"], starts_at=setup["pd_wave"].due_at, place="浦东"
    )
    client.force_login(setup["hp_admin"])
    assert client.get(reverse("rollout_admin:attendance", args=[session.pk])).status_code == 404


def test_trainer_sees_no_phone_numbers_and_no_dashboards(setup, client):
    trainer = setup["trainer"]
    session = TrainingSession.objects.create(
        wave=setup["hp_wave"], starts_at=setup["hp_wave"].due_at, place="黄浦", trainer=trainer
    )
    client.force_login(trainer)
    body = client.get(reverse("rollout_admin:attendance", args=[session.pk])).content.decode()
    assert "HP0001" in body and "13811112222" not in body and "1381" not in body
    assert client.get(reverse("rollout_admin:dashboard")).status_code in (302, 403)
    assert client.get(reverse("rollout_admin:roster"), {"export": "csv"}).status_code in (302, 403)
    assert client.get(reverse("rollout_admin:import")).status_code in (302, 403)
    # The staff admin list is not theirs either (no lms.view_staffprofile).
    staff_list = client.get("/admin/lms/staffprofile/")
    assert staff_list.status_code in (302, 403, 404)
    assert "13811112222" not in staff_list.content.decode()


def test_window_staff_has_no_access(setup, client):
    client.force_login(make_user(district="HP", username="learner"))
    for name in ("dashboard", "roster", "exports", "import"):
        assert client.get(reverse(f"rollout_admin:{name}")).status_code in (302, 403)


def test_district_admin_export_list_shows_only_their_exports(setup, client, courses):
    from lms.rollout.exports import record_export
    from lms.rollout.roster import RosterFilter

    pd_admin = make_user(roles.DISTRICT_ADMIN, district="PD", username="pdadmin")
    record_export(pd_admin, RosterFilter(district_ids=[setup["pd"].pk]), "csv")
    client.force_login(setup["hp_admin"])
    body = client.get(reverse("rollout_admin:exports")).content.decode()
    assert "pdadmin" not in body
