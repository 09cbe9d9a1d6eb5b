"""Recertification: an expiring or expired certificate re-opens its course for a new cycle.

A certificate is expiring ``expiring_days()`` before its date (the first expiry reminder, by
default 60 days). From then on the holder's
enrolment is re-opened (``courses.enrolment.start_new_cycle``): lessons read stay read, the
quiz's attempts count afresh, and a pass in the new cycle completes the course again, which
issues a new certificate (``certificates.issuing.issue``). The old certificate keeps its
dates and verifies as "expired" once they have passed. Re-opening happens when the daily
``send_expiry_reminders`` runs (the reminder e-mail invites the holder to retrain) and
whenever the holder opens their home page or the course page, so nobody waits for the job.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.completion import completed_enrollments
from courses.enrolment import start_new_cycle

from .authorisation import expiring_days
from .models import Certificate

#: The revocation reason recorded when a regrade withdraws the pass a certificate rests on.
REGRADE_REVOCATION_REASON = "重新评分后未通过"
#: The revocation reason when a registered completion requirement was taken back and its
#: owner gave no reason of its own.
REQUIREMENT_REVOCATION_REASON = "完成条件被撤销"
#: The reason when the attendance a completion rested on was unticked (``lms.rollout``).
ATTENDANCE_REVOCATION_REASON = "现场出勤记录被撤销"

# Reasons the system records (in Chinese, the source language), shown to the holder in
# their language; an administrator's own words are shown as typed.
_SYSTEM_REASONS = {
    REGRADE_REVOCATION_REASON: _("重新评分后未通过"),
    REQUIREMENT_REVOCATION_REASON: _("完成条件被撤销"),
    ATTENDANCE_REVOCATION_REASON: _("现场出勤记录被撤销"),
}


def translated_reason(reason: str) -> str:
    """A recorded revocation reason for the holder to read."""
    reason = (reason or "").strip()
    return str(_SYSTEM_REASONS.get(reason, reason))


def renewals_due(at=None):
    """Complete enrolments whose current certificate (issued for this completion) is expiring
    or expired at ``at``."""
    at = at or timezone.now()
    expiring = Certificate.objects.current().filter(
        user_id=OuterRef("user_id"),
        course_id=OuterRef("course_id"),
        issued_at__gte=OuterRef("completed_at"),
        expires_at__lte=at + timedelta(days=expiring_days()),
    )
    return completed_enrollments().filter(Exists(expiring))


def open_renewals(at=None, user=None, course=None) -> int:
    """Open a recertification cycle for every enrolment due (optionally one person's or one
    course's). Returns how many were opened. Idempotent."""
    at = at or timezone.now()
    due = renewals_due(at)
    if user is not None:
        if not getattr(user, "is_authenticated", False):
            return 0
        due = due.filter(user=user)
    if course is not None:
        due = due.filter(course=course)
    opened = 0
    for enrollment in due.select_related("user", "course"):
        cert = (
            Certificate.objects.current()
            .filter(user_id=enrollment.user_id, course_id=enrollment.course_id)
            .first()
        )
        opened += start_new_cycle(
            enrollment.user,
            enrollment.course,
            at=at,
            due_at=cert.expires_at if cert else None,  # recertify before the old one lapses
        )
    return opened


@dataclass
class Withdrawal:
    """What withdrawing a completion of ``user`` in ``course`` takes back: ``certificate`` is
    revoked, or (None) no certificate was issued for that completion yet and the enrolment
    re-opens a new cycle."""

    user: object
    course: object
    certificate: object = None


def unfounded_completion(user, course, still_holds=None):
    """The one rule of :func:`withdraw_unfounded_completion`, without acting: the
    :class:`Withdrawal` it would make now, or None when nothing would be taken back (no
    completion, or it still rests on something in its cycle). Pages that warn before a
    change (the attendance sheet) ask it inside a savepoint that they roll back."""
    from courses.models import Enrollment
    from quizzes.results import course_quiz_passed

    from .issuing import current_certificate

    still_holds = still_holds or course_quiz_passed
    enrollment = Enrollment.objects.filter(user=user, course=course).first()
    if enrollment is None or enrollment.completed_at is None:
        return None
    if still_holds(user, course, since=enrollment.cycle_started_at):
        return None
    certificate = current_certificate(user, course)
    if certificate is not None and certificate.issued_at >= enrollment.completed_at:
        return Withdrawal(user, course, certificate)
    return Withdrawal(user, course)


def withdraw_unfounded_completion(
    user, course, actor=None, still_holds=None, reason=None, cause=None
):
    """After a regrade turned a pass of ``course``'s quiz into a fail: if the enrolment's
    current completion no longer rests on a pass in its cycle (no other attempt of that cycle
    passed), its certificate is revoked with :data:`REGRADE_REVOCATION_REASON` (which opens a
    new cycle: only a pass after it certifies again), or, when no certificate was issued for
    that completion yet, the enrolment re-opens a new cycle. A completion still resting on
    another pass, or a certificate of an earlier cycle, is kept. Returns the revoked
    certificate, or None.

    ``still_holds(user, course, since=...)`` generalises "another pass of that cycle" for any
    withdrawn requirement (default: the course quiz was passed in the cycle); ``reason`` is
    recorded on the revocation (default: :data:`REGRADE_REVOCATION_REASON`) and ``cause``
    (what was taken back) in its log entry."""
    from .issuing import revoke

    withdrawal = unfounded_completion(user, course, still_holds)
    if withdrawal is None:
        return None
    if withdrawal.certificate is not None:
        return revoke(
            withdrawal.certificate,
            actor=actor,
            reason=reason or REGRADE_REVOCATION_REASON,
            cause=cause,
        )
    start_new_cycle(user, course)
    return None


def reinstate_withdrawn(user, course, cause, actor=None, reason=""):
    """Undo the revocation that withdrawing ``cause`` made (e.g. an attendance unticked at a
    session, now ticked again): the latest certificate of ``user`` for ``course`` is
    reinstated (``certificates.issuing.reinstate``: logged with ``reason``, the completion
    restored) when its last revocation was logged with exactly this ``cause``. Nothing
    happens (None) when it was revoked for another reason, when the person has a current
    certificate again (a new pass since), or when the reinstatement is refused."""
    from wagtail.models import ModelLogEntry

    from .issuing import ACTION_REVOKE, reinstate

    latest = (
        Certificate.objects.filter(user=user, course=course).order_by("-issued_at", "-pk").first()
    )
    if latest is None or latest.revoked_at is None:
        return None
    entry = (
        ModelLogEntry.objects.for_instance(latest)
        .filter(action=ACTION_REVOKE)
        .order_by("-timestamp", "-pk")
        .first()
    )
    if entry is None or (entry.data or {}).get("cause") != cause:
        return None
    try:
        return reinstate(latest, actor=actor, reason=reason)
    except ValueError:
        return None


def on_pass_withdrawn(sender, user=None, course=None, actor=None, **kwargs):
    """Receiver of ``quizzes.signals.pass_withdrawn`` (sent after commit)."""
    withdraw_unfounded_completion(user, course, actor=actor)


def on_requirement_withdrawn(
    sender, user=None, course=None, actor=None, reason="", cause=None, **kwargs
):
    """Receiver of ``courses.completion.requirement_withdrawn`` (sent after commit; ``sender``
    is the registered requirement that was taken back): the same path as a regrade, with the
    requirement itself deciding whether the completion still rests on something."""
    withdraw_unfounded_completion(
        user,
        course,
        actor=actor,
        still_holds=sender,
        reason=reason or REQUIREMENT_REVOCATION_REASON,
        cause=cause,
    )
