"""The attempt life cycle: start (draw and shuffle the paper), autosave, submit, grade, mark.

Every caller (views, admin, tests, commands) uses these functions.

Late submissions
----------------
An attempt with a time limit has a ``deadline`` (start + limit, never after the quiz's
``available_until``). Answers (autosaved or sent with the submit button) are accepted until
``deadline + LATE_GRACE`` (30 s, for network latency). A submit that arrives after that
ignores the answers it carries: the attempt is graded with the answers saved before, and
``submitted_at`` is set to the deadline. An overdue attempt nobody submits is graded the same
way the next time it is touched (its page, the quiz page, a new start).

Concurrency
-----------
Starting locks the user row (``select_for_update``) so two clicks create one attempt; the
database also enforces one attempt number per (quiz, user) and one in-progress attempt per
(quiz, user). Submitting locks the attempt row; a second or replayed submit finds it no
longer in progress and returns it unchanged (graded once).
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import scoring
from .drawing import draw_question_ids
from .models import Attempt, Question, Quiz, Response
from .results import counted_attempts, has_passed, in_cycle
from .versions import RESPONSE_RELATED, current_versions, for_response

LATE_GRACE = timedelta(seconds=30)


class AttemptError(ValidationError):
    """The learner may not start or change an attempt now (message is for the learner)."""


# --------------------------------------------------------------------------- rules


def cycle_since(quiz, user):
    """Attempts count from the start of the learner's current cycle of the quiz's course (a
    recertification or a revocation opens a new one: ``courses.enrolment.start_new_cycle``)."""
    if not quiz.course_id:
        return None
    from courses.enrolment import cycle_start

    return cycle_start(user, quiz.course_id)


def cycle_attempts(quiz, user, since=None):
    """The user's attempts that count in this cycle (never trials: ``is_trial``): those
    started at or after ``since`` (``quizzes.results.in_cycle``, the rule "passed" uses too)."""
    return in_cycle(counted_attempts().filter(quiz=quiz, user=user), since)


def passed_in_cycle(quiz, user, since=None) -> bool:
    """Has ``user`` passed ``quiz``'s course in the current cycle (``since``: its start)? Then
    no further attempt may be started until a new cycle opens (a revocation or a
    recertification): the review shows the answer key after a pass, so another attempt
    would be taken with the key at hand. A quiz without a course never closes."""
    return bool(quiz.course_id) and has_passed(user, quiz.course_id, since=since)


def attempts_left(quiz, user, used=None):
    if quiz.max_attempts is None:
        return None
    if used is None:
        used = cycle_attempts(quiz, user, cycle_since(quiz, user)).count()
    return max(0, quiz.max_attempts - used)


def cooldown_until(quiz, user, last_submitted=None):
    """When the user may start again after the cooldown, or None if they may now."""
    if not quiz.cooldown_minutes:
        return None
    if last_submitted is None:
        last_submitted = (
            cycle_attempts(quiz, user)
            .filter(submitted_at__isnull=False)
            .order_by("-submitted_at")
            .values_list("submitted_at", flat=True)
            .first()
        )
    if last_submitted is None:
        return None
    until = last_submitted + timedelta(minutes=quiz.cooldown_minutes)
    return until if until > timezone.now() else None


# --------------------------------------------------------------------------- drawing


def draw_questions(quiz, rng):
    """Question ids for a new paper, in paper order (see ``quizzes.drawing``: stratified by
    topic, exclusion groups, no retired questions)."""
    return draw_question_ids(quiz, rng)


def _build_paper(attempt, quiz, rng):
    ids = draw_questions(quiz, rng)
    # The current version of each drawn question (recorded now if it changed since): the
    # paper shows it and scores by it, whatever later edits do (quizzes.versions).
    versions = current_versions(ids)
    rows = []
    for position, question_id in enumerate(ids, start=1):
        version = versions[question_id]
        order = [c["id"] for c in version.content["choices"]]
        if quiz.shuffle_choices:
            rng.shuffle(order)
        rows.append(
            Response(
                attempt=attempt,
                question_id=question_id,
                position=position,
                choice_order=order,
                version=version,
                graded_version=version,
            )
        )
    Response.objects.bulk_create(rows)


# --------------------------------------------------------------------------- start


def start_course_attempt(quiz, user, now=None):
    """What a learner's "start" does: resume the attempt in progress, else start a new one if
    the course's rule allows it (``courses.progress.quiz_gate``: enrolled, prerequisites
    completed, every lesson read when the course says so). Raises :class:`AttemptError` with
    the gate's reasons otherwise, before any attempt is used up."""
    if quiz.course_id:
        in_progress = Attempt.objects.filter(
            quiz=quiz, user=user, status=Attempt.IN_PROGRESS
        ).exists()
        if not in_progress:
            from courses.progress import quiz_gate

            gate = quiz_gate(user, quiz.course)
            if not gate.open:
                raise AttemptError(" ".join(str(reason) for reason in gate.reasons))
    return start_attempt(quiz, user, now=now)


