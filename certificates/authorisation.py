"""Window authorisation (上岗资格): the one owner of "who may staff a window at time t, and if
not, why not".

An active person (user active, staff profile, if any, in post) is authorised at ``at`` when
every live course required for authorisation holds a valid certificate of theirs at ``at``
(``Certificate.objects.valid(at)``: not revoked, not replaced, not expired). An expired or
revoked certificate, or leaving, therefore withdraws the authorisation by itself, no job
needed. Everything else composes these building blocks: ``authorised_users(at)`` (a
queryset, for dashboards' CTEs and roster rows), ``authorised_user_ids(ids, at)`` and
``is_authorised(user, at)`` (with the list of what is missing and why).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lms.organisation.models import active_people, is_active_person  # noqa: F401 (re-exported)

EXPIRING_DAYS = 30

# Why a required course is missing (``Missing.reason``).
NOT_ENROLLED = "not_enrolled"
LEARNING = "learning"
ISSUING = "issuing"
EXPIRED = "expired"
REVOKED = "revoked"
LEFT = "left"

REASON_LABELS = {
    NOT_ENROLLED: _("尚未报名"),
    LEARNING: _("尚未完成学习和考核"),
    ISSUING: _("已完成，证书正在颁发"),
    EXPIRED: _("证书已过期，须重新学习并通过考核"),
    REVOKED: _("证书已撤销，须重新通过考核"),
    LEFT: _("已离职"),
}


@dataclass
class Missing:
    """A required course without a valid certificate, and why."""

    course: object
    reason: str
    # For a course still being learnt: what registered requirements still miss
    # (courses.completion.unmet_requirements, e.g. "须参加现场培训"); the pages that show
    # everything still to do (the home banner) replace it with the full list from
    # ``certificates.standing.explain`` (lessons, quiz, marking, and those requirements).
    details: list = field(default_factory=list)

    @property
    def label(self):
        if self.details:
            return _("%(reason)s（%(details)s）") % {
                "reason": REASON_LABELS[self.reason],
                "details": gettext("；").join(str(d) for d in self.details),
            }
        return REASON_LABELS[self.reason]

    # Templates and callers written for a list of courses keep working.
    @property
    def pk(self):
        return self.course.pk

    @property
    def title(self):
        return self.course.title

    @property
    def code(self):
        return self.course.code

    def __str__(self):
        return f"{self.course.code}: {self.reason}"


@dataclass
class AuthorisationStatus:
    authorised: bool
    missing: list = field(default_factory=list)  # Missing items, in course order
    expiring: list = field(default_factory=list)  # valid certificates expiring within 30 days
    valid: list = field(default_factory=list)  # valid certificates (all courses)
    left: bool = False  # deactivated: never authorised

    def __bool__(self):
        return self.authorised


def required_courses():
    from courses.models import CoursePage

    return CoursePage.objects.live().filter(required_for_authorisation=True).order_by("path")


def authorised_holders(at=None, required_ids=None):
    """``{"user_id"}`` rows of the people holding a valid certificate at ``at`` for every
    required course: the certificate half of the rule, for callers whose rows are already
    active people (the roster's active staff join it as a CTE; everyone else uses
    ``authorised_users``). ``required_ids``: the required course ids if the caller has them
    (else one query fetches them now)."""
    from .models import Certificate

    if required_ids is None:
        required_ids = list(required_courses().values_list("pk", flat=True))
    if not required_ids:  # nothing required: every active person
        return active_people().order_by().values(user_id=F("pk"))
    return (
        Certificate.objects.valid(at)
        .filter(course_id__in=required_ids)
        .order_by()
        .values("user_id")
        .annotate(held=Count("course_id", distinct=True))
        .filter(held=len(required_ids))
        .values("user_id")
    )


def valid_certificate_pairs(at=None):
    """``{"user_id", "course_id"}`` of the valid certificates at ``at``: registered with
    ``courses.completion.register_held_completion`` (``CertificatesConfig.ready``), so that a
    person whose certificate is still valid counts as having completed the course while a
    recertification cycle is open (certified people are always among the completed)."""
    from .models import Certificate

    return Certificate.objects.valid(at).order_by().values("user_id", "course_id")


def authorised_users(at=None, required_ids=None):
    """A queryset of the users authorised at ``at`` (active people only): the building block
    of every count and list."""
    return active_people().filter(pk__in=authorised_holders(at, required_ids))


def authorised_expression(user_ref="pk", at=None):
    """``authorised`` as a boolean SQL expression for a row whose user id is ``user_ref`` (no
    query of its own): an active person, and no live required course without a valid
    certificate of theirs. The same rule as ``authorised_users``, shaped for row by row."""
    from .models import Certificate

    lacking = required_courses().filter(
        ~Exists(
            Certificate.objects.valid(at).filter(
                user_id=OuterRef(OuterRef(user_ref)), course_id=OuterRef("pk")
            )
        )
    )
    active = active_people().filter(pk=OuterRef(user_ref))
    return ExpressionWrapper(Q(Exists(active)) & ~Q(Exists(lacking)), output_field=BooleanField())


def authorised_user_ids(user_ids, at=None):
    """The subset of ``user_ids`` authorised to staff a window: two queries whatever the size."""
    user_ids = set(user_ids)
    if not user_ids:
        return set()
    return set(authorised_users(at).filter(pk__in=user_ids).values_list("pk", flat=True))


def is_authorised(user, at=None):
    """Authorised at ``at``, and if not, every required course missing with its reason.
    Two queries when authorised, four when something is missing."""
    from .models import Certificate

    at = at or timezone.now()
    required = list(required_courses())
    if not user or not user.is_authenticated:
        return AuthorisationStatus(
            authorised=False, missing=[Missing(c, NOT_ENROLLED) for c in required]
        )
    valid = list(
        Certificate.objects.valid(at)
        .filter(user=user)
        .select_related("course")
        .order_by("expires_at")
    )
    covered = {cert.course_id for cert in valid}
    missing_courses = [course for course in required if course.pk not in covered]
    soon = at + timedelta(days=EXPIRING_DAYS)
    expiring = [cert for cert in valid if cert.expires_at <= soon]
    left = not is_active_person(user)
    missing = _reasons(user, missing_courses, at) if missing_courses else []
    return AuthorisationStatus(
        authorised=not missing and not left,
        missing=missing,
        expiring=expiring,
        valid=valid,
        left=left,
    )


def _reasons(user, courses, at):
    from courses.completion import unmet_requirements
    from courses.models import Enrollment

    from .models import Certificate

    ids = [c.pk for c in courses]
    latest = {}
    for cert in Certificate.objects.filter(user=user, course_id__in=ids).order_by("issued_at"):
        latest[cert.course_id] = cert
    enrollments = {e.course_id: e for e in Enrollment.objects.filter(user=user, course_id__in=ids)}
    result = []
    for course in courses:
        enrollment = enrollments.get(course.pk)
        cert = latest.get(course.pk)
        completed = enrollment.completed_at if enrollment else None
        if completed is not None and (cert is None or cert.issued_at < completed):
            reason = ISSUING
        elif (
            cert is not None
            and cert.revoked_at
            and (enrollment is None or enrollment.completed_at is None)
        ):
            reason = REVOKED
        elif cert is not None and cert.expires_at <= at:
            reason = EXPIRED
        elif enrollment is None:
            reason = NOT_ENROLLED
        else:
            reason = LEARNING
        details = []
        if reason == LEARNING:
            details = unmet_requirements(user, course, since=enrollment.cycle_started_at)
        result.append(Missing(course, reason, details))
    return result


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
