"""Wagtail's audit log: role changes are logged; only city administrators read Site history."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from wagtail.log_actions import LogContext
from wagtail.models import ModelLogEntry

from lms.organisation import roles
from tests.factories import make_user

pytestmark = pytest.mark.django_db
REPORT = "/admin/reports/site-history/"
RESULTS = "/admin/reports/site-history/results/"


def role_entries(user):
    return ModelLogEntry.objects.filter(action="lms.role_change", object_id=str(user.pk))


def test_role_changes_are_logged_from_both_sides():
    city = make_user(roles.CITY_ADMIN, district=None, username="city")
    staff = make_user(roles.WINDOW_STAFF, username="staff1")
    trainer = Group.objects.get(name=roles.TRAINER)
    with LogContext(user=city):
        staff.groups.add(trainer)
        trainer.user_set.remove(staff)
        staff.groups.clear()
    entries = list(role_entries(staff).order_by("pk"))
    assert [e.data for e in entries] == [
        {"added": [roles.WINDOW_STAFF], "removed": []},  # by the factory, no actor
        {"added": [roles.TRAINER], "removed": []},
        {"added": [], "removed": [roles.TRAINER]},
        {"added": [], "removed": [roles.WINDOW_STAFF]},
    ]
    assert entries[0].user is None
    assert all(e.user == city for e in entries[1:])
    assert str(entries[1].message) == "角色已变更"


def test_role_change_through_wagtail_user_editor_is_logged_with_actor(client):
    city = make_user(roles.CITY_ADMIN, district=None, username="cityeditor")
    city.is_superuser = True  # the user editor's own permission rules need superuser for groups
    city.save()
    target = make_user(roles.WINDOW_STAFF, username="promoted")
    client.force_login(city)
    form = client.get(reverse("wagtailusers_users:edit", args=[target.pk]))
    assert form.status_code == 200
    data = {
        "username": "promoted",
        "email": target.email,
        "first_name": "晋",
        "last_name": "升",
        "is_active": "on",
        "groups": [Group.objects.get(name=roles.DISTRICT_ADMIN).pk],
    }
    response = client.post(reverse("wagtailusers_users:edit", args=[target.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    # groups.set() removes, then adds: two entries, both by the acting city administrator.
    by_city = [e.data for e in role_entries(target).filter(user=city).order_by("pk")]
    assert by_city == [
        {"added": [], "removed": [roles.WINDOW_STAFF]},
        {"added": [roles.DISTRICT_ADMIN], "removed": []},
    ]


def test_city_admin_reads_and_filters_site_history(client):
    city = make_user(roles.CITY_ADMIN, district=None, username="cityreader")
    staff = make_user(roles.WINDOW_STAFF, username="someone")
    with LogContext(user=city):
        staff.groups.add(Group.objects.get(name=roles.TRAINER))
    client.force_login(city)

    response = client.get(REPORT)
    assert response.status_code == 200
    body = response.content.decode()
    assert "角色已变更" in body or "角色变更" in body

    filtered = client.get(RESULTS, {"action": "lms.role_change", "user": city.pk})
    assert filtered.status_code == 200
    rows = filtered.content.decode()
    assert "someone" in rows
    assert "cityreader" in rows  # the actor column
    none = client.get(
        RESULTS,
        {"action": "lms.role_change", "timestamp_from": "2000-01-01", "timestamp_to": "2000-01-02"},
    )
    assert none.status_code == 200 and "someone" not in none.content.decode()

    export = client.get(REPORT, {"action": "lms.role_change", "export": "csv"})
    assert export.status_code == 200
    content = b"".join(export.streaming_content) if export.streaming else export.content
    assert "someone" in content.decode("utf-8-sig")

    reports_menu = client.get("/admin/", follow=True).content.decode()
    assert REPORT in reports_menu


@pytest.mark.parametrize("role", [roles.DISTRICT_ADMIN, roles.TRAINER])
def test_other_admins_cannot_open_site_history(client, role):
    user = make_user(role)
    client.force_login(user)
    for url in (REPORT, RESULTS, REPORT + "?export=csv"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url == reverse("wagtailadmin_home")
    assert REPORT not in client.get("/admin/").content.decode()


def test_city_admin_holds_the_audit_permission():
    assert "wagtailcore.view_modellogentry" in roles.declared_permissions()[roles.CITY_ADMIN]
    assert (
        "wagtailcore.view_modellogentry" not in roles.declared_permissions()[roles.DISTRICT_ADMIN]
    )
    city = make_user(roles.CITY_ADMIN, district=None)
    assert city.has_perm("wagtailcore.view_modellogentry")
