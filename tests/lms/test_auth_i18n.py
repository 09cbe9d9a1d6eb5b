import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_anonymous_home_redirects_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_page_in_chinese_by_default(client):
    body = client.get(reverse("login")).content.decode()
    assert 'lang="zh-Hans"' in body
    assert "登录" in body and "忘记密码" in body


def test_login_page_in_english_after_switch(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    body = client.get(reverse("login")).content.decode()
    assert 'lang="en"' in body
    assert "Log in" in body and "Forgot your password?" in body


def test_login_flow_and_logout(client):
    make_user(username="learner1")
    response = login(client, "learner1", "Pass-word-123")
    assert response.status_code == 302
    assert response.url == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert "我的培训" in home.content.decode()
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_shows_chinese_error(client):
    make_user(username="learner2")
    body = login(client, "learner2", "wrong").content.decode()
    assert "请输入一个正确的" in body or "正确的用户名和密码" in body


def test_login_lockout_after_repeated_failures(client):
    make_user(username="learner3")
    for _ in range(5):
        login(client, "learner3", "wrong")
    response = login(client, "learner3", "Pass-word-123")
    assert response.status_code in (403, 429)
    assert "锁定" in response.content.decode()


def test_password_reset_sends_email(client):
    user = make_user(username="learner4")
    response = client.post(reverse("password_reset"), {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/reset/" in mail.outbox[0].body


def test_password_change_page_styled(client):
    user = make_user(username="learner5")
    client.force_login(user)
    body = client.get(reverse("password_change")).content.decode()
    assert "修改密码" in body and 'name="new_password1"' in body


def test_wagtail_admin_in_chinese(client):
    from lms.organisation import roles

    client.force_login(make_user(roles.CITY_ADMIN, district=None))
    # /admin/ sends a city administrator on to the city dashboard (a Wagtail admin page).
    body = client.get(reverse("wagtailadmin_home"), follow=True).content.decode()
    assert 'lang="zh-hans"' in body.lower() or "仪表板" in body or "控制面板" in body


def test_chinese_first_even_when_browser_prefers_english(client):
    body = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-Hans"' in body and "忘记密码" in body
