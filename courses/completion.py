"""The one completion rule, and the signal that fires once per completion.

A course is complete when every live lesson is done and every registered requirement
holds. Higher floors (quizzes) add requirements with ``register_requirement`` instead of
being imported here; certificates listen to ``course_completed``.
"""

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

# Sent as course_completed.send(sender=Enrollment, enrollment=..., user=..., course=...)
# exactly once, when an enrollment first becomes complete (after the transaction commits).
course_completed = Signal()

_requirements = []


def register_requirement(func):
    """``func(user, course) -> bool``: an extra condition for completing a course."""
    if func not in _requirements:
        _requirements.append(func)
    return func


def lessons_done(user, course):
    from .models import LessonPage, LessonProgress

    lesson_ids = set(LessonPage.objects.child_of(course).live().values_list("pk", flat=True))
    done = set(
        LessonProgress.objects.filter(user=user, lesson_id__in=lesson_ids).values_list(
            "lesson_id", flat=True
        )
    )
    return lesson_ids <= done


def requirements_met(user, course):
    return lessons_done(user, course) and all(req(user, course) for req in _requirements)


def evaluate(user, course):
    """Mark the enrollment complete if the rule now holds. Returns True on the transition."""
    from .models import Enrollment

    with transaction.atomic():
        enrollment = Enrollment.objects.select_for_update().filter(user=user, course=course).first()
        if enrollment is None or enrollment.completed_at is not None:
            return False
        if not requirements_met(user, course):
            return False
        enrollment.completed_at = timezone.now()
        enrollment.save(update_fields=["completed_at"])
        transaction.on_commit(
            lambda: course_completed.send(
                sender=Enrollment, enrollment=enrollment, user=user, course=course
            )
        )
    return True
