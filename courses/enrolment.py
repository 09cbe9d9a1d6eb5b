"""Enrolling learners in courses: the one place every caller (self-enrolment, rollout waves,
administrators) goes through."""

from django.db import IntegrityError, transaction

from .models import Enrollment


def enrol(user, course, source="self", due_at=None):
    """Enrol ``user`` in ``course``. Idempotent: returns ``(enrollment, created)``.

    An existing enrollment is returned unchanged (its source and due date are kept)."""
    try:
        with transaction.atomic():
            return Enrollment.objects.get_or_create(
                user=user, course=course, defaults={"source": source, "due_at": due_at}
            )
    except IntegrityError:
        # A concurrent request created it between our SELECT and INSERT.
        return Enrollment.objects.get(user=user, course=course), False


def enrol_many(users, courses, source="wave", due_at=None):
    """Enrol every user in every course in bulk; existing enrollments are left alone.

    Returns the number of enrollments created."""
    user_ids = {getattr(u, "pk", u) for u in users}
    course_ids = {getattr(c, "pk", c) for c in courses}
    if not user_ids or not course_ids:
        return 0
    existing = set(
        Enrollment.objects.filter(user_id__in=user_ids, course_id__in=course_ids).values_list(
            "user_id", "course_id"
        )
    )
    new = [
        Enrollment(user_id=u, course_id=c, source=source, due_at=due_at)
        for u in sorted(user_ids)
        for c in sorted(course_ids)
        if (u, c) not in existing
    ]
    Enrollment.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    # ignore_conflicts hides rows a concurrent writer created: count what is there now.
    if not new:
        return 0
    after = Enrollment.objects.filter(user_id__in=user_ids, course_id__in=course_ids).count()
    return after - len(existing)


def cycle_start(user, course):
    """When ``user``'s current learning cycle of ``course`` began (None: at enrolment)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Enrollment.objects.filter(user=user, course=course)
        .values_list("cycle_started_at", flat=True)
        .first()
    )


def start_new_cycle(user, course, at=None, due_at=None) -> bool:
    """Re-open a completed enrolment for a new cycle (recertification, or after revocation).

    Lessons read stay read; the course's quiz must be passed again after ``at`` (see
    ``courses.completion``) and its attempts are counted afresh. Returns True when a completed
    enrolment was re-opened. Idempotent: an enrolment already in a cycle that started at or
    after ``at`` is left alone."""
    from django.utils import timezone

    at = at or timezone.now()
    with transaction.atomic():
        enrollment = Enrollment.objects.select_for_update().filter(user=user, course=course).first()
        if enrollment is None:
            return False
        if enrollment.cycle_started_at is not None and enrollment.cycle_started_at >= at:
            return False
        reopened = enrollment.completed_at is not None
        if reopened:
            enrollment.previous_completed_at = enrollment.completed_at
        enrollment.completed_at = None
        enrollment.cycle_started_at = at
        enrollment.due_at = due_at
        enrollment.save(
            update_fields=["completed_at", "previous_completed_at", "cycle_started_at", "due_at"]
        )
    return reopened


def restore_previous_cycle(user, course, cycle_started_at) -> bool:
    """Undo ``start_new_cycle`` made at ``cycle_started_at`` (a revocation reinstated as made in
    error): the enrolment is complete again as it was, unless the learner completed since."""
    with transaction.atomic():
        enrollment = Enrollment.objects.select_for_update().filter(user=user, course=course).first()
        if (
            enrollment is None
            or enrollment.completed_at is not None
            or enrollment.previous_completed_at is None
            or enrollment.cycle_started_at != cycle_started_at
        ):
            return False
        enrollment.completed_at = enrollment.previous_completed_at
        enrollment.save(update_fields=["completed_at"])
    return True
