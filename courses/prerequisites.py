"""A course is locked until the learner has completed every (live) prerequisite course
(in any cycle: a recertification does not lock what the course unlocked)."""

from .completion import ever_completed_q
from .models import CoursePage, Enrollment


def prerequisite_courses(course):
    """The live courses ``course`` requires, in tree order (one query; the same for everyone)."""
    return list(
        CoursePage.objects.filter(unlocks=course).live().defer_streamfields().order_by("path")
    )


def missing_among(user, prerequisites):
    """Those of ``prerequisites`` that ``user`` has not completed (one query, none if there
    are no prerequisites)."""
    if not prerequisites:
        return []
    if not user.is_authenticated:
        return list(prerequisites)
    completed = set(
        Enrollment.objects.filter(ever_completed_q())
        .filter(user=user, course__in=[c.pk for c in prerequisites])
        .values_list("course_id", flat=True)
    )
    return [course for course in prerequisites if course.pk not in completed]


def missing_prerequisites(user, course):
    """Live prerequisite courses ``user`` has not completed, in tree order."""
    return missing_among(user, prerequisite_courses(course))


def prerequisites_met(user, course) -> bool:
    """May ``user`` start ``course`` (its lessons and its quiz)? Every live prerequisite done."""
    return not missing_prerequisites(user, course)
