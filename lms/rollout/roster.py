"""The roster: who is enrolled, completed, passed, certified and authorised, row by row for
the exports and aggregated for the dashboards, so their numbers agree.

Everything is built as SQL expressions (FilteredRelation, Exists, Subquery, CTEs) so that a
roster or a dashboard costs a constant number of queries whatever the number of staff. The
rules themselves are not written here: each comes from the app that owns it, as a queryset
building block this module composes (``tests/rollout/test_rule_owners.py`` checks it):
- complete: ``courses.completion.completed_q``; what the counts call completed (the current
  cycle complete, or an earlier completion still standing, e.g. a valid certificate during
  recertification): ``counted_completed_q`` with ``held_completion`` / ``held_pairs``;
  overdue: ``courses.completion.overdue_q`` / ``is_overdue_at``;
- passed and best score: ``quizzes.results.passed_attempts`` / ``graded_attempts`` /
  ``passed_pairs``;
- valid certificate: ``Certificate.objects.valid(at)``;
- authorised: ``certificates.authorisation.authorised_holders(at)`` joined to active staff,
  ``authorised_expression`` row by row (active people only);
- attended a session of the course: ``lms.rollout.services.attended_pairs``, and which courses
  hold sessions at all, ``session_course_ids``.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import TruncWeek
from django.db.models.lookups import IsNull
from django.db.models.sql.constants import LOUTER
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_cte import CTE, with_cte

from certificates.authorisation import (
    authorised_expression,
    authorised_holders,
    required_courses,
    valid_certificate_pairs,
)
from certificates.models import Certificate
from courses import progress
from courses.completion import (
    completed_q,
    counted_completed_q,
    held_completion,
    held_only_by,
    held_pairs,
    in_time_q,
    is_overdue_at,
    overdue_q,
)
from courses.models import CoursePage, Enrollment
from lms.organisation.models import District, StaffProfile
from quizzes.results import graded_attempts, passed_attempts, passed_pairs

from .services import attended_pairs, session_course_ids

NOT_ENROLLED = "not_enrolled"
NOT_STARTED = progress.NOT_STARTED
IN_PROGRESS = progress.IN_PROGRESS
OVERDUE = "overdue"
COMPLETED = progress.COMPLETED
# Counted as completed (an earlier completion still stands: a valid certificate) while a
# recertification cycle is open: not 学习中.
RECERTIFYING = "recertification_due"
PASSED = "passed"
CERTIFIED = progress.CERTIFIED
AUTHORISED = "authorised"
NOT_AUTHORISED = "not_authorised"

# The learner's words (courses.progress.STATUS_LABELS) for the learner's statuses: the roster
# and the learner's home say the same thing about the same enrolment.
STATUS_CHOICES = [
    (NOT_ENROLLED, _("未报名")),
    (NOT_STARTED, progress.STATUS_LABELS[NOT_STARTED]),
    (IN_PROGRESS, progress.STATUS_LABELS[IN_PROGRESS]),
    (OVERDUE, _("已逾期")),
    (COMPLETED, progress.STATUS_LABELS[COMPLETED]),
    (RECERTIFYING, _("已获证书（待复训）")),
    (PASSED, _("已通过")),
    (CERTIFIED, progress.STATUS_LABELS[CERTIFIED]),
    (AUTHORISED, _("具备上岗资格")),
    (NOT_AUTHORISED, _("不具备上岗资格")),
]
STATUS_LABELS = dict(STATUS_CHOICES)
# Badges as on the learner's home (courses.progress.STATUS_BADGES) for the learner's statuses.
STATUS_BADGES = {
    **progress.STATUS_BADGES,
    NOT_ENROLLED: "badge",
    OVERDUE: "badge-bad",
    RECERTIFYING: "badge-ok",
}

# People, not rows: the dashboards' tiles count people (``people_by_district``,
# ``dashboards.progress_by_district``); the roster's "people" filter lists exactly them.
ENROLLED_PEOPLE = "enrolled"
COMPLETED_PEOPLE = "completed"
CERTIFIED_PEOPLE = "certified"
AUTHORISED_PEOPLE = "authorised"
OVERDUE_PEOPLE = "overdue"
PEOPLE_CHOICES = [
    (ENROLLED_PEOPLE, _("已报名的人员")),
    (COMPLETED_PEOPLE, _("全部课程已完成的人员")),
    (CERTIFIED_PEOPLE, _("全部课程已获证书的人员")),
    (AUTHORISED_PEOPLE, _("具备上岗资格的人员")),
    (OVERDUE_PEOPLE, _("有逾期课程的人员")),
]
PEOPLE_LABELS = dict(PEOPLE_CHOICES)


@dataclass
class RosterFilter:
    """What a roster covers. ``district_ids`` None means every district."""

    district_ids: list | None = None
    wave: object = None
    course: object = None
    status: str = ""
    people: str = ""  # one of PEOPLE_CHOICES: only the people a dashboard tile counts
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
            "people": self.people,
        }


# -- expressions (composed from the owners' building blocks) ---------------------------------


def best_score_expr(user_ref, course_ref):
    attempts = graded_attempts().filter(
        user_id=OuterRef(user_ref), quiz__course_id=OuterRef(course_ref)
    )
    return Subquery(attempts.order_by("-score").values("score")[:1])


def passed_expr(user_ref, course_ref):
    return Exists(
        passed_attempts().filter(user_id=OuterRef(user_ref), quiz__course_id=OuterRef(course_ref))
    )


def certificate_subquery(user_ref, course_ref, now, column):
    certs = Certificate.objects.valid(now).filter(
        user_id=OuterRef(user_ref), course_id=OuterRef(course_ref)
    )
    return Subquery(certs.order_by("-issued_at").values(column)[:1])


def attended_expr(user_ref, course_ref):
    return Exists(
        attended_pairs().filter(user_id=OuterRef(user_ref), course_id=OuterRef(course_ref))
    )


def has_sessions_expr(course_ref):
    return Exists(session_course_ids().filter(course_id=OuterRef(course_ref)))


def required_course_ids():
    """One query; passed to the authorisation building blocks so they need none."""
    return list(required_courses().values_list("pk", flat=True))


# -- the roster, row by row --------------------------------------------------------------------

ROW_FIELDS = [
    "staff_profile__district_id",
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
    "attended",
    "has_sessions",
    "staff_profile__phone",
    "started",
    "held",
    "previous_completed_at",
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
    "attended",
    "has_sessions",
    "phone",
    "started",
    "held",
    "previous_completed_at",
]


def staff_queryset(filt):
    qs = StaffProfile.objects.window_staff()
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
    qs = get_user_model().objects.filter(staff_profile__in=StaffProfile.objects.window_staff())
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
        authorised=authorised_expression("pk", now),
        attended=attended_expr("pk", "enr__course_id"),
        has_sessions=has_sessions_expr("enr__course_id"),
        started=progress.started_expression("pk", "enr__course_id", "enr__last_lesson"),
        held=held_completion(now, "pk", "enr__course_id"),
        previous_completed_at=F("enr__previous_completed_at"),
    )
    qs = filter_status(qs, filt.status, now)
    qs = filter_people(qs, filt, now)
    return qs.order_by(
        "staff_profile__district__sort_order", "staff_profile__employee_no", "enr__course_id"
    )


def filter_status(qs, status, now):
    """Filter roster rows by status through the row's own annotated columns (enr_course_id,
    completed_at, due_at, passed…) with the owners' rules (``completed_q``, ``overdue_q``): a
    lookup through ``enr__…`` in ``filter()`` would join the enrollments a second time and
    repeat each row once per enrollment of the person (finding 1 of issue 16).

    The learner's statuses (未开始, 学习中, 已逾期, 已完成, 已获证书) select exactly the rows
    whose 状态 column says so (``row_status``): a valid certificate (the certificates' rule,
    ``Certificate.objects.valid``) makes a row 已获证书, not 已完成."""
    if not status:
        return qs
    enrolled = Q(enr_course_id__isnull=False)
    uncertified = Q(cert_serial__isnull=True)
    counted = counted_completed_q(now, held=Q(held=True))
    if status == NOT_ENROLLED:
        return qs.filter(enr_course_id__isnull=True)
    if status in (IN_PROGRESS, NOT_STARTED):
        return qs.filter(
            enrolled,
            uncertified,
            in_time_q(now),
            ~counted,
            started=status == IN_PROGRESS,
        )
    if status == OVERDUE:
        return qs.filter(enrolled, uncertified, overdue_q(now, completed=counted))
    if status == COMPLETED:
        return qs.filter(enrolled, uncertified, completed_q())
    if status == RECERTIFYING:
        return qs.filter(enrolled, ~completed_q(), held=True)
    if status == PASSED:
        return qs.filter(enrolled, passed=True)
    if status == CERTIFIED:
        return qs.filter(enrolled, cert_serial__isnull=False)
    if status == AUTHORISED:
        return qs.filter(authorised=True)
    if status == NOT_AUTHORISED:
        return qs.filter(authorised=False)
    return qs.none()


def filter_people(qs, filt, now):
    """Only the rows of the people a dashboard tile counts (``filt.people``), with the same
    per-person rule as the tile (``people_progress``): a person once enrolled, completed or
    certified in every enrolled course, or overdue in one; authorised as the 上岗资格 column
    says (``authorised_expression``)."""
    if not filt.people:
        return qs
    if filt.people == AUTHORISED_PEOPLE:
        return qs.filter(authorised=True)
    if filt.people not in PEOPLE_LABELS:
        return qs.none()
    return qs.filter(pk__in=people_with(filt, filt.people, now))


def row_status(completed_at, due_at, enrolled, now, started=True, certified=False, held=False):
    """The 状态 of a roster row, in the learner's order (``courses.progress.course_statuses``
    and the certificates' status provider): an earlier completion still standing while the
    current cycle is open (``held``: a valid certificate during recertification) says
    已获证书（待复训）; a valid certificate says 已获证书; then 已完成, 已逾期
    (``is_overdue_at``), 学习中 or 未开始."""
    if not enrolled:
        return NOT_ENROLLED
    if held and completed_at is None:
        return RECERTIFYING
    if certified:
        return CERTIFIED
    if completed_at is not None:
        return COMPLETED
    if is_overdue_at(completed_at, due_at, now):
        return OVERDUE
    return IN_PROGRESS if started else NOT_STARTED


def roster_values(filt, now=None, chunk_size=2000):
    """Yield a dict per roster row, streaming from one query (memory flat in rows)."""
    now = now or timezone.now()
    qs = roster_queryset(filt, now).values_list(*ROW_FIELDS)
    return roster_rows(qs, now=now, chunk_size=chunk_size)


def roster_rows(values_qs, now=None, chunk_size=2000):
    """The row dicts of ``roster_queryset(...).values_list(*ROW_FIELDS)`` (a queryset, streamed
    with ``iterator``, or a page of it already fetched): course code and title, enrolled,
    status. One query for the courses, then the rows."""
    now = now or timezone.now()
    courses = {c.pk: c for c in CoursePage.objects.only("pk", "code", "title")}
    # The district in the active language (District.display_name): "Huangpu" in English.
    districts = {d.pk: d.display_name for d in District.objects.all()}
    if hasattr(values_qs, "iterator"):
        values_qs = values_qs.iterator(chunk_size=chunk_size)
    for values in values_qs:
        row = dict(zip(ROW_KEYS, values, strict=True))
        row["district"] = districts.get(row["district"], "")
        course = courses.get(row.pop("course_id"))
        enrolled = course is not None
        row["course_code"] = course.code if course else ""
        row["course_title"] = course.title if course else ""
        row["enrolled"] = enrolled
        held = bool(row.pop("held")) and enrolled
        previous = row.pop("previous_completed_at")
        row["status"] = row_status(
            row["completed_at"],
            row["due_at"],
            enrolled,
            now,
            row.pop("started"),
            certified=row["cert_serial"] is not None,
            held=held,
        )
        # Counted as completed (the dashboards' rule); a recertification cycle shows the
        # completion that still stands.
        row["completed"] = enrolled and (row["completed_at"] is not None or held)
        if row["completed_at"] is None and held:
            row["completed_at"] = previous
        if not enrolled:
            row["passed"] = False
        yield row


# -- the dashboards, aggregated ----------------------------------------------------------------


def enrollment_queryset(filt):
    filt.resolve()
    qs = Enrollment.objects.filter(user__staff_profile__in=StaffProfile.objects.window_staff())
    if filt.district_ids is not None:
        qs = qs.filter(user__staff_profile__district_id__in=filt.district_ids)
    if filt.course_ids is not None:
        qs = qs.filter(course_id__in=filt.course_ids)
    return qs


def passed_cte():
    """A CTE of the distinct (user_id, course_id) who passed (quizzes' building block)."""
    return CTE(passed_pairs(), name="passed")


def certified_cte(now):
    """A CTE of the distinct (user_id, course_id) holding a valid certificate at ``now``."""
    return CTE(valid_certificate_pairs(now).distinct(), name="certified")


def join_certified_and_counted(qs, now, ctes):
    """Left-join the valid certificates (``certified_cte``) to the enrolments ``qs`` and return
    ``(qs, certified, completed)``: the joined queryset, the CTE (appended to ``ctes``) and the
    condition "counts as completed" (``counted_completed_q``). When valid certificates are the
    only completions that still stand (``held_only_by``), the same join is the ``held`` half;
    otherwise the standing completions are joined too (``join_counted_completed``)."""
    if held_only_by(valid_certificate_pairs):
        completed = None
    else:
        qs, completed = join_counted_completed(qs, now, ctes)
    certified = certified_cte(now)
    ctes.append(certified)
    qs = _left_join(certified, qs, user_id="user_id", course_id="course_id")
    if completed is None:
        completed = counted_completed_q(now, held=IsNull(certified.col.user_id, False))
    return qs, certified, completed


def attended_cte():
    """A CTE of the distinct (user_id, course_id) present at a session of the course."""
    return CTE(attended_pairs(), name="attended")


def authorised_cte(now, required_ids=None):
    """A CTE of the user ids holding every required course's valid certificate at ``now``
    (certificates' building block); joined to active staff only, it counts the authorised.
    One query for the required course ids unless ``required_ids`` are given."""
    if required_ids is None:
        required_ids = required_course_ids()
    return CTE(authorised_holders(now, required_ids), name="authorised")


def _left_join(cte, qs, **on):
    return cte.join(qs, _join_type=LOUTER, **{k: getattr(cte.col, v) for k, v in on.items()})


def join_counted_completed(qs, now, ctes):
    """Left-join the completions that still stand (a CTE of ``held_pairs``, computed once) to
    the enrolments ``qs`` and return ``(qs, completed)``: the joined queryset and the
    condition "counts as completed" (``counted_completed_q``) for its aggregates. The CTE is
    appended to ``ctes``."""
    pairs = held_pairs(now)
    if pairs is None:
        return qs, counted_completed_q(now, held=Q(pk__in=[]))
    held = CTE(pairs, name="held")
    ctes.append(held)
    qs = _left_join(held, qs, user_id="user_id", course_id="course_id")
    return qs, counted_completed_q(now, held=IsNull(held.col.user_id, False))


def counts_by_district_course(filt, now=None):
    """{(district_id, course_id): {enrolled, completed, passed, certified, overdue, attended,
    with_sessions}}, one query.

    The enrollments LEFT JOIN the distinct passed, certified and attended (user, course) pairs
    and the courses holding sessions, each computed once (hash joins), rather than correlated
    subqueries per enrollment."""
    now = now or timezone.now()
    ctes = []
    qs, certified, completed = join_certified_and_counted(enrollment_queryset(filt), now, ctes)
    counts = {
        "enrolled": Count("id"),
        "completed": Count("id", filter=completed),
        "overdue": Count("id", filter=overdue_q(now, completed=completed)),
        "certified": Count(certified.col.user_id),
    }
    for name, cte in (
        ("passed", passed_cte()),
        ("attended", attended_cte()),
    ):
        qs = _left_join(cte, qs, user_id="user_id", course_id="course_id")
        counts[name] = Count(cte.col.user_id)
        ctes.append(cte)
    # Enrolments in courses that hold in-person sessions: what attendance is a share of.
    sessions = CTE(session_course_ids(), name="session_courses")
    qs = _left_join(sessions, qs, course_id="course_id")
    counts["with_sessions"] = Count(sessions.col.course_id)
    ctes.append(sessions)
    qs = qs.values("user__staff_profile__district_id", "course_id").annotate(**counts).order_by()
    qs = with_cte(*ctes, select=qs)
    return {(row.pop("user__staff_profile__district_id"), row.pop("course_id")): row for row in qs}


def per_person_cte(filt, now):
    """``(ctes, per_user)``: a CTE of one row per person enrolled (in what ``filt`` covers) with
    their district and counts -- ``n`` enrolments, ``done`` complete, ``late`` overdue,
    ``cert`` holding a valid certificate -- and the CTEs it rests on. The one per-person
    building block of the dashboards' people (``dashboards.progress_by_district``) and of the
    roster's "people" filter (``people_with``), so a tile and its list agree."""
    now = now or timezone.now()
    ctes = []
    qs, certified, completed = join_certified_and_counted(enrollment_queryset(filt), now, ctes)
    per_user = CTE(
        qs.values("user_id", district_id=F("user__staff_profile__district_id"))
        .annotate(
            n=Count("id"),
            done=Count("id", filter=completed),
            late=Count("id", filter=overdue_q(now, completed=completed)),
            cert=Count(certified.col.user_id),
        )
        .order_by(),
        name="per_user",
    )
    return ctes, per_user


def person_conditions(per_user) -> dict:
    """The per-person rules on ``per_person_cte``'s columns: enrolled at all, complete in every
    enrolled course, certified in every enrolled course, overdue in at least one."""
    col = per_user.col
    return {
        ENROLLED_PEOPLE: Q(n__gt=0),
        COMPLETED_PEOPLE: Q(done=col.n),
        CERTIFIED_PEOPLE: Q(cert=col.n),
        OVERDUE_PEOPLE: Q(late__gt=0),
    }


def people_with(filt, which, now=None):
    """The user ids (a subquery) of the people ``which`` (a PEOPLE_CHOICES key other than
    authorised) among those ``filt`` covers."""
    ctes, per_user = per_person_cte(filt, now)
    condition = person_conditions(per_user)[which]
    return with_cte(*ctes, per_user, select=per_user.queryset().filter(condition).values("user_id"))


def people_by_district(filt, now=None, required_ids=None):
    """{district_id: {staff, authorised, not_enrolled}} in two queries (the required courses,
    unless ``required_ids`` are given, then the staff LEFT JOIN the authorised users)."""
    now = now or timezone.now()
    filt.resolve()
    enrollments = Enrollment.objects.filter(user_id=OuterRef("user_id"))
    if filt.course_ids is not None:
        enrollments = enrollments.filter(course_id__in=filt.course_ids)
    authorised = authorised_cte(now, required_ids)
    qs = _left_join(authorised, staff_queryset(filt), user_id="user_id")
    qs = (
        qs.values("district_id")
        .annotate(
            staff=Count("id"),
            authorised=Count(authorised.col.user_id),
            not_enrolled=Count("id", filter=~Q(Exists(enrollments))),
        )
        .order_by()
    )
    qs = with_cte(authorised, select=qs)
    return {row.pop("district_id"): row for row in qs}


def weekly_completions(filt):
    """[(week_start_date, completions)] of the roster's enrollments, in one query."""
    qs = (
        enrollment_queryset(filt)
        .filter(completed_q())
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
