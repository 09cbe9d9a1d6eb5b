"""Views in the Wagtail admin: the question editor's create/edit views (one form per type),
question import (the shared import wizard), bank export, essay marking, item statistics,
question preview and "try this quiz". Registered in wagtail_hooks.register_admin_urls."""

import re
from decimal import Decimal

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods
from wagtail.admin import messages as admin_messages
from wagtail.admin.utils import set_query_params
from wagtail.admin.views import generic
from wagtail.log_actions import log

from lms.formats.numbers import percent
from lms.jobs.wizard import ImportWizard
from lms.organisation import roles
from lms.organisation.spreadsheets import attachment_disposition

from . import attempts as svc
from .admin_forms import question_edit_handler
from .forms import ImportForm, MarkForm, MarkingFilterForm
from .importing import GIFT_TEMPLATE, export_bank
from .models import Question, QuestionBank, QuestionVersion, Quiz, Response
from .regrading import INLINE_LIMIT, apply_regrade, plan_regrade, stale_responses
from .results import marking_queue
from .rich_images import images_to_embeds, question_image_losses
from .scoring import answer_key_text
from .statistics import ALL, FIRST, item_statistics, statistics_xlsx
from .versions import editor_state, latest_versions, record_version
from .views import choice_item


def sees_every_learner(user):
    """City level (``lms.view_all_districts``) or a marker (``quizzes.mark_attempt``, trainers):
    they mark and analyse every learner's answers. Everyone else is limited to a district."""
    return roles.is_city_admin(user) or user.has_perm("quizzes.mark_attempt")


def scope_attempts(queryset, user, field="user__staff_profile__district"):
    """Trainers and city admins see every learner; district admins only their district."""
    if sees_every_learner(user):
        return queryset
    ids = roles.admin_district_ids(user)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": ids})


# --------------------------------------------------------------------------- import / export


class QuestionImportWizard(ImportWizard):
    """The question import (GIFT, Aiken) in the shared import wizard (lms.jobs.wizard); the
    work is done by ``quizzes.importing.run_job`` in the background."""

    kind = "question_import"
    upload_kind = "questions"
    namespace = "quizzes_admin"
    url_prefix = "import"
    title = gettext_lazy("导入题目（Moodle GIFT / Aiken）")
    form_class = ImportForm
    help_template = "quizzes/admin/_import_help.html"
    preview_template = "quizzes/admin/_import_preview.html"
    result_template = "quizzes/admin/_import_result.html"
    template_formats = ("gift",)
    template_ascii_name = "question-bank-template"

    def has_permission(self, user):
        return user.has_perm("quizzes.add_question")

    def job_params(self, form):
        return {"bank": form.bank_name(), "format": form.cleaned_data["format"]}

    def upload_context(self, request):
        return {"banks": QuestionBank.objects.order_by("name")}

    def template_file(self, fmt):
        return GIFT_TEMPLATE.encode("utf-8"), f"{_('题库模板')}.gift"


question_import_wizard = QuestionImportWizard()


@permission_required("quizzes.view_question", raise_exception=True)
def export_view(request, pk):
    bank = get_object_or_404(QuestionBank, pk=pk)
    response = HttpResponse(export_bank(bank), content_type="text/plain; charset=utf-8")
    name, fallback = export_filename(bank)
    response["Content-Disposition"] = attachment_disposition(name, fallback)
    return response


_UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def export_filename(bank, today=None) -> tuple[str, str]:
    """The exported file's name: the bank's name and the date ("IP-101 专利-2026-03-01.gift"),
    and an ASCII one for old clients (its slug, or "question-bank-<id>")."""
    from django.utils import timezone
    from django.utils.text import slugify

    day = (today or timezone.localdate()).isoformat()
    name = _UNSAFE_IN_NAMES.sub("-", bank.name).strip(" .-") or f"question-bank-{bank.pk}"
    ascii_name = slugify(bank.name) or f"question-bank-{bank.pk}"
    return f"{name}-{day}.gift", f"{ascii_name}-{day}.gift"


# --------------------------------------------------------------------------- marking