def start_attempt(quiz, user, now=None):
    """Return the user's in-progress attempt of ``quiz`` or start a new one.

    Raises :class:`AttemptError` when the quiz is closed, the course's quiz was passed in this
    cycle (:func:`passed_in_cycle`), no attempts are left in this cycle or the cooldown has
    not passed. Learners start through :func:`start_course_attempt`,
    which also asks the course's quiz gate.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            get_user_model().objects.select_for_update().filter(pk=user.pk).first()
            current = (
                Attempt.objects.select_for_update()
                .filter(quiz=quiz, user=user, status=Attempt.IN_PROGRESS)
                .first()
            )
            if current is not None:
                if not current.is_trial and not is_overdue(current, now):
                    return current
                # An overdue attempt, or a trial left open: graded as it stands.
                _finish(current, now, answers=None)
            if not quiz.is_open(now):
                raise AttemptError(_("本测验当前未开放。"))
            attempts = list(
                Attempt.objects.filter(quiz=quiz, user=user).values_list(
                    "number", "submitted_at", "started_at", "is_trial"
                )
            )
            since = cycle_since(quiz, user)
            if passed_in_cycle(quiz, user, since):
                raise AttemptError(_("您已通过本课程测验，无需再次作答。"))
            used = [a for a in attempts if not a[3] and (since is None or a[2] >= since)]
            if quiz.max_attempts is not None and len(used) >= quiz.max_attempts:
                raise AttemptError(_("作答次数已用完。"))
            last = max((s for _n, s, _st, _t in used if s is not None), default=None)
            if quiz.cooldown_minutes and last is not None:
                until = last + timedelta(minutes=quiz.cooldown_minutes)
                if until > now:
                    raise AttemptError(
                        _("请在 %(time)s 之后再次作答。")
                        % {"time": timezone.localtime(until).strftime("%H:%M:%S")}
                    )
            number = max((n for n, _s, _st, _t in attempts), default=0) + 1
            deadline = now + quiz.time_limit if quiz.time_limit else None
            if quiz.available_until and (deadline is None or deadline > quiz.available_until):
                deadline = quiz.available_until
            return _create_attempt(quiz, user, number, now, deadline)
    except IntegrityError:
        # Another request created it between our checks (no row lock on some backends).
        current = Attempt.objects.filter(quiz=quiz, user=user, status=Attempt.IN_PROGRESS).first()
        if current is None:
            raise
        return current


def _create_attempt(quiz, user, number, now, deadline, is_trial=False):
    seed = random.SystemRandom().randrange(1, 2**62)
    attempt = Attempt.objects.create(
        quiz=quiz,
        user=user,
        number=number,
        started_at=now,
        deadline=deadline,
        seed=seed,
        is_trial=is_trial,
    )
    # A reproducible shuffle (not security-sensitive): the seed is stored on the attempt.
    _build_paper(attempt, quiz, random.Random(seed))  # noqa: S311
    return attempt


def start_trial_attempt(quiz, user, now=None):
    """ "Try this quiz" (试做) for a trainer: the learner's paper of any quiz (published or
    not, open or not), without enrolment, the course's gate, attempt limit or cooldown. The
    attempt is marked ``is_trial`` and counts nowhere (``quizzes.results``, statistics,
    completion, attempts left). Resumes the user's trial in progress; the caller checks the
    permission (``quizzes.admin_views.can_try_quizzes``)."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            get_user_model().objects.select_for_update().filter(pk=user.pk).first()
            current = (
                Attempt.objects.select_for_update()
                .filter(quiz=quiz, user=user, status=Attempt.IN_PROGRESS)
                .first()
            )
            if current is not None:
                if not is_overdue(current, now):
                    if current.is_trial:
                        return current
                    raise AttemptError(_("你有一次正式作答尚未交卷，请先交卷再试做。"))
                _finish(current, now, answers=None)
            last = Attempt.objects.filter(quiz=quiz, user=user).order_by("-number").first()
            number = (last.number if last else 0) + 1
            deadline = now + quiz.time_limit if quiz.time_limit else None
            return _create_attempt(quiz, user, number, now, deadline, is_trial=True)
    except IntegrityError:
        current = Attempt.objects.filter(
            quiz=quiz, user=user, status=Attempt.IN_PROGRESS, is_trial=True
        ).first()
        if current is None:
            raise
        return current


