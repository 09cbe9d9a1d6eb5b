"""First-time two-factor enrolment needs an enrolment link, not just the password: a privileged
account without a device could be enrolled -- with the attacker's phone -- by whoever knew its
password (lms/organisation/otp_enrolment.py)."""

import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time
from wagtail.models import ModelLogEntry

from lms.organisation import roles
from lms.organisation.security import reset_two_factor
from tests.factories import make_user
from tests.security.helpers import current_token

pytestmark = pytest.mark.django_db

SETUP = "/accounts/2fa/setup/"


@pytest.fixture(autouse=True)
def _require_2fa(settings):
    settings.LMS_REQUIRE_2FA = True
    settings.SITE_URL = "https://lms.example"


def sign_in(client, user):
    response = client.post(
        reverse("login"), {"username": user.username, "password": "Pass-word-123"}
    )
    assert response.status_code == 302
    return client


def issue(username, *args):
    out = io.StringIO()
    call_command("issue_2fa_enrolment", username, *args, stdout=out, stderr=io.StringIO())
    url = out.getvalue().strip()
    assert url.startswith("https://lms.example/accounts/2fa/enrol/")
    return url.removeprefix("https://lms.example")


def enrol(client, user):
    """The setup page shows the secret; enter the current code."""
    page = client.get(SETUP)
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(SETUP, {"token": current_token(device), "next": "/admin/"})
    assert response.status_code == 302 and response.url == "/admin/"
    device.refresh_from_db()
    return device


@pytest.mark.parametrize("role", [roles.TRAINER, roles.CITY_ADMIN, None])
def test_the_password_alone_does_not_show_a_secret_or_enrol(client, role):
    user = make_user(role, district=None)
    if role is None:
        user.is_superuser = True
        user.save()
    sign_in(client, user)
    assert client.get("/admin/").url.startswith(SETUP)
    page = client.get(SETUP)
    body = page.content.decode()
    assert page.status_code == 200
    assert "<svg" not in body and not re.search(r"[A-Z2-7]{32}", body)
    assert "启用链接" in body
    assert not TOTPDevice.objects.filter(user=user).exists()
    # a forged code post enrols nothing either
    client.post(SETUP, {"token": "123456"})
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert client.get("/admin/").status_code == 302


def test_an_issued_link_enrols_once_and_is_logged(client):
    user = make_user(roles.CITY_ADMIN, district=None, username="cityadmin1")
    link = issue("cityadmin1")
    # the link asks for the sign-in first, then leads to the setup page
    response = client.get(link)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    sign_in(client, user)
    response = client.get(link)
    assert response.status_code == 302 and response.url.startswith(SETUP)
    device = enrol(client, user)
    assert device.confirmed
    assert client.get("/admin/", follow=True).status_code == 200
    assert ModelLogEntry.objects.filter(action="lms.otp_enrol_link", object_id=str(user.pk))
    enrolment = ModelLogEntry.objects.get(action="lms.otp_enrol", object_id=str(user.pk))
    assert enrolment.data["via"] == "link"

    # lost phone: the device is reset; the old link is spent
    reset_two_factor(user)
    client.post(reverse("logout"))
    sign_in(client, user)
    assert client.get(link).status_code == 400
    assert "<svg" not in client.get(SETUP).content.decode()
    # a new link works
    client.get(issue("cityadmin1"))
    assert enrol(client, user).confirmed


def test_a_link_works_only_for_its_own_account_and_not_after_expiry(client):
    owner = make_user(roles.TRAINER, district=None, username="trainer-a")
    intruder = make_user(roles.TRAINER, district=None, username="trainer-b")
    link = issue("trainer-a")
    sign_in(client, intruder)
    assert client.get(link).status_code == 400
    assert "<svg" not in client.get(SETUP).content.decode()
    client.post(reverse("logout"))

    sign_in(client, owner)
    with freeze_time(datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=73)):
        client.force_login(owner)  # (the session of 8 hours has ended by then)
        assert client.get(link).status_code == 400
    # a password change spends it too
    owner.set_password("Another-pass-456")
    owner.save()
    client.force_login(owner)
    assert client.get(link).status_code == 400


def test_the_person_can_have_a_link_mailed_to_their_own_address(client, mailoutbox):
    user = make_user(roles.DISTRICT_ADMIN, username="hpadmin9")
    sign_in(client, user)
    page = client.get(SETUP).content.decode()
    assert "h***@example.com" in page
    response = client.post(SETUP, {"send_link": "1"})
    assert response.status_code == 302
    [mail] = mailoutbox
    assert mail.to == [user.email]
    link = re.search(r"https://lms\.example(/accounts/2fa/enrol/\S+/)", mail.body).group(1)
    assert client.get(link).url.startswith(SETUP)
    assert enrol(client, user).confirmed


def test_the_command_refuses_an_account_that_has_a_device():
    user = make_user(roles.TRAINER, district=None, username="has-phone")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    with pytest.raises(CommandError):
        issue("has-phone")


def test_seed_demo_prints_a_link_for_each_admin_account(client):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    links = dict(
        re.findall(r"^\s+(\S+)\s+https://lms\.example(/accounts/2fa/enrol/\S+/)$", text, re.M)
    )
    assert {"city-admin", "trainer", "reviewer", "hp-admin", "pd-admin"} == set(links)
    response = client.post(
        reverse("login"), {"username": "city-admin", "password": "Demo-city-2026"}
    )
    assert response.status_code == 302
    assert client.get(links["city-admin"]).url.startswith(SETUP)
    assert "<svg" in client.get(SETUP).content.decode()
