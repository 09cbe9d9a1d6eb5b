"""Rollout actions with side effects: enrolling waves and late joiners."""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone
from django_tasks import task

from certificates.lifecycle import ATTENDANCE_REVOCATION_REASON
from courses.enrolment import enrol_many
from lms.organisation.models import StaffProfile
from lms.organisation.signals import staff_joined

from . import checkin
from .models import Attendance, RolloutWave, TrainingSession, WaveEnrolment

logger = logging.getLogger(__name__)


def _enrol_and_link(wave, user_ids, courses):
    """Enrol ``user_ids`` in ``courses`` through courses' public API and record the enrolments
    this wave created (WaveEnrolment). Returns the number created."""
    from courses.models import Enrollment

    user_ids = list(user_ids)
    course_ids = [c.pk for c in courses]
    if not user_ids or not course_ids:
        return 0
    pairs = Enrollment.objects.filter(user_id__in=user_ids, course_id__in=course_ids)
    before = set(pairs.values_list("pk", flat=True))
    created = enrol_many(user_ids, course_ids, source="wave", due_at=wave.due_at)
    if created:
        new_ids = [pk for pk in pairs.values_list("pk", flat=True) if pk not in before]
        WaveEnrolment.objects.bulk_create(
            [WaveEnrolment(wave=wave, enrollment_id=pk) for pk in new_ids],
            batch_size=2000,
            ignore_conflicts=True,
        )
    return created


def staff_of_districts(district_ids):
    """Whom a wave of ``district_ids`` (ids or a subquery) enrols: their window staff."""
    return StaffProfile.objects.window_staff().filter(district_id__in=district_ids)


def wave_staff(wave, district_ids=None):
    """The one definition of whom a wave enrols: the active staff of its districts
    (optionally only of ``district_ids``); who is window staff is the organisation's rule
    (``StaffProfile.objects.window_staff``: not an administrator without the staff role)."""
    qs = staff_of_districts(wave.districts.values("pk"))
    if district_ids is not None:
        qs = qs.filter(district_id__in=district_ids)
    return qs


def wave_member_ids(wave, district_ids=None) -> list:
    """User ids of the wave's members: the window staff the wave enrolled (who hold an
    enrolment it created, ``WaveEnrolment``), optionally only of ``district_ids``. A person of
    the wave's districts who was enrolled in its courses before it (another wave,
    self-enrolment) is not its member. What the wave's rows on the dashboards count
    (``dashboards.counts_by_wave``: the same people, per wave, in its one query) and what the
    rollout hands down to lower floors (certificates never look waves up)."""
    from courses.models import Enrollment

    qs = Enrollment.objects.filter(
        wave_links__wave=wave, user__staff_profile__in=StaffProfile.objects.window_staff()
    )
    if district_ids is not None:
        qs = qs.filter(user__staff_profile__district_id__in=district_ids)
    return list(qs.order_by("user_id").values_list("user_id", flat=True).distinct())


def waves_visible_to(user):
    """The waves an administrator sees: all at city level, else those covering their
    districts."""
    from lms.organisation.roles import admin_district_ids

    return RolloutWave.objects.covering(admin_district_ids(user))


def wave_choices(user) -> list:
    """``[(id, name)]`` of the waves ``user`` sees, newest first: certificates' batch form
    offers them by name (registered in ``RolloutConfig.ready``)."""
    return list(waves_visible_to(user).order_by("-opens_on", "name").values_list("pk", "name"))


def wave_name(wave_id) -> str | None:
    return RolloutWave.objects.filter(pk=wave_id).values_list("name", flat=True).first()


def wave_population(wave_id):
    """``(user_ids, course_ids)`` of a wave, for certificates' batch downloads (registered in
    ``RolloutConfig.ready`` with ``certificates.exports.register_population``)."""
    wave = RolloutWave.objects.get(pk=wave_id)
    return wave_member_ids(wave), list(wave.courses.values_list("pk", flat=True))


