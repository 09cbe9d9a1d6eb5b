"""Issuing, re-issuing and revoking certificates: the one place every caller goes through.

Serials are ``<year>-<district code>-<6 digits>``, gapless per (year, district): the number
comes from a ``SerialCounter`` row locked with ``select_for_update`` in the same transaction
that creates the certificate and renders its PDF, so a failed render or a duplicate rolls the
number back. One current certificate per user and course is enforced by a partial unique
constraint.
"""

import hashlib
import logging

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from wagtail.log_actions import log

from . import rendering
from .models import CITY_DISTRICT_CODE, Certificate, SerialCounter

logger = logging.getLogger(__name__)

ACTION_ISSUE = "certificates.issue"
ACTION_REISSUE = "certificates.reissue"
ACTION_REVOKE = "certificates.revoke"


def next_serial(year, district_code):
    """Reserve the next number for (year, district). Must run inside a transaction."""
    SerialCounter.objects.get_or_create(year=year, district_code=district_code)
    counter = SerialCounter.objects.select_for_update().get(year=year, district_code=district_code)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{year}-{district_code}-{counter.last_number:06d}"


def holder_snapshot(user):
    profile = getattr(user, "staff_profile", None)
    if profile is None:
        name = user.get_full_name() or user.get_username()
        return {
            "holder_name": name[:50],
            "holder_district": None,
            "holder_district_code": CITY_DISTRICT_CODE,
            "holder_employee_no": "",
        }
    district = profile.district
    return {
        "holder_name": profile.full_name,
        "holder_district": district,
        "holder_district_code": district.code if district else CITY_DISTRICT_CODE,
        "holder_employee_no": profile.employee_no,
    }


def store_pdf(certificate, pdf_bytes=None):
    """Render (unless given) and store the PDF in private storage; record its SHA-256."""
    if pdf_bytes is None:
        pdf_bytes = rendering.render_certificate(certificate)
    if certificate.pdf:
        certificate.pdf.delete(save=False)
    certificate.pdf_sha256 = hashlib.sha256(pdf_bytes).hexdigest()
    certificate.pdf.save(f"{certificate.serial}.pdf", ContentFile(pdf_bytes), save=False)
    certificate.save(update_fields=["pdf", "pdf_sha256"])
    return certificate


def _create(user, course, *, issued_at=None, expires_at=None, snapshot=None):
    issued_at = issued_at or timezone.now()
    snapshot = snapshot or holder_snapshot(user)
    # Fail before consuming a serial if the name cannot be printed faithfully.
    rendering.fonts_check_text(snapshot["holder_name"])
    serial = next_serial(timezone.localtime(issued_at).year, snapshot["holder_district_code"])
    certificate = Certificate.objects.create(
        serial=serial,
        user=user,
        course=course,
        issued_at=issued_at,
        expires_at=expires_at or Certificate.expiry_for(course, issued_at),
        **snapshot,
    )
    store_pdf(certificate)
    return certificate


def current_certificate(user, course):
    return Certificate.objects.current().filter(user=user, course=course).first()


def issue(user, course, actor=None):
    """The valid certificate of ``user`` for ``course``: existing, or newly issued.

    Idempotent. An expired current certificate is superseded by the new one (renewal).
    """
    existing = current_certificate(user, course)
    if existing is not None and existing.is_valid:
        return existing
    try:
        with transaction.atomic():
            old = None
            if existing is not None:
                old = Certificate.objects.select_for_update().get(pk=existing.pk)
                if old.superseded_at or old.revoked_at:
                    old = None
                else:
                    old.superseded_at = timezone.now()
                    old.save(update_fields=["superseded_at"])
            certificate = _create(user, course)
            if old is not None:
                old.superseded_by = certificate
                old.save(update_fields=["superseded_by"])
            log(
                instance=certificate,
                action=ACTION_ISSUE,
                user=actor,
                data={
                    "serial": certificate.serial,
                    "course": course.code,
                    "holder": certificate.holder_name,
                    "renews": old.serial if old else None,
                },
            )
    except IntegrityError:
        # A concurrent issue for the same user and course won the race.
        certificate = current_certificate(user, course)
        if certificate is None:
            raise
    return certificate


