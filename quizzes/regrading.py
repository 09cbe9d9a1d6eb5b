"""Regrading past attempts after a question's key is corrected (Moodle's "regrade attempts"
report, with its dry run).

Choice made here, as Moodle does by default: a regrade scores each response against the key
of the question's **newest** version, while the review keeps showing the version the paper
showed (``Response.version`` stays; ``Response.graded_version`` becomes the new version). For
option questions only the options the learner saw count (an option the new version added was
never shown; one it removed is worth nothing). A response is regraded when its graded key
differs from the target's (``QuestionVersion.key_hash``) and the types agree; essays and
responses a trainer marked by hand keep their marks; attempts still in progress are left alone
(they are scored by the version they drew when submitted, and can be regraded afterwards).

:func:`plan_regrade` is the dry run (nothing written); :func:`apply_regrade` writes the new
fractions, scores and pass flags in one transaction, logs ``quizzes.regrade`` on every attempt
whose score changed and ``quizzes.regrade_question`` on the question, and after commit lets
the lifecycle follow: a newly passing attempt asks ``courses.completion.evaluate`` (which
issues the certificate through the completion signal); a pass withdrawn is announced with
``quizzes.signals.pass_withdrawn`` (``certificates.lifecycle`` revokes the certificate it was
the basis of).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from . import scoring
from .attempts import score_of
from .models import Attempt, Question, QuestionVersion, Response
from .versions import RESPONSE_RELATED, for_response, record_version

#: Above this many responses to regrade, the admin runs the regrade as a background task.
INLINE_LIMIT = 200


@dataclass
class AttemptChange:
    attempt: Attempt
    old_fraction: Decimal | None
    new_fraction: Decimal | None
    old_score: Decimal | None
    new_score: Decimal | None
    old_passed: bool
    new_passed: bool

    @property
    def score_changed(self) -> bool:
        return self.old_score != self.new_score

    @property
    def pass_changed(self) -> bool:
        return self.old_passed != self.new_passed


@dataclass
class RegradePlan:
    question: Question
    target: QuestionVersion
    responses: list = field(default_factory=list)  # every response to regrade
    changes: list[AttemptChange] = field(default_factory=list)  # attempts whose score changes

    @property
    def attempts_changed(self) -> int:
        return len(self.changes)

    @property
    def people_pass_changed(self) -> int:
        return len({c.attempt.user_id for c in self.changes if c.pass_changed})

    @property
    def newly_passed(self) -> list[AttemptChange]:
        return [c for c in self.changes if c.new_passed and not c.old_passed]

    @property
    def newly_failed(self) -> list[AttemptChange]:
        return [c for c in self.changes if c.old_passed and not c.new_passed]


def stale_responses(question, target):
    """Finished, machine-scored responses of ``question`` graded by another key than
    ``target``'s."""
    return (
        Response.objects.filter(question=question, marked_at__isnull=True)
        .exclude(attempt__status=Attempt.IN_PROGRESS)
        .exclude(graded_version__key_hash=target.key_hash)
    )


def needs_regrade(question, target=None) -> bool:
    """Is a regrade worth offering: a response graded by another key than the newest?"""
    target = target or record_version(question)
    if target.content["qtype"] in (Question.ESSAY, Question.DESCRIPTION):
        return False
    return stale_responses(question, target).exists()


def plan_regrade(question, target=None, lock=False) -> RegradePlan:
    """The dry run: what regrading ``question``'s past attempts against ``target`` (default:
    its newest version) would change. Nothing is written (except the newest version itself,
    recorded if the question changed without one)."""
    target = target or record_version(question)
    plan = RegradePlan(question=question, target=target)
    if target.content["qtype"] in (Question.ESSAY, Question.DESCRIPTION):
        return plan
    responses = [
        r
        for r in stale_responses(question, target).select_related(*RESPONSE_RELATED)
        if r.version is None or r.version.content["qtype"] == target.content["qtype"]
    ]
    if not responses:
        return plan
    attempts_qs = Attempt.objects.filter(pk__in={r.attempt_id for r in responses}).select_related(
        "quiz", "user", "user__staff_profile"
    )
    if lock:
        attempts_qs = attempts_qs.select_for_update(of=("self",))
    attempts = {a.pk: a for a in attempts_qs.order_by("pk")}
    new = {}
    for response in responses:
        shown = for_response(response, key_version=target)
        new[response.pk] = scoring.grade_response(shown, shown.choices, response.answer)
    # Every response of the attempts concerned, to score them afresh (one query).
    siblings = {}
    for r in (
        Response.objects.filter(attempt_id__in=attempts)
        .select_related(*RESPONSE_RELATED)
        .order_by("attempt_id", "position")
    ):
        siblings.setdefault(r.attempt_id, []).append(r)
    for response in responses:
        response.old_fraction = response.fraction
        response.fraction = new[response.pk]
        response.graded_version = target
        response.attempt = attempts[response.attempt_id]
    regraded = {r.pk: r for r in responses}
    for attempt_id, rows in siblings.items():
        attempt = attempts[attempt_id]
        rows = [regraded.get(r.pk, r) for r in rows]
        score = score_of(rows)
        passed = attempt.quiz.passes(score)
        mine = next(r for r in rows if r.question_id == question.pk)
        if score != attempt.score or passed != attempt.passed:
            plan.changes.append(
                AttemptChange(
                    attempt=attempt,
                    old_fraction=mine.old_fraction,
                    new_fraction=mine.fraction,
                    old_score=attempt.score,
                    new_score=score,
                    old_passed=attempt.passed,
                    new_passed=passed,
                )
            )
    plan.responses = responses
    plan.changes.sort(key=lambda c: (c.attempt.user.username, c.attempt.number))
    return plan


