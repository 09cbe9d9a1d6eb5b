"""Lesson progress: recording a completed lesson, and progress figures for many courses."""

from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .completion import evaluate
from .models import CoursePage, Enrollment, LessonPage, LessonProgress

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
CERTIFIED = "certified"

STATUS_LABELS = {
    NOT_STARTED: _("未开始"),
    IN_PROGRESS: _("学习中"),
    COMPLETED: _("已完成"),
    CERTIFIED: _("已获证书"),
}
STATUS_BADGES = {
    NOT_STARTED: "badge",
    IN_PROGRESS: "badge-info",
    COMPLETED: "badge-warn",
    CERTIFIED: "badge-ok",
}

_status_providers = []


def register_status_provider(func):
    """``func(user, courses) -> dict[course_id, status]`` overrides the status of some courses,
    e.g. certificates return ``{course.pk: "certified"}``. A value may also be a pair
    ``(status, note)``: ``note`` is a short sentence for the course card (e.g. the
    certificate's validity), ``status`` None keeps the status. Should cost a constant number
    of queries for any number of courses. Usable as a decorator."""
    if func not in _status_providers:
        _status_providers.append(func)
    return func


def unregister_status_provider(func):
    if func in _status_providers:
        _status_providers.remove(func)


def _course_of(lesson):
    parent_path = lesson.path[: -lesson.steplen]
    return CoursePage.objects.defer_streamfields().get(path=parent_path)


def complete_lesson(user, lesson, course=None):
    """Record that ``user`` finished ``lesson`` (idempotent), remember it as their last lesson,
    and evaluate course completion. Returns True when the lesson was newly completed."""
    course = course or _course_of(lesson)
    try:
        with transaction.atomic():
            _progress, created = LessonProgress.objects.get_or_create(
                user=user, lesson=lesson, defaults={"course": course}
            )
    except IntegrityError:
        created = False
    Enrollment.objects.filter(user=user, course=course).update(last_lesson=lesson)
    evaluate(user, course)
    return created


def completed_lesson_ids(user, course_id):
    """Ids of the lessons of ``course_id`` that ``user`` has completed.

    Every lesson page asks this, and building the ORM query cost four times as long as running
    it (0.6 ms of 0.8 ms, `tests/perf/bench_lesson.py`), so it is plain SQL: one indexed
    lookup on (user, course), its names taken from the model."""
    if not user.is_authenticated:
        return set()
    meta = LessonProgress._meta
    quote = connection.ops.quote_name
    sql = "SELECT {} FROM {} WHERE {} = %s AND {} = %s".format(  # noqa: S608 - names, not input
        quote(meta.get_field("lesson").column),
        quote(meta.db_table),
        quote(meta.get_field("user").column),
        quote(meta.get_field("course").column),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, course_id])
        return {row[0] for row in cursor.fetchall()}


def course_progress(user, courses):
    """``{course_id: (done, total)}`` over live lessons, in two queries for any number."""
    courses = list(courses)
    if not courses:
        return {}
    prefix_len = {c.pk: len(c.path) for c in courses}
    by_path = {c.path: c.pk for c in courses}
    totals = dict.fromkeys(prefix_len, 0)
    depths = {c.depth + 1 for c in courses}
    paths = Q()
    for course in courses:
        paths |= Q(path__startswith=course.path)
    for path in (
        LessonPage.objects.live().filter(paths, depth__in=depths).values_list("path", flat=True)
    ):
        for length in set(prefix_len.values()):
            course_id = by_path.get(path[:length])
            if course_id is not None:
                totals[course_id] += 1
                break
    done = dict.fromkeys(prefix_len, 0)
    rows = (
        LessonProgress.objects.filter(user=user, course_id__in=prefix_len, lesson__live=True)
        .values("course_id")
        .annotate(n=Count("id"))
    )
    for row in rows:
        done[row["course_id"]] = row["n"]
    return {pk: (min(done[pk], totals[pk]), totals[pk]) for pk in prefix_len}


