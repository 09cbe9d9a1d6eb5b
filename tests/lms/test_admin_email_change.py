"""An administrator changing someone's e-mail (walk-through after issue 16, defect 1).

Wagtail's user editor let a city administrator change a managed account's address silently,
which redirects that person's password resets. Now (``lms.organisation.email_change``):
window staff take the new address at once, the change is in the audit log (old and new, by
whom) and the OLD address is told; privileged accounts -- and accounts the same edit makes
privileged -- wait for their owner's confirmation; below city level nobody edits the accounts
of another district.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.urls import reverse
from wagtail.models import ModelLogEntry

from lms.organisation import roles
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _user_form(user, *groups, **changes):
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "groups": [Group.objects.get(name=g).pk for g in groups],
    }
    data.update(changes)
    return data


def _staff_form(profile, **changes):
    data = {
        "full_name": profile.full_name,
        "employee_no": profile.employee_no,
        "username": profile.user.username,
        "email": profile.user.email,
        "district": profile.district_id or "",
        "service_centre": profile.service_centre,
        "window": profile.window,
        "job_title": profile.job_title,
        "phone": profile.phone,
        "is_active": "on",
    }
    data.update(changes)
    return data


def _person(role=roles.WINDOW_STAFF, district="HP", email="zhang.san@example.cn", **kwargs):
    person = make_user(role, district, **kwargs)
    person.email = email
    person.save(update_fields=["email"])
    return person


def _changes(person):
    return ModelLogEntry.objects.filter(
        action="lms.email_change_admin", object_id=str(person.pk)
    ).order_by("pk")


def test_user_editor_changes_window_staff_email_logs_it_and_tells_the_old_address(
    client, django_capture_on_commit_callbacks
):
    city = make_user(roles.CITY_ADMIN, None, username="city_mail")
    person = _person(username="zhangsan")
    client.force_login(city)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("wagtailusers_users:edit", args=[person.pk]),
            _user_form(person, roles.WINDOW_STAFF, email="new.box@example.cn"),
        )
    assert response.status_code == 302, response.context["form"].errors
    person.refresh_from_db()
    assert person.email == "new.box@example.cn"
    [entry] = _changes(person)
    assert entry.user_id == city.pk
    assert entry.data == {"old": "zhang.san@example.cn", "new": "new.box@example.cn"}
    [notice] = mail.outbox
    assert notice.to == ["zhang.san@example.cn"]
    assert "zhangsan" in notice.body and "city_mail" in notice.body
    assert "n***@example.cn" in notice.body and "new.box" not in notice.body
    # The audit report names the action in words.
    history = client.get(reverse("wagtailadmin_reports:site_history"))
    assert "管理员已变更邮箱" in history.content.decode()


def test_staff_editor_change_by_a_district_admin_is_logged_and_announced_too(
    client, django_capture_on_commit_callbacks
):
    admin = make_user(roles.DISTRICT_ADMIN, "HP", username="hp_mail")
    person = _person()
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("staffprofile:edit", args=[person.staff_profile.pk]),
            _staff_form(person.staff_profile, email="other@example.cn"),
        )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.email == "other@example.cn"
    assert [e.data["old"] for e in _changes(person)] == ["zhang.san@example.cn"]
    assert [m.to for m in mail.outbox] == [["zhang.san@example.cn"]]


def test_a_first_address_is_logged_without_a_notice(client, django_capture_on_commit_callbacks):
    client.force_login(make_user(roles.CITY_ADMIN, None))
    person = _person(email="")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("wagtailusers_users:edit", args=[person.pk]),
            _user_form(person, roles.WINDOW_STAFF, email="first@example.cn"),
        )
    person.refresh_from_db()
    assert person.email == "first@example.cn"
    assert _changes(person).count() == 1 and mail.outbox == []


@pytest.mark.parametrize(
    "role, groups",
    [
        (roles.TRAINER, [roles.TRAINER]),  # already privileged
        (roles.WINDOW_STAFF, [roles.WINDOW_STAFF, roles.TRAINER]),  # promoted by the same edit
    ],
)
def test_privileged_accounts_keep_their_address_until_the_owner_confirms(
    client, django_capture_on_commit_callbacks, role, groups
):
    client.force_login(make_user(roles.CITY_ADMIN, None))
    person = _person(role)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("wagtailusers_users:edit", args=[person.pk]),
            _user_form(person, *groups, email="attacker@example.cn"),
            follow=True,
        )
    assert response.status_code == 200
    assert "确认链接已发送到原邮箱" in response.content.decode()
    person.refresh_from_db()
    assert person.email == "zhang.san@example.cn"
    assert set(person.groups.values_list("name", flat=True)) == set(groups)
    [confirmation] = mail.outbox
    assert confirmation.to == ["zhang.san@example.cn"] and "/accounts/email/confirm/" in (
        confirmation.body
    )
    assert not _changes(person).exists()


def test_below_city_level_the_user_editor_reaches_only_the_own_district(client):
    """A district administrator who was given ``auth.change_user`` directly (not by any role)
    still manages only the people of their district, in the listing and the editor."""
    admin = make_user(roles.DISTRICT_ADMIN, "HP", username="hp_user_editor")
    for codename in ("view_user", "change_user"):
        admin.user_permissions.add(Permission.objects.get(codename=codename))
    own = _person(username="hp_person")
    other = _person(district="PD", username="pd_person", email="pd@example.cn")
    client.force_login(admin)
    listing = client.get(reverse("wagtailusers_users:index")).content.decode()
    assert "hp_person" in listing and "pd_person" not in listing
    url = reverse("wagtailusers_users:edit", args=[other.pk])
    refused = client.get(url)  # Wagtail turns PermissionDenied into a redirect home
    assert refused.status_code == 302 and refused["Location"] == reverse("wagtailadmin_home")
    response = client.post(url, _user_form(other, roles.WINDOW_STAFF, email="x@example.cn"))
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    other.refresh_from_db()
    assert other.email == "pd@example.cn"
    assert client.get(reverse("wagtailusers_users:edit", args=[own.pk])).status_code == 200
