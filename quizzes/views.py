"""Learner views: quiz landing, attempt paper (autosave, check, submit), result, history,
category progress. Every attempt view looks the attempt up with ``user=request.user``.

Nothing that reveals a correct answer (fractions, feedback, explanations) is rendered or
returned as JSON while an attempt is in progress, except for a question the learner has
"checked" in a quiz configured to show answers after each question.
"""

import contextlib
import json
import math
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Avg, Count, Max
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from courses.learning import standing_for
from lms.formats.numbers import percent

from . import attempts as svc
from . import scoring, tokens, versions
from .models import Attempt, Question, Quiz, Response
from .results import (
    counted_attempts,
    counted_responses,
    has_passed,
    number_in_cycle,
    number_one_in_cycle,
)
from .versions import RESPONSE_RELATED


def _visible_quizzes():
    return Quiz.objects.filter(live=True)


def _gate(user, quiz):
    """The course's rule for starting its quiz (``courses.progress.quiz_gate``); a quiz with no
    course is open to everyone."""
    if not quiz.course_id:
        return None
    from courses.progress import quiz_gate

    return quiz_gate(user, quiz.course)


def _own_attempt(request, pk):
    try:
        return Attempt.objects.select_related("quiz").get(pk=pk, user=request.user)
    except (Attempt.DoesNotExist, ValueError):
        raise Http404


# --------------------------------------------------------------------------- landing


def wait_phrase(seconds: float) -> str:
    """A wait in words a learner reads at a glance: "不到 1 分钟", "约 10 分钟", "约 3 小时"
    (minutes and hours rounded up, plural forms for English)."""
    minutes = math.ceil(seconds / 60)
    if seconds < 60:
        return _("不到 1 分钟")
    if minutes < 120:
        return ngettext("约 %(n)d 分钟", "约 %(n)d 分钟", minutes) % {"n": minutes}
    hours = math.ceil(minutes / 60)
    return ngettext("约 %(n)d 小时", "约 %(n)d 小时", hours) % {"n": hours}


def quiz_status(quiz, user):
    """Facts for the landing page and the course page (a few queries)."""
    now = timezone.now()
    rows = list(svc.cycle_attempts(quiz, user).order_by("number"))
    in_progress = next((a for a in rows if a.status == Attempt.IN_PROGRESS), None)
    if in_progress is not None and svc.is_overdue(in_progress, now):
        svc.finish_if_overdue(in_progress, now)
        rows = list(svc.cycle_attempts(quiz, user).order_by("number"))
        in_progress = None
    last_submitted = max((a.submitted_at for a in rows if a.submitted_at), default=None)
    cooldown = svc.cooldown_until(quiz, user, last_submitted) if last_submitted else None
    since = svc.cycle_since(quiz, user)
    # Numbered within the cycle, as the attempts left are counted (earlier cycles apart).
    number_in_cycle(rows, since)
    left = svc.attempts_left(
        quiz, user, used=len([a for a in rows if since is None or a.started_at >= since])
    )
    # Results of the current cycle only (attempts started in it, as the owner of "passed"
    # counts them): after a revocation or in a recertification cycle an old pass (and its
    # score) is history, not where the learner stands.
    current = [a for a in rows if since is None or a.started_at >= since]
    graded = [a for a in current if a.score is not None]
    if quiz.course_id:
        passed = svc.passed_in_cycle(quiz, user, since)  # quizzes.results.has_passed
    else:
        passed = any(a.passed for a in rows)
    gate = _gate(user, quiz)
    enrolled = gate is None or gate.enrolled
    can_start = (
        in_progress is None
        # A course quiz passed in this cycle takes no further attempt (start_attempt refuses).
        and not (passed and quiz.course_id)
        and (gate is None or gate.open)
        and quiz.is_open(now)
        and (left is None or left > 0)
        and cooldown is None
    )
    return {
        "quiz": quiz,
        "attempts": rows[::-1],  # newest first, as on the history page
        "current_attempts": [a for a in rows[::-1] if not a.earlier_cycle],
        "earlier_attempts": [a for a in rows[::-1] if a.earlier_cycle],
        "in_progress": in_progress,
        "attempts_left": left,
        "cooldown_until": cooldown,
        "cooldown_seconds": int((cooldown - now).total_seconds()) if cooldown else 0,
        "cooldown_wait": wait_phrase((cooldown - now).total_seconds()) if cooldown else "",
        "best_score": max((a.score for a in graded), default=None),
        "passed": passed,
        "cycle_attempts": len(current),
        # An earlier cycle was passed (revoked or recertifying): a new pass is needed.
        "passed_before": since is not None
        and not passed
        and any(a.passed for a in rows if a.started_at < since),
        "is_open": quiz.is_open(now),
        "enrolled": enrolled,
        "gate_reasons": gate.reasons if gate is not None else [],
        "gate_open": gate is None or gate.open,
        "gate_unread": gate.unread_lessons if gate is not None else [],
        "gate_prerequisites": gate.missing_prerequisites if gate is not None else [],
        "gate_not_enrolled": gate is not None and not gate.enrolled,
        "can_start": can_start,
        "url": reverse("quizzes:quiz", args=[quiz.pk]),
    }


