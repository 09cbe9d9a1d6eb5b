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
