"""Read-only results other apps use (rollout dashboards, certificates, reports)."""

from django.db.models import Case, IntegerField, Max, When

from .models import Attempt


def best_results(user_ids=None, course_ids=None):
    """``{(user_id, course_id): (best_score, passed)}`` over graded attempts, in one query.

    ``passed`` is true when any graded attempt of that course's quiz passed.
    """
    qs = Attempt.objects.filter(status=Attempt.GRADED, quiz__course__isnull=False)
    if user_ids is not None:
        qs = qs.filter(user_id__in=list(user_ids))
    if course_ids is not None:
        qs = qs.filter(quiz__course_id__in=list(course_ids))
    rows = (
        qs.values("user_id", "quiz__course_id")
        .order_by()
        .annotate(
            best=Max("score"),
            any_passed=Max(Case(When(passed=True, then=1), default=0, output_field=IntegerField())),
        )
    )
    return {
        (row["user_id"], row["quiz__course_id"]): (row["best"], bool(row["any_passed"]))
        for row in rows
    }


def course_has_quiz(course):
    from .models import Quiz

    return Quiz.objects.filter(course=course, live=True).exists()


def course_quiz_passed(user, course):
    """The completion requirement: a course with a live quiz needs a passed attempt."""
    from .models import Quiz

    quiz = Quiz.objects.filter(course=course, live=True).first()
    if quiz is None:
        return True
    return Attempt.objects.filter(quiz=quiz, user=user, passed=True).exists()
