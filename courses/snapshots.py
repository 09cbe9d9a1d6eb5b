"""Lesson pages served from a cached snapshot of what every learner sees alike.

Serving a lesson through Wagtail costs most of its time in routing (site, training index,
course, lesson), the view-restriction check and building the course's lesson list, although
none of it changes between publishes. After Wagtail has served a lesson once, the *snapshot*
of that URL (the lesson without its body, the rendered body, its course, the course's lesson
titles and URLs, the prerequisite courses) is kept in the cache, stamped with the *content
generation*. Saving, publishing, unpublishing, moving or deleting any page, any change to view
restrictions or sites, and every ``migrate`` start a new generation, so a snapshot never
outlives the content (or the code) it was made from.

A request with a snapshot of the current generation costs only the learner's own state (their
completed lessons: one query, two when the course has prerequisites) and the template.
Anything else (no snapshot yet, anonymous visitors, other methods, other page types, pages
with view restrictions, previews) goes through Wagtail's own ``serve`` view, which stores the
snapshot for the next request.

Snapshots need a cache every process shares (Redis), so that a publish in one process starts
a new generation for all of them: ``LESSON_PAGE_SNAPSHOTS`` is on when ``REDIS_URL`` is set.
"""

import hashlib
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from django.dispatch import receiver
from django.http import HttpResponse
from django.utils import translation
from wagtail import hooks
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move
from wagtail.views import serve as wagtail_serve
from wagtail.wagtail_hooks import check_view_restrictions

from .learning import list_items

GENERATION_KEY = "courses:content-generation"
# Part of every key: change it when what a snapshot holds changes shape.
FORMAT = 3
TIMEOUT = 12 * 3600


def enabled():
    return getattr(settings, "LESSON_PAGE_SNAPSHOTS", False)


def current_generation():
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        generation = cache.get(GENERATION_KEY)
    return generation


def new_generation():
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


@receiver(page_published, dispatch_uid="courses.snapshots.published")
@receiver(page_unpublished, dispatch_uid="courses.snapshots.unpublished")
@receiver(post_page_move, dispatch_uid="courses.snapshots.moved")
def _content_changed(sender, **kwargs):
    new_generation()


@receiver(post_migrate, dispatch_uid="courses.snapshots.migrated")
def _migrated(sender, **kwargs):
    """A deploy runs migrate: nothing pickled by the previous code is read again."""
    if sender.name == "courses":
        new_generation()


@receiver(post_save, dispatch_uid="courses.snapshots.saved")
@receiver(post_delete, dispatch_uid="courses.snapshots.deleted")
def _model_changed(sender, instance, **kwargs):
    if isinstance(instance, Page | PageViewRestriction | Site):
        new_generation()


@receiver(m2m_changed, sender=PageViewRestriction.groups.through, dispatch_uid="courses.snap.g")
def _restriction_groups_changed(sender, **kwargs):
    new_generation()


def _keys(request, path):
    host = request._get_raw_host().lower()
    port = str(request.get_port())
    raw = "\n".join([host, port, translation.get_language(), path])
    snapshot = f"courses:lesson-snapshot:{FORMAT}:" + hashlib.sha256(raw.encode()).hexdigest()
    site = f"courses:site:{FORMAT}:" + hashlib.sha256(f"{host}\n{port}".encode()).hexdigest()
    return snapshot, site


def _hooks_allow_snapshots():
    """Wagtail's view-restriction check is the only ``on_serve_page`` hook snapshots know how
    to honour (a snapshot is only made of a page without restrictions)."""
    return all(fn is check_view_restrictions for fn in hooks.get_hooks("on_serve_page"))


def serve(request, path):
    """Wagtail's ``serve`` view, with lesson snapshots in front of it."""
    if not (
        enabled()
        and request.method in ("GET", "HEAD")
        and request.user.is_authenticated
        and _hooks_allow_snapshots()
    ):
        return wagtail_serve(request, path)
    snapshot_key, site_key = _keys(request, path)
    cached = cache.get_many([GENERATION_KEY, snapshot_key])
    generation = cached.get(GENERATION_KEY) or current_generation()
    snapshot = cached.get(snapshot_key)
    if snapshot is not None and snapshot["generation"] == generation:
        return _serve_snapshot(request, snapshot["shared"])
    # Wagtail routes this request. The site (with its root page) is cached too, which saves
    # routing two queries. The generation is read before routing: a change while this request
    # renders makes what it stores stale at once.
    site = cache.get(site_key)
    site_cached = site is not None and site["generation"] == generation
    if site_cached:
        request._wagtail_site = site["site"]
    request._lesson_snapshot = (snapshot_key, generation)
    response = wagtail_serve(request, path)
    if not site_cached and getattr(request, "_wagtail_site", None) is not None:
        cache.set(site_key, {"generation": generation, "site": request._wagtail_site}, TIMEOUT)
    return response


def _serve_snapshot(request, shared):
    lesson = shared["lesson"]
    for fn in hooks.get_hooks("before_serve_page"):
        result = fn(lesson, request, (), {})
        if isinstance(result, HttpResponse):
            return result
    lesson._shared = shared
    return lesson.serve(request)


def _unrestricted(lesson, generation):
    """True when no view restriction applies to ``lesson``: no query while no restriction
    exists anywhere (remembered per generation), else Wagtail's own check."""
    key = f"courses:any-view-restriction:{generation}"
    any_restriction = cache.get(key)
    if any_restriction is None:
        any_restriction = PageViewRestriction.objects.exists()
        cache.set(key, any_restriction, TIMEOUT)
    return not any_restriction or not lesson.get_view_restrictions().exists()


def store(request, lesson, shared):
    """Called by ``LessonPage.serve`` after Wagtail routed ``request`` to ``lesson``."""
    pending = getattr(request, "_lesson_snapshot", None)
    if pending is None or shared is None or getattr(request, "is_preview", False):
        return
    del request._lesson_snapshot
    key, generation = pending
    if shared["lesson"] is None or lesson.alias_of_id is not None:
        return
    if _unrestricted(lesson, generation):
        shared["list_items"] = list_items(shared, lesson.pk)
        cache.set(key, {"generation": generation, "shared": shared}, TIMEOUT)
