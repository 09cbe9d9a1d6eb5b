"""Hole 3 (issue 15): a city administrator could create a superuser through Wagtail's user form.

Below superuser, the user editor has no ``is_superuser``/``is_staff`` field, offers only the
role groups not above the editor's own, and refuses to touch superusers or staff accounts.
Every test POSTs the forbidden fields anyway.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from lms.organisation import roles
from tests.factories import make_user

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "Ein-langes-Passwort-2026"


def _new_user_data(username, *groups, **extra):
    return {
        "username": username,
        "email": f"{username}@example.cn",
        "first_name": "新",
        "last_name": "用户",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "groups": [g.pk for g in groups],
        **extra,
    }


def _refused(response):
    """Wagtail answers PermissionDenied with a redirect to the dashboard and a message."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    )


def _group(name):
    return Group.objects.get(name=name)


@pytest.fixture
def city(client):
    user = make_user(roles.CITY_ADMIN, None, username="city_users")
    client.force_login(user)
    return user


def test_city_admin_form_offers_no_superuser_field_and_only_role_groups(client, city):
    page = client.get(reverse("wagtailusers_users:add"))
    assert page.status_code == 200
    form = page.context["form"]
    assert "is_superuser" not in form.fields and "is_staff" not in form.fields
    offered = set(form.fields["groups"].queryset.values_list("name", flat=True))
    # Every role (city ranks highest), never Wagtail's "Editors"/"Moderators".
    assert offered == set(roles.ROLES)
    assert 'name="is_superuser"' not in page.content.decode()


def test_city_admin_posting_superuser_and_staff_creates_a_plain_account(client, city):
    response = client.post(
        reverse("wagtailusers_users:add"),
        _new_user_data("sneaky", _group(roles.WINDOW_STAFF), is_superuser="on", is_staff="on"),
    )
    assert response.status_code == 302, response.context["form"].errors
    created = User.objects.get(username="sneaky")
    assert not created.is_superuser and not created.is_staff


@pytest.mark.parametrize("group_name", ["Editors", "Moderators"])
def test_city_admin_cannot_grant_a_group_outside_the_roles(client, city, group_name):
    response = client.post(
        reverse("wagtailusers_users:add"), _new_user_data("sneaky2", _group(group_name))
    )
    assert response.status_code == 200  # the form again, with the choice refused
    assert "groups" in response.context["form"].errors
    assert not User.objects.filter(username="sneaky2").exists()


def test_city_admin_cannot_promote_an_existing_account(client, city):
    learner = make_user(roles.WINDOW_STAFF, "HP", username="learner_promote")
    response = client.post(
        reverse("wagtailusers_users:edit", args=[learner.pk]),
        {
            "username": learner.username,
            "email": "l@example.cn",
            "first_name": "学",
            "last_name": "员",
            "is_active": "on",
            "is_superuser": "on",
            "is_staff": "on",
            "groups": [_group(roles.WINDOW_STAFF).pk],
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    learner.refresh_from_db()
    assert not learner.is_superuser and not learner.is_staff


def test_city_admin_cannot_edit_or_take_over_a_superuser(client, city):
    root = User.objects.create_superuser("root", "root@example.cn", "Root-password-2026")
    url = reverse("wagtailusers_users:edit", args=[root.pk])
    assert _refused(client.get(url))
    response = client.post(
        url,
        {
            "username": "root",
            "email": "attacker@example.cn",
            "first_name": "r",
            "last_name": "r",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "is_active": "on",
        },
    )
    assert _refused(response)
    root.refresh_from_db()
    assert root.email == "root@example.cn" and root.check_password("Root-password-2026")


def test_a_role_below_city_cannot_grant_a_higher_role(client):
    """A district administrator who was (wrongly) given the user permissions still grants only
    roles up to their own, never city administrator or superuser."""
    admin = make_user(roles.DISTRICT_ADMIN, "HP", username="hp_users")
    admin.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="auth", codename__in=["add_user", "change_user", "view_user"]
        )
    )
    client.force_login(admin)
    response = client.post(
        reverse("wagtailusers_users:add"),
        _new_user_data("sneaky3", _group(roles.CITY_ADMIN), is_superuser="on"),
    )
    assert response.status_code == 200
    assert "groups" in response.context["form"].errors
    assert not User.objects.filter(username="sneaky3").exists()
    city = make_user(roles.CITY_ADMIN, None, username="a_city_admin")
    assert _refused(client.get(reverse("wagtailusers_users:edit", args=[city.pk])))


def test_groups_editor_is_closed_below_superuser(client, city):
    response = client.post(
        reverse("wagtailusers_groups:add"), {"name": "pwned", "is_superuser": "on"}
    )
    assert _refused(response)
    assert not Group.objects.filter(name="pwned").exists()


def test_superuser_keeps_the_full_form(client):
    root = User.objects.create_superuser("root2", "root2@example.cn", "Root-password-2026")
    client.force_login(root)
    form = client.get(reverse("wagtailusers_users:add")).context["form"]
    assert "is_superuser" in form.fields
    assert form.fields["groups"].queryset.filter(name="Editors").exists()
