import unicodedata

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.documents.forms import BaseDocumentForm

from .models import StaffProfile
from .roles import WINDOW_STAFF, admin_district_ids
from .uploads import validate_upload


class StaffProfileForm(WagtailAdminModelForm):
    """Creates or updates the login account together with the staff profile."""

    username = forms.CharField(
        label=_("登录名"), max_length=150, required=False, help_text=_("留空则使用工号。")
    )
    email = forms.EmailField(label=_("邮箱"), required=False)

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        if self.instance.pk:
            self.fields["username"].initial = self.instance.user.username
            self.fields["email"].initial = self.instance.user.email
        ids = admin_district_ids(for_user) if for_user is not None else None
        if ids is not None and "district" in self.fields:
            self.fields["district"].queryset = self.fields["district"].queryset.filter(pk__in=ids)
            self.fields["district"].required = True

    def clean_username(self):
        username = self.cleaned_data.get("username") or self.data.get("employee_no", "")
        users = get_user_model().objects.filter(username=username)
        if self.instance.pk:
            users = users.exclude(pk=self.instance.user_id)
        if users.exists():
            raise forms.ValidationError(_("登录名“%(name)s”已被使用。"), params={"name": username})
        return username

    @transaction.atomic
    def save(self, commit=True):
        profile = super().save(commit=False)
        User = get_user_model()
        if profile.pk:
            user = profile.user
        else:
            user = User(username=self.cleaned_data["username"])
            user.set_unusable_password()
        user.username = self.cleaned_data["username"]
        new_email = self.cleaned_data.get("email", "")
        if user.pk:
            # Privileged: only when its owner confirms; others: logged, old address told.
            from .email_change import admin_changes_email

            if not admin_changes_email(user, new_email, actor=self.for_user, old_email=user.email):
                self.email_change_pending = True
        else:
            user.email = new_email
        user.is_active = profile.is_active
        user.save()
        if not profile.pk:
            user.groups.add(Group.objects.get(name=WINDOW_STAFF))
        profile.user = user
        if commit:
            profile.save()
        return profile

    class Meta:
        model = StaffProfile
        fields = [
            "full_name",
            "employee_no",
            "district",
            "service_centre",
            "window",
            "job_title",
            "phone",
            "is_active",
        ]


UserModel = get_user_model()


class StaffPasswordResetForm(PasswordResetForm):
    """Password reset that also reaches staff imported from HR files, who have no password
    yet (an unusable one): "forgot password" is how they set their first password. Only
    active accounts; an inactive staff profile (a leaver) gets nothing."""

    def get_users(self, email):
        email_field = UserModel.get_email_field_name()
        users = UserModel._default_manager.filter(
            **{f"{email_field}__iexact": email, "is_active": True}
        ).select_related("staff_profile")
        for user in users:
            profile = getattr(user, "staff_profile", None)
            if profile is None and not user.has_usable_password():
                continue  # not staff and no password: nothing to reset
            if profile is not None and not profile.is_active:
                continue  # a leaver
            stored = getattr(user, email_field) or ""
            if (
                unicodedata.normalize("NFKC", email).casefold()
                == unicodedata.normalize("NFKC", stored).casefold()
            ):
                yield user


class DocumentForm(BaseDocumentForm):
    """Wagtail's document form (single and multiple upload, WAGTAILDOCS_DOCUMENT_FORM_BASE)
    with every new file through the one upload validator: allowed extensions, size, content
    sniffed (PDF signature, real Office/ZIP archives within the compression limits, text
    encodings)."""

    def clean_file(self):
        file = self.cleaned_data.get("file")
        if isinstance(file, UploadedFile):
            validate_upload(file, "document")
        return file


class ActivationForm(forms.Form):
    """First sign-in with an activation slip: username, the one-time code, a new password twice
    (Django's password validators). One generic error for every wrong username/code, so the
    form tells nobody which accounts exist or hold a code."""

    error_messages = {
        "invalid": _("用户名或激活码不正确，或激活码已使用、已过期。请核对激活单或联系区管理员。"),
    }

    username = forms.CharField(
        label=_("用户名"),  # as on the sign-in page
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    code = forms.CharField(
        label=_("激活码"),
        max_length=20,
        help_text=_("激活单上的 10 位激活码，如 K7QM-4XPA-9R（可不输入短横线）。"),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}
        ),
    )
    new_password1 = forms.CharField(
        label=_("新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("确认新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = None
        self.record = None
        self.code_failed = False  # the username/code pair was wrong (counts towards the limit)
        self.code_ok = False  # the code is right (password errors may remain)

    def clean(self):
        from django.contrib.auth import password_validation

        from . import activation

        cleaned = super().clean()
        if self.errors:
            return cleaned
        user = activation.find_user(cleaned["username"])
        record = activation.check_code(user, cleaned["code"])
        if record is None:
            self.code_failed = True
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        self.code_ok = True
        password1, password2 = cleaned["new_password1"], cleaned["new_password2"]
        if password1 != password2:
            self.add_error("new_password2", _("两次输入的密码不一致。"))
            return cleaned
        try:
            password_validation.validate_password(password1, user)
        except forms.ValidationError as exc:
            self.add_error("new_password1", exc)
            return cleaned
        record.user = user  # the instance whose password is set and logged in
        self.user, self.record = user, record
        return cleaned
