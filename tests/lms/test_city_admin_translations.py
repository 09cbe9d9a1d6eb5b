"""Untranslated text the city administrator met in the Chinese admin (issue 16, second walk):
learning-progress headers and usernames, the user editor's help text, the admin sign-in page,
sort tooltips, the "Actions" landmark, "True" in the users list, and "- Wagtail" titles."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from courses.models import Enrollment, LessonPage, LessonProgress
from lms.organisation import roles
from tests.factories import make_user

from .test_admin_translations import _latin_words, _visible_text, courses_world  # noqa: F401

pytestmark = pytest.mark.django_db
PLATFORM = "上海知识产权公共服务窗口培训平台"
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _attributes(html: str) -> set:
    return set(re.findall(r'(?:title|aria-label|placeholder)="([^"]*)"', html))


def test_admin_sign_in_names_the_platform_in_chinese():
    html = Client().get(reverse("wagtailadmin_login"), **ZH).content.decode()
    (title,) = re.findall(r"<title>(.*?)</title>", html, re.S)
    assert "Wagtail" not in title and title.strip().endswith(PLATFORM)
    assert "<h1>登录培训平台管理后台</h1>" in html
    assert not _latin_words(_visible_text(html))  # "Password" was the field's label


@pytest.fixture
def learner(courses_world):  # noqa: F811
    learner = make_user(district="HP", full_name="张三", username="zhangsan")
    lesson = LessonPage.objects.live().first()
    course = lesson.get_parent().specific
    Enrollment.objects.create(user=learner, course=course)
    LessonProgress.objects.create(user=learner, lesson=lesson, course=course)
    return learner


@pytest.fixture
def city(client):
    user = make_user(roles.CITY_ADMIN, district=None, username="cityadmin", full_name="市管理员")
    client.force_login(user)
    return user


@pytest.mark.parametrize("url", ["/admin/lesson_progress/", "/admin/enrollments/"])
def test_learning_records_name_people_and_columns_in_chinese(learner, city, client, url):
    html = client.get(url, **ZH).content.decode()
    text = _visible_text(html)
    # "User", "Course", "Lesson" were the headings; the username only beside the name.
    assert _latin_words(text) <= {"zhangsan"}, _latin_words(text)
    assert "张三（zhangsan）" in text and "学员" in text
    assert not re.search(r">\s*zhangsan\s*<", html)
    if "lesson_progress" in url:
        assert "课文" in text
    attributes = _attributes(html)
    assert not [a for a in attributes if "Sort by" in a or a == "Actions"], attributes
    assert any(a.startswith("按“") and a.endswith("升序排列。") for a in attributes)
    assert re.search(rf"<title>[^<]*- {PLATFORM}\s*</title>", html)


def test_users_list_and_editor_in_chinese(learner, client):
    admin = make_user(roles.CITY_ADMIN, district=None, username="root2", full_name="超级")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    html = client.get(reverse("wagtailusers_users:index"), **ZH).content.decode()
    assert "True" not in _visible_text(html) and 'title="True"' not in html
    assert not [a for a in _attributes(html) if "Sort by" in a or a == "Actions"]
    html = client.get(reverse("wagtailusers_users:edit", args=[learner.pk]), **ZH)
    html = html.content.decode()
    assert "Letters, digits" not in html and "只能包含字母、数字和 @/./+/-/_" in html
