"""A tester's phone walk through the certificate lifecycle (learner-fixes): a revoked or
expired certificate is not handed out as a valid-looking document, the learner is told why it
was revoked, warned before it expires (home banner, course card, course page, /certificates/,
the page the expiry e-mail links to), told when it expired and what a new one needs, and a
completed course shows when it was completed rather than an old deadline."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from django.utils.formats import date_format
from freezegun import freeze_time

from certificates.issuing import revoke
from certificates.lifecycle import REGRADE_REVOCATION_REASON
from certificates.models import Certificate
from certificates.reminders import send_expiry_reminders
from courses.models import Enrollment
from quizzes.models import Quiz
from tests.certificates.lifecycle_helpers import course_with_quiz, read_all, site_training_index
from tests.certificates.lifecycle_helpers import take_quiz as _take_quiz
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def training_index(db):
    return site_training_index("training-learner-fixes")


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def certified(training_index, commits):
    course = course_with_quiz(training_index, "IP-101", lessons=1)
    user = make_user(full_name="王小明")
    with commits():
        read_all(user, course)
        _take_quiz(user, course)
    return user, course, Certificate.objects.get(user=user, course=course)


def _date(value):
    return date_format(timezone.localtime(value), "DATE_FORMAT")


def _section(html, testid):
    match = re.search(rf'<section[^>]*data-testid="{testid}".*?</section>', html, re.S)
    assert match, f"no {testid} section"
    return match.group(0)


def _banner(html):
    return html.split('class="card status-banner"', 1)[1].split("</div>", 1)[0]


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def _row(html, cert):
    """The /certificates/ table row of ``cert``."""
    return next(row for row in html.split("<tr>") if cert.serial in row)


# --- 1. no valid-looking document for a revoked or expired certificate -----------------------


def test_revoked_certificate_is_refused_with_an_explanation(certified, client):
    user, course, cert = certified
    client.force_login(user)
    pdf_url, badge_url = f"/certificates/{cert.pk}/pdf/", f"/certificates/{cert.pk}/badge.json"
    assert pdf_url in client.get("/certificates/").content.decode()
    revoke(cert, reason="考核作弊")
    cert.refresh_from_db()

    for url in (pdf_url, badge_url):
        response = client.get(url)
        assert response.status_code == 410, url
        assert response["Content-Type"].startswith("text/html")
        page = response.content.decode()
        assert "%PDF" not in page and "OpenBadgeCredential" not in page
        assert "证书已被撤销" in page and "考核作弊" in page and _date(cert.revoked_at) in page
        assert cert.verify_path in page  # verification stays

    row = _row(client.get("/certificates/").content.decode(), cert)
    assert pdf_url not in row and badge_url not in row
    assert cert.verify_path in row and "考核作弊" in row
    assert client.get(f"/verify/{cert.verification_code}.json").json()["status"] == "revoked"
    # An administrator of the holder's district is refused the document too.
    client.force_login(make_user("district_admin", district="HP"))
    assert client.get(pdf_url).status_code == 410


def test_expired_certificate_is_refused_and_not_offered(certified, client):
    user, course, cert = certified
    with freeze_time(cert.expires_at + timedelta(days=1)):
        client.force_login(user)  # a session of two years ago has expired
        response = client.get(f"/certificates/{cert.pk}/pdf/")
        assert response.status_code == 410
        assert "证书已过期" in response.content.decode()
        assert client.get(f"/certificates/{cert.pk}/badge.json").status_code == 410
        row = _row(client.get("/certificates/").content.decode(), cert)
        assert f"/certificates/{cert.pk}/pdf/" not in row and cert.verify_path in row
        assert f"证书已于 {_date(cert.expires_at)} 过期" in row


# --- 2. the learner is told why --------------------------------------------------------------


def test_revocation_reason_is_shown_to_the_learner(certified, client):
    user, course, cert = certified
    revoke(cert, reason="考核作弊")
    client.force_login(user)
    standing = _section(client.get(course.url).content.decode(), "course-standing")
    assert "考核作弊" in standing and cert.serial in standing
    item = _banner(client.get("/").content.decode())
    assert "考核作弊" in item and "撤销" in item


def test_system_revocation_reason_is_translated(certified, client):
    user, course, cert = certified
    revoke(cert, reason=REGRADE_REVOCATION_REASON)
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    standing = _text(_section(client.get(course.url).content.decode(), "course-standing"))
    assert "Reason: failed after regrading" in standing, standing


# --- 3. warned before it expires --------------------------------------------------------------


def test_warning_within_the_first_reminder_window_everywhere(certified, client):
    """45 days before: inside the 60-day first reminder (not yet inside 30)."""
    user, course, cert = certified
    quiz = Quiz.objects.get(course=course)
    expires = _date(cert.expires_at)
    warning = f"证书将于 {expires} 到期（还有 45 天）"
    with freeze_time(cert.expires_at - timedelta(days=45)):
        client.force_login(user)
        home = client.get("/").content.decode()
        banner = _banner(home)
        assert "已获上岗资格" in banner and warning in banner, banner
        # Renewal is open and says what it needs: the quiz (linked), not "re-learn".
        assert f'<a href="/quiz/{quiz.pk}/">通过结业测验</a>' in banner
        card = home.split('class="card course-card"', 1)[1].split("</article>", 1)[0]
        assert warning in card and "截止" not in card
        standing = _section(client.get(course.url).content.decode(), "course-standing")
        assert warning in standing and "通过结业测验" in standing
        row = _row(client.get("/certificates/").content.decode(), cert)
        assert warning in row and course.url in row


def test_expiry_email_leads_to_a_page_that_says_so(certified, client):
    user, course, cert = certified
    user.email = "wang@example.com"
    user.save()
    with freeze_time(cert.expires_at - timedelta(days=59)):
        assert send_expiry_reminders() == 1
        assert "/certificates/" in mail.outbox[-1].body
        client.force_login(user)
        row = _row(client.get("/certificates/").content.decode(), cert)
        assert f"证书将于 {_date(cert.expires_at)} 到期（还有 59 天）" in row
        assert "通过结业测验" in row  # what renewing needs


def test_course_card_says_valid_until_outside_the_window(certified, client):
    user, course, cert = certified
    Enrollment.objects.filter(user=user, course=course).update(due_at=cert.expires_at)
    client.force_login(user)
    card = client.get("/").content.decode().split('class="card course-card"', 1)[1]
    card = card.split("</article>", 1)[0]
    assert f"有效期至 {_date(cert.expires_at)}" in card and "截止" not in card


def test_english_warning_uses_plural_forms(certified, client):
    user, course, cert = certified
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for days, words in ((1, "(1 day left)"), (7, "(7 days left)")):
        with freeze_time(cert.expires_at - timedelta(days=days)):
            client.force_login(user)
            banner = _text(_banner(client.get("/").content.decode()))
            assert words in banner, banner


# --- 4. after expiry: when, and what a new certificate needs ----------------------------------


def test_course_page_after_expiry_says_when_and_what_to_do(certified, client):
    user, course, cert = certified
    with freeze_time(cert.expires_at + timedelta(days=3)):
        client.force_login(user)
        html = client.get(course.url).content.decode()
        standing = _section(html, "course-standing")
        assert 'data-testid="certificate-expired"' in standing
        assert f"已于 {_date(cert.expires_at)} 过期" in standing
        assert "通过结业测验" in standing
        item = _banner(client.get("/").content.decode())
        assert 'data-reason="expired"' in item
        assert f"证书已于 {_date(cert.expires_at)} 过期" in item and "通过结业测验" in item
        assert "重新学习" not in item  # every lesson is still read: only the quiz is needed


# --- 7. a completed course shows its completion, not an old deadline ---------------------------


def test_recertified_course_shows_completion_not_the_old_deadline(certified, client, commits):
    user, course, cert = certified
    with freeze_time(cert.expires_at - timedelta(days=10)):
        client.force_login(user)
        client.get(course.url)  # opens the renewal, due at the old expiry
        assert Enrollment.objects.get(user=user, course=course).due_at == cert.expires_at
        with commits():
            _take_quiz(user, course)
        enrollment = Enrollment.objects.get(user=user, course=course)
        assert enrollment.completed_at is not None
        new = Certificate.objects.valid().get(user=user, course=course)
        html = client.get(course.url).content.decode()
        progress = html.split('class="progress-label"', 1)[1].split("</p>", 1)[0]
        assert "截止时间" not in progress and _date(cert.expires_at) not in progress
        assert f"完成于 {_date(enrollment.completed_at)}" in progress
        standing = _section(html, "course-standing")
        assert f"有效期至 {_date(new.expires_at)}" in standing
