"""Rollout actions with side effects: enrolling waves and late joiners."""

import logging

from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from courses.enrolment import enrol_many
from lms.organisation.models import StaffProfile
from lms.organisation.signals import staff_joined

from .models import RolloutWave

logger = logging.getLogger(__name__)


def _enrol_many(users, courses, due_at):
    return enrol_many(users, courses, source="wave", due_at=due_at)


def wave_staff(wave, district_ids=None):
    """The one definition of who belongs to a wave: the active staff of its districts."""
    qs = StaffProfile.objects.active().filter(district__in=wave.districts.all())
    if district_ids is not None:
        qs = qs.filter(district_id__in=district_ids)
    return qs


def wave_member_ids(wave, district_ids=None) -> list:
    """User ids of the wave's members: what the rollout hands down to lower floors
    (certificates never look waves up)."""
    return list(wave_staff(wave, district_ids).values_list("user_id", flat=True))


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
                created += _enrol_many(_users(batch), courses, wave.due_at)
                batch = []
        if batch:
            created += _enrol_many(_users(batch), courses, wave.due_at)
        RolloutWave.objects.filter(pk=wave.pk).update(last_enrolled_at=timezone.now())
    return created


def _users(ids):
    from django.contrib.auth import get_user_model

    return list(get_user_model().objects.filter(pk__in=ids))


def enrol_in_open_waves(profile):
    """Enrol one (new or reactivated) staff member in every open wave of their district."""
    if not profile.is_active or not profile.district_id or not profile.user.is_active:
        return 0
    created = 0
    waves = (
        RolloutWave.objects.open().filter(districts=profile.district_id).prefetch_related("courses")
    )
    for wave in waves:
        courses = list(wave.courses.all())
        if courses:
            created += _enrol_many([profile.user], courses, wave.due_at)
    return created


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
    profile.refresh_from_db()
    enrol_in_open_waves(profile)


def enrol_users_in_open_waves(user_ids):
    """Enrol many (new, reactivated or moved) staff members in the open waves of their
    districts, in bulk: what ``enrol_in_open_waves`` does for one, for a whole import."""
    user_ids = list(user_ids)
    if not user_ids:
        return 0
    by_district = {}
    for district_id, user_id in (
        StaffProfile.objects.active()
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
                created += _enrol_many(_users(ids[start : start + 2000]), courses, wave.due_at)
    return created
