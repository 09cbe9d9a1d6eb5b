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


def test_a_user_without_names_or_email_changes_the_admin_language(client):
    """Seeded and imported users have no first/last name (the name is on the staff profile)
    and often no e-mail: Wagtail's account form required all three, so saving the language
    failed."""
    from django.contrib.auth import get_user_model

    user = admin_user(client, "")
    get_user_model().objects.filter(pk=user.pk).update(first_name="", last_name="", email="")
    response = client.post(
        reverse("wagtailadmin_account"),
        {
            "name_email-first_name": "",
            "name_email-last_name": "",
            "name_email-email": "",
            "locale-preferred_language": "en",
            "locale-current_time_zone": "",
            "theme-theme": "system",
            "theme-density": "default",
            "theme-contrast": "system",
            "theme-keyboard_shortcuts": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert UserProfile.get_for_user(user).preferred_language == "en"


def test_the_staff_profile_name_becomes_the_user_first_name():
    from django.contrib.auth import get_user_model

    user = make_user(district="HP", username="HP777")
    profile = user.staff_profile
    profile.full_name = "张伟"
    profile.save()
    user = get_user_model().objects.get(pk=user.pk)
    assert (user.first_name, user.last_name) == ("张伟", "")
