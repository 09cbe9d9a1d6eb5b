"""Context for the learner-facing page templates, in a constant number of queries."""

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.module_loading import import_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from lms.formats.numbers import percent

from .models import CoursePage, Enrollment, LessonPage, LessonProgress
from .prerequisites import missing_among, missing_prerequisites, prerequisite_courses
from .progress import completed_lesson_ids, course_progress, course_statuses

BODY_CACHE_SECONDS = 24 * 3600


def _is_staff(user):
    """Trainers and administrators read every lesson (e.g. to preview), locked or not."""
    return user.is_authenticated and user.has_perm("wagtailadmin.access_admin")


def _lesson_rows(lessons, done_ids, request):
    return [
        {"lesson": lesson, "url": lesson.get_url(request=request), "done": lesson.pk in done_ids}
        for lesson in lessons
    ]


def _enrollment(user, course):
    if not user.is_authenticated or course.pk is None:
        return None
    return Enrollment.objects.filter(user=user, course=course).first()


def _lessons(course, user):
    """Live lessons in order, each annotated with ``is_done`` for ``user`` (one query)."""
    if course.pk is None:
        return [], set()
    queryset = LessonPage.objects.child_of(course).live().defer_streamfields().order_by("path")
    if user.is_authenticated:
        queryset = queryset.annotate(
            is_done=Exists(LessonProgress.objects.filter(user=user, lesson=OuterRef("pk")))
        )
    lessons = list(queryset)
    return lessons, {lesson.pk for lesson in lessons if getattr(lesson, "is_done", False)}


def index_context(index, request):
    courses = list(index.courses().defer_streamfields())
    user = request.user
    progress = course_progress(user, courses)
    statuses = course_statuses(user, courses, progress=progress)
    from .progress import STATUS_BADGES, STATUS_LABELS

    rows = []
    for course in courses:
        done, total = progress[course.pk]
        status = statuses[course.pk]
        rows.append(
            {
                "course": course,
                "url": course.get_url(request=request),
                "done": done,
                "total": total,
                "percent": percent(done, total, default=0),
                "status": status,
                "status_label": STATUS_LABELS.get(status, status),
                "status_badge": STATUS_BADGES.get(status, "badge"),
            }
        )
    return {"course_rows": rows}


def page_sections(request, course):
    """Sections higher apps add to the course page (e.g. the course quiz), named in
    ``settings.COURSE_PAGE_SECTIONS`` as callables ``(request, course) -> dict | None``."""
    sections = []
    for dotted in getattr(settings, "COURSE_PAGE_SECTIONS", []):
        section = import_string(dotted)(request, course)
        if section:
            sections.append(section)
    return sections


def standing_for(user, course):
    """What ``user`` still needs for ``course``'s certificate and for authorisation, from the
    app that owns it (``settings.COURSE_STANDING``; None when unset)."""
    dotted = getattr(settings, "COURSE_STANDING", None)
    if not dotted or not getattr(user, "is_authenticated", False):
        return None
    return import_string(dotted)(user, course)


def course_context(course, request):
    user = request.user
    lessons, done_ids = _lessons(course, user)
    enrollment = _enrollment(user, course)
    rows = _lesson_rows(lessons, done_ids, request)
    continue_row = None
    if enrollment is not None and rows:
        last = next(
            (i for i, row in enumerate(rows) if row["lesson"].pk == enrollment.last_lesson_id),
            -1,
        )
        # The first lesson not yet done after the last one visited, else the first not done.
        ordered = rows[last + 1 :] + rows[: last + 1]
        continue_row = next((row for row in ordered if not row["done"]), None)
    total = len(rows)
    return {
        "lesson_rows": rows,
        "enrollment": enrollment,
        "continue_row": continue_row,
        "done_count": len(done_ids),
        "lesson_count": total,
        "percent": percent(len(done_ids), total, default=0),
        "missing_prerequisites": missing_prerequisites(user, course) if course.pk else [],
        "objectives": course.objectives_list,
        "sections": page_sections(request, course),
    }


def lesson_body(lesson, request):
    """The lesson's rendered body: the same for every learner, so cached per published
    revision and language (previews are rendered afresh)."""

    def render():
        return render_to_string("courses/lesson_body.html", {"page": lesson}, request)

    if getattr(request, "is_preview", False) or lesson.pk is None:
        return mark_safe(render())  # noqa: S308 - our own template's output
    key = "courses:lesson-body:" + ":".join(
        str(part)
        for part in (
            lesson.pk,
            lesson.latest_revision_id,
            lesson.last_published_at and lesson.last_published_at.timestamp(),
            get_language(),
        )
    )
    return mark_safe(cache.get_or_set(key, render, BODY_CACHE_SECONDS))  # noqa: S308


