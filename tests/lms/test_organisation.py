import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError
from django.urls import reverse

from lms.organisation import roles
from lms.organisation.models import District, StaffProfile
from tests.factories import StaffProfileFactory, make_user

pytestmark = pytest.mark.django_db

EXPECTED = {
    "黄浦区",
    "徐汇区",
    "长宁区",
    "静安区",
    "普陀区",
    "虹口区",
    "杨浦区",
    "闵行区",
    "宝山区",
    "嘉定区",
    "浦东新区",
    "金山区",
    "松江区",
    "青浦区",
    "奉贤区",
    "崇明区",
}


def test_sixteen_districts_seeded():
    assert District.objects.count() == 16
    assert set(District.objects.values_list("name_zh", flat=True)) == EXPECTED
    codes = list(District.objects.values_list("code", flat=True))
    assert len(set(codes)) == 16
    assert all(len(code) == 2 and code.isupper() for code in codes)
    assert District.objects.get(code="PD").name_en == "Pudong New Area"


@pytest.mark.parametrize(
    "value", ["黄浦", "黄浦区", "Huangpu", "huangpu", "HP", "hp", "Huangpu District"]
)
def test_district_lookup(value):
    assert District.lookup(value).code == "HP"


def test_district_lookup_unknown():
    assert District.lookup("火星区") is None
    assert District.lookup("") is None


def test_employee_number_unique():
    StaffProfileFactory(employee_no="HP0001")
    with pytest.raises(IntegrityError):
        StaffProfileFactory(employee_no="HP0001")


def test_role_groups_exist_with_permissions():
    names = set(Group.objects.values_list("name", flat=True))
    assert set(roles.ROLES) <= names

    def perms(role):
        group = Group.objects.get(name=role)
        return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}

    assert perms(roles.WINDOW_STAFF) & {roles.ADMIN_ACCESS, "lms.change_staffprofile"} == set()
    assert roles.ADMIN_ACCESS in perms(roles.TRAINER)
    assert "lms.change_staffprofile" not in perms(roles.TRAINER)
    assert {"lms.change_staffprofile", roles.ADMIN_ACCESS} <= perms(roles.DISTRICT_ADMIN)
    assert "lms.view_all_districts" not in perms(roles.DISTRICT_ADMIN)
    assert {"lms.view_all_districts", "lms.delete_staffprofile"} <= perms(roles.CITY_ADMIN)


def test_role_sync_is_idempotent():
    before = Group.objects.get(name=roles.CITY_ADMIN).permissions.count()
    roles.sync_role_permissions()
    roles.sync_role_permissions()
    assert Group.objects.get(name=roles.CITY_ADMIN).permissions.count() == before


def test_admin_district_scope():
    city = make_user(roles.CITY_ADMIN, district=None)
    hp_admin = make_user(roles.DISTRICT_ADMIN, district="HP")
    learner = make_user(roles.WINDOW_STAFF, district="HP")
    hp = District.objects.get(code="HP")
    assert roles.admin_district_ids(city) is None
    assert roles.admin_district_ids(hp_admin) == [hp.pk]
    assert roles.admin_district_ids(learner) == []
    assert roles.can_administer_district(hp_admin, hp.pk)
    assert not roles.can_administer_district(hp_admin, District.objects.get(code="PD").pk)


def test_district_admin_sees_only_own_staff_in_wagtail(client):
    hp_admin = make_user(roles.DISTRICT_ADMIN, district="HP")
    own = make_user(district="HP", full_name="黄浦学员")
    other = make_user(district="PD", full_name="浦东学员")
    client.force_login(hp_admin)
    response = client.get(reverse("staffprofile:index"))
    assert response.status_code == 200
    assert "黄浦学员" in response.content.decode()
    assert "浦东学员" not in response.content.decode()
    edit_own = client.get(reverse("staffprofile:edit", args=[own.staff_profile.pk]))
    assert edit_own.status_code == 200
    edit_other = client.get(reverse("staffprofile:edit", args=[other.staff_profile.pk]))
    assert edit_other.status_code == 404


def test_city_admin_sees_all_staff_and_filters_by_district(client):
    city = make_user(roles.CITY_ADMIN, district=None)
    make_user(district="HP", full_name="黄浦学员")
    make_user(district="PD", full_name="浦东学员")
    client.force_login(city)
    body = client.get(reverse("staffprofile:index")).content.decode()
    assert "黄浦学员" in body and "浦东学员" in body
    pd = District.objects.get(code="PD")
    filtered = client.get(reverse("staffprofile:index"), {"district": pd.pk}).content.decode()
    assert "浦东学员" in filtered and "黄浦学员" not in filtered
    searched = client.get(reverse("staffprofile:index"), {"q": "浦东"}).content.decode()
    assert "浦东学员" in searched


def test_district_admin_creates_staff_in_own_district_only(client):
    hp_admin = make_user(roles.DISTRICT_ADMIN, district="HP")
    client.force_login(hp_admin)
    pd = District.objects.get(code="PD")
    data = {
        "full_name": "新同事",
        "employee_no": "HP9001",
        "username": "",
        "email": "",
        "district": pd.pk,
        "service_centre": "",
        "window": "",
        "job_title": "",
        "phone": "",
        "is_active": "on",
    }
    response = client.post(reverse("staffprofile:add"), data)
    assert response.status_code == 200  # form redisplayed: PD is not a valid choice
    assert not StaffProfile.objects.filter(employee_no="HP9001").exists()
    data["district"] = District.objects.get(code="HP").pk
    response = client.post(reverse("staffprofile:add"), data)
    assert response.status_code == 302
    profile = StaffProfile.objects.get(employee_no="HP9001")
    assert profile.user.username == "HP9001"
    assert profile.user.groups.filter(name=roles.WINDOW_STAFF).exists()


def test_learner_cannot_open_admin(client):
    client.force_login(make_user(roles.WINDOW_STAFF))
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code in (302, 403)
    assert client.get(reverse("staffprofile:index")).status_code in (302, 403)


@pytest.mark.parametrize("view", ["edit", "inspect", "delete", "history"])
def test_district_admin_gets_404_on_every_view_of_other_district(client, view):
    hp_admin = make_user(roles.DISTRICT_ADMIN, district="HP")
    other = make_user(district="PD", full_name="浦东学员")
    own = make_user(district="HP", full_name="黄浦学员")
    client.force_login(hp_admin)
    assert (
        client.get(reverse(f"staffprofile:{view}", args=[other.staff_profile.pk])).status_code
        == 404
    )
    own_status = client.get(reverse(f"staffprofile:{view}", args=[own.staff_profile.pk]))
    # 302: district admins hold no delete permission, Wagtail sends them back to the dashboard.
    assert own_status.status_code == (302 if view == "delete" else 200)
