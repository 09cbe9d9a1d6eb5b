"""Where a learner stands: what is still missing for a course's certificate and for window
authorisation, and the certificate once it exists. Shown on the course page, after every
lesson (a message) and on every quiz result (``settings.COURSE_STANDING`` names
``course_standing`` for the lower floors, which cannot import certificates).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from courses.completion import unmet_requirements
from courses.enrolment import cycle_start
from courses.models import Enrollment
from courses.prerequisites import missing_prerequisites
from courses.progress import unread_lessons
from courses.wording import Linked, course_link, join_list, page_link
from quizzes.results import course_quiz_id, has_passed, pending_marking

from .authorisation import (
    EXPIRED,
    REVOKED,
    expiring_days,
    expiry_warning,
    is_authorised,
    revocation_reason,
)
from .models import Certificate


def _date(value) -> str:
    return date_format(timezone.localtime(value), "DATE_FORMAT")


@dataclass
class Standing:
    course: object
    certificate: object = None  # the valid certificate, if any
    missing: list = field(default_factory=list)  # sentences: what the certificate still needs
    authorisation_missing: list = field(default_factory=list)  # Missing items, other courses
    authorised: bool = False
    left: bool = False
    recertifying: bool = False
    revoked: object = None  # the latest certificate, when it was revoked and nothing replaced it
    expired: object = None  # the latest certificate, when it expired and nothing replaced it
    expiring: bool = False  # the valid certificate is within the expiry reminder window

    @property
    def certificate_url(self):
        return reverse("certificates:pdf", args=[self.certificate.pk]) if self.certificate else ""

    @property
    def notice(self) -> str:
        """Where the learner's certificate stands when it is not simply valid: revoked (when
        and why), expired (when), or expiring (when, how many days left); the list of what
        renewing needs (``missing``) follows it. Empty otherwise."""
        if self.revoked is not None:
            cert = self.revoked
            params = {"serial": cert.serial, "date": _date(cert.revoked_at)}
            reason = revocation_reason(cert)
            if reason:
                return gettext(
                    "你的证书（%(serial)s）已于 %(date)s 撤销，原因：%(reason)s。"
                    "撤销前的考核成绩不再有效，完成下列事项后将重新颁发证书。"
                ) % dict(params, reason=reason)
            return (
                gettext(
                    "你的证书（%(serial)s）已于 %(date)s 撤销。"
                    "撤销前的考核成绩不再有效，完成下列事项后将重新颁发证书。"
                )
                % params
            )
        if self.expired is not None:
            return gettext(
                "你的证书（%(serial)s）已于 %(date)s 过期，上岗资格随之失效。"
                "完成下列事项后将颁发新证书。"
            ) % {"serial": self.expired.serial, "date": _date(self.expired.expires_at)}
        if self.certificate is not None and self.expiring:
            warning = expiry_warning(self.certificate)
            if self.recertifying:
                return gettext("%(warning)s。完成下列事项即可续期，新证书自动颁发。") % {
                    "warning": warning
                }
            return gettext("%(warning)s。") % {"warning": warning}
        return ""

    def message(self) -> str:
        """One sentence for a flash message."""
        parts = []
        if self.certificate is not None and not self.recertifying:
            parts.append(
                gettext("已取得《%(title)s》证书（%(serial)s）。")
                % {"title": self.course.title, "serial": self.certificate.serial}
            )
        elif self.missing:
            if self.revoked is not None:
                reason = revocation_reason(self.revoked)
                sentence = (
                    gettext(
                        "《%(title)s》证书已于 %(date)s 撤销（原因：%(reason)s），须重新通过考核。"
                    )
                    if reason
                    else gettext("《%(title)s》证书已于 %(date)s 撤销，须重新通过考核。")
                )
                parts.append(
                    sentence
                    % {
                        "title": self.course.title,
                        "date": _date(self.revoked.revoked_at),
                        "reason": reason,
                    }
                )
            elif self.expired is not None:
                parts.append(
                    gettext("《%(title)s》证书已于 %(date)s 过期。")
                    % {"title": self.course.title, "date": _date(self.expired.expires_at)}
                )
            parts.append(
                gettext("取得《%(title)s》证书还需：%(items)s。")
                % {
                    "title": self.course.title,
                    "items": gettext("；").join(str(m) for m in self.missing),
                }
            )
        if self.authorised:
            parts.append(gettext("你已具备上岗资格。"))
        elif self.authorisation_missing:
            parts.append(
                gettext("上岗还需其他必修课程的证书：%(items)s。")
                % {
                    "items": join_list(
                        gettext("%(course)s（%(status)s）") % {"course": m.title, "status": m.label}
                        for m in self.authorisation_missing
                    )
                }
            )
        return "".join(parts)


def course_standing(user, course, at=None) -> Standing:
    """What ``user`` still needs for ``course``'s certificate and for authorisation."""
    at = at or timezone.now()
    status = is_authorised(user, at=at)
    standing = Standing(
        course=course,
        authorised=status.authorised,
        left=status.left,
        authorisation_missing=[m for m in status.missing if m.course.pk != course.pk],
    )
    if not getattr(user, "is_authenticated", False):
        return standing
    standing.certificate = (
        Certificate.objects.valid(at)
        .filter(user=user, course=course)
        .order_by("-issued_at")
        .first()
    )
    enrollment = Enrollment.objects.filter(user=user, course=course).first()
    standing.recertifying = bool(
        standing.certificate and enrollment and enrollment.completed_at is None
    )
    if standing.certificate is not None:
        soon = at + timedelta(days=expiring_days())
        standing.expiring = standing.certificate.expires_at <= soon
        if not standing.recertifying:
            return standing
    if standing.certificate is None:
        latest = Certificate.objects.filter(user=user, course=course).order_by("-issued_at").first()
        if latest is not None and latest.status_at(at) == Certificate.REVOKED:
            standing.revoked = latest
        elif latest is not None and latest.status_at(at) == Certificate.EXPIRED:
            standing.expired = latest
    standing.missing = _missing_for_certificate(user, course, enrollment)
    return standing


