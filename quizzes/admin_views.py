"""Views in the Wagtail admin: question import (upload → preview → confirm), bank export,
essay marking and item statistics. Registered in wagtail_hooks.register_admin_urls."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from lms.organisation import roles

from . import attempts as svc
from .formats import FormatError
from .forms import ImportForm, MarkForm, MarkingFilterForm
from .importing import check_upload, export_bank, import_questions, parse_bytes
from .models import Attempt, QuestionBank, Quiz, Response
from .statistics import item_statistics

SESSION_KEY = "quizzes_import"


def scope_attempts(queryset, user, field="user__staff_profile__district"):
    """Trainers and city admins see every learner; district admins only their district."""
    if user.is_superuser or roles.is_city_admin(user) or roles.is_trainer(user):
        return queryset
    ids = roles.admin_district_ids(user)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": ids})


# --------------------------------------------------------------------------- import / export


def _storage():
    return storages["private"]


@permission_required("quizzes.add_question", raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_view(request):
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        fmt = form.cleaned_data["format"]
        try:
            check_upload(upload.name, upload.size, fmt)
            data = upload.read()
            questions = parse_bytes(data, fmt)
        except FormatError as error:
            return render(
                request,
                "quizzes/admin/import.html",
                {"form": form, "errors": error.messages(), "banks": QuestionBank.objects.all()},
            )
        token = uuid.uuid4().hex
        name = _storage().save(f"quiz_imports/{token}.{fmt}", ContentFile(data))
        request.session[SESSION_KEY] = {
            "token": token,
            "path": name,
            "format": fmt,
            "bank": form.bank_name(),
            "filename": upload.name,
        }
        return render(
            request,
            "quizzes/admin/import_preview.html",
            {"questions": questions, "pending": request.session[SESSION_KEY]},
        )
    return render(
        request, "quizzes/admin/import.html", {"form": form, "banks": QuestionBank.objects.all()}
    )


def _confirm(request):
    pending = request.session.get(SESSION_KEY)
    if not pending or pending.get("token") != request.POST.get("token"):
        messages.error(request, _("导入已过期，请重新上传。"))
        return redirect("quizzes_admin:import")
    storage = _storage()
    try:
        with storage.open(pending["path"], "rb") as handle:
            data = handle.read()
        questions = parse_bytes(data, pending["format"])
        result = import_questions(pending["bank"], questions, user=request.user)
    except FormatError as error:
        messages.error(request, "；".join(error.messages()))
        return redirect("quizzes_admin:import")
    finally:
        storage.delete(pending["path"])
        request.session.pop(SESSION_KEY, None)
    messages.success(
        request,
        _("已导入题库“%(bank)s”：新增 %(c)d 题，更新 %(u)d 题，未变 %(n)d 题。")
        % {
            "bank": result.bank.name,
            "c": len(result.created),
            "u": len(result.updated),
            "n": len(result.unchanged),
        },
    )
    return redirect("quizzes_admin:import")


@permission_required("quizzes.view_question", raise_exception=True)
def export_view(request, pk):
    bank = get_object_or_404(QuestionBank, pk=pk)
    response = HttpResponse(export_bank(bank), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bank-{bank.pk}.gift"'
    return response


# --------------------------------------------------------------------------- marking


@permission_required("quizzes.mark_attempt", raise_exception=True)
@require_http_methods(["GET", "POST"])
def marking_view(request):
    if request.method == "POST":
        form = MarkForm(request.POST)
        if form.is_valid():
            response = get_object_or_404(
                scope_attempts(
                    Response.objects.filter(question__qtype="essay"),
                    request.user,
                    "attempt__user__staff_profile__district",
                ).exclude(attempt__status=Attempt.IN_PROGRESS),
                pk=form.cleaned_data["response"],
            )
            attempt = svc.mark_response(
                response,
                form.cleaned_data["percent"] / 100,
                request.user,
                form.cleaned_data["comment"],
            )
            messages.success(
                request,
                _("已批阅：%(user)s 第 %(n)d 次作答，当前状态 %(status)s。")
                % {
                    "user": attempt.user,
                    "n": attempt.number,
                    "status": attempt.get_status_display(),
                },
            )
        else:
            messages.error(request, _("请填写 0 到 100 之间的得分。"))
        return redirect(request.get_full_path())

    filters = MarkingFilterForm(request.GET or None)
    responses = (
        Response.objects.filter(question__qtype="essay")
        .exclude(attempt__status=Attempt.IN_PROGRESS)
        .select_related("attempt", "attempt__quiz", "attempt__user", "question", "marked_by")
        .order_by("attempt__submitted_at", "position")
    )
    responses = scope_attempts(responses, request.user, "attempt__user__staff_profile__district")
    show = "pending"
    if filters.is_valid():
        if filters.cleaned_data.get("quiz"):
            responses = responses.filter(attempt__quiz=filters.cleaned_data["quiz"])
        term = (filters.cleaned_data.get("user") or "").strip()
        if term:
            responses = responses.filter(
                Q(attempt__user__username__icontains=term)
                | Q(attempt__user__staff_profile__full_name__icontains=term)
            )
        show = filters.cleaned_data.get("show") or "pending"
    if show == "pending":
        responses = responses.filter(needs_marking=True)
    rows = [
        {
            "response": r,
            "form": MarkForm(
                initial={
                    "response": r.pk,
                    "percent": None if r.fraction is None else r.fraction * 100,
                    "comment": r.marker_comment,
                },
                auto_id=f"r{r.pk}-%s",
            ),
        }
        for r in responses[:100]
    ]
    return render(
        request,
        "quizzes/admin/marking.html",
        {"filters": filters, "rows": rows, "show": show},
    )


# --------------------------------------------------------------------------- statistics


@permission_required("quizzes.view_all_results", raise_exception=True)
def statistics_index(request):
    quizzes = Quiz.objects.select_related("bank", "course").order_by("title")
    return render(request, "quizzes/admin/statistics_index.html", {"quizzes": quizzes})


@permission_required("quizzes.view_all_results", raise_exception=True)
def statistics_view(request, pk):
    if not (
        request.user.is_superuser
        or roles.is_city_admin(request.user)
        or roles.is_trainer(request.user)
    ):
        # Statistics pool every district's learners: trainers and city admins only.
        raise PermissionDenied
    quiz = get_object_or_404(Quiz, pk=pk)
    stats = item_statistics(quiz)
    return render(
        request,
        "quizzes/admin/statistics.html",
        {"quiz": quiz, "stats": stats, "index_url": reverse("quizzes_admin:statistics")},
    )
