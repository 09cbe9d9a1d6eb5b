"""One import wizard for every import (staff, questions): upload → preview → confirm →
background run with progress → result.

An app describes its import with a subclass of ``ImportWizard`` and mounts
``wizard.urlpatterns()`` in its admin URLs. The wizard keeps the uploaded file in a
``FileJob`` (private storage), runs the kind's handler twice — phase ``preview`` (validate,
nothing written) and phase ``apply`` (validate again, write everything or nothing) — and shows
progress while either runs. Only the person who uploaded a file sees and confirms its job.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.organisation.spreadsheets import attachment_disposition
from lms.organisation.uploads import extension, validate_upload

from .models import FileJob
from .tasks import enqueue

STEPS = [
    ("upload", gettext_lazy("上传文件")),
    ("preview", gettext_lazy("检查并预览")),
    ("confirm", gettext_lazy("确认")),
    ("run", gettext_lazy("导入")),
    ("result", gettext_lazy("结果")),
]
TEMPLATE_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "gift": "text/plain; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
}


class ImportWizard:
    """What differs between imports; the views below do the rest."""

    kind: str = ""  # the FileJob kind, with a handler registered in lms.jobs.tasks
    upload_kind: str = ""  # the lms.organisation.uploads policy
    namespace: str = ""  # the admin URL namespace the wizard is mounted in
    url_prefix: str = "import"
    title = gettext_lazy("导入")
    form_class: type[forms.Form] = forms.Form
    help_template: str = ""
    preview_template: str = ""
    result_template: str = ""
    template_formats: tuple = ()  # downloadable template files
    # The ASCII file name of the template (without extension) for clients that ignore the
    # translated RFC 5987 name ``template_file`` gives, e.g. "staff-import-template".
    template_ascii_name: str = "import-template"

    def has_permission(self, user) -> bool:
        raise NotImplementedError

    def form_kwargs(self, request) -> dict:
        return {}

    def job_params(self, form) -> dict:
        return {}

    def upload_context(self, request) -> dict:
        """Extra context of the upload page (for ``help_template``)."""
        return {}

    def result_context(self, request, job: FileJob) -> dict:
        """Extra context of the result page (for ``result_template``)."""
        return {}

    def template_file(self, fmt: str) -> tuple[bytes, str]:
        """``(data, filename)`` of the template in ``fmt``."""
        raise Http404

    # -- urls ------------------------------------------------------------------------------

    def url_name(self, name=""):
        return f"{self.url_prefix}{'_' + name if name else ''}"

    def reverse(self, name="", *args):
        return reverse(f"{self.namespace}:{self.url_name(name)}", args=args)

    def urlpatterns(self):
        base = self.url_prefix.replace("_", "-")
        return [
            path(f"{base}/", ImportUploadView.as_view(wizard=self), name=self.url_name()),
            path(
                f"{base}/<int:pk>/", ImportJobView.as_view(wizard=self), name=self.url_name("job")
            ),
            path(
                f"{base}/<int:pk>/progress/",
                JobProgressView.as_view(wizard=self),
                name=self.url_name("progress"),
            ),
            path(
                f"{base}/template.<str:fmt>",
                TemplateDownloadView.as_view(wizard=self),
                name=self.url_name("template"),
            ),
        ]

    def jobs_for(self, user):
        return FileJob.objects.filter(kind=self.kind, requested_by=user)


class WizardMixin:
    wizard: ImportWizard = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated or not self.wizard.has_permission(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_job(self, pk):
        return get_object_or_404(self.wizard.jobs_for(self.request.user), pk=pk)


class WizardPageMixin(WizardMixin, WagtailAdminTemplateMixin):
    header_icon = "upload"
    template_name = "jobs/import_wizard.html"

    def get_page_title(self):
        return self.wizard.title

    def get_breadcrumbs_items(self):
        """Home → the import (→ the file): the header names the page, not just "Home"."""
        job = getattr(self, "job", None)
        if job is None:
            return [*self.breadcrumbs_items, {"url": "", "label": self.wizard.title}]
        return [
            *self.breadcrumbs_items,
            {"url": self.wizard.reverse(), "label": self.wizard.title},
            {"url": "", "label": job.filename},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            wizard=self.wizard,
            steps=STEPS,
            upload_url=self.wizard.reverse(),
            templates=[
                (fmt.upper(), self.wizard.reverse("template", fmt))
                for fmt in self.wizard.template_formats
            ],
        )
        return context


class ImportUploadView(WizardPageMixin, TemplateView):
    def get(self, request, *args, **kwargs):
        form = self.wizard.form_class(**self.wizard.form_kwargs(request))
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        recent = [
            (job, self.wizard.reverse("job", job.pk))
            for job in self.wizard.jobs_for(self.request.user)[:10]
        ]
        context.update(step="upload", recent=recent, **self.wizard.upload_context(self.request))
        return context

    def post(self, request, *args, **kwargs):
        form = self.wizard.form_class(
            request.POST, request.FILES, **self.wizard.form_kwargs(request)
        )
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        upload = form.cleaned_data["file"]
        try:
            validate_upload(upload, self.wizard.upload_kind)
        except ValidationError as exc:
            form.add_error("file", exc)
            return self.render_to_response(self.get_context_data(form=form))
        job = FileJob(
            kind=self.wizard.kind,
            requested_by=request.user,
            filename=upload.name[:255],
            params=self.wizard.job_params(form),
            step=_("排队等待检查"),
        )
        upload.seek(0)
        job.file.save(f"{uuid.uuid4().hex}.{extension(upload.name)}", upload, save=False)
        job.save()
        enqueue(job, "preview")
        return redirect(self.wizard.reverse("job", job.pk))


class ImportJobView(WizardPageMixin, TemplateView):
    def get(self, request, pk, *args, **kwargs):
        self.job = self.get_job(pk)
        return self.render_to_response(self.get_context_data(job=self.job))

    def get_context_data(self, job=None, **kwargs):
        context = super().get_context_data(**kwargs)
        applied = "applied" in job.result
        if job.state == FileJob.State.READY:
            step = "confirm" if job.result.get("preview", {}).get("ok") else "preview"
        elif job.is_active:
            step = "run" if job.params.get("confirmed") else "preview"
        else:
            step = "result" if applied else "preview"
        context.update(
            job=job,
            step=step,
            preview=job.result.get("preview"),
            applied=job.result.get("applied"),
            progress_url=self.wizard.reverse("progress", job.pk),
            can_confirm=job.state == FileJob.State.READY
            and job.result.get("preview", {}).get("ok", False),
        )
        if applied:
            context.update(self.wizard.result_context(self.request, job))
        return context

    def post(self, request, pk, *args, **kwargs):
        job = self.get_job(pk)
        if "cancel" in request.POST:
            if job.state == FileJob.State.READY:
                job.delete_file()
                job.finish(state=FileJob.State.CANCELLED, error=_("已取消，未导入任何数据。"))
            return redirect(self.wizard.reverse())
        if not job.result.get("preview", {}).get("ok"):
            raise Http404
        # Single use: only the request that moves the job out of READY queues it.
        claimed = FileJob.objects.filter(pk=job.pk, state=FileJob.State.READY).update(
            state=FileJob.State.PENDING,
            progress=0,
            total=0,
            step=_("排队等待导入"),
            params={**job.params, "confirmed": True},
        )
        if not claimed:
            messages.error(request, _("该导入已确认过或已失效。"))
            return redirect(self.wizard.reverse("job", job.pk))
        enqueue(job, "apply")
        return redirect(self.wizard.reverse("job", job.pk))


class JobProgressView(WizardMixin, View):
    def get(self, request, pk, *args, **kwargs):
        return JsonResponse(self.get_job(pk).live_snapshot())


class TemplateDownloadView(WizardMixin, View):
    def get(self, request, fmt, *args, **kwargs):
        if fmt not in self.wizard.template_formats:
            raise Http404
        data, filename = self.wizard.template_file(fmt)
        response = HttpResponse(
            data, content_type=TEMPLATE_TYPES.get(fmt, "application/octet-stream")
        )
        response["Content-Disposition"] = attachment_disposition(
            filename, f"{self.wizard.template_ascii_name}.{fmt}"
        )
        return response
