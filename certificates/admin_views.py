"""Admin views (mounted by CertificateViewSet.get_urlpatterns): revoke, re-issue, batch download.
Every view re-checks the change permission and the district scope of the object."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from lms.organisation.models import District
from lms.organisation.roles import admin_district_ids, is_admin, scope_to_districts

from . import exports, issuing
from .models import Certificate, CertificateBatch


def _scoped_certificate(request, pk):
    if not request.user.has_perm("certificates.change_certificate"):
        raise PermissionDenied
    return get_object_or_404(Certificate.objects.administered_by(request.user), pk=pk)


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), max_length=200, widget=forms.Textarea)


def revoke_view(request, pk):
    cert = _scoped_certificate(request, pk)
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        issuing.revoke(cert, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("证书 %(serial)s 已撤销。") % {"serial": cert.serial})
        return redirect("certificates_certificate:inspect", cert.pk)
    return TemplateResponse(
        request, "certificates/admin/revoke.html", {"form": form, "certificate": cert}
    )


class ReinstateForm(forms.Form):
    reason = forms.CharField(
        label=_("恢复原因"),
        max_length=200,
        widget=forms.Textarea,
        help_text=_("仅用于纠正误撤销；原因将记入操作日志。"),
    )


def reinstate_view(request, pk):
    """Undo a revocation made in error (certificates.issuing.reinstate), with a reason."""
    cert = _scoped_certificate(request, pk)
    form = ReinstateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issuing.reinstate(cert, actor=request.user, reason=form.cleaned_data["reason"])
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("证书 %(serial)s 已恢复。") % {"serial": cert.serial})
        return redirect("certificates_certificate:inspect", cert.pk)
    return TemplateResponse(
        request, "certificates/admin/reinstate.html", {"form": form, "certificate": cert}
    )


def reissue_view(request, pk):
    cert = _scoped_certificate(request, pk)
    if request.method == "POST":
        try:
            new = issuing.reissue(cert, actor=request.user)
        except ValueError as exc:
            messages.error(request, str(exc))
            return redirect("certificates_certificate:inspect", cert.pk)
        messages.success(request, _("已重新颁发证书 %(serial)s。") % {"serial": new.serial})
        return redirect("certificates_certificate:inspect", new.pk)
    return TemplateResponse(request, "certificates/admin/reissue.html", {"certificate": cert})


class BatchForm(forms.Form):
    format = forms.ChoiceField(label=_("格式"), choices=CertificateBatch.FORMAT_CHOICES)
    course = forms.ModelChoiceField(label=_("课程"), queryset=None, required=False)
    district = forms.ModelChoiceField(label=_("区"), queryset=None, required=False)
    wave_id = forms.IntegerField(label=_("培训批次编号"), required=False, min_value=1)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from courses.models import CoursePage

        self.fields["course"].queryset = CoursePage.objects.order_by("path")
        self.fields["district"].queryset = scope_to_districts(District.objects.all(), user, "pk")


def batch_index(request):
    if not (is_admin(request.user) and request.user.has_perm("certificates.view_certificate")):
        raise PermissionDenied
    form = BatchForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        batch = exports.request_batch(
            request.user,
            format=data["format"],
            course=data["course"],
            district=data["district"],
            wave_id=data["wave_id"],
        )
        messages.success(request, _("已提交批量下载 #%(pk)s。") % {"pk": batch.pk})
        return redirect("certificates_batches")
    batches = CertificateBatch.objects.filter(requested_by=request.user)[:20]
    return TemplateResponse(
        request,
        "certificates/admin/batches.html",
        {
            "form": form,
            "batches": batches,
            "all_districts": admin_district_ids(request.user) is None,
        },
    )


def batch_download(request, pk):
    batch = get_object_or_404(CertificateBatch, pk=pk, requested_by=request.user)
    if batch.status != CertificateBatch.DONE or not batch.file:
        raise Http404
    content_type = (
        "application/pdf" if batch.format == CertificateBatch.MERGED else "application/zip"
    )
    name = batch.file.name.rsplit("/", 1)[-1]
    return FileResponse(
        batch.file.open("rb"), content_type=content_type, as_attachment=True, filename=name
    )
