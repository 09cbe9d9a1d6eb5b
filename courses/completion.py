"""The one completion rule, and the signal that fires once per completion.

A course is complete when every live lesson is done and every registered requirement
holds in the enrolment's current cycle. Higher floors (quizzes) add requirements with
``register_requirement`` instead of being imported here; certificates listen to
``course_completed``.

Policy when a course changes after learners started: an enrolment once complete stays
complete (a lesson added later, or a higher pass mark, does not take a completion or a
certificate away); learners still learning, and learners in a new cycle (recertification),
need every lesson that is live when they finish, and a pass under the quiz's current rules.

What the counts call "completed" (dashboards, rosters, digests): ``counted_completed_q``. An
enrolment counts as completed when its current cycle is complete, or when an earlier cycle's
completion still stands (``held_completion``: a higher floor registers what holds it, i.e.
certificates register "a valid certificate for the course"). A recertification cycle opened
while the certificate is still valid therefore leaves the person counted as completed (and
certified), never as certified but not completed.
"""

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Value
from django.dispatch import Signal
from django.utils import timezone

# Sent as course_completed.send(sender=Enrollment, enrollment=..., user=..., course=...)
# exactly once, when an enrollment first becomes complete (after the transaction commits).
course_completed = Signal()

# Sent after commit when something a completion may rest on was taken back (an attendance
# unticked, …): requirement_withdrawn.send(sender=<the registered requirement function>,
# user=..., course=..., actor=..., reason=..., cause=...). Certificates decide what happens to
# the completion and its certificate (``certificates.lifecycle``), exactly as after a regrade;
# ``cause`` (a small JSON-able dict naming what was taken back, or None) is logged with a
# revocation, so that the owner of the requirement can later undo exactly that revocation.
requirement_withdrawn = Signal()

_requirements = []
_missing_labels = {}
_holders = []


def register_requirement(func, missing=None):
    """``func(user, course, since=None) -> bool``: an extra condition for completing a course;
    ``since`` is the start of the enrolment's current cycle (what happened before does not
    count). ``missing``: what a learner is told is still missing while ``func`` does not hold
    (e.g. "须参加现场培训"), or a callable ``missing(user, course, since=None)`` returning that
    sentence for this learner (e.g. linked to where to book, or saying nothing is scheduled
    yet); requirements whose owner says it in its own words (the quiz) pass none. A
    requirement that does not apply to a course should answer without a query."""
    if func not in _requirements:
        _requirements.append(func)
    if missing is not None:
        _missing_labels[func] = missing
    return func


def unregister_requirement(func):
    if func in _requirements:
        _requirements.remove(func)
    _missing_labels.pop(func, None)


def withdraw_requirement(requirement, user, course, actor=None, reason="", cause=None) -> None:
    """A higher floor took back what ``requirement`` (a registered requirement function) held
    on for ``user`` in ``course``: announce it after the current transaction commits, so the
    completion resting on it is withdrawn the way a regrade withdraws one. ``cause``: what
    was taken back (JSON-able), logged with the revocation it leads to."""
    transaction.on_commit(
        lambda: requirement_withdrawn.send(
            sender=requirement, user=user, course=course, actor=actor, reason=reason, cause=cause
        )
    )


def unmet_requirements(user, course, since=None) -> list:
    """What the labelled registered requirements still miss for ``user`` in ``course``: their
    ``missing`` sentences (lazy strings, or what a callable label says for this learner), in
    registration order."""
    return [
        label(user, course, since=since) if callable(label) else label
        for func, label in _missing_labels.items()
        if func in _requirements and not func(user, course, since=since)
    ]


def completed_q(prefix=""):
    """The rule "this enrolment is complete" as a Q object (``prefix`` e.g. ``"enr__"``)."""
    return Q(**{f"{prefix}completed_at__isnull": False})


def overdue_q(now, prefix="", completed=None):
    """The rule "this enrolment is overdue at ``now``" as a Q object: not complete and past its
    due date (``prefix`` e.g. ``"enr__"``). Every overdue count, filter and marker uses it.
    ``completed``: the caller's "counts as completed" condition when it has one
    (``counted_completed_q``: a completion still standing is never overdue); else
    ``completed_q``."""
    if completed is None:
        completed = completed_q(prefix)
    return ~completed & Q(**{f"{prefix}due_at__lt": now})


def in_time_q(now, prefix=""):
    """Not past the due date at ``now`` (no due date, or not yet reached): the date half of
    ``overdue_q`` negated with NULL in mind, for annotated columns that ``~`` would not guard."""
    return Q(**{f"{prefix}due_at__isnull": True}) | Q(**{f"{prefix}due_at__gte": now})


def is_overdue(enrollment, now=None) -> bool:
    """``overdue_q`` for one enrolment already loaded (the learner's home, a roster row)."""
    return is_overdue_at(enrollment.completed_at, enrollment.due_at, now)


