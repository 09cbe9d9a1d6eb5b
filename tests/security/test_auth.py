"""Login throttling, password strength and session lifetime."""

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def login(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_four_failures_do_not_lock_but_the_fifth_does(client):
    make_user(username="locky")
    for _ in range(4):
        assert login(client, "locky", "wrong").status_code == 200
    assert login(client, "locky", "Pass-word-123").status_code == 302  # resets the counter

    client.post(reverse("logout"))
    for _ in range(5):
        login(client, "locky", "wrong")
    response = login(client, "locky", "Pass-word-123")
    assert response.status_code == 429
    body = response.content.decode()
    assert "账号已暂时锁定" in body and "30 分钟" in body
    assert client.get(reverse("home")).status_code == 302  # not logged in


def test_lockout_is_per_username_and_address(client):
    make_user(username="victim")
    make_user(username="bystander")
    for _ in range(5):
        login(client, "victim", "wrong")
    assert login(client, "bystander", "Pass-word-123").status_code == 302
    other = login(client, "victim", "Pass-word-123", REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 302


def test_wagtail_admin_login_is_throttled_too(client):
    make_user(username="adminlock")
    for _ in range(5):
        client.post(reverse("wagtailadmin_login"), {"username": "adminlock", "password": "x"})
    response = client.post(
        reverse("wagtailadmin_login"), {"username": "adminlock", "password": "Pass-word-123"}
    )
    assert response.status_code == 429


@pytest.mark.parametrize("weak", ["12345678901", "password123", "short1!", "pass-word-user"])
def test_weak_password_rejected_on_change(client, weak):
    user = make_user(username="pass-word-user")
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": "Pass-word-123", "new_password1": weak, "new_password2": weak},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "密码" in body and 'class="error"' in body
    user.refresh_from_db()
    assert user.check_password("Pass-word-123")


def test_strong_password_accepted_on_change(client):
    user = make_user(username="strong")
    client.force_login(user)
    new = "青浦-window-Licence-2026"
    response = client.post(
        reverse("password_change"),
        {"old_password": "Pass-word-123", "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


def test_session_cookie_is_browser_session_and_expires_after_8_hours(client):
    make_user(username="sessiony")
    response = login(client, "sessiony", "Pass-word-123")
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    # Expire at browser close: no Expires / Max-Age on the cookie ...
    assert not cookie["expires"] and not cookie["max-age"]
    # ... and the server-side session ends after one working day anyway.
    assert django_settings.SESSION_COOKIE_AGE == 8 * 3600
    assert client.session.get_expiry_age() == 8 * 3600
    assert client.session.get_expire_at_browser_close()


def test_password_reset_is_available(client):
    assert client.get(reverse("password_reset")).status_code == 200