@login_required
def quiz_detail(request, pk):
    quiz = get_object_or_404(_visible_quizzes().select_related("course"), pk=pk)
    context = quiz_status(quiz, request.user)
    context["question_count"] = _paper_size(quiz)
    return render(request, "quizzes/quiz.html", context)


def _paper_size(quiz):
    draws = list(quiz.draws.all())
    if draws:
        return sum(d.count for d in draws)
    total = quiz.bank.questions.exclude(qtype="description").count()
    if quiz.questions_per_attempt:
        return min(total, quiz.questions_per_attempt)
    return total


@login_required
@require_POST
def start(request, pk):
    quiz = get_object_or_404(_visible_quizzes().select_related("course"), pk=pk)
    try:
        attempt = svc.start_course_attempt(quiz, request.user)
    except svc.AttemptError as error:
        messages.error(request, error.messages[0])
        return redirect("quizzes:quiz", pk=quiz.pk)
    return redirect("quizzes:attempt", pk=attempt.pk)


def course_quiz_context(request, course):
    """For the course page: ``{"quiz": ..., "attempts_left": ..., "url": ...}`` or None when
    the course has no live quiz. Use ``{% course_quiz page %}`` (quizzes_tags) in templates."""
    quiz = Quiz.objects.filter(course=course, live=True).first()
    if quiz is None:
        return None
    if not request.user.is_authenticated:
        return {"quiz": quiz, "url": reverse("quizzes:quiz", args=[quiz.pk]), "anonymous": True}
    return quiz_status(quiz, request.user)


def course_page_section(request, course):
    """The course quiz box on the course page (settings.COURSE_PAGE_SECTIONS)."""
    info = course_quiz_context(request, course)
    if info is None:
        return None
    return {"template": "quizzes/includes/course_quiz.html", "info": info}


# --------------------------------------------------------------------------- the paper


def choice_item(question, choice, *, id, selected, show, feedback) -> dict:  # noqa: A002
    """One option of a choice question as the paper (and the trainer's preview) shows it;
    ``show``: with its weight and whether it is the correct answer."""
    return {
        "id": id,
        "text": choice.text,
        "selected": selected,
        "fraction": choice.fraction if show else None,
        # Single choice: only a full-credit option is "the correct answer"; a partial-credit
        # one shows its percentage. Multiple response: every option with a positive weight is
        # part of the correct answer.
        "correct": show
        and (choice.fraction >= 1 or (question.qtype == "multiresponse" and choice.fraction > 0)),
        "partial_percent": choice.fraction * 100
        if show and question.qtype == "multichoice" and 0 < choice.fraction < 1
        else None,
        "feedback": feedback,
    }