# --------------------------------------------------------------------------- answers


def is_overdue(attempt, now=None):
    return attempt.deadline is not None and (now or timezone.now()) > attempt.deadline + LATE_GRACE


def normalize_answer(question, choice_ids, data):
    """Turn submitted data (a dict from JSON or built from POST) into the stored answer.

    Raises ValueError for data that does not fit the question (including numbers too large
    for an id, and wrong types). NUL characters, which PostgreSQL cannot store, are dropped.
    """
    try:
        return _normalize_answer(question, choice_ids, data)
    except (OverflowError, TypeError) as exc:
        raise ValueError(str(exc)) from exc


def _text(value, limit):
    return str(value or "").replace("\x00", "")[:limit]


def _normalize_answer(question, choice_ids, data):
    qtype = question.qtype
    data = data if isinstance(data, dict) else {}
    allowed = set(choice_ids)
    if qtype == "multichoice":
        raw = data.get("choice")
        if raw in (None, ""):
            return None
        pk = int(raw)
        if pk not in allowed:
            raise ValueError("choice")
        return {"choice": pk}
    if qtype == "multiresponse":
        raw = data.get("choices") or []
        if not isinstance(raw, list):
            raw = [raw]
        pks = sorted({int(x) for x in raw})
        if not set(pks) <= allowed:
            raise ValueError("choices")
        return {"choices": pks}
    if qtype == "truefalse":
        raw = data.get("value")
        if raw in (None, ""):
            return None
        if isinstance(raw, str) and raw in ("true", "false"):
            raw = raw == "true"
        if not isinstance(raw, bool):
            raise ValueError("value")
        return {"value": raw}
    if qtype in ("shortanswer", "numerical"):
        return {"text": _text(data.get("text"), 255)}
    if qtype == "essay":
        return {"text": _text(data.get("text"), 20000)}
    if qtype == "matching":
        raw = data.get("pairs") or {}
        if not isinstance(raw, dict):
            raise ValueError("pairs")
        return {"pairs": {str(int(k)): _text(v, 255) for k, v in raw.items() if int(k) in allowed}}
    return None


def answers_from_post(responses, post):
    """Map the non-JS form (``q<position>`` fields) to ``{response: data}``."""
    out = {}
    for response in responses:
        prefix = f"q{response.position}"
        qtype = shown_qtype(response)
        if qtype == "multiresponse":
            data = {"choices": post.getlist(prefix)}
        elif qtype == "multichoice":
            data = {"choice": post.get(prefix)}
        elif qtype == "truefalse":
            data = {"value": post.get(prefix)}
        elif qtype == "matching":
            data = {
                "pairs": {
                    key[len(prefix) + 1 :]: value
                    for key, value in post.items()
                    if key.startswith(prefix + "-") and value
                }
            }
        elif qtype == "description":
            continue
        else:
            if prefix not in post:
                continue
            data = {"text": post.get(prefix)}
        out[response] = data
    return out


def shown_qtype(response) -> str:
    """The type of the question as the response's paper showed it."""
    return response.version.content["qtype"] if response.version_id else response.question.qtype


def _apply_answers(answers, now):
    """Normalise ``{response: data}`` onto the responses; returns the changed ones."""
    changed = []
    for response, data in answers.items():
        if response.checked:
            continue  # "answers after each question": a checked answer is final.
        try:
            value = normalize_answer(for_response(response), response.choice_order, data)
        except (TypeError, ValueError):
            continue
        if value != response.answer:
            response.answer = value
            response.answered_at = now
            changed.append(response)
    return changed


def save_answer(attempt, position, data, now=None, check=False, decode=None):
    """Autosave one answer. Returns the response. Raises AttemptError when not accepted.

    ``decode(response, data)``, when given, turns what the browser sent (option tokens, see
    ``quizzes.tokens``) into stored form first; a ValueError from it refuses the answer."""
    now = now or timezone.now()
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if attempt.status != Attempt.IN_PROGRESS or is_overdue(attempt, now):
            raise AttemptError(_("本次作答已结束，答案未保存。"))
        response = (
            Response.objects.select_related(*RESPONSE_RELATED)
            .filter(attempt=attempt, position=position)
            .first()
        )
        if response is None:
            raise AttemptError(_("题目不存在。"))
        if response.checked:
            raise AttemptError(_("本题已核对答案，不能修改。"))
        try:
            if decode is not None:
                data = decode(response, data)
            value = normalize_answer(for_response(response), response.choice_order, data)
        except (TypeError, ValueError):
            raise AttemptError(_("答案格式不正确。"))
        response.answer = value
        response.answered_at = now
        fields = ["answer", "answered_at"]
        if check and attempt.quiz.show_answers == Quiz.SHOW_EACH:
            response.checked = True
            fields.append("checked")
        response.save(update_fields=fields)
        return response


