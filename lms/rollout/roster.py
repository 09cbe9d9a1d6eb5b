"""The roster: one definition of who is enrolled, completed, passed, certified and authorised,
shared by the exports (row by row) and the dashboards (aggregated), so their numbers agree.

Everything is built as SQL expressions (FilteredRelation, Exists, Subquery) so that a roster
or a dashboard costs a constant number of queries whatever the number of staff. The rollout is
the top floor: it reads the quizzes' and certificates' tables directly for that (their public
per-user functions would cost one query per person); the rules mirror theirs:
- best score: the highest score of a graded attempt at the course's quiz; passed: any graded
  attempt passed;
- a valid certificate: not revoked, not superseded, not expired;
- authorised: every live course required for authorisation holds a valid certificate.
"""

from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DateTimeField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import TruncWeek
from django.db.models.sql.constants import LOUTER
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_cte import CTE, with_cte

from certificates.authorisation import required_courses
from courses.models import CoursePage, Enrollment
from lms.organisation.models import District, StaffProfile

NOT_ENROLLED = "not_enrolled"
IN_PROGRESS = "in_progress"
OVERDUE = "overdue"
COMPLETED = "completed"
PASSED = "passed"
CERTIFIED = "certified"
AUTHORISED = "authorised"
NOT_AUTHORISED = "not_authorised"

STATUS_CHOICES = [
    (NOT_ENROLLED, _("未报名")),
    (IN_PROGRESS, _("学习中")),
    (OVERDUE, _("已逾期")),
    (COMPLETED, _("已完成")),
    (PASSED, _("已通过")),
    (CERTIFIED, _("已获证")),
    (AUTHORISED, _("具备上岗资格")),
    (NOT_AUTHORISED, _("不具备上岗资格")),
]
STATUS_LABELS = dict(STATUS_CHOICES)


def _model(app_label, name):
    try:
        return apps.get_model(app_label, name)
    except LookupError:  # that app has not defined it (yet)
        return None


@dataclass
class RosterFilter:
    """What a roster covers. ``district_ids`` None means every district."""

    district_ids: list | None = None
    wave: object = None
    course: object = None
    status: str = ""
    course_ids: list | None = field(default=None, init=False)

    def resolve(self):
        """Turn the wave/course into course ids and districts (at most two queries)."""
        if self.course_ids is not None:
            return self
        ids = None
        if self.wave is not None:
            ids = list(self.wave.courses.values_list("pk", flat=True))
            wave_districts = list(self.wave.districts.values_list("pk", flat=True))
            if self.district_ids is None:
                self.district_ids = wave_districts
            else:
                self.district_ids = [d for d in self.district_ids if d in wave_districts]
        if self.course is not None:
            ids = [self.course.pk] if ids is None else [i for i in ids if i == self.course.pk]
        self.course_ids = ids
        return self

    def as_dict(self):
        return {
            "district_ids": self.district_ids,
            "wave": self.wave.pk if self.wave else None,
            "course": self.course.pk if self.course else None,
            "status": self.status,
        }


# -- expressions -------------------------------------------------------------------------------


def graded_attempts(user_ref, course_ref):
    Attempt = _model("quizzes", "Attempt")
    if Attempt is None:
        return None
    return Attempt.objects.filter(
        user_id=OuterRef(user_ref), quiz__course_id=OuterRef(course_ref), status="graded"
    )


def best_score_expr(user_ref, course_ref):
    attempts = graded_attempts(user_ref, course_ref)
    if attempts is None:
        return Value(None, output_field=DecimalField(max_digits=5, decimal_places=2))
    return Subquery(attempts.order_by("-score").values("score")[:1])


def passed_expr(user_ref, course_ref):
    attempts = graded_attempts(user_ref, course_ref)
    if attempts is None:
        return Value(False, output_field=BooleanField())
    return Exists(attempts.filter(passed=True))


def valid_certificates(now):
    Certificate = _model("certificates", "Certificate")
    if Certificate is None:
        return None
    if hasattr(Certificate.objects, "valid"):  # certificates' own definition
        return Certificate.objects.valid(at=now)
    return Certificate.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        revoked_at__isnull=True,
        superseded_by__isnull=True,
    )


def certificate_subquery(user_ref, course_ref, now, column):
    certs = valid_certificates(now)
    if certs is None:
        output = DateTimeField() if column == "expires_at" else CharField()
        return Value(None, output_field=output)
    certs = certs.filter(user_id=OuterRef(user_ref), course_id=OuterRef(course_ref))
    return Subquery(certs.order_by("-issued_at").values(column)[:1])


def certified_expr(user_ref, course_ref, now):
    certs = valid_certificates(now)
    if certs is None:
        return Value(False, output_field=BooleanField())
    return Exists(certs.filter(user_id=OuterRef(user_ref), course_id=OuterRef(course_ref)))


