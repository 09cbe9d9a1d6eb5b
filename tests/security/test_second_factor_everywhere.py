"""Hole 2 (issue 15): a password alone opened every privileged view outside ``/admin/``.

With ``LMS_REQUIRE_2FA`` on, a privileged account (any permission, staff or superuser) acts as
window staff until its session passes the second factor -- on every URL, because the rule is
applied to its permissions (``lms.organisation.security.UnverifiedSessionUser``), not to a URL
prefix.
"""

import pytest
from django.test import Client
from django.urls import reverse

from lms.organisation import security
from tests.security.helpers import confirmed_device, login_with_otp
from tests.security.matrix_world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tmp_path, settings):
    settings.LMS_REQUIRE_2FA = True
    settings.AXES_ENABLED = False
    return build_world(tmp_path)


def _privileged_urls(w):
    return [
        reverse("certificates:lookup") + "?q=" + w.profile_hp.employee_no,
        reverse("certificates:pdf", args=[w.certificate.pk]),  # learner A's, not the admin's
        reverse("certificates:badge", args=[w.certificate.pk]),
        reverse("rollout:export_download", args=[w.export_hp.pk]),
    ]


@pytest.mark.parametrize("role", ["admin_hp", "city_admin"])
def test_password_alone_opens_no_privileged_view_outside_the_admin(world, role):
    w = world
    user = w.user(role)
    confirmed_device(user)  # enrolled, but this session has not entered a code
    client = Client()
    client.force_login(user)
    for url in _privileged_urls(w):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("otp_verify")), url
        assert "next=" in response["Location"]
    # The learner pages stay open without a code.
    assert client.get(reverse("home")).status_code == 200

    verified = Client()
    login_with_otp(verified, user)
    for url in _privileged_urls(w):
        assert verified.get(url).status_code == 200, url


def test_without_a_device_the_admin_is_sent_to_enrolment(world):
    client = Client()
    client.force_login(world.user("admin_hp"))
    response = client.get(reverse("certificates:lookup"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("otp_setup"))


def test_unverified_session_holds_no_permission_even_superuser(world, rf):
    """The mechanism itself: the request's user keeps its identity, loses every permission."""
    w = world
    city = w.user("city_admin")
    city.is_superuser = True
    city.save()
    user = security.session_user(city)
    assert isinstance(user, security.UnverifiedSessionUser)
    assert user.pk == city.pk and user.username == city.username
    assert not user.is_superuser and not user.is_staff
    assert not user.has_perm("lms.view_all_districts")
    assert not user.has_perm("wagtailadmin.access_admin")
    assert user.get_all_permissions() == set()
    # The real account is untouched: saving through the wrapper keeps it a superuser.
    user.first_name = "改"
    user.save()
    city.refresh_from_db()
    assert city.is_superuser and city.first_name == "改"
    # Window staff hold no permission: no second factor is asked of them.
    learner = w.user("learner")
    assert security.session_user(learner) is learner


def test_a_directly_granted_permission_also_needs_the_second_factor(world):
    """Keyed on permissions, not on role groups: a learner given one permission by hand must
    verify before it counts."""
    from django.contrib.auth.models import Permission

    learner = world.user("learner_pd")
    learner.user_permissions.add(Permission.objects.get(codename="view_all_districts"))
    client = Client()
    client.force_login(learner)
    response = client.get(reverse("certificates:pdf", args=[world.certificate.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("otp_setup"))
