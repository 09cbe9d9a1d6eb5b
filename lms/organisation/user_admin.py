"""The Wagtail user editor, limited to what the editing account may grant (issue 15, hole 3).

Wagtail's own forms offer ``is_superuser`` ("Administrator") and every group to whoever holds
``auth.add_user``/``auth.change_user``: a city administrator could create a superuser. Here,
below superuser:

* the forms have no ``is_superuser`` field (``is_staff`` is never offered), and a POST that
  sends them anyway changes nothing (a ModelForm saves only its own fields);
* the group choices are ``lms.organisation.roles.assignable_groups`` -- role groups not above
  the editor's
  own role whose permissions the editor holds; any other group id is an invalid choice;
* superusers, staff accounts and people holding a group the editor may not grant can be
  neither edited nor deleted by them (``lms.organisation.roles.can_manage_user``);
* first name, last name and e-mail are optional (imported staff have a full name in their
  staff profile and may have no e-mail); an e-mail given is still validated;
* a changed e-mail goes through ``email_change.admin_changes_email``: a privileged account
  (or one this edit makes privileged) keeps its address until its owner confirms; any other
  account's change is logged and announced to the old address;
* below city level (someone granted ``auth.change_user`` directly), only the accounts of the
  districts they administer are listed, edited or deleted (``roles.can_manage_user``);
* role checkboxes show the translated role names (``roles.role_label``), and the listing's
  name column falls back to the staff profile's full name.

Installed through ``lms.organisation.users_app.WagtailUsersConfig`` (Wagtail's documented
``user_viewset``).
"""

from functools import cached_property

from django.core.exceptions import PermissionDenied
from wagtail.admin.utils import get_user_display_name
from wagtail.users.forms import UserCreationForm, UserEditForm
from wagtail.users.views import users as wagtail_users

from lms.organisation import roles
from lms.organisation.email_change import admin_changes_email, tell_if_email_change_pending

OPTIONAL_FIELDS = ("first_name", "last_name", "email")


class RoleLimitedFormMixin:
    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.for_user = for_user
        for name in OPTIONAL_FIELDS:
            if name in self.fields:
                self.fields[name].required = False
        if "groups" in self.fields:
            self.fields["groups"].label_from_instance = lambda group: roles.role_label(group.name)
        if for_user is not None and for_user.is_superuser:
            return
        self.fields.pop("is_superuser", None)
        self.fields.pop("is_staff", None)
        if "groups" in self.fields:
            self.fields["groups"].queryset = roles.assignable_groups(for_user)


class LimitedUserCreationForm(RoleLimitedFormMixin, UserCreationForm):
    pass


class LimitedUserEditForm(RoleLimitedFormMixin, UserEditForm):
    email_change_pending = False

    def save(self, commit=True):
        user = super().save(commit=False)
        if "email" in self.fields:
            grants_role = bool(self.cleaned_data.get("is_superuser")) or any(
                group.permissions.exists() for group in self.cleaned_data.get("groups") or []
            )
            self.email_change_pending = not admin_changes_email(
                user,
                self.cleaned_data.get("email") or "",
                actor=self.for_user,
                old_email=self.initial.get("email") or "",
                privileged=grants_role,
            )
        if commit:
            user.save()
            self.save_m2m()
        return user


class ForUserFormMixin:
    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["for_user"] = self.request.user
        return kwargs


class CreateView(ForUserFormMixin, wagtail_users.CreateView):
    pass


class ManagedUserMixin:
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if not roles.can_manage_user(request.user, self.get_object()):
            raise PermissionDenied


class EditView(ManagedUserMixin, ForUserFormMixin, wagtail_users.EditView):
    def form_valid(self, form):
        response = super().form_valid(form)
        tell_if_email_change_pending(self.request, form)
        return response


class DeleteView(ManagedUserMixin, wagtail_users.DeleteView):
    pass


def display_name(user) -> str:
    """The name shown for an account: first and last name, else the staff profile's full name,
    else Wagtail's fallback (the username)."""
    if user.get_full_name().strip():
        return get_user_display_name(user)
    profile = getattr(user, "staff_profile", None)
    if profile is not None and profile.full_name:
        return profile.full_name
    return get_user_display_name(user)


class IndexView(wagtail_users.IndexView):
    def get_base_queryset(self):
        users = super().get_base_queryset().select_related("staff_profile")
        return roles.scope_to_districts(users, self.request.user, "staff_profile__district")

    @cached_property
    def columns(self):
        columns = list(super().columns)
        for column in columns:
            if column.name == "name":
                column.accessor = display_name
        return columns


class UserViewSet(wagtail_users.UserViewSet):
    index_view_class = IndexView
    add_view_class = CreateView
    edit_view_class = EditView
    delete_view_class = DeleteView

    def get_form_class(self, for_update=False):
        return LimitedUserEditForm if for_update else LimitedUserCreationForm


# --- Wagtail's user bulk actions (users listing: "Assign role", "Set active state", "Delete")
# They bypass the edit/delete views above: Wagtail checks only ``auth.change_user`` /
# ``auth.delete_user`` and offers every group. A city administrator could deactivate or
# delete a superuser and give themselves Wagtail's "Moderators" group. Each action here
# applies only to accounts ``roles.can_manage_user`` allows, and "Assign role" offers only
# ``roles.assignable_groups``. Registered after Wagtail's own (hook order), same action types,
# so they replace them (lms.organisation.wagtail_hooks).

from wagtail.users.views.bulk_actions.assign_role import AssignRoleBulkAction  # noqa: E402
from wagtail.users.views.bulk_actions.delete import DeleteBulkAction  # noqa: E402
from wagtail.users.views.bulk_actions.set_active_state import (  # noqa: E402
    SetActiveStateBulkAction,
)


class ManagedUsersBulkMixin:
    def check_perm(self, obj):
        return super().check_perm(obj) and roles.can_manage_user(self.request.user, obj)


class LimitedAssignRoleBulkAction(ManagedUsersBulkMixin, AssignRoleBulkAction):
    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["role"].queryset = roles.assignable_groups(self.request.user)
        return form


class LimitedSetActiveStateBulkAction(ManagedUsersBulkMixin, SetActiveStateBulkAction):
    pass


class LimitedDeleteBulkAction(ManagedUsersBulkMixin, DeleteBulkAction):
    pass


USER_BULK_ACTIONS = [
    LimitedAssignRoleBulkAction,
    LimitedSetActiveStateBulkAction,
    LimitedDeleteBulkAction,
]