def save_answers(attempt, answers, now=None):
    """Store answers sent with the paper's form (``{position: data}``) without submitting
    (the summary before submit). Unchanged, checked or malformed answers are skipped; after
    the deadline (and its grace) nothing is stored. Returns the number of answers stored."""
    now = now or timezone.now()
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if attempt.status != Attempt.IN_PROGRESS or is_overdue(attempt, now):
            return 0
        responses = {
            r.position: r
            for r in Response.objects.filter(attempt=attempt).select_related(*RESPONSE_RELATED)
        }
        changed = _apply_answers(
            {responses[p]: d for p, d in answers.items() if p in responses}, now
        )
        Response.objects.bulk_update(changed, ["answer", "answered_at"])
        return len(changed)


def set_flag(attempt, position, flagged):
    """Flag (or unflag) a question of an in-progress attempt for review. Returns the response.
    Raises AttemptError when the attempt is over or the position does not exist."""
    if attempt.status != Attempt.IN_PROGRESS or is_overdue(attempt):
        raise AttemptError(_("本次作答已结束。"))
    updated = Response.objects.filter(attempt=attempt, position=position).update(
        flagged=bool(flagged)
    )
    if not updated:
        raise AttemptError(_("题目不存在。"))
    return Response.objects.get(attempt=attempt, position=position)


def is_answered(answer):
    """Has the learner given any answer (an empty text, no ticked box or no pair is none)?"""
    if not answer:
        return False
    if "text" in answer:
        return bool(str(answer["text"]).strip())
    if "choices" in answer:
        return bool(answer["choices"])
    if "pairs" in answer:
        return bool(answer["pairs"])
    return any(value is not None for value in answer.values())


def paper_summary(attempt):
    """The paper's state before submitting: ``[{"number", "position", "answered",
    "flagged"}]`` for the scored questions, in paper order (one query)."""
    rows = (
        Response.objects.filter(attempt=attempt)
        .exclude(question__qtype=Question.DESCRIPTION)
        .order_by("position")
        .values_list("position", "answer", "flagged")
    )
    return [
        {"number": n, "position": pos, "answered": is_answered(answer), "flagged": flagged}
        for n, (pos, answer, flagged) in enumerate(rows, start=1)
    ]


# --------------------------------------------------------------------------- submit & grade


def _responses_for_grading(attempt):
    return list(
        Response.objects.filter(attempt=attempt)
        .select_related(*RESPONSE_RELATED)
        .order_by("position")
    )


def _grade(attempt, responses, now):
    """Score every response (one bulk update) and set the attempt's status and score, each
    by the version of its question the paper showed (its graded version)."""
    for response in responses:
        question = for_response(response)
        if not question.is_scored:
            response.fraction = None
            response.needs_marking = False
            continue
        if question.qtype == Question.ESSAY:
            if response.marked_at is None:
                text = (response.answer or {}).get("text", "").strip()
                # An empty essay needs no marking: it earns nothing. A trial's essay is
                # never marked (quizzes.results.marking_queue): it stays unscored.
                response.fraction = None if text else scoring.ZERO
                response.needs_marking = bool(text) and not attempt.is_trial
            continue
        response.fraction = scoring.grade_response(question, question.choices, response.answer)
        response.needs_marking = False
    Response.objects.bulk_update(responses, ["answer", "answered_at", "fraction", "needs_marking"])
    _set_result(attempt, responses, now)


def score_of(responses):
    """The attempt's percentage from its responses (``RESPONSE_RELATED`` loaded), each
    question weighted by the mark of its graded version; None while one awaits marking."""
    questions = [(for_response(r), r) for r in responses]
    return scoring.attempt_score((q.default_mark, r.fraction) for q, r in questions if q.is_scored)