def enrol_wave(wave, district_ids=None):
    """Enrol every active staff member of the wave's districts (optionally only of
    ``district_ids``) in the wave's courses, due at the end of the wave's due date.
    Idempotent: existing enrollments are kept as they are. Returns the number created."""
    courses = list(wave.courses.all())
    if not courses:
        return 0
    created = 0
    user_ids = wave_staff(wave, district_ids).values_list("user_id", flat=True).order_by("pk")
    batch = []
    with transaction.atomic():
        for user_id in user_ids.iterator(chunk_size=2000):
            batch.append(user_id)
            if len(batch) >= 2000:
                created += _enrol_and_link(wave, batch, courses)
                batch = []
        if batch:
            created += _enrol_and_link(wave, batch, courses)
        RolloutWave.objects.filter(pk=wave.pk).update(last_enrolled_at=timezone.now())
    return created


@dataclass
class EnrolmentPreview:
    """What opening (or enrolling) a wave will do: ``people`` staff in ``courses`` courses,
    ``new`` enrolments to create; ``empty_districts`` have no active staff yet;
    ``pending_people`` of the ``people`` still miss at least one of the courses (the rest are
    enrolled in all of them)."""

    people: int
    courses: int
    new: int
    by_district: list
    empty_districts: list
    pending_people: int = 0

    @property
    def enrolled_people(self) -> int:
        return self.people - self.pending_people


def enrolment_preview(wave, district_ids=None) -> EnrolmentPreview:
    """Count what enrol_wave would do, in three queries."""
    districts = list(wave.districts.values_list("pk", flat=True))
    if district_ids is not None:
        districts = [pk for pk in districts if pk in district_ids]
    return enrolment_preview_for(districts, list(wave.courses.values_list("pk", flat=True)))


def enrolment_preview_for(district_ids, course_ids) -> EnrolmentPreview:
    """What a wave of ``district_ids`` and ``course_ids`` would enrol (the wave form shows it
    while districts and courses are ticked, before saving), with ``wave_staff``'s rule: the
    window staff of the districts. Two queries."""
    from courses.models import Enrollment
    from lms.organisation.models import District

    course_ids = list(course_ids)
    staff = staff_of_districts(district_ids)
    districts = (
        District.objects.filter(pk__in=district_ids)
        .annotate(people=Count("staff", filter=Q(staff__in=staff)))
        .order_by("sort_order")
    )
    existing = (
        Enrollment.objects.filter(
            user_id__in=staff.values("user_id"), course_id__in=course_ids
        ).count()
        if course_ids
        else 0
    )
    by_district = [(d, d.people) for d in districts]
    people = sum(n for _d, n in by_district)
    complete = (
        staff.annotate(
            held=Count("user__enrollments", filter=Q(user__enrollments__course_id__in=course_ids))
        )
        .filter(held__gte=len(course_ids))
        .count()
        if course_ids
        else people
    )
    return EnrolmentPreview(
        people=people,
        courses=len(course_ids),
        new=people * len(course_ids) - existing,
        by_district=by_district,
        empty_districts=[d for d, n in by_district if n == 0],
        pending_people=people - complete,
    )


def follow_district_waves(user_ids) -> int:
    """People moved to another district: their unfinished enrolments that a wave of the old
    district created follow the open wave of the new district that covers the course (the
    earliest due, if several): the enrolment becomes that wave's, and its deadline -- unless an
    administrator set a personal one (it differs from the old wave's) -- becomes the new
    wave's. If no open wave of the new district covers the course, the enrolment keeps its
    wave and deadline. An enrolment whose wave also covers the new district is not moved.
    Returns the number of enrolments moved to another wave."""
    from courses.completion import completed_q

    district_of = dict(
        StaffProfile.objects.window_staff()
        .filter(user_id__in=list(user_ids), district__isnull=False)
        .values_list("user_id", "district_id")
    )
    if not district_of:
        return 0
    links = list(
        WaveEnrolment.objects.filter(enrollment__user_id__in=list(district_of))
        .exclude(completed_q("enrollment__"))
        .select_related("wave", "enrollment")
    )
    wave_districts = set(
        RolloutWave.districts.through.objects.filter(
            rolloutwave_id__in={link.wave_id for link in links}
        ).values_list("rolloutwave_id", "district_id")
    )
    links = [
        link
        for link in links
        if (link.wave_id, district_of[link.enrollment.user_id]) not in wave_districts
    ]
    if not links:
        return 0
    waves = list(
        RolloutWave.objects.open()
        .filter(districts__in=set(district_of.values()))
        .distinct()
        .order_by("due_on", "pk")
        .prefetch_related("districts", "courses")
    )
    covering = {}  # (district_id, course_id) -> the first open wave covering it
    for wave in waves:
        course_ids = [c.pk for c in wave.courses.all()]
        for district in wave.districts.all():
            for course_id in course_ids:
                covering.setdefault((district.pk, course_id), wave)
    moved = []
    for link in links:
        enrollment = link.enrollment
        wave = covering.get((district_of[enrollment.user_id], enrollment.course_id))
        if wave is None:
            continue  # no wave of the new district covers the course: keep the deadline
        if enrollment.due_at == link.wave.due_at:
            enrollment.due_at = wave.due_at
            enrollment.save(update_fields=["due_at"])
        link.wave = wave
        moved.append(link)
    WaveEnrolment.objects.bulk_update(moved, ["wave"])
    return len(moved)


