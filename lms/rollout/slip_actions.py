""" "Print activation slips" (打印激活单): a Wagtail bulk action on the staff listing
(Organisation → Staff), also linked from the staff import's result and the overdue reminders'
page for the people they name.

Who: holders of ``lms.issue_activation_slip`` (district and city administrators); a district
administrator only for their own district (the staff listing's district scope: another
district's people are not found, 404) and only for window staff (``roles.privileged_user_ids``;
privileged accounts never get a slip). The confirmation page lists the people; confirming
issues new codes (revoking their earlier unused ones) and returns the PDF at once.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin import messages
from wagtail.admin.views.bulk_action import BulkAction

from lms.organisation.models import StaffProfile
from lms.organisation.roles import privileged_user_ids, scope_to_districts
from lms.organisation.spreadsheets import attachment_disposition

from .slips import max_per_pdf, print_slips

PERMISSION = "lms.issue_activation_slip"


def scoped_profiles(user):
    """The staff profiles ``user`` may print slips for (before the per-person checks)."""
    if not user.has_perms([PERMISSION, "lms.view_staffprofile"]):
        return StaffProfile.objects.none()
    return scope_to_districts(StaffProfile.objects.all(), user)


def may_print_for(profile, privileged_ids) -> bool:
    """Active window staff only: never an account holding a permission (trainers,
    administrators), staff or superuser (``roles.privileged_user_ids``, one query for all)."""
    user = profile.user
    return profile.is_active and user.is_active and user.pk not in privileged_ids


def slips_url(profile_ids, next_url="") -> str:
    """The bulk action's URL for these staff profiles (import result, reminders page)."""
    query = [("id", pk) for pk in profile_ids]
    if next_url:
        query.append(("next", next_url))
    base = reverse(
        "wagtail_bulk_action", args=["lms", "staffprofile", PrintSlipsBulkAction.action_type]
    )
    return f"{base}?{urlencode(query)}"


def is_activated(profile) -> bool:
    """The person already has a usable password (a slip would reset it)."""
    return profile.user.has_usable_password()


class PrintSlipsForm(forms.Form):
    include_activated = forms.BooleanField(
        label=_("仍为已激活的人员打印（将重置其密码）"), required=False
    )


def slips_filename(profiles) -> str:
    """``激活单-黄浦区-20261130.pdf`` in the administrator's language; the district only when
    every person is in the same one."""
    from django.utils.translation import get_language
    from django.utils.translation import gettext as gettext_now

    districts = {p.district for p in profiles if p.district_id}
    parts = [gettext_now("激活单")]
    if len(districts) == 1 and len({p.district_id for p in profiles}) == 1:
        district = districts.pop()
        english = (get_language() or "").startswith("en")
        parts.append(district.name_en if english and district.name_en else district.name_zh)
    parts.append(timezone.localdate().strftime("%Y%m%d"))
    return "-".join(part.replace(" ", "-") for part in parts) + ".pdf"


def slips_content_disposition(profiles) -> str:
    """RFC 6266/5987: ``filename*`` with the UTF-8 name, ``filename`` an ASCII fallback."""
    name = slips_filename(profiles)
    stamp = timezone.localdate().strftime("%Y%m%d")
    fallback = name if name.isascii() else f"activation-slips-{stamp}.pdf"
    return attachment_disposition(name, fallback)


class PrintSlipsBulkAction(BulkAction):
    display_name = _("打印激活单")
    action_type = "print_activation_slips"
    aria_label = _("为所选人员打印账号激活单")
    template_name = "rollout/admin/confirm_print_slips.html"
    action_priority = 10
    models = [StaffProfile]
    form_class = PrintSlipsForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perms([PERMISSION, "lms.view_staffprofile"]):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self, model, object_ids):
        # Out of scope = not found (404), as everywhere in the district-scoped admin.
        ids = [pk for pk in object_ids if str(pk).isdigit()]
        objects = list(
            scoped_profiles(self.request.user)
            .filter(pk__in=ids)
            .select_related("user", "district")
            .order_by("district__sort_order", "employee_no")
        )
        if not objects:
            raise Http404
        self.privileged_ids = privileged_user_ids(p.user_id for p in objects)
        return objects

    def get_all_objects_in_listing_query(self, parent_id):
        return scoped_profiles(self.request.user).values_list("pk", flat=True)

    def check_perm(self, obj):
        return may_print_for(obj, self.privileged_ids)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        fresh = [entry for entry in context["items"] if not is_activated(entry["item"])]
        activated = [entry for entry in context["items"] if is_activated(entry["item"])]
        context.update(
            max_per_pdf=max_per_pdf(),
            too_many=len(context["items"]) > max_per_pdf(),
            fresh_items=fresh,
            activated_items=activated,
        )
        return context

    def prepare_action(self, objects, objects_without_access):
        # Already activated people are skipped unless the administrator ticked the box: a slip
        # resets the password of an account in use.
        if not self.cleaned_form.cleaned_data.get("include_activated"):
            objects = [obj for obj in objects if not is_activated(obj)]
        if not objects:
            messages.error(self.request, _("所选人员均已激活，未打印激活单。"))
            return self.form_invalid(self.get_form())
        if len(objects) > max_per_pdf():
            messages.error(
                self.request,
                ngettext(
                    "一次最多打印 %(max)s 人的激活单，请缩小选择范围。",
                    "一次最多打印 %(max)s 人的激活单，请缩小选择范围。",
                    max_per_pdf(),
                )
                % {"max": max_per_pdf()},
            )
            return self.form_invalid(self.get_form())
        pdf, count = print_slips(objects, self.request.user)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = slips_content_disposition(objects)
        response["Cache-Control"] = "no-store"
        # Shown on the next admin page (the download itself leaves this page as it is).
        messages.success(
            self.request,
            ngettext(
                "已生成 %(count)s 人的激活单（PDF 已下载）。请当面交给本人。",
                "已生成 %(count)s 人的激活单（PDF 已下载）。请当面交给本人。",
                count,
            )
            % {"count": count},
        )
        return response

    @classmethod
    def execute_action(cls, objects, **kwargs):  # pragma: no cover - prepare_action answers
        return len(objects), 0