@permission_required("quizzes.mark_attempt", raise_exception=True)
@require_http_methods(["GET", "POST"])
def marking_view(request):
    if request.method == "POST":
        form = MarkForm(request.POST)
        if form.is_valid():
            response = get_object_or_404(
                scope_attempts(
                    marking_queue(), request.user, "attempt__user__staff_profile__district"
                ),
                pk=form.cleaned_data["response"],
            )
            try:
                attempt = svc.mark_response(
                    response,
                    form.cleaned_data["percent"] / 100,
                    request.user,
                    form.cleaned_data["comment"],
                )
            except svc.AttemptError as error:
                messages.error(request, error.messages[0])
                return redirect(request.get_full_path())
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
        marking_queue()
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
    if not sees_every_learner(request.user):
        # Statistics pool every district's learners: trainers and city admins only.
        raise PermissionDenied
    quiz = get_object_or_404(Quiz, pk=pk)
    which = FIRST if request.GET.get("attempts") == FIRST else ALL
    stats = item_statistics(quiz, attempts=which)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            statistics_xlsx(quiz, stats),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="quiz-{quiz.pk}-statistics-{which}.xlsx"'
        )
        return response
    return render(
        request,
        "quizzes/admin/statistics.html",
        {"quiz": quiz, "stats": stats, "index_url": reverse("quizzes_admin:statistics")},
    )


# --------------------------------------------------------------------------- question preview


def preview_item(question, reveal: bool) -> dict:
    """One question as the learner's paper shows it (``templates/quizzes/includes/question
    .html``), without an attempt: options in their stored order, named by position."""
    choices = list(question.choices.all())
    item = {
        # No attempt: the paper's per-question buttons (flag, check) point nowhere here.
        "response": {"position": 1, "flagged": False, "attempt_id": 0},
        "question": question,
        "number": 1 if question.is_scored else None,
        "name": "preview",
        "answer": {},
        "reveal": reveal,
        "result": False,  # no result to show: the explanation is shown by the preview page
        "checked": False,
        "answered": False,
    }
    if question.qtype in ("multichoice", "multiresponse"):
        item["choices"] = [
            choice_item(
                question,
                c,
                id=f"c{index}",
                selected=False,
                show=reveal,
                feedback=c.feedback if reveal else "",
            )
            for index, c in enumerate(choices)
        ]
    elif question.qtype == "matching":
        item["subquestions"] = [
            {
                "id": f"m{index}",
                "text": c.text,
                "selected": "",
                "correct_match": c.match if reveal else None,
            }
            for index, c in enumerate(choices)
            if c.text
        ]
        item["options"] = sorted({c.match for c in choices if c.match})
    elif question.qtype == "truefalse" and reveal:
        item["correct_value"] = question.correct_truefalse
    elif question.qtype in ("shortanswer", "numerical") and reveal:
        item["correct_text"] = answer_key_text(question, choices)
    if reveal:
        item["explanation"] = question.explanation
        if question.qtype == "essay":
            item["rubric"] = question.rubric
    return item


@permission_required("quizzes.view_question", raise_exception=True)
def question_preview(request, pk):
    """The question as a learner sees it on the paper; ``?answers=1`` as the review after
    submission shows it (correct answers, feedback, explanation)."""
    question = get_object_or_404(Question.objects.select_related("image"), pk=pk)
    reveal = request.GET.get("answers") == "1"
    return render(
        request,
        "quizzes/admin/question_preview.html",
        {
            "question": question,
            "item": preview_item(question, reveal),
            "reveal": reveal,
            "attempt": {"pk": 0},
        },
    )


# --------------------------------------------------------------------------- versions & regrade


class VersionedSaveMixin:
    """The question editor's create/edit views: each save that changes the question records a
    version by its author (``quizzes.versions``); an edit that changed the key of answered
    questions offers the regrade."""

    def save_instance(self):
        instance = super().save_instance()
        record_version(instance, user=self.request.user)
        return instance

    def save_action(self):
        response = super().save_action()
        if getattr(self, "expects_json_response", False):
            return response
        question = self.object
        target = latest_versions([question.pk]).get(question.pk)
        if target is None or not self.request.user.has_perm("quizzes.regrade_attempts"):
            return response
        stale = stale_responses(question, target).count()
        if stale and target.content["qtype"] not in (Question.ESSAY, Question.DESCRIPTION):
            admin_messages.warning(
                self.request,
                ngettext(
                    "本题的答案或分值已修改：%(n)d 次已交卷的作答仍按旧答案评分。",
                    "本题的答案或分值已修改：%(n)d 次已交卷的作答仍按旧答案评分。",
                    stale,
                )
                % {"n": stale},
                buttons=[
                    admin_messages.button(
                        reverse("quizzes_admin:regrade", args=[question.pk]), _("重新评分")
                    )
                ],
            )
        return response