def enrol_in_open_waves(profile):
    """Enrol one (new, reactivated or moved) staff member in every open wave of their
    district; a moved person's wave enrolments follow the new district's waves first
    (``follow_district_waves``)."""
    if not profile.district_id or not StaffProfile.objects.window_staff().filter(pk=profile.pk):
        return 0
    follow_district_waves([profile.user_id])
    created = 0
    waves = (
        RolloutWave.objects.open().filter(districts=profile.district_id).prefetch_related("courses")
    )
    for wave in waves:
        courses = list(wave.courses.all())
        if courses:
            created += _enrol_and_link(wave, [profile.user_id], courses)
    return created


def propagate_deadline(wave, old_due_at) -> int:
    """The wave's deadline moved: its enrolments that still carry the old deadline follow it
    (a deadline an administrator changed for one person is kept). Returns the number moved."""
    from courses.models import Enrollment

    return Enrollment.objects.filter(wave_links__wave=wave, due_at=old_due_at).update(
        due_at=wave.due_at
    )


# -- background enrolment ----------------------------------------------------------------------


@task()
def enrol_wave_task(wave_id: int) -> int:
    """Background task: enrol an open wave (queued when it opens or gains districts/courses)."""
    wave = RolloutWave.objects.filter(pk=wave_id).first()
    if wave is None or not wave.is_open:
        return 0
    created = enrol_wave(wave)
    logger.info("wave %s: %s enrolments created", wave_id, created)
    return created


@task()
def enrol_staff_task(profile_id: int) -> int:
    """Background task: enrol a new, reactivated or moved staff member in the open waves."""
    profile = StaffProfile.objects.select_related("user").filter(pk=profile_id).first()
    if profile is None:
        return 0
    return enrol_in_open_waves(profile)


def schedule_wave_enrolment(wave_id: int) -> None:
    """Queue the wave's enrolment once the current transaction commits."""
    transaction.on_commit(lambda: enrol_wave_task.enqueue(wave_id))


@receiver(pre_save, sender=RolloutWave, dispatch_uid="rollout.wave_pre_save")
def _remember_wave(sender, instance, raw=False, **kwargs):
    instance._rollout_previous = (
        None
        if raw or not instance.pk
        else RolloutWave.objects.filter(pk=instance.pk).values("due_on", "status").first()
    )


@receiver(post_save, sender=RolloutWave, dispatch_uid="rollout.wave_post_save")
def _wave_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    previous = getattr(instance, "_rollout_previous", None)
    if previous and previous["due_on"] != instance.due_on:
        old = RolloutWave(due_on=previous["due_on"]).due_at
        propagate_deadline(instance, old)
    if instance.status == RolloutWave.Status.OPEN and (
        previous is None or previous["status"] != RolloutWave.Status.OPEN or created
    ):
        schedule_wave_enrolment(instance.pk)


@receiver(m2m_changed, sender=RolloutWave.districts.through, dispatch_uid="rollout.wave_d")
@receiver(m2m_changed, sender=RolloutWave.courses.through, dispatch_uid="rollout.wave_c")
def _wave_scope_changed(sender, instance, action, reverse=False, **kwargs):
    """Districts or courses added to an open wave: enrol the newcomers in the background."""
    if (
        action == "post_add"
        and not reverse
        and isinstance(instance, RolloutWave)
        and instance.status == RolloutWave.Status.OPEN
    ):
        schedule_wave_enrolment(instance.pk)


