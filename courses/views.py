"""Learner actions (enrol, mark a lesson complete) and the "my training" home section.

Course and lesson pages themselves are Wagtail pages (``courses.models``); their context is
built in ``courses.learning``.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from lms.formats.numbers import percent

from .completion import is_overdue
from .enrolment import enrol
from .learning import standing_for
from .models import CoursePage, Enrollment, LessonPage
from .prerequisites import missing_prerequisites
from .progress import (
    CERTIFIED,
    STATUS_BADGES,
    STATUS_LABELS,
    complete_lesson,
    course_progress,
    course_statuses,
)
from .wording import course_name, join_list


def _site_url(page, request):
    return page.get_url(request=request)


@require_POST
@login_required
def enrol_view(request, course_id):
    course = get_object_or_404(CoursePage.objects.live().defer_streamfields(), pk=course_id)
    _enrollment, created = enrol(request.user, course, source="self")
    if created:
        messages.success(request, _("已报名《%(title)s》。") % {"title": course.title})
    return redirect(_site_url(course, request))


@require_POST
@login_required
def complete_lesson_view(request, lesson_id):
    lesson = get_object_or_404(LessonPage.objects.live().defer_streamfields(), pk=lesson_id)
    course = CoursePage.objects.live().defer_streamfields().filter(path=lesson.path[:-4]).first()
    if course is None:
        return redirect("home")
    missing = missing_prerequisites(request.user, course)
    if missing:
        messages.error(
            request,
            ngettext(
                "请先完成先修课程：%(courses)s。", "请先完成先修课程：%(courses)s。", len(missing)
            )
            % {"courses": join_list(course_name(c) for c in missing)},
        )
        return redirect(_site_url(course, request))
    enrol(request.user, course, source="self")
    complete_lesson(request.user, lesson, course=course)
    enrollment = Enrollment.objects.get(user=request.user, course=course)
    if enrollment.completed_at:
        messages.success(request, _("恭喜，你已完成《%(title)s》。") % {"title": course.title})
    # After every lesson: what is still missing for the certificate and for authorisation.
    standing = standing_for(request.user, course)
    if standing is not None and standing.message():
        messages.info(request, standing.message())
    next_lesson = (
        course.lessons().defer_streamfields().filter(path__gt=lesson.path).order_by("path").first()
    )
    return redirect(_site_url(next_lesson or course, request))


def home_section(request):
    """ "My training": enrolled courses with progress and status, and courses to enrol in."""
    user = request.user
    enrollments = list(
        Enrollment.objects.filter(user=user, course__live=True)
        .select_related("course")
        .defer("course__intro")
        .order_by("course__path")
    )
    courses = [e.course for e in enrollments]
    progress = course_progress(user, courses)
    notes = {}  # e.g. the certificate's validity, from the status providers
    statuses = course_statuses(
        user,
        courses,
        progress=progress,
        enrollments={e.course_id: e for e in enrollments},
        notes=notes,
    )
    rows = []
    for enrollment in enrollments:
        course = enrollment.course
        done, total = progress.get(course.pk, (0, 0))
        status = statuses[course.pk]
        rows.append(
            {
                "course": course,
                "enrollment": enrollment,
                "url": course.get_url(request=request),
                "done": done,
                "total": total,
                "percent": percent(done, total, default=0),
                "status": status,
                "status_label": STATUS_LABELS.get(status, status),
                "status_badge": STATUS_BADGES.get(status, "badge"),
                "note": notes.get(course.pk, ""),
                # Past its deadline and not complete (courses.completion's rule); a valid
                # certificate (certified) is never shown as overdue.
                "overdue": status != CERTIFIED and is_overdue(enrollment),
            }
        )
    available = [
        {"course": course, "url": course.get_url(request=request)}
        for course in CoursePage.objects.live()
        .defer_streamfields()
        .exclude(pk__in=[c.pk for c in courses])
        .order_by("path")
    ]
    return {"template": "courses/home_section.html", "rows": rows, "available": available}


def service_worker(request):
    """The offline service worker (static/js/sw.js) at the site root, so that its scope covers
    the lesson pages; never cached by the browser's HTTP cache, so updates reach learners."""
    path = settings.BASE_DIR / "static" / "js" / "sw.js"
    response = HttpResponse(path.read_text(encoding="utf-8"), content_type="text/javascript")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


def offline(request):
    """What the service worker shows offline for a page it has not kept (and for quizzes,
    which need a connection). Nothing personal: it is cached for whoever uses the browser."""
    response = render(request, "courses/offline.html")
    response["Cache-Control"] = "no-cache"
    return response