def started_expression(user_ref: str, course_ref: str, last_lesson_ref: str):
    """The "started" rule of ``course_statuses`` as an SQL expression for many rows (the
    roster): a live lesson of the course read, or a last lesson remembered. Not started,
    not completed is 未开始 for the learner and the roster alike."""
    from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef

    read = LessonProgress.objects.filter(
        user_id=OuterRef(user_ref), course_id=OuterRef(course_ref), lesson__live=True
    )
    return ExpressionWrapper(
        Exists(read) | Q(**{f"{last_lesson_ref}__isnull": False}), output_field=BooleanField()
    )


def course_statuses(user, courses, progress=None, enrollments=None, notes=None):
    """``{course_id: status}`` — not_started / in_progress / completed, then the registered
    providers (certified). ``notes``: a dict to receive the providers' notes per course."""
    courses = list(courses)
    progress = progress if progress is not None else course_progress(user, courses)
    if enrollments is None:
        enrollments = {
            e.course_id: e for e in Enrollment.objects.filter(user=user, course__in=courses)
        }
    statuses = {}
    for course in courses:
        enrollment = enrollments.get(course.pk)
        done, _total = progress.get(course.pk, (0, 0))
        if enrollment is not None and enrollment.completed_at:
            statuses[course.pk] = COMPLETED
        elif done or (enrollment is not None and enrollment.last_lesson_id):
            statuses[course.pk] = IN_PROGRESS
        else:
            statuses[course.pk] = NOT_STARTED
    for provider in _status_providers:
        for course_id, value in (provider(user, courses) or {}).items():
            if isinstance(value, tuple):
                value, note = value
                if notes is not None and note:
                    notes[course_id] = note
            if value is not None:
                statuses[course_id] = value
    return statuses


@dataclass
class QuizGate:
    """May a learner start the course quiz? ``reasons``: translated sentences when not."""

    open: bool
    reasons: list = field(default_factory=list)
    missing_prerequisites: list = field(default_factory=list)
    unread_lessons: list = field(default_factory=list)
    enrolled: bool = True

    def __bool__(self):
        return self.open


def unread_lessons(user, course):
    """The live lessons of ``course`` that ``user`` has not read, in order (two queries)."""
    done = completed_lesson_ids(user, course.pk)
    return [
        lesson
        for lesson in LessonPage.objects.child_of(course)
        .live()
        .defer_streamfields()
        .order_by("path")
        if lesson.pk not in done
    ]


def quiz_gate(user, course) -> QuizGate:
    """The one rule "may ``user`` start ``course``'s quiz": enrolled, every prerequisite
    completed, and (when the course says so, ``quiz_after_lessons``) every live lesson read."""
    from .prerequisites import missing_prerequisites
    from .wording import Linked, course_link, page_link

    if not getattr(user, "is_authenticated", False):
        return QuizGate(open=False, reasons=[gettext("请先登录。")], enrolled=False)
    reasons = []
    enrolled = Enrollment.objects.filter(user=user, course=course).exists()
    if not enrolled:
        reasons.append(gettext("请先报名本课程。"))
    missing = missing_prerequisites(user, course)
    if missing:
        reasons.append(
            Linked(
                ngettext(
                    "请先完成先修课程：%(courses)s。",
                    "请先完成先修课程：%(courses)s。",
                    len(missing),
                ),
                {},
                {"courses": [course_link(c) for c in missing]},
            )
        )
    unread = unread_lessons(user, course) if course.quiz_after_lessons else []
    if unread:
        reasons.append(
            Linked(
                ngettext(
                    "读完全部课文后才能参加测验：还有 %(n)d 篇课文未读（%(titles)s）。",
                    "读完全部课文后才能参加测验：还有 %(n)d 篇课文未读（%(titles)s）。",
                    len(unread),
                ),
                {"n": len(unread)},
                {"titles": [page_link(lesson) for lesson in unread]},
            )
        )
    return QuizGate(
        open=not reasons,
        reasons=reasons,
        missing_prerequisites=missing,
        unread_lessons=unread,
        enrolled=enrolled,
    )
