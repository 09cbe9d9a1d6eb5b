"""A course is locked until the learner has completed every (live) prerequisite course."""

from .models import CoursePage, Enrollment


def missing_prerequisites(user, course):
    """Live prerequisite courses ``user`` has not completed, in tree order (2 queries)."""
    prerequisites = list(
        CoursePage.objects.filter(unlocks=course).live().defer_streamfields().order_by("path")
    )
    if not prerequisites:
        return []
    if not user.is_authenticated:
        return prerequisites
    done = set(
        Enrollment.objects.filter(
            user=user, course__in=prerequisites, completed_at__isnull=False
        ).values_list("course_id", flat=True)
    )
    return [p for p in prerequisites if p.pk not in done]