def _set_result(attempt, responses, now):
    score = score_of(responses)
    if score is None:
        attempt.status = Attempt.PENDING
        attempt.score = None
        attempt.passed = False
        attempt.graded_at = None
    else:
        attempt.status = Attempt.GRADED
        attempt.score = score
        attempt.passed = attempt.quiz.passes(score)
        attempt.graded_at = now
    attempt.save(
        update_fields=[
            "status",
            "score",
            "passed",
            "graded_at",
            "submitted_at",
            "late_submission_ignored",
        ]
    )
    if attempt.passed and attempt.quiz.course_id and not attempt.is_trial:
        _after_commit_evaluate(attempt)


def _after_commit_evaluate(attempt):
    from courses.completion import evaluate

    user, course = attempt.user, attempt.quiz.course

    transaction.on_commit(lambda: evaluate(user, course))


def _finish(attempt, now, answers):
    """Submit a locked in-progress attempt. ``answers``: ``{position: data}`` or None."""
    responses = _responses_for_grading(attempt)
    late = is_overdue(attempt, now)
    if answers and not late:
        by_position = {r.position: r for r in responses}
        _apply_answers({by_position[p]: d for p, d in answers.items() if p in by_position}, now)
    if late:
        attempt.submitted_at = attempt.deadline
        attempt.late_submission_ignored = bool(answers)
    else:
        attempt.submitted_at = now
    _grade(attempt, responses, now)
    return attempt


def submit_attempt(attempt, answers=None, now=None):
    """Submit and grade ``attempt`` once. ``answers``: ``{position: data}`` sent with the
    submit (the no-JS form); autosaved answers are already stored. Returns the attempt.
    A repeated submit returns the stored result without grading again."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Attempt.objects.select_for_update(of=("self",))
            .select_related("quiz", "user")
            .get(pk=attempt.pk)
        )
        if locked.status != Attempt.IN_PROGRESS:
            return locked
        return _finish(locked, now, answers)


def finish_if_overdue(attempt, now=None):
    """Grade an abandoned attempt whose time is up (as of its deadline)."""
    now = now or timezone.now()
    if attempt.status == Attempt.IN_PROGRESS and is_overdue(attempt, now):
        return submit_attempt(attempt, now=now)
    return attempt


def close_course_attempts(user, course, now=None) -> int:
    """Submit ``user``'s attempts in progress at ``course``'s quizzes, graded as they stand
    (trials left alone). Called when a revocation closes the cycle they were started in: such
    a paper belongs to the old cycle and never counts in the new one (``in_cycle``), and the
    learner must not go on answering it. Returns how many were closed."""
    now = now or timezone.now()
    open_attempts = Attempt.objects.filter(
        user=user, quiz__course=course, status=Attempt.IN_PROGRESS, is_trial=False
    )
    closed = 0
    for attempt in open_attempts:
        submit_attempt(attempt, now=now)
        closed += 1
    return closed


# --------------------------------------------------------------------------- marking


def mark_response(response, fraction, marker, comment="", now=None):
    """A trainer marks (or re-marks) an essay. Updates score, passed flag and completion."""
    from wagtail.log_actions import log

    now = now or timezone.now()
    fraction = scoring.clamp(Decimal(str(fraction)))
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update(of=("self",))
            .select_related("quiz", "user")
            .get(pk=response.attempt_id)
        )
        if attempt.status == Attempt.IN_PROGRESS:
            raise AttemptError(_("该作答尚未交卷。"))
        if attempt.is_trial:
            raise AttemptError(_("试做不批阅。"))
        if marker is not None and getattr(marker, "pk", None) == attempt.user_id:
            # A trainer who takes a course quiz must not mark their own essay into a pass.
            raise AttemptError(_("不能批阅本人的作答。"))
        response = Response.objects.select_related("question").get(pk=response.pk)
        old = response.fraction
        response.fraction = fraction
        response.needs_marking = False
        response.marked_by = marker
        response.marked_at = now
        response.marker_comment = comment
        response.save(
            update_fields=["fraction", "needs_marking", "marked_by", "marked_at", "marker_comment"]
        )
        old_score = attempt.score
        responses = list(Response.objects.filter(attempt=attempt).select_related(*RESPONSE_RELATED))
        _set_result(attempt, responses, attempt.graded_at or now)
        if attempt.status == Attempt.GRADED and old_score != attempt.score:
            attempt.graded_at = now
            attempt.save(update_fields=["graded_at"])
        log(
            instance=attempt,
            action="quizzes.mark",
            user=marker,
            data={
                "response": response.pk,
                "question": response.question.name,
                "old_fraction": None if old is None else str(old),
                "new_fraction": str(fraction),
                "old_score": None if old_score is None else str(old_score),
                "new_score": None if attempt.score is None else str(attempt.score),
            },
        )
    return attempt