def apply_regrade(question, actor, target=None) -> RegradePlan:
    """Regrade: write what :func:`plan_regrade` found, log it and let completions and
    certificates follow (see the module docstring). Returns the plan applied."""
    from wagtail.log_actions import log

    with transaction.atomic():
        plan = plan_regrade(question, target, lock=True)
        Response.objects.bulk_update(plan.responses, ["fraction", "graded_version"])
        for change in plan.changes:
            attempt = change.attempt
            attempt.score = change.new_score
            attempt.passed = change.new_passed
            attempt.save(update_fields=["score", "passed"])
            log(
                instance=attempt,
                action="quizzes.regrade",
                user=actor,
                data={
                    "question": question.name,
                    "version": plan.target.number,
                    "old_fraction": _str(change.old_fraction),
                    "new_fraction": _str(change.new_fraction),
                    "old_score": _str(change.old_score),
                    "new_score": _str(change.new_score),
                    "old_passed": change.old_passed,
                    "new_passed": change.new_passed,
                },
            )
        if plan.responses:
            log(
                instance=question,
                action="quizzes.regrade_question",
                user=actor,
                data={
                    "version": plan.target.number,
                    "responses": len(plan.responses),
                    "attempts_changed": plan.attempts_changed,
                    "people_pass_changed": plan.people_pass_changed,
                    "attempts": [c.attempt.pk for c in plan.changes],
                },
            )
        for change in plan.changes:
            if change.attempt.quiz.course_id and change.pass_changed:
                transaction.on_commit(_follow(change.attempt, change.new_passed, actor))
        if plan.changes:
            transaction.on_commit(lambda: notify_learners(plan.changes))
    return plan


def notify_learners(changes) -> int:
    """E-mail each learner (with an address) whose score a regrade changed: the quiz, the
    old and new score and the result page (which shows the regrade too). Trials are a
    trainer's own and are not announced. Returns the number of e-mails sent."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.urls import reverse
    from django.utils import translation
    from django.utils.translation import gettext as _

    sent = 0
    site = settings.SITE_URL.rstrip("/")
    for change in changes:
        attempt = change.attempt
        user = attempt.user
        if attempt.is_trial or not user.email or not user.is_active:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("【培训平台】测验已重新评分：%(quiz)s") % {"quiz": attempt.quiz.title}
            body = _(
                "您在测验《%(quiz)s》第 %(n)d 次作答的得分因更正答案已重新评分：%(old)s → "
                "%(new)s（%(result)s）。\n查看结果：%(url)s\n"
            ) % {
                "quiz": attempt.quiz.title,
                "n": attempt.number,
                "old": _str(change.old_score) or "—",
                "new": _str(change.new_score) or "—",
                "result": _("及格") if change.new_passed else _("不及格"),
                "url": site + reverse("quizzes:result", args=[attempt.pk]),
            }
        send_mail(subject, body, None, [user.email])
        sent += 1
    return sent


def _follow(attempt, passed, actor):
    def run():
        course = attempt.quiz.course
        if passed:
            from courses.completion import evaluate

            evaluate(attempt.user, course)
        else:
            from .signals import pass_withdrawn

            pass_withdrawn.send(
                sender=Attempt, attempt=attempt, user=attempt.user, course=course, actor=actor
            )

    return run


def _str(value):
    return None if value is None else str(value)
