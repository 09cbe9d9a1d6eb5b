"""Where a learner stands: what is still missing for a course's certificate and for window
authorisation, and the certificate once it exists. Shown on the course page, after every
lesson (a message) and on every quiz result (``settings.COURSE_STANDING`` names
``course_standing`` for the lower floors, which cannot import certificates).
"""

from dataclasses import dataclass, field

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

from .authorisation import is_authorised
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

    @property
    def certificate_url(self):
        return reverse("certificates:pdf", args=[self.certificate.pk]) if self.certificate else ""

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
                parts.append(
                    gettext("《%(title)s》证书已于 %(date)s 撤销，须重新通过考核。")
                    % {"title": self.course.title, "date": _date(self.revoked.revoked_at)}
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
    if standing.certificate is not None and not standing.recertifying:
        return standing
    if standing.certificate is None:
        latest = Certificate.objects.filter(user=user, course=course).order_by("-issued_at").first()
        if latest is not None and latest.revoked_at is not None:
            standing.revoked = latest
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
    missing.extend(str(label) for label in unmet_requirements(user, course, since=since))
    if not missing and enrollment is not None:
        if enrollment.completed_at is not None:
            missing.append(gettext("证书正在颁发，请稍后刷新"))
        else:
            missing.append(gettext("证书将在课程完成后自动颁发"))
    return missing


def explain(user, status):
    """Fill ``details`` of each course still being learnt in ``status.missing`` (from
    ``authorisation.is_authorised``): which lessons, the quiz, marking pending, prerequisites.
    A few queries per such course (required courses are few)."""
    from .authorisation import LEARNING

    learning = [item for item in status.missing if item.reason == LEARNING]
    if not learning:
        return status
    enrollments = {
        e.course_id: e
        for e in Enrollment.objects.filter(user=user, course_id__in=[i.pk for i in learning])
    }
    for item in learning:
        item.details = _missing_for_certificate(user, item.course, enrollments.get(item.pk))
    return status