def _paper(attempt, reveal, key=True):
    """Items for the template. ``reveal``: show which questions were right (after
    submission, or for checked questions in "each" mode); ``key``: with the correct answers,
    feedback and explanations too (``Attempt.answer_key_withheld``)."""
    responses = list(
        Response.objects.filter(attempt=attempt)
        .select_related(*RESPONSE_RELATED, "question__category")
        .order_by("position")
    )
    # Each question as this paper showed it (its version), never as edited since.
    questions = [versions.for_response(response) for response in responses]
    versions.attach_images(questions)
    items = []
    number = 0
    for response, question in zip(responses, questions, strict=True):
        by_id = {c.pk: c for c in question.choices}
        # Options are named by per-attempt tokens, never by database ids (quizzes.tokens).
        token = {pk: tokens.choice_token(attempt, pk) for pk in response.choice_order}
        ordered = [by_id[pk] for pk in response.choice_order if pk in by_id]
        answer = response.answer or {}
        show_result = reveal or (response.checked and attempt.quiz.show_answers == Quiz.SHOW_EACH)
        show = show_result and key  # the correct answers, feedback and explanation
        if question.is_scored:
            number += 1
        item = {
            "response": response,
            "question": question,
            "number": number if question.is_scored else None,
            "name": f"q{response.position}",
            "answer": answer,
            "reveal": show,
            "result": show_result,
            "checked": response.checked,
            "answered": svc.is_answered(answer),
        }
        if question.qtype in ("multichoice", "multiresponse"):
            selected = set(answer.get("choices") or []) | {answer.get("choice")}
            item["choices"] = [
                choice_item(
                    question,
                    c,
                    id=token[c.pk],
                    selected=c.pk in selected,
                    show=show,
                    feedback=c.feedback if show and c.pk in selected else "",
                )
                for c in ordered
            ]
        elif question.qtype == "matching":
            pairs = answer.get("pairs") or {}
            # The answer options in an order of their own (sorted), never the sub-questions'
            # order: otherwise option k would give away the match of sub-question k.
            options = sorted({c.shown_match for c in ordered if c.shown_match})
            item["subquestions"] = [
                {
                    "id": token[c.pk],
                    "text": c.text,
                    "selected": pairs.get(str(c.pk), ""),
                    "correct_match": c.match if show else None,
                }
                for c in ordered
                if c.text
            ]
            item["options"] = options
        elif question.qtype == "truefalse":
            item["value"] = answer.get("value")
            if show:
                item["correct_value"] = question.correct_truefalse
                chosen = answer.get("value")
                if chosen is True:
                    item["feedback"] = question.true_feedback
                elif chosen is False:
                    item["feedback"] = question.false_feedback
        elif question.qtype in ("shortanswer", "numerical") and show:
            item["correct_text"] = scoring.answer_key_text(question, ordered)
        if show_result:
            item["fraction"] = response.fraction
            item["marker_comment"] = response.marker_comment
        if show:
            item["explanation"] = question.explanation
        items.append(item)
    return items