# -- late joiners ------------------------------------------------------------------------------


@receiver(pre_save, sender=StaffProfile, dispatch_uid="rollout.profile_pre_save")
def _remember_previous_state(sender, instance, raw=False, **kwargs):
    if raw or not instance.pk:
        instance._rollout_previous = None
        return
    instance._rollout_previous = (
        StaffProfile.objects.filter(pk=instance.pk).values("is_active", "district_id").first()
    )


@receiver(post_save, sender=StaffProfile, dispatch_uid="rollout.profile_post_save")
def _profile_saved(sender, instance, created, raw=False, **kwargs):
    """Created, reactivated or moved to another district: enrol in the open waves (after the
    transaction commits, so the user's final state counts)."""
    if raw:
        return
    previous = getattr(instance, "_rollout_previous", None)
    joined = (
        created
        or previous is None
        or (instance.is_active and not previous["is_active"])
        or previous["district_id"] != instance.district_id
    )
    if joined and instance.is_active:
        transaction.on_commit(lambda: staff_joined.send(sender=StaffProfile, profile=instance))


@receiver(staff_joined, dispatch_uid="rollout.staff_joined")
def _staff_joined(sender, profile, **kwargs):
    enrol_staff_task.enqueue(profile.pk)


def enrol_users_in_open_waves(user_ids):
    """Enrol many (new, reactivated or moved) staff members in the open waves of their
    districts, in bulk: what ``enrol_in_open_waves`` does for one, for a whole import."""
    user_ids = list(user_ids)
    if not user_ids:
        return 0
    follow_district_waves(user_ids)
    by_district = {}
    for district_id, user_id in (
        StaffProfile.objects.window_staff()
        .filter(user_id__in=user_ids, district__isnull=False)
        .values_list("district_id", "user_id")
    ):
        by_district.setdefault(district_id, []).append(user_id)
    created = 0
    waves = (
        RolloutWave.objects.open()
        .filter(districts__in=list(by_district))
        .distinct()
        .prefetch_related("courses", "districts")
    )
    for wave in waves:
        courses = list(wave.courses.all())
        ids = [uid for d in wave.districts.all() for uid in by_district.get(d.pk, [])]
        for start in range(0, len(ids), 2000):
            if courses:
                created += _enrol_and_link(wave, ids[start : start + 2000], courses)
    return created


# -- sessions: bookings, attendance and the attendance requirement -----------------------------


class SessionFull(Exception):
    """The session has no seat left."""


class NotExpected(Exception):
    """The person is not among the session's expected staff."""


class CheckinClosed(Exception):
    """Check-in is outside the session's time window (``checkin.window``)."""


class AlreadyAttended(Exception):
    """The person was present at a session of this course in their current cycle: another
    session of it is not offered (a new cycle, e.g. recertification, may need one again)."""


def is_draft(session) -> bool:
    """Does ``session`` belong to a draft wave (no booking, no check-in, counts nowhere)?"""
    return RolloutWave.objects.filter(pk=session.wave_id, status=RolloutWave.Status.DRAFT).exists()


def seats_taken(session) -> int:
    """Seats taken at ``session``: people booked, and people present without a booking."""
    return (
        Attendance.objects.filter(session=session)
        .filter(Q(booked_at__isnull=False) | Q(present=True))
        .count()
    )


def counted_attendance():
    """Attendance records that count: present at a session of a course, not of a draft wave."""
    return (
        Attendance.objects.present()
        .filter(session__course__isnull=False)
        .exclude(session__wave__status=RolloutWave.Status.DRAFT)  # a draft wave's count nowhere
    )


def attended_pairs(since=None):
    """Distinct ``(user_id, course_id)`` of people marked present at a session of a course
    (optionally at sessions starting at or after ``since``): the one building block of "attended
    a session of this course", for the completion requirement, the roster and the dashboards."""
    qs = counted_attendance()
    if since is not None:
        qs = qs.filter(session__starts_at__gte=since)
    return (
        qs.order_by()
        .values(user_id=F("staff__user_id"), course_id=F("session__course_id"))
        .distinct()
    )


def session_course_ids():
    """Distinct ids of the courses that have in-person sessions."""
    return (
        TrainingSession.objects.filter(course__isnull=False)
        .order_by()
        .values("course_id")
        .distinct()
    )


