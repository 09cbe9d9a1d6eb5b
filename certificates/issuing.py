"""Issuing, re-issuing and revoking certificates: the one place every caller goes through.

Serials are ``<year>-<district code>-<6 digits>``, gapless per (year, district): the number
comes from a ``SerialCounter`` row locked with ``select_for_update`` in the same transaction
that creates the certificate and renders its PDF, so a failed render or a duplicate rolls the
number back. One current certificate per user and course is enforced by a partial unique
constraint.

Lifecycle (README "Certificate lifecycle"): one certificate per completion; a revocation opens
a new learning cycle (only a pass after it leads to a new certificate) and can be reinstated
when made in error; an expiring or expired certificate opens a new cycle too
(``certificates.lifecycle.open_renewals``), and the new pass issues a new certificate.
"""

import hashlib
import logging

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext
from wagtail.log_actions import log

from courses.completion import completed_q
from courses.models import Enrollment

from . import rendering
from .models import CITY_DISTRICT_CODE, Certificate, SerialCounter

logger = logging.getLogger(__name__)

ACTION_ISSUE = "certificates.issue"
ACTION_REISSUE = "certificates.reissue"
ACTION_REVOKE = "certificates.revoke"
ACTION_REINSTATE = "certificates.reinstate"


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


def _prepare(user):
    """What must happen BEFORE the write transaction opens: the holder's details, and the
    certificate fonts (built once per machine, which takes minutes the first time, then
    loaded into this process) with the check that the name can be printed. On SQLite the
    transaction holds the database's one write lock, so font work inside it made every other
    writer (the scheduler, other learners) wait and fail with "database is locked", and the
    learner's submit hang (issue 14, walk-through finding 7)."""
    snapshot = holder_snapshot(user)
    # Fail before consuming a serial if the name cannot be printed faithfully.
    rendering.fonts_check_text(snapshot["holder_name"])
    return snapshot


def _create(user, course, *, issued_at=None, expires_at=None, snapshot=None):
    issued_at = issued_at or timezone.now()
    if snapshot is None:
        snapshot = holder_snapshot(user)
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


class NotEligible(ValueError):
    """No completion of the course is waiting for a certificate (message for people)."""


def uncertified_completion_q():
    """On an enrolment queryset: complete, and no certificate issued since that completion
    (whatever became of it: valid, expired, revoked or replaced). A certificate is issued once
    per completion; a revoked or expired one is followed only by a new completion, i.e. a new
    pass in a new cycle (``courses.enrolment.start_new_cycle``)."""
    issued_since = Certificate.objects.filter(
        user_id=OuterRef("user_id"),
        course_id=OuterRef("course_id"),
        issued_at__gte=OuterRef("completed_at"),
    )
    return completed_q() & ~Q(Exists(issued_since))


def issue(user, course, actor=None):
    """The valid certificate of ``user`` for ``course``: existing, or newly issued for a
    completion that has none yet. Idempotent.

    A completion newer than every certificate of (user, course) issues a new certificate; the
    previous current one (expiring or expired) is marked renewed and verifies as "expired"
    once its date has passed. Raises :class:`NotEligible` when there is nothing to certify: no
    completion, or the completion already had its certificate (revoked or expired since).
    A person with no enrolment and no certificate at all may be issued one (data seeding)."""
    enrollment = Enrollment.objects.filter(user=user, course=course).first()
    completed_at = enrollment.completed_at if enrollment else None
    latest = (
        Certificate.objects.filter(user=user, course=course).order_by("-issued_at", "-pk").first()
    )
    existing = current_certificate(user, course)
    renew = completed_at is not None and (latest is None or latest.issued_at < completed_at)
    if not renew:
        if existing is not None and existing.is_valid:
            return existing
        if not (enrollment is None and latest is None):
            raise NotEligible(_not_eligible_message(enrollment, latest))
    snapshot = _prepare(user)
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
            certificate = _create(user, course, snapshot=snapshot)
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
                    "completed_at": completed_at.isoformat() if completed_at else None,
                },
            )
    except IntegrityError:
        # A concurrent issue for the same user and course won the race.
        certificate = current_certificate(user, course)
        if certificate is None:
            raise
    return certificate


def _not_eligible_message(enrollment, latest):
    if latest is not None and latest.revoked_at:
        return gettext("证书已被撤销：须在撤销后重新通过考核才能再次颁发。")
    if latest is not None:
        return gettext("本轮学习已颁发过证书：须重新学习并通过考核才能颁发新证书。")
    return gettext("尚未完成课程，不能颁发证书。")


def reissue(certificate, actor=None):
    """Replace ``certificate``: new serial, current holder details, same expiry."""
    snapshot = _prepare(certificate.user)
    with transaction.atomic():
        old = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if old.revoked_at or old.superseded_at:
            raise ValueError("只能重新颁发当前有效的证书。")
        old.superseded_at = timezone.now()
        old.save(update_fields=["superseded_at"])
        new = _create(old.user, old.course, expires_at=old.expires_at, snapshot=snapshot)
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


