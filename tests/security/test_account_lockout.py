"""Per-account throttle across addresses: the per username + address lock let an attacker who
rotates addresses guess one account's password without end. After 20 failures within an hour
from any mix of addresses, new addresses wait a short, growing delay (1 minute, at most 15)
after the account's last counted failure -- never addresses where it signed in recently;
attempts refused meanwhile are not counted; ``axes_reset_username`` lifts it."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from freezegun import freeze_time

from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "Pass-word-123"


def login(client, username, password, address):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def spread_attack(client, username, failures=20, per_address=4):
    """``failures`` wrong passwords, ``per_address`` from each address: never five from one."""
    for n in range(failures):
        response = login(client, username, "wrong", f"198.51.100.{n // per_address + 1}")
        assert response.status_code in (200, 429)


def test_failures_spread_over_addresses_throttle_the_account(client):
    make_user(username="target")
    start = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)
    with freeze_time(start) as clock:
        spread_attack(client, "target", failures=19)
        # 19 failures: below the cap, the right password from a new address still works
        assert login(client, "target", PASSWORD, "203.0.113.9").status_code == 302
        client.post(reverse("logout"))

        spread_attack(client, "target", failures=20)
        response = login(client, "target", PASSWORD, "203.0.113.77")  # yet another address
        assert response.status_code == 429
        assert "账号已暂时锁定" in response.content.decode()
        assert response["Retry-After"] == "60"  # a short delay, not an hour
        assert client.get(reverse("home")).status_code == 302  # not signed in
        clock.tick(datetime.timedelta(seconds=61))
        assert login(client, "target", PASSWORD, "203.0.113.77").status_code == 302


def test_refused_attempts_neither_count_nor_extend_any_lock(client):
    """One request an hour from the attacker kept the account locked for ever: refused
    attempts counted towards the cap and pushed the lock back."""
    from axes.models import AccessAttempt

    make_user(username="newcomer")
    start = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)
    with freeze_time(start) as clock:
        spread_attack(client, "newcomer", failures=20)
        recorded = sum(AccessAttempt.objects.values_list("failures_since_start", flat=True))
        for _ in range(30):  # the attacker keeps knocking while throttled, from one address
            clock.tick(datetime.timedelta(seconds=1))
            assert login(client, "newcomer", "wrong", "198.51.100.200").status_code == 429
        for n in range(5):  # and from its locked addresses
            assert login(client, "newcomer", "wrong", f"198.51.100.{n + 1}").status_code == 429
        assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == (
            recorded
        )
        clock.tick(datetime.timedelta(seconds=31))  # 61 s after the last counted failure
        assert login(client, "newcomer", PASSWORD, "203.0.113.50").status_code == 302


def test_the_delay_grows_with_further_failures_and_is_capped(client):
    from lms.organisation import security

    assert security.account_delay(19) == datetime.timedelta(0)
    assert security.account_delay(20) == datetime.timedelta(minutes=1)
    assert security.account_delay(25) == datetime.timedelta(minutes=2)
    assert security.account_delay(30) == datetime.timedelta(minutes=4)
    assert security.account_delay(500) == datetime.timedelta(minutes=15)
    make_user(username="target2")
    start = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)
    with freeze_time(start) as clock:
        spread_attack(client, "target2", failures=20)
        for n in range(5):  # one counted failure after each delay
            clock.tick(datetime.timedelta(seconds=61))
            login(client, "target2", "wrong", f"192.0.2.{n + 100}")
        response = login(client, "target2", PASSWORD, "203.0.113.5")
        assert response.status_code == 429 and response["Retry-After"] == "120"
        clock.tick(datetime.timedelta(minutes=2, seconds=1))
        assert login(client, "target2", PASSWORD, "203.0.113.5").status_code == 302


def test_a_known_address_keeps_working_and_other_accounts_are_untouched(client):
    make_user(username="owner")
    make_user(username="neighbour")
    assert login(client, "owner", PASSWORD, "192.0.2.10").status_code == 302  # the office
    client.post(reverse("logout"))
    spread_attack(client, "owner", failures=24)
    assert login(client, "owner", PASSWORD, "203.0.113.8").status_code == 429
    assert login(client, "owner", PASSWORD, "192.0.2.10").status_code == 302
    client.post(reverse("logout"))
    assert login(client, "neighbour", PASSWORD, "203.0.113.8").status_code == 302


def test_an_administrator_lifts_the_lock(client):
    make_user(username="target3")
    spread_attack(client, "target3", failures=20)
    assert login(client, "target3", PASSWORD, "203.0.113.6").status_code == 429
    call_command("axes_reset_username", "target3", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert login(client, "target3", PASSWORD, "203.0.113.6").status_code == 302