def attended_course(user, course, since=None) -> bool:
    """The completion requirement registered with courses (``RolloutConfig.ready``): a course
    that requires attendance needs the learner present at one of its sessions in the current
    cycle. No query for a course that does not require it."""
    if not getattr(course, "attendance_required", False):
        return True
    return attended_pairs(since).filter(user_id=user.pk, course_id=course.pk).exists()


def attended_course_ids(profile) -> set:
    """Ids of the courses ``profile`` attended a session of in their current cycle of the
    course (``courses.enrolment.cycle_start``; any time when not enrolled): the same records
    as ``attended_course`` counts. One query."""
    from django.db.models import OuterRef, Subquery

    from courses.models import Enrollment

    if profile is None:
        return set()
    cycle = Enrollment.objects.filter(
        user_id=profile.user_id, course_id=OuterRef("session__course_id")
    ).values("cycle_started_at")[:1]
    return set(
        counted_attendance()
        .filter(staff=profile)
        .annotate(cycle=Subquery(cycle))
        .filter(Q(cycle__isnull=True) | Q(session__starts_at__gte=F("cycle")))
        .values_list("session__course_id", flat=True)
    )


def attendance_missing(user, course, since=None):
    """What a learner is told while ``attended_course`` does not hold (registered with the
    requirement in ``RolloutConfig.ready``): "须参加现场培训", linked to the sessions on the
    course page; with the session they booked, or that none is scheduled for them yet."""
    from django.utils.formats import date_format
    from django.utils.translation import gettext

    from courses.wording import Linked

    profile = getattr(user, "staff_profile", None)
    sessions = list(upcoming_sessions(profile, course=course)) if profile is not None else []
    link = [(gettext("须参加现场培训"), (course.get_url() or "") + "#course-sessions")]
    booked = next((s for s in sessions if s.mine), None)
    if booked is not None:
        starts = timezone.localtime(booked.starts_at)
        return Linked(
            gettext("%(attend)s（已预约 %(date)s %(time)s 的场次）"),
            {"date": date_format(starts, "DATE_FORMAT"), "time": starts.strftime("%H:%M")},
            {"attend": link},
        )
    if sessions:
        return Linked("%(attend)s", {}, {"attend": link})
    return Linked(gettext("%(attend)s（暂无场次，请等待培训师安排）"), {}, {"attend": link})


def upcoming_sessions(profile, now=None, course=None):
    """Sessions ahead (not yet ended) that ``profile`` is expected at (optionally of ``course``
    only), each annotated with ``booked_n`` (seats taken), ``bookable``
    (``TrainingSession.objects.with_bookable``: not started and a seat left -- a session under
    way is listed, not offered), ``mine`` (booked by ``profile``) and ``present``. Sessions of
    a course the person already attended in this cycle are left out
    (``attended_course_ids``), except the one they were present at. Two queries."""
    from django.db.models import Exists, OuterRef

    now = now or timezone.now()
    if profile is None or not profile.is_active or not profile.district_id:
        return TrainingSession.objects.none()
    wave_covers = RolloutWave.districts.through.objects.filter(
        rolloutwave_id=OuterRef("wave_id"), district_id=profile.district_id
    )
    expected = Q(district_id=profile.district_id) | Q(district__isnull=True) & Exists(wave_covers)
    # A session without an end time lasts as long as its check-in stays open after the start.
    since = now - checkin.OPEN_WITHOUT_END
    not_over = Q(ends_at__gte=now) | Q(ends_at__isnull=True, starts_at__gte=since)
    mine = Attendance.objects.booked().filter(session=OuterRef("pk"), staff=profile)
    present = Attendance.objects.present().filter(session=OuterRef("pk"), staff=profile)
    sessions = (
        TrainingSession.objects.filter(expected, not_over)
        .exclude(wave__status=RolloutWave.Status.DRAFT)
        .select_related("course", "wave")
        .with_bookable(now)
        .annotate(mine=Exists(mine), present=Exists(present))
        .order_by("starts_at")
    )
    if course is not None:
        sessions = sessions.filter(course=course)
    attended = attended_course_ids(profile)
    if attended:
        sessions = sessions.filter(~Q(course_id__in=attended) | Q(present=True))
    return sessions


