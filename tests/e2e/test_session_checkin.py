"""Issue 16, sessions on a phone (390×844): a learner books the in-person session on their home
page, then, at the session, opens the check-in URL shown as a QR code on the trainer's screen,
confirms with the button (the GET alone records nothing) and sees 签到成功; the trainer's screen
(1366×900) shows the big centred QR code, the count and the learner's name without scrolling,
and the home card says 已签到 with no cancel button."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import E2E_DB, PHONE, admin_login, login

pytestmark = [pytest.mark.e2e, E2E_DB]


def test_learner_books_and_checks_in_by_qr(open_page, learner, wave, curriculum):
    from lms.organisation import roles
    from lms.rollout.models import Attendance, TrainingSession
    from tests.factories import make_user

    trainer = make_user(roles.TRAINER, district=None, username="trainer-qr", full_name="李老师")
    now = timezone.now()
    session = TrainingSession.objects.create(
        wave=wave,
        course=curriculum,
        district=learner.staff_profile.district,
        starts_at=now + datetime.timedelta(minutes=5),
        ends_at=now + datetime.timedelta(hours=2),
        place="黄浦区政务服务中心三楼会议室",
        trainer=trainer,
        capacity=12,
    )

    phone = open_page(viewport=PHONE)
    login(phone, learner.username)
    card = phone.locator(f"[data-session='{session.pk}']")
    expect(card).to_contain_text("黄浦区政务服务中心三楼会议室")
    expect(card).to_contain_text(curriculum.title)
    expect(card).to_contain_text("剩余 12 个名额")
    # Phone-first: the card fits the 390 px screen.
    assert card.bounding_box()["width"] <= 390
    card.get_by_role("button", name="预约").click()
    expect(phone.locator(".messages")).to_contain_text("预约成功")
    card = phone.locator(f"[data-session='{session.pk}']")
    expect(card).to_contain_text("已预约")
    expect(card).to_contain_text("剩余 11 个名额")

    screen = open_page(viewport={"width": 1366, "height": 900})
    admin_login(screen, trainer.username, next_url=f"/admin/rollout/sessions/{session.pk}/checkin/")
    expect(screen.locator("[data-checkin-qr] svg")).to_be_visible()
    checkin_url = screen.locator("[data-checkin-link]").get_attribute("href")
    assert "/rollout/checkin/" in checkin_url

    # The QR code is large and centred; the count is above the fold.
    qr = screen.locator("[data-checkin-qr] svg").bounding_box()
    assert qr["width"] >= 500
    code_box = screen.locator("[data-checkin-qr]").bounding_box()
    assert abs((code_box["x"] + code_box["width"] / 2) - (qr["x"] + qr["width"] / 2)) < 2
    count = screen.locator("[data-checkin-present]").bounding_box()
    assert count["y"] + count["height"] <= 900
    assert qr["y"] + qr["height"] <= 900
    # QR code and names side by side, the pair centred on the screen.
    side = screen.locator(".checkin-side").bounding_box()
    left_gap, right_gap = qr["x"], 1366 - (side["x"] + side["width"])
    assert abs(left_gap - right_gap) < 80, (left_gap, right_gap)

    phone.goto(checkin_url)
    expect(phone.locator("h1")).to_have_text("确认签到")
    assert not Attendance.objects.filter(session=session, present=True).exists()
    phone.get_by_role("button", name="我在现场，确认签到").click()
    expect(phone.locator("h1")).to_have_text("签到成功")
    record = Attendance.objects.get(session=session, staff=learner.staff_profile)
    assert record.present and record.booked_at is not None
    # The trainer's screen names the learner within a few seconds, without a reload.
    expect(screen.locator("[data-checkin-present]")).to_have_text("1", timeout=10_000)
    expect(screen.locator("[data-checkin-names]")).to_contain_text(learner.staff_profile.full_name)
    names = screen.locator("[data-checkin-names]").bounding_box()
    assert names["y"] < 900

    phone.goto("/")
    card = phone.locator(f"[data-session='{session.pk}']")
    expect(card).to_contain_text("已签到")
    expect(card.get_by_role("button", name="取消预约")).to_have_count(0)
