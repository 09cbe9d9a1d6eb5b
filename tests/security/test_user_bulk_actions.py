"""Wagtail's user bulk actions ("Assign role", "Set active state", "Delete" on the users
listing) bypassed the limited user editor (hole 3 of issue 15): a city administrator could
deactivate or delete a superuser and add themselves to Wagtail's "Moderators" group.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from lms.organisation import roles
from tests.factories import make_user

pytestmark = pytest.mark.django_db
User = get_user_model()


def _bulk(action, *ids):
    query = "&".join(f"id={pk}" for pk in ids)
    return f"/admin/bulk/auth/user/{action}/?{query}&next=/admin/users/"


@pytest.fixture
def city(client):
    user = make_user(roles.CITY_ADMIN, None, username="city_bulk")
    client.force_login(user)
    return user


@pytest.fixture
def root():
    return User.objects.create_superuser("root_bulk", "root@example.cn", "Root-pass-2026!")


def test_city_admin_cannot_deactivate_a_superuser_in_bulk(client, city, root):
    staff = make_user(roles.WINDOW_STAFF, None, username="staff_bulk")
    client.post(_bulk("set_active_state", root.pk, staff.pk), {"mark_as_active": "False"})
    root.refresh_from_db()
    staff.refresh_from_db()
    assert root.is_active
    assert not staff.is_active  # the action still works on people they manage


def test_city_admin_cannot_delete_a_superuser_in_bulk(client, city, root):
    # Not granted to city administrators today; the guard must not depend on that.
    city.user_permissions.add(Permission.objects.get(codename="delete_user"))
    city = User.objects.get(pk=city.pk)
    client.force_login(city)
    client.post(_bulk("delete", root.pk))
    assert User.objects.filter(pk=root.pk).exists()


def test_city_admin_cannot_grant_a_non_role_group_in_bulk(client, city):
    moderators, _ = Group.objects.get_or_create(name="Moderators")
    page = client.get(_bulk("assign_role", city.pk))
    offered = set(page.context["form"].fields["role"].queryset.values_list("name", flat=True))
    assert "Moderators" not in offered
    client.post(_bulk("assign_role", city.pk), {"role": moderators.pk})
    assert not city.groups.filter(pk=moderators.pk).exists()


def test_city_admin_cannot_assign_roles_to_a_superuser_in_bulk(client, city, root):
    trainer = Group.objects.get(name=roles.TRAINER)
    client.post(_bulk("assign_role", root.pk), {"role": trainer.pk})
    assert not root.groups.exists()
