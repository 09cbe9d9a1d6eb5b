"""Per-account cap across addresses: the per username + address lock let an attacker who
rotates addresses guess one account's password without end. 20 failures within an hour from
any mix of addresses lock the account for an hour after the last one -- except from addresses
where it signed in recently -- and ``axes_reset_username`` lifts it."""

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


def test_failures_spread_over_addresses_lock_the_account(client):
    make_user(username="target")
    spread_attack(client, "target", failures=19)
    # 19 failures: below the cap, the right password from a new address still works
    assert login(client, "target", PASSWORD, "203.0.113.9").status_code == 302
    client.post(reverse("logout"))

    spread_attack(client, "target", failures=20)
    response = login(client, "target", PASSWORD, "203.0.113.77")  # yet another address
    assert response.status_code == 429
    assert "账号已暂时锁定" in response.content.decode()
    assert response["Retry-After"] == "3600"
    assert client.get(reverse("home")).status_code == 302  # not signed in


def test_the_account_lock_lasts_an_hour_after_the_last_failure(client):
    make_user(username="target2")
    start = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)
    with freeze_time(start) as clock:
        spread_attack(client, "target2", failures=20)
        clock.tick(datetime.timedelta(minutes=40))
        # the first addresses' own 15-minute cool-offs are long over: still locked
        assert login(client, "target2", PASSWORD, "203.0.113.5").status_code == 429
        clock.tick(datetime.timedelta(minutes=61))
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
