"""Read-only results other apps use (rollout dashboards, certificates, reports).

The one owner of "has this person passed this course's quiz": ``passed_attempts()`` is the
queryset building block (pages, dashboards and rosters compose it), ``has_passed()`` the
per-person question.
"""

from django.db.models import Case, F, IntegerField, Max, When

from .models import Attempt, Response


def counted_attempts():
    """Attempts that count: every attempt but a trainer's "try this quiz" (``is_trial``)."""
    return Attempt.objects.filter(is_trial=False)


def counted_responses():
    """Responses of the attempts that count (``counted_attempts``: no trainer's trial)."""
    from .models import Response

    return Response.objects.filter(attempt__is_trial=False)


def graded_attempts():
    """Attempts with a final score at a course's quiz (essays marked); trials never count."""
    return counted_attempts().filter(status=Attempt.GRADED, quiz__course__isnull=False)


def in_cycle(qs, since):
    """Narrow attempts to those of the cycle that began at ``since``: attempts STARTED at or
    after it, the same rule that counts attempts (``quizzes.attempts.cycle_attempts``). An
    attempt started before a revocation or a recertification cycle belongs to the old cycle,
    however late it is submitted or marked: otherwise a paper opened (with the key seen after
    a pass) before a revocation and submitted after it would certify again."""
    return qs if since is None else qs.filter(started_at__gte=since)


def passed_attempts(since=None):
    """Graded attempts at a course's quiz that passed (started at or after ``since``)."""
    return in_cycle(graded_attempts().filter(passed=True), since)


def passed_pairs(since=None):
    """Distinct ``{"user_id", "course_id"}`` rows of people who passed a course's quiz."""
    return (
        passed_attempts(since)
        .order_by()
        .values("user_id", course_id=F("quiz__course_id"))
        .distinct()
    )


def has_passed(user, course, since=None) -> bool:
    """Has ``user`` passed a quiz of ``course`` (in an attempt started at or after ``since``)?"""
    if not getattr(user, "is_authenticated", False):
        return False
    return passed_attempts(since).filter(user=user, quiz__course=course).exists()


def pending_marking(user, course, since=None) -> bool:
    """Is an attempt of ``user`` at ``course``'s quiz waiting for a trainer's marking?"""
    qs = counted_attempts().filter(user=user, quiz__course=course, status=Attempt.PENDING)
    return in_cycle(qs, since).exists()


def marking_queue():
    """Essay responses a trainer may mark: those of submitted attempts that count. A trial's
    essays (``is_trial``) are never queued -- nobody marks a trainer's "try this quiz"."""
    return Response.objects.filter(
        question__qtype="essay",
        attempt__in=counted_attempts().exclude(status=Attempt.IN_PROGRESS),
    )


def best_results(user_ids=None, course_ids=None):
    """``{(user_id, course_id): (best_score, passed)}`` over graded attempts, in one query.

    ``passed`` is true when any graded attempt of that course's quiz passed.
    """
    qs = graded_attempts()
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


def course_quiz_id(course):
    """The pk of ``course``'s live quiz, or None (one query), for callers that link to it."""
    from .models import Quiz

    return Quiz.objects.filter(course=course, live=True).values_list("pk", flat=True).first()


def course_quiz_passed(user, course, since=None):
    """The completion requirement: a course with a live quiz needs a pass in this cycle."""
    if not course_has_quiz(course):
        return True
    return has_passed(user, course, since=since)


def number_in_cycle(attempts, since):
    """Number one learner's ``attempts`` of one quiz within their current certification cycle,
    as the attempts left are counted (``attempts.attempts_left``: attempts started at or after
    ``since``, the cycle's start; trials never). Each attempt gets ``cycle_number`` (1, 2, …
    in the order they were started; None for the others) and ``earlier_cycle`` (started in an
    earlier cycle: before a recertification or a revocation, shown as such, never as
    "attempt 4 of 3"). Returns ``attempts``."""
    attempts = list(attempts)
    if since is None:  # no cycle (a quiz without a course): the stored numbers
        for attempt in attempts:
            attempt.cycle_number, attempt.earlier_cycle = attempt.number, False
        return attempts
    counted = sorted(
        (a for a in attempts if not a.is_trial and a.started_at >= since),
        key=lambda a: (a.started_at, a.number),
    )
    numbers = {a.pk: n for n, a in enumerate(counted, start=1)}
    for attempt in attempts:
        attempt.cycle_number = numbers.get(attempt.pk)
        attempt.earlier_cycle = not attempt.is_trial and attempt.started_at < since
    return attempts


def number_one_in_cycle(attempt, user):
    """``number_in_cycle`` for a single attempt of ``user`` (its own page): two queries for a
    course's quiz, none otherwise. A trial keeps its stored number."""
    from django.db.models import Q

    from .attempts import cycle_since

    since = None if attempt.is_trial else cycle_since(attempt.quiz, user)
    if since is None:
        attempt.cycle_number, attempt.earlier_cycle = attempt.number, False
        return attempt
    if attempt.started_at < since:
        attempt.cycle_number, attempt.earlier_cycle = None, True
        return attempt
    earlier = counted_attempts().filter(
        Q(started_at__lt=attempt.started_at)
        | Q(started_at=attempt.started_at, number__lt=attempt.number),
        quiz_id=attempt.quiz_id,
        user_id=attempt.user_id,
        started_at__gte=since,
    )
    attempt.cycle_number, attempt.earlier_cycle = earlier.count() + 1, False
    return attempt
