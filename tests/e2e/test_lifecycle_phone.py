"""Issue 14's phone walk-through (390×844), in Chromium: a locked quiz shows a disabled button
and the unread lesson; the home banner names exactly what is missing; after a revocation the
course page says so and does not present the old pass as current."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import E2E_DB, PHONE, login

pytestmark = [pytest.mark.e2e, E2E_DB]


def test_locked_quiz_missing_items_and_revocation_on_a_phone(open_page):
    from certificates import revoke
    from certificates.models import Certificate
    from courses.models import LessonPage
    from courses.progress import complete_lesson
    from tests.certificates.lifecycle_helpers import (
        course_with_quiz,
        read_all,
        site_training_index,
        take_quiz,
    )
    from tests.factories import make_user

    index = site_training_index("training-e2e-life")
    course = course_with_quiz(index, "IP-101", lessons=2)
    first, second = LessonPage.objects.child_of(course).order_by("path")
    user = make_user(username="walker")
    from courses.enrolment import enrol

    enrol(user, course)
    complete_lesson(user, first, course=course)

    page = open_page(viewport=PHONE)
    login(page, "walker")
    # Home: the banner says what exactly is missing, not "not yet completed".
    item = page.locator('li[data-course="IP-101"]')
    expect(item).to_contain_text("读完 1 篇课文")
    expect(item).to_contain_text(second.title)
    expect(item).to_contain_text("通过结业测验")
    expect(page.locator(".status-banner")).not_to_contain_text("尚未完成学习和考核")

    # Course page: the quiz is locked, with a disabled button and a link to the unread lesson.
    page.goto(course.url)
    quiz_box = page.get_by_test_id("course-quiz")
    expect(quiz_box.locator(".btn-primary")).to_have_count(0)
    expect(quiz_box.get_by_role("button", name="测验尚未开放")).to_be_disabled()
    expect(quiz_box).to_contain_text("还有 1 讲未学习")
    quiz_box.get_by_role("link", name=second.title).click()
    expect(page.locator("h1")).to_contain_text(second.title)

    # Read it and pass: certified. Then an administrator revokes the certificate.
    read_all(user, course)
    take_quiz(user, course)
    cert = Certificate.objects.get(user=user, course=course)
    page.goto(course.url)
    expect(page.get_by_test_id("course-quiz")).to_contain_text("已通过")
    revoke(cert, reason="考核作弊")

    page.goto(course.url)
    quiz_box = page.get_by_test_id("course-quiz")
    expect(quiz_box).not_to_contain_text("已通过")
    expect(quiz_box).not_to_contain_text("最高分")
    expect(quiz_box).to_contain_text("须重新通过")
    standing = page.get_by_test_id("certificate-revoked")
    expect(standing).to_contain_text("撤销")
    expect(page.get_by_test_id("course-standing")).to_contain_text("通过结业测验")
    # Nothing overflows the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.goto("/")
    expect(page.locator('li[data-course="IP-101"]')).to_have_attribute("data-reason", "revoked")