def regrade_summary(plan) -> str:
    """ "将改变 N 次作答的得分，其中 M 人的通过结果会改变" (plural forms for English)."""
    attempts = ngettext(
        "将改变 %(n)d 次作答的得分", "将改变 %(n)d 次作答的得分", plan.attempts_changed
    ) % {"n": plan.attempts_changed}
    people = ngettext(
        "其中 %(m)d 人的通过结果会改变", "其中 %(m)d 人的通过结果会改变", plan.people_pass_changed
    ) % {"m": plan.people_pass_changed}
    return _("%(attempts)s，%(people)s。") % {"attempts": attempts, "people": people}


@permission_required("quizzes.regrade_attempts", raise_exception=True)
@require_http_methods(["GET", "POST"])
def regrade_view(request, pk):
    """Regrade the past attempts of a question against its newest version's key: GET is the
    dry run (counts and the list of attempts whose score changes), POST applies it (inline, or
    as a background task above ``INLINE_LIMIT`` responses)."""
    question = get_object_or_404(Question, pk=pk)
    url = reverse("quizzes_admin:regrade", args=[question.pk])
    if request.method == "POST":
        target = get_object_or_404(
            QuestionVersion, pk=request.POST.get("version") or 0, question=question
        )
        newest = record_version(question)
        if newest.pk != target.pk:
            messages.error(request, _("题目在预览后又被修改，请核对新的预览后再重新评分。"))
            return redirect(url)
        if stale_responses(question, target).count() > INLINE_LIMIT:
            from .tasks import regrade_question_task

            regrade_question_task.enqueue(question.pk, target.pk, request.user.pk)
            messages.success(request, _("重新评分已在后台开始，完成后本页不再列出需要改变的作答。"))
        else:
            plan = apply_regrade(question, request.user, target=target)
            messages.success(
                request,
                ngettext(
                    "已重新评分：%(n)d 次作答的得分已改变。",
                    "已重新评分：%(n)d 次作答的得分已改变。",
                    plan.attempts_changed,
                )
                % {"n": plan.attempts_changed},
            )
        return redirect(url)
    plan = plan_regrade(question)
    return render(
        request,
        "quizzes/admin/regrade.html",
        {
            "question": question,
            "plan": plan,
            "rows": regrade_rows(plan),
            "summary": regrade_summary(plan),
            "edit_url": reverse("question:edit", args=[question.pk]),
            "header_title": _("重新评分：%(name)s") % {"name": question.name},
            "page_title": _("重新评分"),
            "page_subtitle": question.name,
            "header_icon": "resubmit",
            "breadcrumbs_items": [
                {"url": reverse("wagtailadmin_home"), "label": _("管理后台")},
                {"url": reverse("question:index"), "label": _("题目")},
                {"url": reverse("question:edit", args=[question.pk]), "label": question.name},
                {"url": "", "label": _("重新评分")},
            ],
        },
    )


def regrade_rows(plan) -> list[dict]:
    """The dry run's changed attempts for the page: the learner by full name and username
    (one query for the profiles), this question's share as percentages."""
    from lms.organisation.models import StaffProfile

    names = dict(
        StaffProfile.objects.filter(
            user_id__in={c.attempt.user_id for c in plan.changes}
        ).values_list("user_id", "full_name")
    )
    rows = []
    for change in plan.changes:
        user = change.attempt.user
        name = names.get(user.pk)
        rows.append(
            {
                "change": change,
                "person": f"{name}（{user.get_username()}）" if name else user.get_username(),
                "old_percent": _percent(change.old_fraction),
                "new_percent": _percent(change.new_fraction),
            }
        )
    return rows


# --------------------------------------------------------------------------- question editor


def form_error_lines(form) -> list[str]:
    """Every error of the question form, its answers' formset included, as "label: error"
    lines (the banner lists them: a field's error may sit in a collapsed panel)."""
    lines = [str(e) for e in form.non_field_errors()]
    for name, errors in form.errors.items():
        if name == "__all__":
            continue
        label = form.fields[name].label if name in form.fields else name
        lines += [f"{label}{_('：')}{e}" for e in errors]
    for formset in getattr(form, "formsets", {}).values():
        lines += [str(e) for e in formset.non_form_errors()]
        for row, errors in enumerate(formset.errors, start=1):
            for name, messages_ in errors.items():
                field = formset.forms[row - 1].fields.get(name)
                label = field.label if field is not None and name != "__all__" else ""
                prefix = _("第 %(n)d 项") % {"n": row}
                lines += [f"{prefix} {label}{_('：')}{e}" for e in messages_]
    return lines


