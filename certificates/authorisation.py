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
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from lms.organisation.models import active_people, is_active_person  # noqa: F401 (re-exported)

#: Fallback when no expiry reminder stage is configured.
EXPIRING_DAYS = 30


def expiring_days() -> int:
    """How many days before its date a certificate is "expiring": the first expiry reminder
    (the largest of ``settings.CERTIFICATE_EXPIRY_REMINDER_DAYS``, default 60). From then on
    the holder is warned on every page and the course re-opens for recertification
    (``certificates.lifecycle``), so the reminder's invitation to renew can be acted on."""
    from .reminders import reminder_stages

    return max(reminder_stages() or [EXPIRING_DAYS])


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
    # What an expired or revoked course still needs is not always the same (the quiz only,
    # a lesson added since, a session): ``certificates.standing.explain`` lists it.
    EXPIRED: _("证书已过期"),
    REVOKED: _("证书已撤销"),
    LEFT: _("已离职"),
}


def revocation_reason(certificate) -> str:
    """The reason a revocation was recorded with, in the reader's language when the system
    wrote it (``certificates.lifecycle``), else as the administrator typed it."""
    from .lifecycle import translated_reason

    return translated_reason(certificate.revoked_reason)


def _date(value) -> str:
    from django.utils.formats import date_format

    return date_format(timezone.localtime(value), "DATE_FORMAT")


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
    # The latest certificate of the course, when it expired or was revoked (for its date).
    certificate: object = None

    @property
    def status_text(self) -> str:
        """The reason as a sentence: with the date (and the revocation's reason) when a
        certificate expired or was revoked."""
        cert = self.certificate
        if cert is not None and self.reason == EXPIRED:
            return gettext("证书已于 %(date)s 过期") % {"date": _date(cert.expires_at)}
        if cert is not None and self.reason == REVOKED:
            reason = revocation_reason(cert)
            if reason:
                return gettext("证书已于 %(date)s 撤销（原因：%(reason)s）") % {
                    "date": _date(cert.revoked_at),
                    "reason": reason,
                }
            return gettext("证书已于 %(date)s 撤销") % {"date": _date(cert.revoked_at)}
        return str(REASON_LABELS[self.reason])

    @property
    def label(self):
        if self.details and self.reason == LEARNING:
            return _("%(reason)s（%(details)s）") % {
                "reason": REASON_LABELS[self.reason],
                "details": gettext("；").join(str(d) for d in self.details),
            }
        if self.details:
            return gettext("%(status)s；还需：%(details)s") % {
                "status": self.status_text,
                "details": gettext("；").join(str(d) for d in self.details),
            }
        return self.status_text

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
    # Valid certificates expiring within ``expiring_days()``, soonest first (``explain`` adds
    # ``days_left`` and ``renewal``, what the renewal still needs, to each).
    expiring: list = field(default_factory=list)
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
    soon = at + timedelta(days=expiring_days())
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
        dated = cert if reason in (EXPIRED, REVOKED) else None
        result.append(Missing(course, reason, details, certificate=dated))
    return result


def expiry_warning(certificate, now=None) -> str:
    """ "证书将于 X 到期（还有 N 天）": the warning every page gives within ``expiring_days()``."""
    from .reminders import days_left

    n = days_left(certificate.expires_at, now)
    return ngettext(
        "证书将于 %(date)s 到期（还有 %(n)d 天）",
        "证书将于 %(date)s 到期（还有 %(n)d 天）",
        n,
    ) % {"date": _date(certificate.expires_at), "n": n}


def certificate_note(certificate, now=None) -> str:
    """One short sentence about ``certificate`` for a course card: its validity, the expiry
    warning, or when it expired or was revoked."""
    now = now or timezone.now()
    status = certificate.status_at(now)
    if status == certificate.REVOKED:
        return gettext("证书已于 %(date)s 撤销") % {"date": _date(certificate.revoked_at)}
    if status == certificate.EXPIRED:
        return gettext("证书已于 %(date)s 过期") % {"date": _date(certificate.expires_at)}
    if certificate.expires_at <= now + timedelta(days=expiring_days()):
        return expiry_warning(certificate, now)
    return gettext("有效期至 %(date)s") % {"date": _date(certificate.expires_at)}


def certified_course_status(user, courses):
    """Status provider for courses.progress, one query: ``{course_id: ("certified", note)}``
    for a valid certificate (its validity or the expiry warning), ``(None, note)`` when the
    latest certificate expired or was revoked."""
    from courses.progress import CERTIFIED

    from .models import Certificate

    ids = [getattr(c, "pk", c) for c in courses]
    now = timezone.now()
    valid, latest = {}, {}
    for cert in Certificate.objects.filter(user=user, course_id__in=ids).order_by("issued_at"):
        latest[cert.course_id] = cert
        if cert.status_at(now) == Certificate.VALID:
            valid[cert.course_id] = cert
    result = {}
    for course_id, cert in latest.items():
        if course_id in valid:
            result[course_id] = (CERTIFIED, certificate_note(valid[course_id], now))
        elif cert.status_at(now) in (Certificate.EXPIRED, Certificate.REVOKED):
            result[course_id] = (None, certificate_note(cert, now))
    return result