def revoke(certificate, actor=None, reason="", cause=None):
    """Withdraw ``certificate``. The holder's enrolment opens a new cycle at the revocation:
    only a quiz attempt started after it, and passed, completes the course again and issues a
    new certificate. An attempt the holder has in progress is submitted now (graded as it
    stands, in the old cycle): a paper opened before the revocation never certifies.
    ``cause``: what was taken back when a withdrawn requirement revokes (JSON-able, logged;
    ``certificates.lifecycle.reinstate_withdrawn`` matches it)."""
    from courses.enrolment import start_new_cycle
    from quizzes.attempts import close_course_attempts

    with transaction.atomic():
        cert = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if cert.revoked_at is None:
            cert.revoked_at = timezone.now()
            cert.revoked_reason = reason[:200]
            cert.revoked_by = actor if actor and actor.is_authenticated else None
            cert.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
            start_new_cycle(cert.user, cert.course, at=cert.revoked_at)
            close_course_attempts(cert.user, cert.course, now=cert.revoked_at)
            log(
                instance=cert,
                action=ACTION_REVOKE,
                user=actor,
                data={"serial": cert.serial, "reason": cert.revoked_reason}
                | ({"cause": cause} if cause else {}),
            )
    certificate.refresh_from_db()
    return certificate


def reinstate(certificate, actor=None, reason=""):
    """Undo a revocation made in error (logged with ``reason`` and the revocation undone).

    Refused (ValueError) when the certificate is not revoked, when another current certificate
    of the same person and course exists, or without a reason. The enrolment is complete
    again as before the revocation, unless the learner has completed a new cycle since."""
    from courses.enrolment import restore_previous_cycle

    reason = (reason or "").strip()
    if not reason:
        raise ValueError(gettext("请填写恢复原因。"))
    if actor is not None and getattr(actor, "pk", None) == certificate.user_id:
        # A district administrator holds a certificate of their own district: undoing a
        # revocation of it (e.g. for cheating) would authorise themselves.
        raise ValueError(gettext("不能恢复本人的证书，请由其他管理员处理。"))
    with transaction.atomic():
        cert = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if cert.revoked_at is None:
            raise ValueError(gettext("该证书未被撤销。"))
        if current_certificate(cert.user, cert.course) is not None:
            raise ValueError(gettext("此人已持有本课程的其他现行证书，不能恢复。"))
        revoked_at, revoked_reason = cert.revoked_at, cert.revoked_reason
        cert.revoked_at = None
        cert.revoked_reason = ""
        cert.revoked_by = None
        cert.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
        restore_previous_cycle(cert.user, cert.course, revoked_at)
        log(
            instance=cert,
            action=ACTION_REINSTATE,
            user=actor,
            data={
                "serial": cert.serial,
                "reason": reason[:200],
                "revoked_at": revoked_at.isoformat(),
                "revoked_reason": revoked_reason,
            },
        )
    certificate.refresh_from_db()
    return certificate


def users_lacking_certificates(
    *, user_ids=None, course_ids=None, district_code=None, course_code=None
):
    """(user, course) pairs of active people whose completion has no certificate yet.

    ``user_ids``/``course_ids`` narrow it (e.g. a rollout wave's members and courses, handed
    down by ``lms.rollout``: certificates never look waves up)."""
    enrollments = (
        Enrollment.objects.filter(uncertified_completion_q())
        .filter(user__is_active=True)
        .select_related("user__staff_profile__district", "course")
    )
    if user_ids is not None:
        enrollments = enrollments.filter(user_id__in=list(user_ids))
    if course_ids is not None:
        enrollments = enrollments.filter(course_id__in=list(course_ids))
    if district_code:
        if district_code.upper() == CITY_DISTRICT_CODE:
            enrollments = enrollments.filter(user__staff_profile__district__isnull=True)
        else:
            enrollments = enrollments.filter(
                user__staff_profile__district__code=district_code.upper()
            )
    if course_code:
        enrollments = enrollments.filter(course__code=course_code)
    for enrollment in enrollments.order_by("pk").iterator(chunk_size=500):
        yield enrollment.user, enrollment.course


def issue_missing(**filters):
    """Issue every missing certificate matching ``filters``. Returns (issued, failed) lists."""
    issued, failed = [], []
    for user, course in list(users_lacking_certificates(**filters)):
        try:
            issued.append(issue(user, course))
        except NotEligible as exc:  # changed since the query (e.g. a concurrent issue)
            failed.append((user, course, str(exc)))
        except rendering.CertificateRenderError as exc:
            logger.error("certificate for user %s, course %s: %s", user.pk, course.code, exc)
            failed.append((user, course, str(exc)))
    return issued, failed