class ErrorListMixin:
    """The question editor's error banner lists every error, not only "出现错误"."""

    def form_invalid(self, form):
        if not getattr(self, "expects_json_response", False) and self.produced_error_message:
            lines = form_error_lines(form)
            detail = format_html(
                '<ul class="errorlist">{}</ul>',
                format_html_join("", "<li>{}</li>", ((e,) for e in lines)),
            )
            messages.error(
                self.request,
                render_to_string(
                    "wagtailadmin/shared/messages.html",
                    {"message": self.produced_error_message, "buttons": None, "detail": detail},
                ),
            )
            self.produced_error_message = None
        return super().form_invalid(form)


def _qtype_or_none(value) -> str | None:
    return value if value in dict(Question.QTYPE_CHOICES) else None


class QuestionCreateView(ErrorListMixin, VersionedSaveMixin, generic.CreateView):
    """New question: the type is chosen first (``?type=multichoice``, offered by a chooser
    page), then the form of that type only (``quizzes.admin_forms.question_edit_handler``)."""

    def setup(self, request, *args, **kwargs):
        # The type from the URL (the chooser's links) or, from a script, the posted ``qtype``.
        self.qtype = _qtype_or_none(request.GET.get("type") or request.POST.get("qtype"))
        super().setup(request, *args, **kwargs)

    def get_panel(self):
        return question_edit_handler(self.qtype or Question.MULTICHOICE)

    def get_form_class(self):
        return self.panel.get_form_class()

    def get_initial_form_instance(self):
        return Question(qtype=self.qtype or Question.MULTICHOICE)

    def get_add_url(self):
        return set_query_params(super().get_add_url(), {"type": self.qtype})

    def get_page_subtitle(self):
        return dict(Question.QTYPE_CHOICES).get(self.qtype) or super().get_page_subtitle()

    def get(self, request, *args, **kwargs):
        if self.qtype is None:
            return self.type_chooser(request)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.qtype is None:
            return self.type_chooser(request)
        return super().post(request, *args, **kwargs)

    def type_chooser(self, request):
        base = reverse(self.add_url_name)
        types = [
            {
                "url": set_query_params(base, {"type": value}),
                "label": _("添加%(qtype)s") % {"qtype": label},
            }
            for value, label in Question.QTYPE_CHOICES
        ]
        return render(
            request,
            "quizzes/admin/question_type_chooser.html",
            {"types": types, "index_url": reverse(self.index_url_name)},
        )


def lost_images_warning(question) -> str | None:
    """The warning of the editor for a question whose images it would drop on save (an
    imported ``<img>`` that is not in the image library, an image in an answer or feedback),
    or None (``quizzes.rich_images``)."""
    choices = list(question.choices.all())
    losses = question_image_losses(
        text=images_to_embeds(question.text),
        explanation=images_to_embeds(question.explanation),
        answers=[(c.text, c.feedback) for c in choices],
        html_answers=question.qtype in Question.HTML_CHOICE_TYPES,
        true_feedback=question.true_feedback,
        false_feedback=question.false_feedback,
    )
    if not losses:
        return None
    return _(
        "保存后会丢失这道题的图片：%(images)s。编辑器只保留图片库中的图片，且只在题干和解析中："
        "请先把图片上传到图片库，再在题干或解析中插入。只要不保存，学员仍能看到这些图片。"
    ) % {"images": _("；").join(f"{where} {source}" for where, source in losses)}


class QuestionEditView(ErrorListMixin, VersionedSaveMixin, generic.EditView):
    """An existing question: the form of its type only. Opened with images the editor would
    drop, it says so before the trainer saves. A save that changes nothing of the question
    (texts compared as the editor round-trips them, ``admin_forms.keep_unchanged_texts``)
    writes nothing: no version, no "已编辑" entry, and a question of the curriculum stays
    managed by its file (``importing.sync_course_questions``)."""

    unchanged = False

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        warning = lost_images_warning(self.object)
        if warning:
            messages.warning(request, warning)
        return response

    def save_instance(self):
        before = editor_state(self.object.pk)
        with transaction.atomic():
            point = transaction.savepoint()
            self.action_class(
                self.form.instance, user=self.request.user, form=self.form, log_action=False
            ).execute(skip_permission_checks=True)
            instance = self.form.instance
            if editor_state(instance.pk) == before:
                transaction.savepoint_rollback(point)
                self.unchanged = True
                instance.refresh_from_db()
                return instance
            transaction.savepoint_commit(point)
            log(instance=instance, action="wagtail.edit", user=self.request.user)
            record_version(instance, user=self.request.user)
        return instance

    def get_success_message(self):
        if self.unchanged:
            return _("“%(name)s”没有改动，未保存新版本。") % {"name": self.object.name}
        return super().get_success_message()

    def get_panel(self):
        qtype = (
            Question.objects.filter(pk=unquote(str(self.kwargs["pk"])))
            .values_list("qtype", flat=True)
            .first()
        )
        return question_edit_handler(qtype or Question.MULTICHOICE)

    def get_form_class(self):
        return self.panel.get_form_class()