def is_overdue_at(completed_at, due_at, now=None) -> bool:
    """``overdue_q`` on the values of an enrolment's columns (rows fetched with values())."""
    now = now or timezone.now()
    return completed_at is None and due_at is not None and due_at < now


def ever_completed_q(prefix=""):
    """Completed in this or an earlier cycle: what prerequisites ask (a recertification cycle
    does not lock the courses a completed course unlocked)."""
    return completed_q(prefix) | Q(**{f"{prefix}previous_completed_at__isnull": False})


def held_only_by(func) -> bool:
    """Is ``func`` the one registered holder of completions (``register_held_completion``)? A
    caller that already joined ``func``'s pairs (a dashboard's CTE of valid certificates) then
    uses that join as the ``held`` half of ``counted_completed_q`` instead of joining the same
    pairs twice."""
    return _holders == [func]


def register_held_completion(func):
    """``func(at) -> queryset of {"user_id", "course_id"} rows``: the (user, course) pairs whose
    completion of an earlier cycle still stands at ``at`` although the current cycle is not
    complete (certificates: a valid certificate for the course). Usable as a decorator."""
    if func not in _holders:
        _holders.append(func)
    return func


def unregister_held_completion(func):
    if func in _holders:
        _holders.remove(func)


def held_pairs(at=None):
    """The distinct ``{"user_id", "course_id"}`` rows holding a completion at ``at`` from the
    registered holders (None when nothing is registered): for a CTE joined to many rows."""
    at = at or timezone.now()
    parts = [func(at).order_by().values("user_id", "course_id") for func in _holders]
    if not parts:
        return None
    pairs = parts[0]
    return pairs.union(*parts[1:]) if len(parts) > 1 else pairs.distinct()


def held_completion(at=None, user_ref="user_id", course_ref="course_id"):
    """A boolean SQL expression: the outer row's (``user_ref``, ``course_ref``) holds a
    completion that still stands at ``at`` (see ``register_held_completion``)."""
    at = at or timezone.now()
    condition = Q()
    for func in _holders:
        condition |= Exists(
            func(at).filter(user_id=OuterRef(user_ref), course_id=OuterRef(course_ref))
        )
    return condition if condition else Value(False)


def counted_completed_q(at=None, prefix="", held=None):
    """The rule "this enrolment counts as completed" of every count, roster and digest: its
    current cycle is complete (``completed_q``), or an earlier completion still stands
    (``held_completion``). ``held``: the caller's own boolean expression for the second half
    when it already joined ``held_pairs`` (a CTE); else a correlated ``EXISTS`` on the
    enrolment's ``{prefix}user_id`` / ``{prefix}course_id``."""
    if held is None:
        held = held_completion(at, f"{prefix}user_id", f"{prefix}course_id")
    return completed_q(prefix) | Q(held)


def completed_enrollments():
    """Complete enrolments: the building block of every count and export of completions."""
    from .models import Enrollment

    return Enrollment.objects.filter(completed_q())


def lessons_done(user, course):
    from .models import LessonPage, LessonProgress

    lesson_ids = set(LessonPage.objects.child_of(course).live().values_list("pk", flat=True))
    done = set(
        LessonProgress.objects.filter(user=user, lesson_id__in=lesson_ids).values_list(
            "lesson_id", flat=True
        )
    )
    return lesson_ids <= done


def requirements_met(user, course, since=None):
    return lessons_done(user, course) and all(
        req(user, course, since=since) for req in _requirements
    )


def evaluate(user, course):
    """Mark the enrollment complete if the rule now holds. Returns True on the transition."""
    from .models import Enrollment

    with transaction.atomic():
        enrollment = Enrollment.objects.select_for_update().filter(user=user, course=course).first()
        if enrollment is None or enrollment.completed_at is not None:
            return False
        if not requirements_met(user, course, since=enrollment.cycle_started_at):
            return False
        enrollment.completed_at = timezone.now()
        enrollment.save(update_fields=["completed_at"])
        transaction.on_commit(
            lambda: course_completed.send(
                sender=Enrollment, enrollment=enrollment, user=user, course=course
            )
        )
    return True


def affected_by_new_lesson(course):
    """``(still_learning, completed)``: how many enrolments of ``course`` a lesson published now
    would concern (learners still learning, including recertification cycles, must read it;
    completed ones keep their completion). One query."""
    return affected_by_change(course)


def affected_by_change(course):
    """``(still_learning, completed)`` for any change of ``course``'s requirements (a new
    lesson, a higher pass mark, fewer attempts, another paper size): learners still learning
    (including recertification cycles) finish under the new rules; completed enrolments keep
    their completion and certificate (the policy above). One query."""
    from django.db.models import Count

    from .models import Enrollment

    counts = Enrollment.objects.filter(course=course).aggregate(
        total=Count("id"), completed=Count("id", filter=completed_q())
    )
    return counts["total"] - counts["completed"], counts["completed"]