def other_bookings(session, profile, now=None):
    """``profile``'s bookings of other sessions of ``session``'s course that have not started
    and where they are not present: what booking ``session`` moves (one booking per course)."""
    now = now or timezone.now()
    if not session.course_id:
        return Attendance.objects.none()
    return (
        Attendance.objects.booked()
        .filter(
            staff=profile,
            present=False,
            session__course_id=session.course_id,
            session__starts_at__gt=now,
        )
        .exclude(session=session)
    )


def book_session(session_id, profile, now=None) -> "Attendance":
    """Book a seat for ``profile``; the session row is locked so two people can never take the
    last seat together. Idempotent for a person already booked. One booking per course: a
    booking of another session of the same course that has not started is moved here (the
    returned record's ``moved_from`` lists the sessions given up). Raises SessionFull,
    NotExpected, or AlreadyAttended when the person was present at a session of the course
    in their current cycle."""
    now = now or timezone.now()
    with transaction.atomic():
        # The person's row first: two bookings of theirs (two sessions of one course, in two
        # tabs) are made one after the other, never both.
        StaffProfile.objects.select_for_update().filter(pk=profile.pk).order_by("pk").first()
        session = TrainingSession.objects.select_for_update().get(pk=session_id)
        if not session.is_expected(profile) or is_draft(session):
            raise NotExpected
        record = Attendance.objects.filter(session=session, staff=profile).first()
        if record is not None and record.booked_at is not None:
            record.moved_from = []
            return record
        if session.course_id and session.course_id in attended_course_ids(profile):
            raise AlreadyAttended
        if Attendance.objects.booked().filter(session=session).count() >= session.capacity:
            raise SessionFull
        moved = list(
            other_bookings(session, profile, now).select_related("session", "session__course")
        )
        for other in moved:
            if other.taken_at:  # an attendance record of its own: keep it, free the seat
                other.booked_at = None
                other.save(update_fields=["booked_at"])
            else:
                other.delete()
        if record is None:
            record = Attendance.objects.create(session=session, staff=profile, booked_at=now)
        else:
            record.booked_at = now
            record.save(update_fields=["booked_at"])
        record.moved_from = [other.session for other in moved]
        return record


def cancel_booking(session_id, profile) -> bool:
    """Give the seat back. Refused (False) once the person is present: they hold the seat."""
    with transaction.atomic():
        record = (
            Attendance.objects.select_for_update()
            .filter(session_id=session_id, staff=profile, booked_at__isnull=False)
            .first()
        )
        if record is None or record.present:
            return False
        if record.taken_at:  # attendance once taken (and taken back) keeps its record
            record.booked_at = None
            record.save(update_fields=["booked_at"])
        else:
            record.delete()
    return True


def booked_staff(session):
    """The people booked for ``session`` (StaffProfiles, in sheet order)."""
    from lms.organisation.models import StaffProfile

    return (
        StaffProfile.objects.filter(
            attendance__session=session, attendance__booked_at__isnull=False
        )
        .select_related("district")
        .order_by("district__sort_order", "service_centre", "employee_no")
    )


def evaluate_attendance(session, staff_ids) -> int:
    """After people were marked present: re-evaluate completion of the session's course for
    each (a learner who already passed the quiz completes and is certified). Returns the
    number of completions."""
    from courses.completion import evaluate

    if not session.course_id or not staff_ids:
        return 0
    course = session.course
    users = StaffProfile.objects.filter(pk__in=staff_ids).select_related("user")
    return sum(1 for profile in users if evaluate(profile.user, course))


#: The revocation reason when unticking an attendance withdraws the certificate resting on it
#: (certificates shows it to the holder in their language: ``lifecycle.translated_reason``).
ATTENDANCE_WITHDRAWN_REASON = ATTENDANCE_REVOCATION_REASON
#: The reinstatement reason when ticking it again restores that certificate.
ATTENDANCE_RESTORED_REASON = "考勤恢复"


def _cause(session) -> dict:
    """What an unticking takes back, as logged with the revocation it leads to."""
    return {"attendance_session": session.pk}


def has_recorded_attendance(session) -> bool:
    """Is anybody marked present at ``session``? Completions and certificates may then rest
    on it: its course can no longer be changed and it cannot be deleted (the session form
    and the session and wave delete views ask this)."""
    return Attendance.objects.present().filter(session=session).exists()