def _missing_for_certificate(user, course, enrollment):
    missing = []
    if enrollment is None:
        missing.append(gettext("报名本课程"))
    prerequisites = missing_prerequisites(user, course)
    if prerequisites:
        # The course is locked: name the prerequisites (linked), not every lesson behind them.
        missing.append(
            Linked(
                ngettext(
                    "完成先修课程 %(courses)s",
                    "完成先修课程 %(courses)s",
                    len(prerequisites),
                ),
                {},
                {"courses": [course_link(c) for c in prerequisites]},
            )
        )
    unread = [] if prerequisites else unread_lessons(user, course)
    if unread:
        missing.append(
            Linked(
                ngettext(
                    "读完 %(n)d 篇课文（%(titles)s）",
                    "读完 %(n)d 篇课文（%(titles)s）",
                    len(unread),
                ),
                {"n": len(unread)},
                {"titles": [page_link(lesson) for lesson in unread]},
            )
        )
    since = cycle_start(user, course)
    quiz_id = course_quiz_id(course)
    if quiz_id is not None and not has_passed(user, course, since=since):
        if pending_marking(user, course, since=since):
            missing.append(gettext("等待培训师批阅测验中的论述题"))
        else:
            quiz_url = reverse("quizzes:quiz", args=[quiz_id])
            missing.append(Linked("%(quiz)s", {}, {"quiz": [(gettext("通过结业测验"), quiz_url)]}))
    # Requirements higher floors register (e.g. the rollout's "须参加现场培训").
    # A linked sentence (``courses.wording.Linked``) stays one, so pages render its link.
    missing.extend(
        label if isinstance(label, Linked) else str(label)
        for label in unmet_requirements(user, course, since=since)
    )
    if not missing and enrollment is not None:
        if enrollment.completed_at is not None:
            missing.append(gettext("证书正在颁发，请稍后刷新"))
        else:
            missing.append(gettext("证书将在课程完成后自动颁发"))
    return missing


def explain(user, status, at=None):
    """Fill ``details`` of each course in ``status.missing`` (from
    ``authorisation.is_authorised``) that a learner can act on -- still being learnt, expired
    or revoked -- with what its certificate still needs: which lessons, the quiz, marking
    pending, prerequisites, a session. Each expiring certificate in ``status.expiring`` gets
    ``days_left``, ``warning`` ("证书将于 X 到期（还有 N 天）") and ``renewal`` (what renewing it
    needs). A few queries per such course (required courses are few)."""
    from .authorisation import LEARNING
    from .reminders import days_left

    at = at or timezone.now()
    actionable = [item for item in status.missing if item.reason in (LEARNING, EXPIRED, REVOKED)]
    expiring = list(status.expiring)
    if not actionable and not expiring:
        return status
    course_ids = [i.pk for i in actionable] + [c.course_id for c in expiring]
    enrollments = {
        e.course_id: e for e in Enrollment.objects.filter(user=user, course_id__in=course_ids)
    }
    for item in actionable:
        item.details = _missing_for_certificate(user, item.course, enrollments.get(item.pk))
    for cert in expiring:
        cert.days_left = days_left(cert.expires_at, at)
        cert.warning = expiry_warning(cert, at)
        enrollment = enrollments.get(cert.course_id)
        # Renewal is open once the course re-opened (``lifecycle.open_renewals``).
        cert.renewal = (
            _missing_for_certificate(user, cert.course, enrollment)
            if enrollment is not None and enrollment.completed_at is None
            else []
        )
    return status