# --------------------------------------------------------------------------- try this quiz


def can_try_quizzes(user) -> bool:
    """Trainers (whoever may change quizzes or questions) may try any quiz."""
    return user.has_perm("quizzes.change_quiz") or user.has_perm("quizzes.change_question")


@require_http_methods(["GET", "POST"])
def try_quiz(request, pk):
    """ "Try this quiz" (试做): a trainer takes the quiz on the learner's paper without
    enrolling and outside the course's rules; the attempt is a trial and counts nowhere."""
    if not can_try_quizzes(request.user):
        raise PermissionDenied
    quiz = get_object_or_404(Quiz.objects.select_related("bank", "course"), pk=pk)
    if request.method == "POST":
        try:
            attempt = svc.start_trial_attempt(quiz, request.user)
        except svc.AttemptError as error:
            messages.error(request, error.messages[0])
            return redirect("quizzes_admin:try_quiz", pk=quiz.pk)
        return redirect("quizzes:attempt", pk=attempt.pk)
    return render(request, "quizzes/admin/try_quiz.html", {"quiz": quiz})


# --------------------------------------------------------------------------- attempt inspect


def person_label(user) -> str:
    """A learner as the admin names them: "张三（zhangsan）" (``lms.organisation``'s rule)."""
    from lms.organisation.models import person_label as label

    return label(user)


def _percent(fraction) -> str:
    if fraction is None:
        return "—"
    return f"{percent(fraction, 1)}%"


def answer_text(question, answer) -> str:
    """A response's answer as plain text (options by their text, matches as "a → b")."""
    from .formats.base import html_to_text

    answer = answer or {}
    by_id = {c.pk: c for c in getattr(question, "choices", [])}
    if question.qtype == "multichoice":
        choice = by_id.get(answer.get("choice"))
        return html_to_text(choice.text) if choice else ""
    if question.qtype == "multiresponse":
        return "；".join(
            html_to_text(by_id[pk].text) for pk in answer.get("choices") or [] if pk in by_id
        )
    if question.qtype == "truefalse":
        value = answer.get("value")
        return "" if value is None else (_("对") if value else _("错"))
    if question.qtype == "matching":
        pairs = answer.get("pairs") or {}
        return "；".join(
            f"{html_to_text(by_id[int(pk)].text)} → {match}"
            for pk, match in pairs.items()
            if int(pk) in by_id and match
        )
    return str(answer.get("text") or "")


def response_rows(attempt) -> list[dict]:
    """Each question of ``attempt`` as its paper showed it (``quizzes.versions``): name, the
    answer given, the fraction and the marks earned (two queries)."""
    from .versions import RESPONSE_RELATED, attach_images, for_response

    responses = list(
        Response.objects.filter(attempt=attempt)
        .select_related(*RESPONSE_RELATED)
        .order_by("position")
    )
    questions = [for_response(r) for r in responses]
    attach_images(questions)
    rows = []
    for response, question in zip(responses, questions, strict=True):
        marks = None
        if response.fraction is not None and question.is_scored:
            marks = (question.default_mark * response.fraction).quantize(Decimal("0.01"))
        rows.append(
            {
                "position": response.position,
                "name": question.name,
                "qtype": question.get_qtype_display(),
                "answer": answer_text(question, response.answer),
                "percent": _percent(response.fraction) if question.is_scored else "",
                "marks": marks,
                "mark": question.default_mark if question.is_scored else None,
                "pending": response.needs_marking,
            }
        )
    return rows


def regrade_entries(attempt) -> list:
    """The regrades logged on ``attempt`` (``quizzes.regrade`` log entries), newest first."""
    from wagtail.models import ModelLogEntry

    return list(
        ModelLogEntry.objects.for_instance(attempt)
        .filter(action="quizzes.regrade")
        .select_related("user")
        .order_by("-timestamp")
    )
