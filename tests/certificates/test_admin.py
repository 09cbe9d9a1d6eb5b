import pytest
from django.urls import reverse

from certificates import issue
from certificates.models import Certificate
from lms.organisation import roles
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_admin_listing_scoped_and_revoke(client, course):
    hp = issue(make_user(full_name="赵一", district="HP"), course)
    pd = issue(make_user(full_name="钱二", district="PD"), course)
    client.force_login(make_user("district_admin", district="HP"))
    html = client.get("/admin/certificates/?status=valid").content.decode()
    assert hp.serial in html and pd.serial not in html
    assert client.get(f"/admin/certificates/inspect/{pd.pk}/").status_code == 404
    assert client.get(f"/admin/certificates/revoke/{pd.pk}/").status_code == 404
    response = client.post(f"/admin/certificates/revoke/{hp.pk}/", {"reason": "离职"})
    assert response.status_code == 302
    assert Certificate.objects.get(pk=hp.pk).revoked_reason == "离职"
    assert client.get("/admin/certificate-batches/").status_code == 200


def test_certificate_menu_follows_the_permission(client):
    """Trainers manage no one's certificates (lms.organisation.roles, certificates.apps): no
    证书 menu item and no list; city administrators have both."""
    index = reverse("certificates_certificate:index")
    client.force_login(make_user(roles.TRAINER, district=None))
    home = client.get(reverse("wagtailadmin_home"), follow=True).content.decode()
    assert index not in home  # the sidebar's props (JSON)
    assert client.get(index).status_code in (302, 403)
    client.force_login(make_user(roles.CITY_ADMIN, district=None))
    home = client.get(reverse("wagtailadmin_home"), follow=True).content.decode()
    assert index in home
    assert client.get(index).status_code == 200
