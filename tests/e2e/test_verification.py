"""Anyone (not logged in) opens a certificate's verification URL and sees its state."""

import pytest

from tests.e2e.conftest import E2E_DB, axe_violations, format_violations

pytestmark = [pytest.mark.e2e, E2E_DB]


def test_anonymous_verification_shows_valid_then_revoked(browser_page, learner, curriculum):
    from certificates.issuing import issue, revoke

    page = browser_page
    from django.utils import timezone

    from courses.models import Enrollment

    # A certificate needs a completed enrolment (certificates.issuing).
    Enrollment.objects.update_or_create(
        user=learner, course=curriculum, defaults={"completed_at": timezone.now()}
    )
    certificate = issue(learner, curriculum)

    page.goto(certificate.verify_path)
    card = page.locator(".verify")
    assert "verify-valid" in card.get_attribute("class")
    assert "证书有效" in card.inner_text()
    text = page.locator("main").inner_text()
    assert certificate.serial in text
    assert "王*明" in text  # the holder's name is masked
    assert "王小明" not in text
    assert page.get_by_role("button", name="退出登录").count() == 0  # anonymous

    revoke(certificate, reason="离岗")
    page.reload()
    card = page.locator(".verify")
    assert "verify-revoked" in card.get_attribute("class")
    assert "证书已被撤销" in card.inner_text()
    assert page.locator("dt", has_text="撤销日期").count() == 1


def test_unknown_code_says_not_found(browser_page):
    page = browser_page
    response = page.goto("/verify/" + "x" * 22 + "/")
    assert response.status == 200
    assert "未找到该证书" in page.locator(".verify").inner_text()
    violations = axe_violations(page)
    assert not violations, format_violations("verification page (unknown code)", violations)
