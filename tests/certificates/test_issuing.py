import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from wagtail.models import ModelLogEntry

from certificates import issue, reissue, revoke
from certificates.issuing import NotEligible
from certificates.models import Certificate
from courses.completion import course_completed
from courses.models import Enrollment
from tests.certificates.conftest import complete
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_issue_on_completion_once(course, settings):
    user = make_user(full_name="王小明", district="HP")
    enrollment = complete(user, course)
    for _ in range(2):
        course_completed.send(sender=Enrollment, enrollment=enrollment, user=user, course=course)
    certs = Certificate.objects.filter(user=user, course=course)
    assert certs.count() == 1
    cert = certs.get()
    year = timezone.localdate().year
    assert cert.serial == f"{year}-HP-000001"
    assert cert.holder_name == "王小明"
    assert cert.holder_employee_no == user.staff_profile.employee_no
    assert len(cert.verification_code) == 22
    assert (cert.expires_at - cert.issued_at).days == course.certificate_validity_days
    assert cert.pdf and cert.pdf_sha256
    # Private storage: the file lives outside MEDIA_ROOT, so MEDIA_URL can never serve it.
    path = Path(cert.pdf.path)
    assert path.is_relative_to(settings.PRIVATE_MEDIA_ROOT)
    assert not path.is_relative_to(settings.MEDIA_ROOT)
    assert ModelLogEntry.objects.filter(
        action="certificates.issue", object_id=str(cert.pk)
    ).exists()


def test_issue_is_idempotent_and_serials_per_district(course, training_index):
    from tests.certificates.conftest import add_course

    other = add_course(training_index, "IP102")
    a = make_user(district="HP")
    b = make_user(district="PD")
    city = make_user(district=None)
    c1 = issue(a, course)
    assert issue(a, course) == c1
    c2 = issue(a, other)
    c3 = issue(b, course)
    c4 = issue(city, course)
    year = timezone.localdate().year
    assert [c1.serial, c2.serial] == [f"{year}-HP-000001", f"{year}-HP-000002"]
    assert c3.serial == f"{year}-PD-000001"
    assert c4.serial == f"{year}-SH-000001"


def test_reissue_supersedes(course):
    admin = make_user("city_admin")
    user = make_user(full_name="张三")
    old = issue(user, course)
    user.staff_profile.full_name = "张珊"
    user.staff_profile.save()
    new = reissue(old, actor=admin)
    old.refresh_from_db()
    assert old.superseded_by == new and old.superseded_at
    assert new.serial != old.serial and new.holder_name == "张珊"
    assert new.expires_at == old.expires_at
    assert issue(user, course) == new
    assert ModelLogEntry.objects.filter(action="certificates.reissue").exists()


def test_revoke_logs_and_allows_new_issue(course):
    admin = make_user("city_admin")
    user = make_user()
    cert = issue(user, course)
    revoke(cert, actor=admin, reason="考核作弊")
    assert cert.revoked_at and cert.revoked_by == admin and cert.revoked_reason == "考核作弊"
    assert ModelLogEntry.objects.filter(action="certificates.revoke").exists()
    # Revocation sticks: nothing re-issues it without a new pass after the revocation.
    with pytest.raises(NotEligible):
        issue(user, course)


def test_issue_certificates_command(course):
    users = [make_user(district="HP") for _ in range(2)] + [make_user(district="PD")]
    for user in users:
        Enrollment.objects.create(user=user, course=course, completed_at=timezone.now())
    make_user(district="HP")  # not complete
    call_command("issue_certificates", "--district", "HP")
    assert Certificate.objects.count() == 2
    call_command("issue_certificates")
    assert Certificate.objects.count() == 3
    call_command("issue_certificates")
    assert Certificate.objects.count() == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_issuance_gapless(training_index):
    from tests.certificates.conftest import add_course

    course = add_course(training_index, "IP500")
    users = [make_user(district="HP") for _ in range(20)]
    errors = []
    barrier = threading.Barrier(20)

    def work(user):
        try:
            barrier.wait()
            issue(user, course)
        except Exception as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    numbers = sorted(
        int(s.rsplit("-", 1)[1]) for s in Certificate.objects.values_list("serial", flat=True)
    )
    assert numbers == list(range(1, 21))
