"""Wagtail's account settings (``/admin/account/``) for people whose name lives on their staff
profile.

Wagtail's ``NameEmailForm`` requires first name, last name and e-mail, but imported and seeded
users have none of them (the name is ``StaffProfile.full_name``; many window staff have no
e-mail), so such a person could not even change the admin language: the whole account form
failed on fields they never filled in. Here the three are optional, and a staff profile's full
name is copied to ``User.first_name`` (Chinese names: the full name in ``first_name``,
``last_name`` empty) whenever the profile is saved, so Wagtail shows the right name.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.dispatch import receiver
from wagtail.admin.forms.account import NameEmailForm

from .models import StaffProfile


class AccountNameEmailForm(NameEmailForm):
    """Wagtail's name and e-mail form with every field optional."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "email"):
            if name in self.fields:
                self.fields[name].required = False


def install_account_form() -> None:
    """Make Wagtail's name/e-mail account panel use ``AccountNameEmailForm`` (Wagtail 8 has no
    setting for this form; ``register_account_settings_panel`` can only add panels)."""
    from wagtail.admin.views import account

    account.NameEmailSettingsPanel.form_class = AccountNameEmailForm


@receiver(post_save, sender=StaffProfile, dispatch_uid="lms.organisation.account.sync_name")
def sync_user_name(sender, instance: StaffProfile, raw=False, **kwargs) -> None:
    """Copy the profile's full name to ``User.first_name`` (one UPDATE, only if it differs)."""
    if raw or not instance.full_name or not instance.user_id:
        return
    name = instance.full_name[:150]
    get_user_model().objects.filter(pk=instance.user_id).exclude(
        first_name=name, last_name=""
    ).update(first_name=name, last_name="")
    user = instance._state.fields_cache.get("user")  # keep a loaded user in step
    if user is not None:
        user.first_name, user.last_name = name, ""
