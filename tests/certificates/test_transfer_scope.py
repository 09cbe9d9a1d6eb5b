"""Penetration test finding 4: after a transfer, the certificate admin was scoped by the
district printed at issue time (``holder_district``): the old district's administrator could
still list, download, revoke and reissue a transferred person's certificates, while the new
district's administrator got 404s from the links the lookup page gave them. The person's
CURRENT district (``StaffProfile.district``) decides; ``holder_district`` stays printed."""

import pytest
from django.test import Client
from django.urls import reverse

from certificates import issue
from certificates.exports import batch_queryset
from certificates.models import Certificate
from lms.organisation.models import District
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def admin_client(district):
    client = Client()
    user = make_user("district_admin", district=district)
    client.force_login(user)
    return client, user


def urls(cert):
    return {
        "inspect": reverse("certificates_certificate:inspect", args=[cert.pk]),
        "history": reverse("certificates_certificate:history", args=[cert.pk]),
        "pdf": reverse("certificates:pdf", args=[cert.pk]),
        "badge": reverse("certificates:badge", args=[cert.pk]),
        "revoke": reverse("certificates_certificate:revoke", args=[cert.pk]),
        "reissue": reverse("certificates_certificate:reissue", args=[cert.pk]),
        "reinstate": reverse("certificates_certificate:reinstate", args=[cert.pk]),
    }


def test_the_current_district_controls_certificate_admin_and_downloads(course):
    person = make_user(full_name="孙转岗", district="HP")
    cert = issue(person, course)
    assert cert.holder_district.code == "HP"
    profile = person.staff_profile
    profile.district = District.objects.get(code="PD")
    profile.save()

    old, old_admin = admin_client("HP")
    new, new_admin = admin_client("PD")

    # The old district's administrator: nothing any more.
    assert cert.serial not in old.get("/admin/certificates/").content.decode()
    for name, url in urls(cert).items():
        assert old.get(url).status_code == 404, name
    assert old.post(urls(cert)["revoke"], {"reason": "越权"}).status_code == 404
    assert old.post(urls(cert)["reissue"]).status_code == 404
    assert not batch_queryset(user=old_admin).filter(pk=cert.pk).exists()
    cert.refresh_from_db()
    assert cert.revoked_at is None and cert.superseded_at is None

    # The new district's administrator: the lookup's links work, and every action.
    found = new.get("/certificates/lookup/", {"q": "孙转岗"}).content.decode()
    assert urls(cert)["pdf"] in found
    assert new.get(urls(cert)["pdf"]).status_code == 200
    listing = new.get("/admin/certificates/").content.decode()
    assert cert.serial in listing
    inspect = new.get(urls(cert)["inspect"])
    assert inspect.status_code == 200
    # The district printed on the certificate stays the historical fact.
    assert "黄浦" in inspect.content.decode()
    assert batch_queryset(user=new_admin).filter(pk=cert.pk).exists()
    assert batch_queryset(district=District.objects.get(code="PD")).filter(pk=cert.pk).exists()
    assert new.get(urls(cert)["revoke"]).status_code == 200
    assert new.post(urls(cert)["revoke"], {"reason": "考核作弊"}).status_code == 302
    cert.refresh_from_db()
    assert cert.revoked_at is not None and cert.holder_district.code == "HP"
    assert Certificate.objects.administered_by(new_admin).filter(pk=cert.pk).exists()
    assert not Certificate.objects.administered_by(old_admin).filter(pk=cert.pk).exists()
