"""The admin language chosen in Wagtail's account settings (UserProfile.preferred_language) is
the language of the whole admin, not only of the views Wagtail wraps in require_admin_access:
its JavaScript catalogue (sidebar and editor strings), its 404 page and its messages too."""

import pytest
from django.urls import reverse
from wagtail.users.models import UserProfile

from lms.organisation import roles
from tests.factories import make_user

pytestmark = pytest.mark.django_db

# The catalogue escapes non-ASCII: "Cancel" is 取消 in the Chinese one.
CHINESE_ENTRY = r'"Cancel": "\u53d6\u6d88"'


def admin_user(client, language=""):
    user = make_user(roles.CITY_ADMIN, district=None)
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    client.post(
        reverse("wagtailadmin_login"), {"username": user.username, "password": "Pass-word-123"}
    )
    return user


def test_profile_english_makes_the_admin_english(client):
    admin_user(client, "en")
    client.cookies["django_language"] = "zh-hans"  # the learner side's switcher said Chinese
    home = client.get("/admin/", follow=True)
    assert 'lang="en"' in home.content.decode()
    # Wagtail's JavaScript catalogue (sidebar, editor, dialogs) is served outside
    # require_admin_access: it was the Chinese one.
    catalogue = client.get(reverse("wagtailadmin_javascript_catalog")).content.decode()
    assert CHINESE_ENTRY not in catalogue
    missing = client.get("/admin/no-such-page/").content.decode()
    assert 'lang="en"' in missing and "Page not found" in missing


def test_the_admin_stays_chinese_without_a_profile_choice(client):
    admin_user(client, "")
    assert 'lang="zh-hans"' in client.get("/admin/", follow=True).content.decode()
    catalogue = client.get(reverse("wagtailadmin_javascript_catalog")).content.decode()
    assert CHINESE_ENTRY in catalogue


def test_profile_language_does_not_reach_the_learner_pages(client):
    admin_user(client, "en")
    body = client.get(reverse("home")).content.decode()
    assert 'lang="zh-Hans"' in body
