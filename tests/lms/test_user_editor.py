"""The limited Wagtail user editor (lms.organisation.user_admin): a role change saves for
imported staff (no first/last name, no e-mail), roles read as names, and the listing names
people by their staff profile."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation

from lms.organisation import roles
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(client):
    user = make_user(roles.CITY_ADMIN, None, username="city_editor")
    client.force_login(user)
    return user


def _edit_data(user, *groups, **extra):
    return {
        "username": user.username,
        "email": "",
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "groups": [Group.objects.get(name=g).pk for g in groups],
        **extra,
    }


def test_role_change_saves_without_names_or_email(client, city):
    person = make_user(roles.WINDOW_STAFF, "HP", full_name="孙三")
    person.email = ""
    person.save(update_fields=["email"])
    url = reverse("wagtailusers_users:edit", args=[person.pk])
    response = client.post(url, _edit_data(person, roles.WINDOW_STAFF, roles.TRAINER))
    assert response.status_code == 302, response.context["form"].errors
    assert set(person.groups.values_list("name", flat=True)) == {
        roles.WINDOW_STAFF,
        roles.TRAINER,
    }
    person.refresh_from_db()
    assert person.email == "" and person.first_name == ""


def test_email_given_is_still_validated(client, city):
    person = make_user(roles.WINDOW_STAFF, "HP")
    url = reverse("wagtailusers_users:edit", args=[person.pk])
    response = client.post(url, _edit_data(person, roles.WINDOW_STAFF, email="not-an-address"))
    assert response.status_code == 200
    assert "email" in response.context["form"].errors


def test_new_user_without_names_or_email(client, city):
    password = "Ein-langes-Passwort-2026"
    response = client.post(
        reverse("wagtailusers_users:add"),
        {
            "username": "new-staff",
            "email": "",
            "first_name": "",
            "last_name": "",
            "password1": password,
            "password2": password,
            "groups": [Group.objects.get(name=roles.WINDOW_STAFF).pk],
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    assert Group.objects.get(name=roles.WINDOW_STAFF).user_set.filter(username="new-staff")


def test_role_checkboxes_show_translated_role_names(client, city):
    person = make_user(roles.WINDOW_STAFF, "HP")
    response = client.get(reverse("wagtailusers_users:edit", args=[person.pk]))
    html = response.content.decode()
    labels = {str(label) for _value, label in response.context["form"].fields["groups"].choices}
    assert labels == {"窗口工作人员", "培训师", "区管理员", "市管理员", "审核人"}
    for code in roles.ROLES:
        assert code not in labels and f" {code}\n" not in html
    assert "窗口工作人员" in html and "审核人" in html
    with translation.override("en"):
        assert roles.role_label(roles.WINDOW_STAFF) != "窗口工作人员"
        assert roles.role_label("Editors") == "Editors"


def test_user_list_names_people_by_their_staff_profile(client, city):
    person = make_user(roles.WINDOW_STAFF, "HP", full_name="周四")
    # An account from before names were copied from the staff profile: no first/last name.
    type(person).objects.filter(pk=person.pk).update(first_name="", last_name="")
    person.refresh_from_db()
    assert person.get_full_name() == ""
    html = client.get(reverse("wagtailusers_users:index")).content.decode()
    assert "周四" in html


def test_user_list_queries_do_not_grow_with_people(client, city):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_user(roles.WINDOW_STAFF, "HP")
    url = reverse("wagtailusers_users:index")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _i in range(4):
        make_user(roles.WINDOW_STAFF, "HP")
    with CaptureQueriesContext(connection) as more:
        client.get(url)
    assert len(more.captured_queries) == len(few.captured_queries)