def authorised_expr(user_ref, now):
    """True when every live required course has a valid certificate of the user (as
    certificates.authorisation.authorised_user_ids: no required course → authorised)."""
    certs = valid_certificates(now)
    if certs is None:
        return Value(False, output_field=BooleanField())
    missing = required_courses().filter(
        ~Exists(certs.filter(user_id=OuterRef(OuterRef(user_ref)), course_id=OuterRef("pk")))
    )
    return ExpressionWrapper(~Exists(missing), output_field=BooleanField())


# -- the roster, row by row --------------------------------------------------------------------

ROW_FIELDS = [
    "staff_profile__district__name_zh",
    "staff_profile__full_name",
    "staff_profile__employee_no",
    "staff_profile__service_centre",
    "enr_course_id",
    "enrolled_at",
    "completed_at",
    "due_at",
    "best_score",
    "passed",
    "cert_serial",
    "cert_expires_at",
    "authorised",
    "staff_profile__phone",
]
ROW_KEYS = [
    "district",
    "full_name",
    "employee_no",
    "service_centre",
    "course_id",
    "enrolled_at",
    "completed_at",
    "due_at",
    "best_score",
    "passed",
    "cert_serial",
    "cert_expires_at",
    "authorised",
    "phone",
]


def staff_queryset(filt):
    qs = StaffProfile.objects.active()
    if filt.district_ids is not None:
        qs = qs.filter(district_id__in=filt.district_ids)
    return qs


def roster_queryset(filt, now=None):
    """Users (active staff) LEFT JOIN their enrollments (those the filter covers): one row per
    person and course, and one row with no course for a person with no (matching) enrollment."""
    now = now or timezone.now()
    filt.resolve()
    condition = Q(enrollments__isnull=False)
    if filt.course_ids is not None:
        condition = Q(enrollments__course_id__in=filt.course_ids)
    qs = get_user_model().objects.filter(is_active=True, staff_profile__is_active=True)
    if filt.district_ids is not None:
        qs = qs.filter(staff_profile__district_id__in=filt.district_ids)
    qs = qs.annotate(enr=FilteredRelation("enrollments", condition=condition))
    qs = qs.annotate(
        enr_course_id=F("enr__course_id"),
        enrolled_at=F("enr__enrolled_at"),
        completed_at=F("enr__completed_at"),
        due_at=F("enr__due_at"),
        best_score=best_score_expr("pk", "enr__course_id"),
        passed=passed_expr("pk", "enr__course_id"),
        cert_serial=certificate_subquery("pk", "enr__course_id", now, "serial"),
        cert_expires_at=certificate_subquery("pk", "enr__course_id", now, "expires_at"),
        authorised=authorised_expr("pk", now),
    )
    qs = filter_status(qs, filt.status, now)
    return qs.order_by(
        "staff_profile__district__sort_order", "staff_profile__employee_no", "enr__course_id"
    )


def filter_status(qs, status, now):
    """Filter roster rows by status through the row's own annotated columns (enr_course_id,
    completed_at, due_at, passed…): a lookup through ``enr__…`` in ``filter()`` would join the
    enrollments a second time and repeat each row once per enrollment of the person."""
    if not status:
        return qs
    enrolled = Q(enr_course_id__isnull=False)
    if status == NOT_ENROLLED:
        return qs.filter(enr_course_id__isnull=True)
    if status == IN_PROGRESS:
        return qs.filter(
            enrolled,
            Q(due_at__isnull=True) | Q(due_at__gte=now),
            completed_at__isnull=True,
        )
    if status == OVERDUE:
        return qs.filter(enrolled, completed_at__isnull=True, due_at__lt=now)
    if status == COMPLETED:
        return qs.filter(enrolled, completed_at__isnull=False)
    if status == PASSED:
        return qs.filter(enrolled, passed=True)
    if status == CERTIFIED:
        return qs.filter(cert_serial__isnull=False)
    if status == AUTHORISED:
        return qs.filter(authorised=True)
    if status == NOT_AUTHORISED:
        return qs.filter(authorised=False)
    return qs.none()


def row_status(completed_at, due_at, enrolled, now):
    if not enrolled:
        return NOT_ENROLLED
    if completed_at is not None:
        return COMPLETED
    if due_at is not None and due_at < now:
        return OVERDUE
    return IN_PROGRESS


def roster_values(filt, now=None, chunk_size=2000):
    """Yield a dict per roster row, streaming from one query (memory flat in rows)."""
    now = now or timezone.now()
    qs = roster_queryset(filt, now).values_list(*ROW_FIELDS)
    courses = {c.pk: c for c in CoursePage.objects.only("pk", "code", "title")}
    for values in qs.iterator(chunk_size=chunk_size):
        row = dict(zip(ROW_KEYS, values, strict=True))
        course = courses.get(row.pop("course_id"))
        enrolled = course is not None
        row["course_code"] = course.code if course else ""
        row["course_title"] = course.title if course else ""
        row["enrolled"] = enrolled
        row["status"] = row_status(row["completed_at"], row["due_at"], enrolled, now)
        if not enrolled:
            row["passed"] = False
        yield row


