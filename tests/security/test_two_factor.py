import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.models import ModelLogEntry

from lms.organisation import roles
from tests.factories import make_user
from tests.security.helpers import (
    confirmed_device,
    current_token,
    login_with_otp,
    open_enrolment_link,
)

pytestmark = pytest.mark.django_db

ADMIN = "/admin/"


def opens_admin(client) -> bool:
    """The admin opens without a 2FA detour. /admin/ sends administrators on to their dashboard,
    so follow the redirects and check that none of them went to the 2FA setup/verify pages."""
    response = client.get(ADMIN, follow=True)
    hops = [url for url, _status in response.redirect_chain]
    detour = any(
        url.startswith(reverse("otp_setup")) or url.startswith(reverse("otp_verify"))
        for url in hops
    )
    return response.status_code == 200 and not detour


@pytest.fixture(autouse=True)
def _require_2fa(settings):
    settings.LMS_REQUIRE_2FA = True


@pytest.mark.parametrize("role", [roles.TRAINER, roles.DISTRICT_ADMIN, roles.CITY_ADMIN, None])
def test_admin_users_without_device_are_sent_to_setup(client, role):
    user = make_user(role, district=None if role == roles.CITY_ADMIN else "HP")
    if role is None:
        user.is_superuser = True
        user.save()
    client.force_login(user)
    response = client.get(ADMIN)
    assert response.status_code == 302
    assert response.url.startswith(reverse("otp_setup"))
    assert "next=%2Fadmin%2F" in response.url


def test_window_staff_is_not_affected(client):
    client.force_login(make_user(roles.WINDOW_STAFF))
    assert client.get(reverse("home")).status_code == 200
    # No admin access at all: Wagtail itself refuses, not the 2FA middleware.
    response = client.get(ADMIN)
    assert not response.url.startswith(reverse("otp_setup"))


def test_enrolment_shows_inline_qr_and_confirms_device(client):
    user = make_user(roles.TRAINER, username="trainer2fa")
    client.force_login(user)
    open_enrolment_link(client, user)  # tests/security/test_two_factor_enrolment.py
    page = client.get(reverse("otp_setup") + "?next=/admin/pages/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "启用双重验证" in body and "<svg" in body
    assert "http" not in re.search(r"<svg.*?</svg>", body, re.S).group(0).replace(
        "http://www.w3.org/2000/svg", ""
    )  # no external image: the QR code is drawn inline
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert re.search(r"[A-Z2-7]{32}", body)  # manual-entry secret

    wrong = client.post(reverse("otp_setup"), {"token": "000000", "next": "/admin/pages/"})
    assert wrong.status_code == 200 and "验证码不正确" in wrong.content.decode()
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()

    response = client.post(
        reverse("otp_setup"), {"token": current_token(device), "next": "/admin/pages/"}
    )
    assert response.status_code == 302 and response.url == "/admin/pages/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(ADMIN).status_code == 200
    assert ModelLogEntry.objects.filter(action="lms.otp_enrol", object_id=str(user.pk)).exists()


def test_setup_refused_once_a_device_is_confirmed(client):
    """A stolen password must not be enough to enrol a second device."""
    user = make_user(roles.CITY_ADMIN, district=None)
    confirmed_device(user)
    client.force_login(user)
    response = client.get(reverse("otp_setup"))
    assert response.status_code == 302 and response.url.startswith(reverse("otp_verify"))
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_verify_flow_after_login(client):
    user = make_user(roles.DISTRICT_ADMIN, username="dadmin2fa")
    device = confirmed_device(user)
    response = client.post(reverse("login"), {"username": "dadmin2fa", "password": "Pass-word-123"})
    assert response.status_code == 302
    response = client.get("/admin/reports/")
    assert response.status_code == 302 and response.url.startswith(reverse("otp_verify"))
    page = client.get(response.url)
    assert "双重验证" in page.content.decode()

    bad = client.post(reverse("otp_verify"), {"token": "12345", "next": "/admin/"})
    assert bad.status_code == 200
    response = client.post(
        reverse("otp_verify"), {"token": current_token(device), "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    assert opens_admin(client)


def test_verify_is_throttled(client):
    user = make_user(roles.TRAINER)
    device = confirmed_device(user)
    client.force_login(user)
    client.post(reverse("otp_verify"), {"token": "000000"})
    # After a failure django-otp refuses even the right code for a back-off period.
    response = client.post(reverse("otp_verify"), {"token": current_token(device)})
    assert response.status_code == 200
    assert client.get(ADMIN).status_code == 302


def test_helper_logs_in_verified(client):
    login_with_otp(client, make_user(roles.CITY_ADMIN, district=None))
    assert opens_admin(client)


def test_setting_off_lets_force_login_through(client, settings):
    settings.LMS_REQUIRE_2FA = False
    client.force_login(make_user(roles.CITY_ADMIN, district=None))
    assert opens_admin(client)


def test_admin_login_page_stays_reachable(client):
    user = make_user(roles.TRAINER)
    client.force_login(user)
    response = client.get(reverse("wagtailadmin_login"))
    assert not response.get("Location", "").startswith(reverse("otp_setup"))


def test_reset_two_factor_removes_devices_and_is_logged():
    from lms.organisation.security import reset_two_factor

    user = make_user(roles.TRAINER)
    confirmed_device(user)
    assert reset_two_factor(user) == 1
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert ModelLogEntry.objects.filter(action="lms.otp_reset", object_id=str(user.pk)).exists()
