"""Window authorisation (上岗资格): every required course holds a valid certificate.

Valid = not revoked, not superseded and ``expires_at`` in the future; an expired or revoked
certificate therefore withdraws the authorisation by itself, no job needed.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

EXPIRING_DAYS = 30


@dataclass
class AuthorisationStatus:
    authorised: bool
    missing: list = field(default_factory=list)  # required CoursePages without a valid cert
    expiring: list = field(default_factory=list)  # valid certificates expiring within 30 days
    valid: list = field(default_factory=list)  # valid certificates (all courses)

    def __bool__(self):
        return self.authorised


def required_courses():
    from courses.models import CoursePage

    return CoursePage.objects.live().filter(required_for_authorisation=True).order_by("path")


def is_authorised(user, at=None):
    """Two queries: the required courses and the user's valid certificates."""
    from .models import Certificate

    at = at or timezone.now()
    if not user or not user.is_authenticated:
        return AuthorisationStatus(authorised=False, missing=list(required_courses()))
    required = list(required_courses())
    valid = list(
        Certificate.objects.valid(at)
        .filter(user=user)
        .select_related("course")
        .order_by("expires_at")
    )
    covered = {cert.course_id for cert in valid}
    missing = [course for course in required if course.pk not in covered]
    soon = at + timedelta(days=EXPIRING_DAYS)
    expiring = [cert for cert in valid if cert.expires_at <= soon]
    return AuthorisationStatus(
        authorised=not missing, missing=missing, expiring=expiring, valid=valid
    )


def authorised_user_ids(user_ids, at=None):
    """The subset of ``user_ids`` authorised to staff a window: two queries whatever the size."""
    from .models import Certificate

    user_ids = set(user_ids)
    if not user_ids:
        return set()
    required = set(required_courses().values_list("pk", flat=True))
    if not required:
        return user_ids
    held = {}
    rows = (
        Certificate.objects.valid(at)
        .filter(user_id__in=user_ids, course_id__in=required)
        .values_list("user_id", "course_id")
        .distinct()
    )
    for user_id, course_id in rows:
        held.setdefault(user_id, set()).add(course_id)
    return {user_id for user_id, courses in held.items() if courses >= required}


def certified_course_status(user, courses):
    """Status provider for courses.progress: ``{course_id: "certified"}``, one query."""
    from courses.progress import CERTIFIED

    from .models import Certificate

    ids = [getattr(c, "pk", c) for c in courses]
    certified = set(
        Certificate.objects.valid()
        .filter(user=user, course_id__in=ids)
        .values_list("course_id", flat=True)
    )
    return dict.fromkeys(certified, CERTIFIED)
