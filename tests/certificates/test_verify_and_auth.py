from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from certificates import authorised_user_ids, is_authorised, issue, reissue, revoke
from certificates.models import Certificate
from certificates.reminders import send_expiry_reminders
from certificates.views import mask_name
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def _states(course):
    user = make_user(full_name="王小明")
    valid = issue(user, course)
    expired = issue(make_user(full_name="李四"), course)
    Certificate.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    revoked = revoke(issue(make_user(full_name="欧阳小明"), course), reason="x")
    old = issue(make_user(), course)
    reissue(old)
    return {
        "valid": valid.verification_code,
        "expired": expired.verification_code,
        "revoked": revoked.verification_code,
        "superseded": old.verification_code,
        "unknown": "A" * 22,
    }


def test_verify_states_html_and_json(client, course):
    for status, code in _states(course).items():
        response = client.get(f"/verify/{code}/")
        assert response.status_code == 200
        assert response.context["data"]["status"] == status
        data = client.get(f"/verify/{code}.json").json()
        assert data["status"] == status
        assert data["valid"] is (status == "valid")
        assert client.get(f"/verify/{code}/?format=json").json()["status"] == status
    html = client.get(f"/verify/{_states_code(course)}/").content.decode()
    assert "王*明" in html and "王小明" not in html


def _states_code(course):
    return Certificate.objects.get(holder_name="王小明", course=course).verification_code


def test_unknown_and_malformed_look_the_same(client):
    a = client.get("/verify/" + "A" * 22 + "/")
    b = client.get("/verify/../etc'<x>/")
    c = client.get("/verify/short/")
    assert a.status_code == c.status_code == 200

    # The page body is identical (header forms differ only by CSRF token and echoed path).
    def main(r):
        html = r.content.decode()
        return html[html.index("<main") : html.index("</main>")]

    assert main(a) == main(c)
    assert b.status_code in (200, 404)


def test_mask_name():
    assert mask_name("王小明") == "王*明"
    assert mask_name("李四") == "李*"
    assert mask_name("欧阳小明") == "欧阳**"
    assert mask_name("Wang Xiaoming") == "W*** X*******"


def test_rate_limit(client, settings):
    for _ in range(30):
        assert client.get("/verify/" + "B" * 22 + "/").status_code == 200
    assert client.get("/verify/" + "B" * 22 + "/").status_code == 429
    assert client.get("/verify/" + "B" * 22 + ".json").status_code == 429


def test_authorisation_rule(courses, django_assert_max_num_queries):
    required_a, required_b, optional = courses
    user = make_user()
    assert not is_authorised(user).authorised
    issue(user, required_a)
    issue(user, optional)
    status = is_authorised(user)
    assert not status.authorised and [m.course for m in status.missing] == [required_b]
    assert status.missing[0].reason == "not_enrolled"
    cert_b = issue(user, required_b)
    status = is_authorised(user)
    assert status.authorised and status.missing == [] and len(status.valid) == 3
    # expiring within 30 days
    Certificate.objects.filter(pk=cert_b.pk).update(expires_at=timezone.now() + timedelta(days=5))
    assert [c.pk for c in is_authorised(user).expiring] == [cert_b.pk]
    # expiry withdraws the authorisation
    Certificate.objects.filter(pk=cert_b.pk).update(expires_at=timezone.now() - timedelta(days=1))
    assert not is_authorised(user).authorised
    other = make_user()
    for course in (required_a, required_b):
        issue(other, course)
    assert is_authorised(other).authorised
    revoke(Certificate.objects.get(user=other, course=required_a), reason="x")
    assert not is_authorised(other).authorised
    third = make_user()
    issue(third, required_a)
    issue(third, required_b)
    ids = [user.pk, other.pk, third.pk] + [make_user().pk for _ in range(5)]
    with django_assert_max_num_queries(2):
        assert authorised_user_ids(ids) == {third.pk}


def test_home_section_banner(client, courses):
    user = make_user()
    client.force_login(user)
    html = client.get("/").content.decode()
    assert "尚未获得上岗资格" in html and "IP102" in html
    for course in courses[:2]:
        issue(user, course)
    assert "已获上岗资格" in client.get("/").content.decode()


def test_learner_page_and_pdf_permissions(client, course):
    owner = make_user()
    intruder = make_user()
    cert = issue(owner, course)
    client.force_login(owner)
    page = client.get("/certificates/")
    assert cert.serial in page.content.decode()
    response = client.get(f"/certificates/{cert.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    badge = client.get(f"/certificates/{cert.pk}/badge.json").json()
    assert "OpenBadgeCredential" in badge["type"]
    assert badge["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert badge["integrity"]["pdfSha256"] == cert.pdf_sha256
    client.force_login(intruder)
    assert client.get(f"/certificates/{cert.pk}/pdf/").status_code == 404
    assert client.get(f"/certificates/{cert.pk}/badge.json").status_code == 404
    # district admin of another district: 404; of the holder's district: 200
    client.force_login(make_user("district_admin", district="PD"))
    assert client.get(f"/certificates/{cert.pk}/pdf/").status_code == 404
    client.force_login(make_user("district_admin", district="HP"))
    assert client.get(f"/certificates/{cert.pk}/pdf/").status_code == 200


def test_lookup_scoped(client, course):
    hp = make_user(full_name="赵一", district="HP")
    pd = make_user(full_name="赵二", district="PD")
    issue(hp, course)
    client.force_login(make_user())
    assert client.get("/certificates/lookup/?q=赵").status_code == 403
    client.force_login(make_user("district_admin", district="HP"))
    html = client.get("/certificates/lookup/?q=赵").content.decode()
    assert "赵一" in html and "赵二" not in html
    client.force_login(make_user("city_admin"))
    html = client.get("/certificates/lookup/", {"q": pd.staff_profile.employee_no}).content.decode()
    assert "赵二" in html


def test_reminders_sent_once(course):
    user = make_user(full_name="王小明")
    cert = issue(user, course)
    issue(make_user(), course)  # far from expiry
    Certificate.objects.filter(pk=cert.pk).update(expires_at=timezone.now() + timedelta(days=10))
    assert send_expiry_reminders(days=30) == 1
    assert send_expiry_reminders(days=30) == 0
    assert len(mail.outbox) == 1
    assert cert.serial in mail.outbox[0].body and "到期" in mail.outbox[0].subject


def test_verify_page_in_english_has_english_status_and_dates(client, course):
    """Phone QA: the English verification page said "证书有效" and "2026年11月30日 until …",
    and showed a revocation date as ISO text."""
    from django.utils import formats, translation

    codes = _states(course)
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        for status, label in [("valid", "Certificate valid"), ("revoked", "Certificate revoked")]:
            cert = Certificate.objects.get(verification_code=codes[status])
            html = client.get(f"/verify/{codes[status]}/", HTTP_ACCEPT_LANGUAGE="en").content
            html = html.decode()
            assert label in html
            assert "年" not in html and "证书" not in html
            issued = formats.date_format(timezone.localtime(cert.issued_at).date(), "DATE_FORMAT")
            assert issued in html  # e.g. "Nov. 30, 2026"
        revoked = Certificate.objects.get(verification_code=codes["revoked"])
        assert (
            formats.date_format(timezone.localtime(revoked.revoked_at).date(), "DATE_FORMAT")
            in html
        )
    # Chinese stays Chinese.
    client.cookies["django_language"] = "zh-hans"
    html = client.get(f"/verify/{codes['valid']}/").content.decode()
    assert "证书有效" in html and "年" in html