@login_required
def attempt_view(request, pk):
    attempt = _own_attempt(request, pk)
    attempt = svc.finish_if_overdue(attempt)
    if attempt.is_finished:
        return redirect("quizzes:result", pk=attempt.pk)
    show_each = attempt.quiz.show_answers == Quiz.SHOW_EACH
    number_one_in_cycle(attempt, request.user)
    context = {
        "attempt": attempt,
        "quiz": attempt.quiz,
        "items": _paper(
            attempt, reveal=False, key=not (show_each and attempt.answer_key_withheld())
        ),
        "seconds_left": attempt.seconds_left(),
        "show_each": show_each,
    }
    # The submit dialog's lists as of now (static/js/quiz.js keeps them current).
    context["summary_rows"] = [
        {
            "number": item["number"],
            "position": item["response"].position,
            "answered": svc.is_answered(item["response"].answer),
            "flagged": item["response"].flagged,
        }
        for item in context["items"]
        if item["number"]
    ]
    context["summary_unanswered"] = [r for r in context["summary_rows"] if not r["answered"]]
    context["summary_flagged"] = [r for r in context["summary_rows"] if r["flagged"]]
    context["summary_answered"] = sum(1 for r in context["summary_rows"] if r["answered"])
    response = render(request, "quizzes/attempt.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _answers_from_request(request, attempt):
    """``({position: data}, rejected positions)`` from the posted form, option tokens turned
    into choice ids; an answer naming an option that is not this attempt's is left out (not
    saved) and its position is listed in ``rejected``."""
    responses = list(
        Response.objects.filter(attempt=attempt)
        .select_related(*RESPONSE_RELATED)
        .order_by("position")
    )
    decode = tokens.decoder(attempt)
    out, rejected = {}, set()
    for response, data in svc.answers_from_post(responses, request.POST).items():
        try:
            out[response.position] = decode(response, data)
        except tokens.InvalidToken:
            rejected.add(response.position)
    return out, rejected


@login_required
def summary(request, pk):
    """Before submitting (Moodle's "summary of attempt"): which questions are unanswered or
    flagged, with links back to them. A POST from the paper (its submit button without
    JavaScript) stores the answers it carries first; the page's own form then submits."""
    attempt = _own_attempt(request, pk)
    if request.method == "POST" and attempt.status == Attempt.IN_PROGRESS:
        svc.save_answers(attempt, _answers_from_request(request, attempt)[0])
    attempt = svc.finish_if_overdue(attempt)
    if attempt.is_finished:
        return redirect("quizzes:result", pk=attempt.pk)
    rows = svc.paper_summary(attempt)
    number_one_in_cycle(attempt, request.user)
    context = {
        "attempt": attempt,
        "quiz": attempt.quiz,
        "rows": rows,
        "unanswered": [r for r in rows if not r["answered"]],
        "flagged": [r for r in rows if r["flagged"]],
        "answered_count": sum(1 for r in rows if r["answered"]),
        "seconds_left": attempt.seconds_left(),
    }
    response = render(request, "quizzes/summary.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def flag(request, pk, position):
    """Toggle "flag for review" on one question. JSON for the page's script; without
    JavaScript the paper's form posts here: its answers are stored, then back to the question."""
    attempt = _own_attempt(request, pk)
    wants_json = "application/json" in request.headers.get("Accept", "")
    flagged = request.POST.get("flagged") in ("1", "true", "on")
    try:
        if not wants_json:
            svc.save_answers(attempt, _answers_from_request(request, attempt)[0])
        response = svc.set_flag(attempt, position, flagged)
    except svc.AttemptError as error:
        if wants_json:
            return JsonResponse({"flagged": None, "error": error.messages[0]}, status=409)
        messages.error(request, error.messages[0])
        return redirect("quizzes:attempt", pk=attempt.pk)
    if wants_json:
        return JsonResponse({"position": response.position, "flagged": response.flagged})
    return redirect(reverse("quizzes:attempt", args=[attempt.pk]) + f"#q{position}")


@login_required
@require_POST
def submit(request, pk):
    attempt = _own_attempt(request, pk)
    answers = None
    # The summary page's form carries no answers: they were stored when it was shown.
    if attempt.status == Attempt.IN_PROGRESS and not request.POST.get("from_summary"):
        answers, _rejected = _answers_from_request(request, attempt)
    attempt = svc.submit_attempt(attempt, answers=answers)
    if attempt.late_submission_ignored:
        messages.warning(request, _("交卷时已超过截止时间，按截止前保存的答案评分。"))
    return redirect("quizzes:result", pk=attempt.pk)


@login_required
@require_POST
def check(request, pk, position):
    """ "Answers after each question": save the posted answers, then lock and reveal one."""
    attempt = _own_attempt(request, pk)
    if attempt.quiz.show_answers != Quiz.SHOW_EACH:
        raise Http404
    answers, rejected = _answers_from_request(request, attempt)
    try:
        if position in rejected:
            raise svc.AttemptError(_("答案格式不正确。"))
        for pos, data in answers.items():
            if pos == position:
                continue
            with contextlib.suppress(svc.AttemptError):
                svc.save_answer(attempt, pos, data)
        svc.save_answer(attempt, position, answers.get(position, {}), check=True)
        # Grade the checked question now so its review shows a result.
        response = Response.objects.select_related(*RESPONSE_RELATED).get(
            attempt=attempt, position=position
        )
        from .scoring import grade_response

        question = versions.for_response(response)
        if question.qtype not in ("essay", "description"):
            response.fraction = grade_response(question, question.choices, response.answer)
            response.save(update_fields=["fraction"])
    except svc.AttemptError as error:
        messages.error(request, error.messages[0])
    return redirect(reverse("quizzes:attempt", args=[attempt.pk]) + f"#q{position}")


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


@login_required
@require_POST
def autosave(request, pk):
    """JSON autosave of one answer: ``{"position": n, "answer": {...}}``.

    The reply says only whether it was saved; never correctness."""
    try:
        attempt = Attempt.objects.select_related("quiz").get(pk=pk, user=request.user)
    except (Attempt.DoesNotExist, ValueError):
        return JsonResponse({"saved": False, "error": "not_found"}, status=404)
    try:
        payload = json.loads(request.body or b"{}", parse_constant=_reject_constant)
        position = int(payload.get("position"))
        data = payload.get("answer")
    except (ValueError, TypeError, AttributeError, OverflowError, RecursionError):
        return JsonResponse({"saved": False, "error": _("请求格式不正确。")}, status=400)
    try:
        response = svc.save_answer(attempt, position, data, decode=tokens.decoder(attempt))
    except svc.AttemptError as error:
        return JsonResponse({"saved": False, "error": error.messages[0]}, status=409)
    return JsonResponse(
        {
            "saved": True,
            "position": response.position,
            "saved_at": timezone.localtime(response.answered_at).strftime("%H:%M:%S"),
            "seconds_left": attempt.seconds_left(),
        }
    )


# --------------------------------------------------------------------------- results


def retry_after_fail(attempt, user, attempts_left) -> dict | None:
    """After a failed (graded) attempt: when the learner may try again, or that they cannot.
    ``{"exhausted": True}``, ``{"wait": "约 10 分钟", "until": datetime}`` or ``{"now": True}``;
    None after a pass, while marking is pending, or when the course is passed anyway."""
    quiz = attempt.quiz
    if attempt.status != Attempt.GRADED or attempt.passed:
        return None
    if quiz.course_id and has_passed(user, quiz.course_id, since=svc.cycle_since(quiz, user)):
        return None
    if attempts_left == 0:
        return {"exhausted": True}
    until = svc.cooldown_until(quiz, user)
    if until is not None:
        return {"wait": wait_phrase((until - timezone.now()).total_seconds()), "until": until}
    return {"now": True}


@login_required
def result(request, pk):
    attempt = _own_attempt(request, pk)
    attempt = svc.finish_if_overdue(attempt)
    if not attempt.is_finished:
        return redirect("quizzes:attempt", pk=attempt.pk)
    # A trainer's trial (试做) shows the whole review, whatever the quiz's rules.
    reveal = attempt.is_trial or attempt.answers_visible()
    key = reveal and not attempt.answer_key_withheld()
    show_review = attempt.is_trial or attempt.quiz.show_answers != "never"
    items = _paper(attempt, reveal=reveal, key=key) if show_review else []
    if reveal:
        from .review import attach_lessons

        attach_lessons(items, attempt.quiz, request)
    attempts_left = None if attempt.is_trial else svc.attempts_left(attempt.quiz, request.user)
    number_one_in_cycle(attempt, request.user)
    context = {
        "attempt": attempt,
        "quiz": attempt.quiz,
        "reveal": reveal,
        "key_withheld": reveal and not key,
        "items": items,
        "attempts_left": attempts_left,
        "retry": None
        if attempt.is_trial
        else retry_after_fail(attempt, request.user, attempts_left),
        # What the certificate and authorisation still need, and the certificate once issued.
        "standing": standing_for(request.user, attempt.quiz.course)
        if attempt.quiz.course_id and not attempt.is_trial
        else None,
        "regrade": last_regrade(attempt),
        "trial_essays": trial_essays(attempt, items),
    }
    return render(request, "quizzes/result.html", context)


def trial_essays(attempt, items) -> dict | None:
    """A trial (试做) with essays: they are never marked (trials are not in the marking queue),
    so its result shows each essay's rubric instead, and the marks of the auto-scored part
    (``{"earned", "total", "percent"}``). None for any other attempt."""
    if not attempt.is_trial or attempt.status != Attempt.PENDING:
        return None
    rows = []
    for item in items:
        question = item["question"]
        if question.qtype == Question.ESSAY:
            item["rubric"] = question.rubric
        elif question.is_scored:
            rows.append((question.default_mark, item["response"].fraction or 0))
    earned = sum((mark * fraction for mark, fraction in rows), Decimal(0))
    total = sum((mark for mark, _fraction in rows), Decimal(0))
    return {
        "earned": earned,
        "total": total,
        "percent": scoring.attempt_score(rows) if rows else None,
    }


def last_regrade(attempt):
    """The newest regrade logged on ``attempt`` (``quizzes.regrading``), or None."""
    from wagtail.models import ModelLogEntry

    return (
        ModelLogEntry.objects.for_instance(attempt)
        .filter(action="quizzes.regrade")
        .order_by("-timestamp")
        .first()
    )


@login_required
def history(request):
    from courses.models import Enrollment

    attempts = list(
        counted_attempts()
        .filter(user=request.user)
        .select_related("quiz", "quiz__course")
        .order_by("-started_at")
    )
    # Each quiz's attempts numbered within the learner's current cycle of its course.
    cycles = dict(
        Enrollment.objects.filter(user=request.user).values_list("course_id", "cycle_started_at")
    )
    by_quiz = {}
    for attempt in attempts:
        by_quiz.setdefault(attempt.quiz_id, []).append(attempt)
    for rows in by_quiz.values():
        number_in_cycle(rows, cycles.get(rows[0].quiz.course_id))
    return render(request, "quizzes/history.html", {"attempts": attempts})


@login_required
def progress(request):
    """Success rate per category over the learner's marked responses."""
    rows = (
        counted_responses()
        .filter(
            attempt__user=request.user,
            attempt__status__in=[Attempt.GRADED, Attempt.PENDING],
            fraction__isnull=False,
        )
        .values("question__bank__name", "question__category__path")
        .annotate(rate=Avg("fraction"), answered=Count("pk"), last=Max("attempt__submitted_at"))
        .order_by("question__bank__name", "question__category__path")
    )
    categories = [
        {
            "bank": row["question__bank__name"],
            "category": row["question__category__path"] or _("未分类"),
            "percent": percent(row["rate"], 1, default=0),
            "answered": row["answered"],
        }
        for row in rows
    ]
    return render(request, "quizzes/progress.html", {"categories": categories})