def reissue(certificate, actor=None):
    """Replace ``certificate``: new serial, current holder details, same expiry."""
    with transaction.atomic():
        old = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if old.revoked_at or old.superseded_at:
            raise ValueError("只能重新颁发当前有效的证书。")
        old.superseded_at = timezone.now()
        old.save(update_fields=["superseded_at"])
        new = _create(old.user, old.course, expires_at=old.expires_at)
        old.superseded_by = new
        old.save(update_fields=["superseded_by"])
        log(
            instance=new,
            action=ACTION_REISSUE,
            user=actor,
            data={"serial": new.serial, "replaces": old.serial, "holder": new.holder_name},
        )
    certificate.refresh_from_db()
    return new


def revoke(certificate, actor=None, reason=""):
    with transaction.atomic():
        cert = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if cert.revoked_at is None:
            cert.revoked_at = timezone.now()
            cert.revoked_reason = reason[:200]
            cert.revoked_by = actor if actor and actor.is_authenticated else None
            cert.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
            log(
                instance=cert,
                action=ACTION_REVOKE,
                user=actor,
                data={"serial": cert.serial, "reason": cert.revoked_reason},
            )
    certificate.refresh_from_db()
    return certificate


def users_lacking_certificates(
    *, user_ids=None, wave_id=None, district_code=None, course_code=None
):
    """(user, course) pairs whose enrollment is complete and who hold no valid certificate."""
    from django.apps import apps

    from courses.models import Enrollment

    enrollments = Enrollment.objects.filter(completed_at__isnull=False).select_related(
        "user__staff_profile__district", "course"
    )
    if user_ids is not None:
        enrollments = enrollments.filter(user_id__in=list(user_ids))
    if wave_id is not None:
        enrollments = enrollments.filter(user_id__in=wave_user_ids(apps, wave_id))
        course_ids = wave_course_ids(apps, wave_id)
        if course_ids is not None:
            enrollments = enrollments.filter(course_id__in=course_ids)
    if district_code:
        if district_code.upper() == CITY_DISTRICT_CODE:
            enrollments = enrollments.filter(user__staff_profile__district__isnull=True)
        else:
            enrollments = enrollments.filter(
                user__staff_profile__district__code=district_code.upper()
            )
    if course_code:
        enrollments = enrollments.filter(course__code=course_code)
    valid = set(
        Certificate.objects.valid()
        .filter(user_id__in=enrollments.values("user_id"))
        .values_list("user_id", "course_id")
    )
    for enrollment in enrollments.order_by("pk").iterator(chunk_size=500):
        if (enrollment.user_id, enrollment.course_id) not in valid:
            yield enrollment.user, enrollment.course


def _wave(apps, wave_id):
    try:
        wave_model = apps.get_model("rollout", "RolloutWave")
    except LookupError as exc:
        raise ValueError("rollout app (RolloutWave) is not available") from exc
    return wave_model.objects.get(pk=wave_id)


def wave_user_ids(apps, wave_id):
    """User ids of a rollout wave (staff of its districts), found lazily: the rollout app is a
    higher floor and is never imported here."""
    from lms.organisation.models import StaffProfile

    wave = _wave(apps, wave_id)
    if callable(getattr(wave, "user_ids", None)):
        return list(wave.user_ids())
    return list(
        StaffProfile.objects.filter(district__in=wave.districts.all()).values_list(
            "user_id", flat=True
        )
    )


def wave_course_ids(apps, wave_id):
    wave = _wave(apps, wave_id)
    return list(wave.courses.values_list("pk", flat=True)) if hasattr(wave, "courses") else None


def issue_missing(**filters):
    """Issue every missing certificate matching ``filters``. Returns (issued, failed) lists."""
    issued, failed = [], []
    for user, course in list(users_lacking_certificates(**filters)):
        try:
            issued.append(issue(user, course))
        except rendering.CertificateRenderError as exc:
            logger.error("certificate for user %s, course %s: %s", user.pk, course.code, exc)
            failed.append((user, course, str(exc)))
    return issued, failed
