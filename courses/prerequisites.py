"""A course is locked until the learner has completed every (live) prerequisite course."""

from django.db.models import Exists, OuterRef

from .models import CoursePage, Enrollment


def missing_prerequisites(user, course):
    """Live prerequisite courses ``user`` has not completed, in tree order (one query)."""
    prerequisites = CoursePage.objects.filter(unlocks=course).live().defer_streamfields()
    if not user.is_authenticated:
        return list(prerequisites.order_by("path"))
    completed = Enrollment.objects.filter(
        user=user, course=OuterRef("pk"), completed_at__isnull=False
    )
    return list(prerequisites.filter(~Exists(completed)).order_by("path"))
