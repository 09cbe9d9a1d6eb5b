"""Offline lessons (issue 18): the service worker at the site root, the offline page, and the
mark on the pages it keeps. The browser side is tests/e2e/test_phone_journey.py."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_service_worker_is_served_from_the_root():
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert 'name="lms-offline" content="lesson"' in body and "/offline/" in body
    assert "http://" not in body and "https://" not in body  # nothing from other origins


def test_offline_page_says_quizzes_need_a_connection():
    html = Client().get("/offline/").content.decode()
    assert 'data-offline-kind="page"' in html
    assert "测验需要联网" in html and "联网时打开过的课文可以离线重读" in html


def test_only_lesson_course_and_home_pages_are_marked_for_offline(client):
    from tests.factories import make_user

    client.force_login(make_user("window_staff"))
    assert b'name="lms-offline"' in client.get("/").content
    assert b'name="lms-offline"' not in client.get("/quiz/").content
    assert b'name="lms-offline"' not in client.get("/certificates/").content