def lesson_shared(lesson, request):
    """What a lesson page shows every learner alike: its course, the course's live lessons
    (title and URL), its prerequisite courses and its rendered body. Two queries (three when
    routing has not already loaded the course); ``courses.snapshots`` caches the result
    between content changes."""
    course = None
    if lesson.path:
        course = getattr(lesson, "_cached_parent_obj", None)
        if not isinstance(course, CoursePage):
            course = (
                CoursePage.objects.defer_streamfields()
                .filter(path=lesson.path[: -lesson.steplen])
                .first()
            )
    if course is None:  # e.g. the preview of a lesson not yet saved
        return None
    lessons = list(LessonPage.objects.child_of(course).live().defer_streamfields().order_by("path"))
    rows = [
        {"pk": row.pk, "title": row.title, "url": row.get_url(request=request), "path": row.path}
        for row in lessons
    ]
    position = next((i for i, row in enumerate(rows) if row["pk"] == lesson.pk), None)
    if position is None:
        # The preview of a new or unpublished lesson: number it where it will stand (Wagtail
        # gives a new page the path after its last sibling), not as lesson 1 of the others.
        row = {"pk": lesson.pk, "title": lesson.title, "url": "", "path": lesson.path}
        position = sum(1 for other in rows if other["path"] < lesson.path)
        rows.insert(position, row)
    return {
        "lesson": next((row for row in lessons if row.pk == lesson.pk), None),
        "course": course,
        "course_url": course.get_url(request=request),
        "lesson_rows": rows,
        "position": position,
        "prerequisites": prerequisite_courses(course),
        "body_html": lesson_body(lesson, request),
    }


def _list_item(row, lesson_pk, done):
    context = {"row": row, "done": done, "current": row["pk"] == lesson_pk}
    return render_to_string("courses/lesson_list_item.html", context)


def list_items(shared, lesson_pk):
    """The course's lesson list as HTML items, each as (not done, done), for a snapshot: the
    ticks are the list's only personal part, and rendering the list on every request was a
    sixth of a lesson page's time."""
    return [
        tuple(_list_item(row, lesson_pk, done) for done in (False, True))
        for row in shared["lesson_rows"]
    ]


def lesson_personal(lesson, shared, user):
    """``shared`` completed for ``user``: ticks, previous/next lesson and the prerequisites
    still missing. One query, two when the course has prerequisites."""
    course = shared["course"]
    done_ids = completed_lesson_ids(user, course.pk)
    rows = [dict(row, done=row["pk"] in done_ids) for row in shared["lesson_rows"]]
    items = shared.get("list_items")
    if items is None:  # not kept in a snapshot: render this learner's items only
        list_html = "".join(_list_item(row, lesson.pk, row["done"]) for row in rows)
    else:
        list_html = "".join(items[i][row["done"]] for i, row in enumerate(rows))
    position = shared["position"]
    previous_row = next_row = None
    if position is not None:
        previous_row = rows[position - 1] if position > 0 else None
        next_row = rows[position + 1] if position + 1 < len(rows) else None
    missing = missing_among(user, shared["prerequisites"])
    return {
        "course": course,
        "course_url": shared["course_url"],
        "lesson_rows": rows,
        "lesson_list_html": mark_safe(list_html),  # noqa: S308 - our own template's output
        "previous_row": previous_row,
        "next_row": next_row,
        "position": (position or 0) + 1,
        "lesson_count": len(rows),
        "is_done": lesson.pk in done_ids,
        "missing_prerequisites": missing,
        "is_staff": _is_staff(user) if missing else False,
        "body_html": shared["body_html"],
    }


def lesson_context(lesson, request, shared=None):
    shared = shared or lesson_shared(lesson, request)
    if shared is None:
        return {
            "course": None,
            "lesson_rows": [],
            "is_staff": True,
            "missing_prerequisites": [],
            "body_html": lesson_body(lesson, request),
        }
    return lesson_personal(lesson, shared, request.user)


def locked_response(lesson, request, learning):
    context = {"page": lesson, "self": lesson, "request": request, **learning}
    return TemplateResponse(request, "courses/lesson_locked.html", context, status=403)
