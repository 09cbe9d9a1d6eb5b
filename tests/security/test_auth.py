"""Login throttling, password strength and session lifetime."""

import re

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
    assert "账号已暂时锁定" in body and "15 分钟" in body
    assert response["Retry-After"] == "900"
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


def test_imported_staff_set_their_first_password_by_reset_email(client, mailoutbox):
    """Staff imported from an HR file have no password yet: "forgot password" sends them a
    link, they choose a password and log in. A leaver (deactivated) gets no email."""
    from django.contrib.auth import get_user_model

    from lms.rollout import importing

    data = (
        "姓名,工号,所属区,邮箱\n张三,E9001,HP,zhangsan@example.cn\n李四,E9002,HP,lisi@example.cn\n"
    )
    importing.apply(importing.preview(data.encode(), "staff.csv"))
    user = get_user_model().objects.get(staff_profile__employee_no="E9001")
    assert not user.has_usable_password()
    leaver = get_user_model().objects.get(staff_profile__employee_no="E9002")
    leaver.staff_profile.is_active = False
    leaver.staff_profile.save()

    client.post(reverse("password_reset"), {"email": "lisi@example.cn"})
    assert mailoutbox == []
    response = client.post(reverse("password_reset"), {"email": "ZhangSan@example.cn"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["zhangsan@example.cn"]
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    response = client.post(
        form_url, {"new_password1": "Window-2026-first", "new_password2": "Window-2026-first"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.has_usable_password() and user.check_password("Window-2026-first")
    client.logout()
    response = client.post(
        reverse("login"), {"username": user.username, "password": "Window-2026-first"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
