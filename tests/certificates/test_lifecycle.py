"""The certificate lifecycle (issue 14, findings 1-3): revocation sticks, recertification by
retraining, leavers are never authorised."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from freezegun import freeze_time
from wagtail.models import ModelLogEntry

from certificates import is_authorised, reinstate, revoke
from certificates.issuing import NotEligible, issue
from certificates.lifecycle import open_renewals
from certificates.models import Certificate
from courses.models import Enrollment
from tests.certificates.lifecycle_helpers import course_with_quiz, read_all, take_quiz
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_commits(django_capture_on_commit_callbacks):
    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return run


@pytest.fixture
def certified(training_index, run_commits):
    """A learner who read the lessons and passed: one valid certificate."""
    course = course_with_quiz(training_index, "IP-101")
    user = make_user(full_name="王小明")
    run_commits(read_all, user, course)
    run_commits(take_quiz, user, course)
    cert = Certificate.objects.get(user=user, course=course)
    assert cert.is_valid and is_authorised(user).authorised
    return user, course, cert


# --- finding 1: revocation sticks ---------------------------------------------------------


def test_revocation_sticks_through_issue_certificates(certified, run_commits):
    user, course, cert = certified
    admin = make_user("city_admin")
    revoke(cert, actor=admin, reason="考核作弊")
    call_command("issue_certificates")
    call_command("issue_certificates", "--course", course.code)
    assert list(Certificate.objects.filter(user=user, course=course)) == [cert]
    with pytest.raises(NotEligible):
        issue(user, course)
    status = is_authorised(user)
    assert not status.authorised
    assert [(m.course, m.reason) for m in status.missing] == [(course, "revoked")]
    # A new pass after the revocation issues a new certificate; the revoked one stays revoked.
    run_commits(take_quiz, user, course)
    new = Certificate.objects.get(user=user, course=course, revoked_at__isnull=True)
    assert new != cert and new.is_valid
    cert.refresh_from_db()
    assert cert.status == Certificate.REVOKED
    assert is_authorised(user).authorised


def test_a_pass_before_the_revocation_does_not_count(certified, run_commits):
    user, course, cert = certified
    revoke(cert, reason="考核作弊")
    enrollment = Enrollment.objects.get(user=user, course=course)
    assert enrollment.completed_at is None and enrollment.cycle_started_at == cert.revoked_at
    # Re-reading a lesson re-evaluates completion: the old pass is from before the revocation.
    run_commits(read_all, user, course)
    assert Enrollment.objects.get(pk=enrollment.pk).completed_at is None
    assert Certificate.objects.filter(user=user, course=course).count() == 1
    # A failed attempt does not either.
    run_commits(take_quiz, user, course, correct=False)
    assert Certificate.objects.filter(user=user, course=course).count() == 1


def test_reinstating_a_revocation_made_in_error(certified):
    user, course, cert = certified
    admin = make_user("city_admin")
    revoke(cert, actor=admin, reason="误操作")
    with pytest.raises(ValueError):
        reinstate(cert, actor=admin, reason="")
    reinstate(cert, actor=admin, reason="撤销对象弄错了")
    cert.refresh_from_db()
    assert cert.is_valid and is_authorised(user).authorised
    assert Enrollment.objects.get(user=user, course=course).completed_at is not None
    entry = ModelLogEntry.objects.get(action="certificates.reinstate", object_id=str(cert.pk))
    assert entry.data["reason"] == "撤销对象弄错了" and entry.data["revoked_reason"] == "误操作"
    assert entry.user == admin
    with pytest.raises(ValueError):
        reinstate(cert, actor=admin, reason="再来一次")


# --- finding 2: recertification by retraining ----------------------------------------------


def test_expired_certificate_is_renewed_only_by_a_new_pass(certified, run_commits):
    user, course, cert = certified
    later = cert.expires_at + timedelta(days=1)
    with freeze_time(later):
        assert not is_authorised(user).authorised
        # No exam, no certificate: neither the command nor issue() renew it.
        call_command("issue_certificates", "--course", course.code)
        assert Certificate.objects.filter(user=user, course=course).count() == 1
        with pytest.raises(NotEligible):
            issue(user, course)
        assert [m.reason for m in is_authorised(user).missing] == ["expired"]
        # The course re-opens for a new cycle; the learner retakes and passes the quiz.
        assert open_renewals() == 1
        enrollment = Enrollment.objects.get(user=user, course=course)
        assert enrollment.completed_at is None and enrollment.previous_completed_at
        run_commits(take_quiz, user, course)
        certs = list(Certificate.objects.filter(user=user, course=course).order_by("issued_at"))
        assert len(certs) == 2 and certs[0] == cert
        assert certs[1].is_valid and certs[1].issued_at >= later
        assert is_authorised(user).authorised
        # The old certificate verifies as expired (with its dates), never as "superseded".
        old = Certificate.objects.get(pk=cert.pk)
        assert old.status == Certificate.EXPIRED
    client_data = _verify_json(cert, later)
    assert client_data["status"] == "expired" and "superseded_by" not in client_data


def _verify_json(cert, at):
    from django.test import Client

    with freeze_time(at):
        return Client().get(f"/verify/{cert.verification_code}.json").json()


def test_expiring_certificate_opens_recertification_and_attempts_count_afresh(
    training_index, run_commits
):
    course = course_with_quiz(training_index, "IP-102", max_attempts=1)
    user = make_user()
    run_commits(read_all, user, course)
    run_commits(take_quiz, user, course)
    cert = Certificate.objects.get(user=user, course=course)
    with freeze_time(cert.expires_at - timedelta(days=10)):
        # The one attempt is used up, but the recertification cycle counts afresh.
        assert open_renewals(user=user) == 1
        assert is_authorised(user).authorised  # still valid while recertifying
        run_commits(take_quiz, user, course)
        new = Certificate.objects.get(user=user, course=course, superseded_at__isnull=True)
        assert new != cert and new.expires_at > cert.expires_at
        old = Certificate.objects.get(pk=cert.pk)
        assert old.status == Certificate.SUPERSEDED and old.superseded_by == new
    with freeze_time(cert.expires_at + timedelta(days=1)):
        assert Certificate.objects.get(pk=cert.pk).status == Certificate.EXPIRED
        assert is_authorised(user).authorised


# --- finding 3: leavers ---------------------------------------------------------------------


def test_leaver_is_never_authorised_and_lookup_says_so(certified, client):
    user, course, cert = certified
    user.is_active = False
    user.save()
    status = is_authorised(user)
    assert not status.authorised and status.left
    from certificates.authorisation import authorised_user_ids, authorised_users

    assert authorised_user_ids([user.pk]) == set()
    assert not authorised_users().filter(pk=user.pk).exists()
    admin = make_user("city_admin", district=None)
    client.force_login(admin)
    html = client.get("/certificates/lookup/", {"q": "王小明"}).content.decode()
    assert "已离职" in html and "已获上岗资格" not in html
    # The certificate itself still verifies as a genuine document with its dates.
    data = client.get(f"/verify/{cert.verification_code}.json").json()
    assert data["status"] == "valid" and data["serial"] == cert.serial
    assert data["issued_at"] == timezone.localtime(cert.issued_at).date().isoformat()


def test_staff_profile_out_of_post_is_not_authorised(certified):
    user, _course, _cert = certified
    user.staff_profile.is_active = False
    user.staff_profile.save()
    user.refresh_from_db()
    assert not is_authorised(user).authorised


def test_admin_reinstate_view_needs_a_reason_and_logs_it(certified, client):
    user, course, cert = certified
    admin = make_user("city_admin", district=None)
    revoke(cert, actor=admin, reason="误操作")
    client.force_login(admin)
    url = f"/admin/certificates/reinstate/{cert.pk}/"
    assert client.get(url).status_code == 200
    client.post(url, {"reason": ""})
    cert.refresh_from_db()
    assert cert.revoked_at is not None
    client.post(url, {"reason": "撤销对象弄错了"})
    cert.refresh_from_db()
    assert cert.revoked_at is None and is_authorised(user).authorised
    # A district administrator of another district cannot reach it.
    revoke(cert, actor=admin, reason="再次撤销")
    other = make_user("district_admin", district="PD")
    client.force_login(other)
    assert client.post(url, {"reason": "x"}).status_code in (403, 404)
    cert.refresh_from_db()
    assert cert.revoked_at is not None


def test_a_pass_whose_certificate_task_failed_is_certified_by_the_scheduled_sweep(
    training_index, run_commits
):
    """The issuing task can fail (a locked database, a dead worker): the learner must not be
    left with a completed course and no certificate. The scheduled sweep issues it."""
    from certificates import tasks
    from lms.jobs.scheduling import JOBS

    course = course_with_quiz(training_index, "IP-101")
    user = make_user(full_name="李小红")
    from courses.completion import course_completed

    course_completed.disconnect(dispatch_uid="certificates.issue_on_completion")
    try:
        run_commits(read_all, user, course)
        run_commits(take_quiz, user, course)
    finally:
        course_completed.connect(
            tasks.on_course_completed, dispatch_uid="certificates.issue_on_completion"
        )
    assert Enrollment.objects.get(user=user, course=course).completed_at is not None
    assert not Certificate.objects.filter(user=user, course=course).exists()
    sweep = next(job for job in JOBS if job.name == "issue_missing_certificates")
    sweep.func()
    assert Certificate.objects.get(user=user, course=course).is_valid
