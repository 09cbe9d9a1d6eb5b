"""The certificates admin: read-only records whose lifecycle actions are buttons."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.urls import NoReverseMatch, reverse

from certificates import issue
from certificates.issuing import reinstate, revoke
from certificates.models import Certificate
from tests.factories import make_user

pytestmark = pytest.mark.django_db

ACTIONS = ("revoke", "reinstate", "reissue")


def action_url(name, cert):
    return reverse(f"certificates_certificate:{name}", args=[cert.pk])


def present(html, cert):
    return {name for name in ACTIONS if action_url(name, cert) in html}


def test_certificates_cannot_be_edited_by_hand(client, course):
    cert = issue(make_user(full_name="赵一", district="HP"), course)
    client.force_login(make_user("city_admin"))
    for name in ("edit", "add", "delete", "copy"):
        with pytest.raises(NoReverseMatch):
            reverse(f"certificates_certificate:{name}", args=[cert.pk] if name != "add" else [])
    # The old edit form saved a revocation reason without revoking.
    response = client.post(f"/admin/certificates/edit/{cert.pk}/", {"revoked_reason": "作弊"})
    assert response.status_code == 404
    cert.refresh_from_db()
    assert cert.revoked_at is None and cert.revoked_reason == ""
    # List rows link to the inspect view, and it opens.
    listing = client.get("/admin/certificates/").content.decode()
    inspect_url = reverse("certificates_certificate:inspect", args=[cert.pk])
    assert f'href="{inspect_url}"' in listing
    assert "/admin/certificates/edit/" not in listing
    assert client.get(inspect_url).status_code == 200
    history = client.get(reverse("certificates_certificate:history", args=[cert.pk]))
    assert history.status_code == 200
    assert inspect_url in history.content.decode()


def test_lifecycle_buttons_follow_state_and_permission(client, course):
    cert = issue(make_user(full_name="赵一", district="HP"), course)
    inspect_url = reverse("certificates_certificate:inspect", args=[cert.pk])
    city = make_user("city_admin")
    client.force_login(city)
    assert present(client.get(inspect_url).content.decode(), cert) == {"revoke", "reissue"}
    listing = client.get("/admin/certificates/").content.decode()
    assert present(listing, cert) == {"revoke", "reissue"}
    assert "重新签发" in listing and "恢复（撤销有误）" not in listing

    revoke(cert, actor=city, reason="作弊")
    assert present(client.get(inspect_url).content.decode(), cert) == {"reinstate"}
    assert present(client.get("/admin/certificates/").content.decode(), cert) == {"reinstate"}

    # Someone who sees every certificate but may not change them: no buttons.
    viewer = make_user("trainer")
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_all_districts", content_type__app_label="lms"),
        Permission.objects.get(codename="view_certificate", content_type__app_label="certificates"),
    )
    client.force_login(viewer)
    assert client.get(inspect_url).status_code == 200
    assert present(client.get(inspect_url).content.decode(), cert) == set()
    assert present(client.get("/admin/certificates/").content.decode(), cert) == set()

    # A district administrator: their own district's certificate only.
    client.force_login(make_user("district_admin", district="HP"))
    assert present(client.get(inspect_url).content.decode(), cert) == {"reinstate"}
    client.force_login(make_user("district_admin", district="PD"))
    assert client.get(inspect_url).status_code == 404
    assert present(client.get("/admin/certificates/").content.decode(), cert) == set()


def test_inspect_shows_local_time_status_and_dashes(client, course, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    cert = issue(make_user(full_name="赵一", district="HP"), course)
    Certificate.objects.filter(pk=cert.pk).update(
        issued_at=datetime(2026, 11, 30, 9, 16, tzinfo=ZoneInfo("UTC"))
    )
    client.force_login(make_user("city_admin"))
    html = client.get(
        reverse("certificates_certificate:inspect", args=[cert.pk]),
        headers={"accept-language": "zh-hans"},
    ).content.decode()
    fields = html[html.index("<dl") : html.index("</dl>")]
    assert "2026年11月30日 17:16" in fields and "09:16" not in fields
    assert "None" not in fields
    assert re.search(r"撤销时间\s*</dt>\s*<dd[^>]*>\s*—", fields), fields
    assert re.search(r"状态\s*</dt>\s*<dd[^>]*>\s*有效", fields), fields


def test_history_shows_revoke_and_reinstate_reasons(client, course):
    holder = make_user(full_name="赵一", district="HP")
    cert = issue(holder, course)
    city = make_user("city_admin")
    revoke(cert, actor=city, reason="考试作弊")
    reinstate(cert, actor=make_user("city_admin"), reason="误撤销，核实无误")
    client.force_login(city)
    html = client.get(
        reverse("certificates_certificate:history", args=[cert.pk]),
        headers={"accept-language": "zh-hans"},
    ).content.decode()
    assert "考试作弊" in html
    assert "误撤销，核实无误" in html