# -- the dashboards, aggregated ----------------------------------------------------------------


def enrollment_queryset(filt):
    filt.resolve()
    qs = Enrollment.objects.filter(
        user__is_active=True,
        user__staff_profile__is_active=True,
    )
    if filt.district_ids is not None:
        qs = qs.filter(user__staff_profile__district_id__in=filt.district_ids)
    if filt.course_ids is not None:
        qs = qs.filter(course_id__in=filt.course_ids)
    return qs


def passed_pairs():
    """A CTE of the distinct (user_id, course_id) with a passed graded attempt, or None."""
    Attempt = _model("quizzes", "Attempt")
    if Attempt is None:
        return None
    pairs = Attempt.objects.filter(status="graded", passed=True).order_by()
    return CTE(pairs.values("user_id", course_id=F("quiz__course_id")).distinct(), name="passed")


def certified_pairs(now):
    """A CTE of the distinct (user_id, course_id) holding a valid certificate, or None."""
    certs = valid_certificates(now)
    if certs is None:
        return None
    return CTE(certs.order_by().values("user_id", "course_id").distinct(), name="certified")


def authorised_users(now):
    """A CTE of the user ids holding a valid certificate for every live required course, or
    None when no course is required (then everybody is authorised) or certificates are absent.
    One query for the required course ids."""
    certs = valid_certificates(now)
    if certs is None:
        return None
    required = list(required_courses().values_list("pk", flat=True))
    if not required:
        return None
    holders = (
        certs.order_by()
        .filter(course_id__in=required)
        .values("user_id")
        .annotate(held=Count("course_id", distinct=True))
        .filter(held=len(required))
        .values("user_id")
    )
    return CTE(holders, name="authorised")


def _left_join(cte, qs, **on):
    return cte.join(qs, _join_type=LOUTER, **{k: getattr(cte.col, v) for k, v in on.items()})


def counts_by_district_course(filt, now=None):
    """{(district_id, course_id): {enrolled, completed, passed, certified, overdue}}, one query.

    The enrollments LEFT JOIN the distinct passed and certified (user, course) pairs, each
    computed once (hash joins), rather than two correlated subqueries per enrollment."""
    now = now or timezone.now()
    qs = enrollment_queryset(filt)
    counts = {
        "enrolled": Count("id"),
        "completed": Count("id", filter=Q(completed_at__isnull=False)),
        "overdue": Count("id", filter=Q(completed_at__isnull=True, due_at__lt=now)),
    }
    ctes = []
    for name, cte in (("passed", passed_pairs()), ("certified", certified_pairs(now))):
        if cte is None:
            counts[name] = Value(0)
            continue
        qs = _left_join(cte, qs, user_id="user_id", course_id="course_id")
        counts[name] = Count(cte.col.user_id)
        ctes.append(cte)
    qs = qs.values("user__staff_profile__district_id", "course_id").annotate(**counts).order_by()
    if ctes:
        qs = with_cte(*ctes, select=qs)
    return {(row.pop("user__staff_profile__district_id"), row.pop("course_id")): row for row in qs}


def people_by_district(filt, now=None):
    """{district_id: {staff, authorised, not_enrolled}} in two queries (the required courses,
    then the staff LEFT JOIN the authorised users)."""
    now = now or timezone.now()
    filt.resolve()
    enrollments = Enrollment.objects.filter(user_id=OuterRef("user_id"))
    if filt.course_ids is not None:
        enrollments = enrollments.filter(course_id__in=filt.course_ids)
    qs = staff_queryset(filt)
    authorised = authorised_users(now)
    if authorised is None:
        everybody = valid_certificates(now) is not None
        authorised_count = Count("id") if everybody else Value(0)
    else:
        qs = _left_join(authorised, qs, user_id="user_id")
        authorised_count = Count(authorised.col.user_id)
    qs = (
        qs.values("district_id")
        .annotate(
            staff=Count("id"),
            authorised=authorised_count,
            not_enrolled=Count("id", filter=~Q(Exists(enrollments))),
        )
        .order_by()
    )
    if authorised is not None:
        qs = with_cte(authorised, select=qs)
    return {row.pop("district_id"): row for row in qs}


def weekly_completions(filt):
    """[(week_start_date, completions)] of the roster's enrollments, in one query."""
    qs = (
        enrollment_queryset(filt)
        .filter(completed_at__isnull=False)
        .annotate(week=TruncWeek("completed_at", tzinfo=timezone.get_current_timezone()))
        .values("week")
        .annotate(n=Count("id"))
        .order_by("week")
    )
    result = []
    for row in qs:
        week = row["week"]
        week = timezone.localtime(week).date() if hasattr(week, "tzinfo") else week
        result.append((week, row["n"]))
    return result


def districts_for(filt):
    qs = District.objects.all()
    if filt.district_ids is not None:
        qs = qs.filter(pk__in=filt.district_ids)
    return list(qs)
