"""Holes 8 and 9 of issue 15, and two smaller findings ("Also").

8: a district administrator could take over a trainer's or administrator's account through
   the staff editor (change its e-mail, then reset the password).
9: a district administrator could edit a city-wide training session and move it into their
   district.
Also: Wagtail documents were downloadable without login; the session form's trainer list
   showed every username in the city.
"""

import datetime

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from wagtail.documents import get_document_model

from lms.organisation import roles
from lms.rollout.models import RolloutWave, TrainingSession
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _profile_data(profile, **changes):
    data = {
        "full_name": profile.full_name,
        "employee_no": profile.employee_no,
        "username": profile.user.username,
        "email": profile.user.email,
        "district": profile.district_id or "",
        "service_centre": profile.service_centre,
        "window": profile.window,
        "job_title": profile.job_title,
        "phone": profile.phone,
        "is_active": "on",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("victim_role", [roles.TRAINER, roles.DISTRICT_ADMIN, roles.CITY_ADMIN])
def test_district_admin_cannot_edit_a_privileged_account_of_their_district(client, victim_role):
    admin = make_user(roles.DISTRICT_ADMIN, "HP", username="hp_admin_8")
    victim = make_user(victim_role, "HP", username=f"victim_{victim_role}")
    victim.email = "victim@example.cn"
    victim.save()
    client.force_login(admin)
    url = reverse("staffprofile:edit", args=[victim.staff_profile.pk])
    assert client.get(url).status_code in (302, 403)
    response = client.post(
        url, _profile_data(victim.staff_profile, email="attacker@example.cn", username="pwn")
    )
    assert response.status_code in (302, 403)
    assert response.status_code == 403 or response["Location"] == reverse("wagtailadmin_home")
    victim.refresh_from_db()
    assert victim.email == "victim@example.cn" and victim.username != "pwn"
    # Window staff of their district: still editable.
    learner = make_user(roles.WINDOW_STAFF, "HP", username="hp_learner_8")
    edited = client.post(
        reverse("staffprofile:edit", args=[learner.staff_profile.pk]),
        _profile_data(learner.staff_profile, email="new@example.cn"),
    )
    assert edited.status_code == 302
    learner.refresh_from_db()
    assert learner.email == "new@example.cn"


def test_privileged_email_change_waits_for_the_owners_confirmation(client):
    city = make_user(roles.CITY_ADMIN, None, username="city_8")
    trainer = make_user(roles.TRAINER, "HP", username="trainer_8")
    trainer.email = "trainer@example.cn"
    trainer.save()
    client.force_login(city)
    response = client.post(
        reverse("staffprofile:edit", args=[trainer.staff_profile.pk]),
        _profile_data(trainer.staff_profile, email="other@example.cn"),
    )
    assert response.status_code == 302
    trainer.refresh_from_db()
    assert trainer.email == "trainer@example.cn"  # not yet
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["trainer@example.cn"]
    link = next(w for w in mail.outbox[0].body.split() if "/accounts/email/confirm/" in w)
    path = link[link.index("/accounts/") :]
    # Nobody else can confirm it, not even the administrator who asked.
    assert client.get(path).status_code == 404
    trainer.refresh_from_db()
    assert trainer.email == "trainer@example.cn"
    client.force_login(trainer)
    assert client.get(path).status_code == 302
    trainer.refresh_from_db()
    assert trainer.email == "other@example.cn"


@pytest.fixture
def sessions():
    today = timezone.localdate()
    wave = RolloutWave.objects.create(
        name="全市批次",
        opens_on=today,
        due_on=today + datetime.timedelta(days=30),
        status="open",
    )
    from lms.organisation.models import District

    hp = District.objects.get(code="HP")
    wave.districts.set([hp, District.objects.get(code="PD")])
    start = timezone.now() + datetime.timedelta(days=3)
    city_wide = TrainingSession.objects.create(wave=wave, starts_at=start, place="市中心")
    own = TrainingSession.objects.create(wave=wave, district=hp, starts_at=start, place="黄浦")
    return wave, hp, city_wide, own


def test_district_admin_cannot_edit_a_city_wide_session(client, sessions):
    wave, hp, city_wide, own = sessions
    client.force_login(make_user(roles.DISTRICT_ADMIN, "HP", username="hp_admin_9"))
    data = {
        "wave": wave.pk,
        "district": hp.pk,
        "starts_at": "2030-01-01 09:00",
        "place": "被挪走",
        "capacity": 10,
    }
    response = client.post(reverse("rollout_sessions:edit", args=[city_wide.pk]), data)
    assert response.status_code in (403, 404)
    city_wide.refresh_from_db()
    assert city_wide.district_id is None and city_wide.place == "市中心"
    assert client.get(reverse("rollout_sessions:delete", args=[city_wide.pk])).status_code in (
        403,
        404,
    )
    # Their own district's session: editable; the city-wide one is still listed.
    assert client.get(reverse("rollout_sessions:edit", args=[own.pk])).status_code == 200
    assert "市中心" in client.get(reverse("rollout_sessions:index")).content.decode()


def test_session_form_lists_trainers_only_by_name(client, sessions):
    trainer = make_user(roles.TRAINER, None, username="trainer_login_x", full_name="林培训师")
    make_user(roles.WINDOW_STAFF, "HP", username="learner_login_y")
    client.force_login(make_user(roles.CITY_ADMIN, None, username="city_9"))
    page = client.get(reverse("rollout_sessions:add"))
    field = page.context["form"].fields["trainer"]
    assert list(field.queryset) == [trainer]
    body = page.content.decode()
    assert "林培训师" in body
    assert "learner_login_y" not in body and "trainer_login_x" not in body


def test_documents_need_a_login(client):
    doc = get_document_model().objects.create(
        title="内部资料", file=ContentFile(b"%PDF-1.4 internal", name="internal.pdf")
    )
    url = reverse("wagtaildocs_serve", args=[doc.pk, doc.filename])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(make_user(roles.WINDOW_STAFF, "HP", username="reader"))
    assert client.get(url).status_code == 200