def wave_has_recorded_attendance(wave) -> bool:
    """:func:`has_recorded_attendance` for any session of ``wave`` (deleting a wave deletes
    its sessions)."""
    return Attendance.objects.present().filter(session__wave=wave).exists()


def withdraw_attendance(session, staff_ids, actor=None) -> None:
    """People were unticked: the completions of the session's course that rested on their
    attendance are withdrawn after commit (courses.completion.withdraw_requirement, which
    certificates follow exactly as after a regrade). A completion still resting on another
    session of the course in the cycle is kept. The revocation is logged with the session,
    so ticking the person again restores it (:func:`restore_attendance`)."""
    from courses.completion import withdraw_requirement

    if not session.course_id or not staff_ids:
        return
    course = session.course
    for profile in StaffProfile.objects.filter(pk__in=staff_ids).select_related("user"):
        withdraw_requirement(
            attended_course,
            profile.user,
            course,
            actor=actor,
            reason=ATTENDANCE_WITHDRAWN_REASON,
            cause=_cause(session),
        )


def withdrawal_preview(session, staff_ids) -> list:
    """What unticking ``staff_ids`` at ``session`` would take back, before it is done:
    ``[(profile, certificates.lifecycle.Withdrawal)]`` in sheet order, for the people whose
    completion (and certificate) would be withdrawn. The owner of that rule answers
    (``certificates.lifecycle.unfounded_completion`` with :func:`attended_course`), inside a
    savepoint in which the people are unticked and which is then rolled back."""
    from certificates.lifecycle import unfounded_completion

    if not session.course_id or not staff_ids:
        return []
    course = session.course
    profiles = (
        StaffProfile.objects.filter(pk__in=staff_ids)
        .select_related("user", "district")
        .order_by("district__sort_order", "service_centre", "employee_no")
    )
    found = []
    with transaction.atomic():
        Attendance.objects.filter(session=session, staff_id__in=staff_ids).update(present=False)
        for profile in profiles:
            withdrawal = unfounded_completion(profile.user, course, attended_course)
            if withdrawal is not None:
                found.append((profile, withdrawal))
        transaction.set_rollback(True)
    return found


def restore_attendance(session, staff_ids, actor=None) -> list:
    """People were ticked again: a certificate that unticking them at this very session
    revoked is reinstated (``certificates.lifecycle.reinstate_withdrawn``, logged with
    :data:`ATTENDANCE_RESTORED_REASON`), rather than sending them to another session. Returns
    the reinstated certificates."""
    from certificates.lifecycle import reinstate_withdrawn

    if not session.course_id or not staff_ids:
        return []
    course = session.course
    restored = []
    for profile in StaffProfile.objects.filter(pk__in=staff_ids).select_related("user"):
        certificate = reinstate_withdrawn(
            profile.user,
            course,
            _cause(session),
            actor=actor,
            reason=ATTENDANCE_RESTORED_REASON,
        )
        if certificate is not None:
            restored.append(certificate)
    return restored


def check_in(session, profile, by=None, now=None, window=False) -> bool:
    """Record ``profile`` present at ``session`` (QR check-in). Idempotent; returns True when
    newly marked present. The caller has checked the token. The session row is locked while
    the seats are counted: a booked person always gets in, one without a booking only while
    seats remain (SessionFull). A session of a draft wave, or a person not expected, raises
    NotExpected; with ``window=True`` a time outside ``checkin.window`` raises CheckinClosed."""
    now = now or timezone.now()
    with transaction.atomic():
        session = TrainingSession.objects.select_for_update().get(pk=session.pk)
        if not session.is_expected(profile) or is_draft(session):
            raise NotExpected
        if window and not checkin.is_open(session, now):
            raise CheckinClosed
        record = Attendance.objects.filter(session=session, staff=profile).first()
        if record is not None and record.present:
            return False
        if (record is None or record.booked_at is None) and seats_taken(
            session
        ) >= session.capacity:
            raise SessionFull
        if record is None:
            record = Attendance(session=session, staff=profile)
        record.present, record.taken_by, record.taken_at = True, by, now
        record.save()
    evaluate_attendance(session, [profile.pk])
    return True
