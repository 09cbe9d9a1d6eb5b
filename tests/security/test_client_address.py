"""Hole 5 (issue 15): behind the documented TLS proxy every client had the proxy's address.

Five bad passwords locked ``city-admin`` for everyone, and 31 verifications blocked public
verification for all. One setting, ``LMS_TRUSTED_PROXY_COUNT``, now gives every component
(django-axes, django-ratelimit, audit data) the client address
(``lms.organisation.security.client_ip``).
"""

import datetime

import pytest
from axes.models import AccessFailureLog
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from lms.organisation import security
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # the TLS proxy: REMOTE_ADDR of every request
VERIFY = "/verify/" + "B" * 22 + "/"


def via_proxy(client_address, spoofed=""):
    """What the TLS proxy sends: it appends the address it saw to X-Forwarded-For."""
    chain = f"{spoofed}, {client_address}" if spoofed else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": chain}


@pytest.fixture
def behind_proxy(settings):
    settings.LMS_TRUSTED_PROXY_COUNT = 1


def _ip(settings_count, settings, **meta):
    settings.LMS_TRUSTED_PROXY_COUNT = settings_count
    return security.client_ip(RequestFactory().get("/", **meta))


def test_client_ip_takes_the_address_the_trusted_proxy_saw(settings):
    assert _ip(1, settings, **via_proxy("203.0.113.7")) == "203.0.113.7"
    # A client cannot choose its address by sending its own X-Forwarded-For.
    assert _ip(1, settings, **via_proxy("203.0.113.7", spoofed="198.51.100.1")) == "203.0.113.7"
    # Two proxies: the outer one's view is second from the right.
    meta = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "1.1.1.1, 203.0.113.9, 10.0.0.1"}
    assert _ip(2, settings, **meta) == "203.0.113.9"
    # No proxy configured: X-Forwarded-For is ignored entirely.
    assert _ip(0, settings, **via_proxy("203.0.113.7")) == PROXY
    # Garbage or too few hops fall back to the socket address.
    assert _ip(1, settings, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="not-an-ip") == PROXY
    assert _ip(1, settings, REMOTE_ADDR=PROXY) == PROXY


def login(client, username, password, **meta):
    return client.post(reverse("login"), {"username": username, "password": password}, **meta)


def test_an_attacker_behind_the_proxy_cannot_lock_the_account_for_everyone(client, behind_proxy):
    make_user(username="city-admin-x")
    for _ in range(5):
        login(client, "city-admin-x", "wrong", **via_proxy("198.51.100.66"))
    locked = login(client, "city-admin-x", "Pass-word-123", **via_proxy("198.51.100.66"))
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == 15 * 60
    # The real owner, through the same proxy from their own address, signs in.
    owner = login(client, "city-admin-x", "Pass-word-123", **via_proxy("203.0.113.10"))
    assert owner.status_code == 302
    # Axes recorded the client, not the proxy.
    assert set(AccessFailureLog.objects.values_list("ip_address", flat=True)) == {"198.51.100.66"}


def test_lockout_backs_off_per_username_and_address(behind_proxy):
    """15 minutes after five failures, doubling with each further five within a day; another
    address or username is not affected."""
    now = timezone.now()
    for n in range(16):
        AccessFailureLog.objects.create(
            username="victim",
            ip_address="198.51.100.66",
            user_agent="x",
            path_info="/accounts/login/",
            attempt_time=now - datetime.timedelta(minutes=n),
        )

    def cool_off(username, address):
        request = RequestFactory().post(
            "/accounts/login/", {"username": username}, **via_proxy(address)
        )
        return security.axes_cool_off(request)

    assert cool_off("victim", "198.51.100.66") == datetime.timedelta(minutes=60)  # 16 failures
    assert cool_off("victim", "203.0.113.10") == datetime.timedelta(minutes=15)
    assert cool_off("someone", "198.51.100.66") == datetime.timedelta(minutes=15)
    AccessFailureLog.objects.filter(
        pk__in=list(AccessFailureLog.objects.values_list("pk", flat=True)[:4])
    ).delete()
    assert cool_off("victim", "198.51.100.66") == datetime.timedelta(minutes=30)  # 12 failures
    AccessFailureLog.objects.filter(
        pk__in=list(AccessFailureLog.objects.values_list("pk", flat=True)[:5])
    ).delete()
    assert cool_off("victim", "198.51.100.66") == datetime.timedelta(minutes=15)  # 7 failures


def test_a_shared_address_backs_off_at_most_an_hour(behind_proxy):
    """45 failures from an office NAT meant ``Retry-After: 86400`` for the victim's correct
    password from that known address; the back-off is capped at one hour."""
    now = timezone.now()
    for n in range(45):
        AccessFailureLog.objects.create(
            username="victim",
            ip_address="198.51.100.66",
            user_agent="x",
            path_info="/accounts/login/",
            attempt_time=now - datetime.timedelta(seconds=n),
        )
    request = RequestFactory().post(
        "/accounts/login/", {"username": "victim"}, **via_proxy("198.51.100.66")
    )
    assert security.axes_cool_off(request) == datetime.timedelta(hours=1)


def test_verification_limit_is_per_client_behind_the_proxy(client, behind_proxy, settings):
    settings.CERTIFICATE_VERIFY_RATE_LIMIT = 5
    for _ in range(5):
        assert client.get(VERIFY, **via_proxy("198.51.100.66")).status_code == 200
    limited = client.get(VERIFY, **via_proxy("198.51.100.66"))
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    limited_json = client.get(VERIFY.rstrip("/") + ".json", **via_proxy("198.51.100.66"))
    assert limited_json.status_code == 429 and limited_json["Retry-After"]
    # Everyone else keeps verifying.
    assert client.get(VERIFY, **via_proxy("203.0.113.10")).status_code == 200


def test_audit_log_records_the_client_address(client, behind_proxy):
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from wagtail.models import ModelLogEntry

    from lms.organisation import roles
    from tests.security.helpers import current_token, open_enrolment_link

    user = make_user(roles.TRAINER, None, username="trainer_ip")
    client.force_login(user)
    open_enrolment_link(client, user, **via_proxy("203.0.113.44"))
    client.get(reverse("otp_setup"), **via_proxy("203.0.113.44"))
    device = TOTPDevice.objects.get(user=user)
    response = client.post(
        reverse("otp_setup"), {"token": current_token(device)}, **via_proxy("203.0.113.44")
    )
    assert response.status_code == 302
    entry = ModelLogEntry.objects.get(action="lms.otp_enrol", object_id=str(user.pk))
    assert entry.data["ip"] == "203.0.113.44"
