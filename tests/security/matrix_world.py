"""A small but complete "world" for the permission matrix (tests/security/test_permission_matrix).

One course (2 lessons, a 3-question GIFT bank, a quiz) loaded through the real curriculum
loader; seven actors; and one object of every kind our URLs serve, owned by learner A or by
district HP (the targets), plus PD counterparts for the other district.
"""

import datetime
import textwrap
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.utils import timezone

from lms.organisation import roles
from lms.organisation.models import District
from tests.factories import make_user

COURSE_MD = """\
---
code: PM-101
title: 权限矩阵测试课程
slug: pm-course
summary: 权限矩阵测试用课程。
objectives:
  - 目标一
  - 目标二
  - 目标三
estimated_minutes: 20
required: true
prerequisites: []
certificate_validity_days: 730
certificate_language: zh
order: 1
hours: 2
quiz:
  title: 权限矩阵测验
  pass_mark: 60
  questions_per_attempt: 3
  time_limit_minutes: 30
  max_attempts: 9
  cooldown_minutes: 0
  show_answers: end
---
这是权限矩阵测试课程的介绍。
"""

LESSON_MD = """\
---
title: 第{n}讲 测试
slug: pm-lesson-{n}
order: {n}
estimated_minutes: 10
summary: 第{n}讲的摘要。
sources:
  - 《中华人民共和国专利法》第42条
---
## 小标题

第{n}讲的正文。
"""

QUESTIONS_GIFT = """\
$CATEGORY: 权限矩阵/总览

::PM-001 单选::发明专利权的期限是多少年？{
=20年
~10年
~15年
}

::PM-002 判断::商业秘密需要登记才受保护。{F}

::PM-003 单选二::注册商标的有效期是多少年？{
=10年
~20年
~5年
}
"""

# The actors, keyed by the names used in the matrix.
ROLES = ("anonymous", "learner", "learner_pd", "trainer", "admin_hp", "admin_pd", "city_admin")


@dataclass
class World:
    users: dict = field(default_factory=dict)
    hp: object = None
    pd: object = None
    course: object = None
    lessons: list = field(default_factory=list)
    quiz: object = None
    bank: object = None
    category: object = None
    question: object = None
    enrollment: object = None
    progress: object = None
    attempt_open: object = None  # learner A's attempt in progress
    attempt_done: object = None  # learner A's submitted attempt
    certificate: object = None  # learner A's certificate
    wave_hp: object = None
    wave_pd: object = None
    session_hp: object = None
    session_pd: object = None
    export_hp: object = None  # roster export requested by admin HP (done, with a file)
    batch_hp: object = None  # certificate batch requested by admin HP (done, with a file)
    document: object = None  # a Wagtail document in the root collection
    superuser: object = None  # the operator's account (a target in the user editor)
    import_job_hp: object = None  # staff import (file job) uploaded by admin HP, awaiting confirm
    question_job: object = None  # question import (file job) uploaded by the trainer
    profile_hp: object = None  # learner A's staff profile
    profile_pd: object = None

    def user(self, role):
        return self.users.get(role)


def write_curriculum(root):
    course_dir = root / "courses" / "01-pm-course"
    (course_dir / "lessons").mkdir(parents=True)
    (course_dir / "course.md").write_text(COURSE_MD, encoding="utf-8")
    (course_dir / "questions.gift").write_text(QUESTIONS_GIFT, encoding="utf-8")
    for n in (1, 2):
        (course_dir / "lessons" / f"0{n}-pm-lesson-{n}.md").write_text(
            textwrap.dedent(LESSON_MD.format(n=n)), encoding="utf-8"
        )
    return root


def build_world(tmp_path):
    from certificates import exports as cert_exports
    from certificates.issuing import issue
    from courses.enrolment import enrol
    from courses.loader import load_curriculum
    from courses.models import CoursePage, LessonPage, LessonProgress
    from courses.progress import complete_lesson
    from lms.rollout.exports import record_export
    from lms.rollout.models import RolloutWave, TrainingSession
    from lms.rollout.roster import RosterFilter
    from quizzes.attempts import start_attempt, submit_attempt
    from quizzes.models import Quiz

    w = World()
    load_curriculum(write_curriculum(tmp_path / "content"))
    w.course = CoursePage.objects.get(code="PM-101")
    w.lessons = list(LessonPage.objects.child_of(w.course).order_by("path"))
    w.quiz = Quiz.objects.get(course=w.course)
    w.bank = w.quiz.bank
    w.question = w.bank.questions.order_by("pk").first()
    w.category = w.question.category
    w.hp = District.objects.get(code="HP")
    w.pd = District.objects.get(code="PD")

    w.users = {
        "anonymous": None,
        "learner": make_user(roles.WINDOW_STAFF, "HP", username="pm_learner_hp"),
        "learner_pd": make_user(roles.WINDOW_STAFF, "PD", username="pm_learner_pd"),
        "trainer": make_user(roles.TRAINER, None, username="pm_trainer"),
        "admin_hp": make_user(roles.DISTRICT_ADMIN, "HP", username="pm_admin_hp"),
        "admin_pd": make_user(roles.DISTRICT_ADMIN, "PD", username="pm_admin_pd"),
        "city_admin": make_user(roles.CITY_ADMIN, None, username="pm_city"),
    }
    learner, learner_pd = w.users["learner"], w.users["learner_pd"]
    w.profile_hp = learner.staff_profile
    w.profile_pd = learner_pd.staff_profile

    w.enrollment, _ = enrol(learner, w.course, source="self")
    enrol(learner_pd, w.course, source="self")
    complete_lesson(learner, w.lessons[0], course=w.course)
    w.progress = LessonProgress.objects.get(user=learner, lesson=w.lessons[0])
    # The quiz opens once every lesson is read (courses' gate).
    complete_lesson(learner, w.lessons[1], course=w.course)

    # Attempt 1: submitted unanswered (fails); attempt 2: in progress.
    first = start_attempt(w.quiz, learner)
    w.attempt_done = submit_attempt(first, answers=None)
    w.attempt_open = start_attempt(w.quiz, learner)
    assert w.attempt_open.pk != w.attempt_done.pk

    # A certificate needs a completed enrolment (certificates.issuing.issue); the attempts
    # above stay as they are (the one in progress is a target of the matrix).
    w.enrollment.completed_at = timezone.now()
    w.enrollment.save(update_fields=["completed_at"])
    w.certificate = issue(learner, w.course)
    if not w.certificate.pdf:
        from certificates.issuing import store_pdf

        store_pdf(w.certificate)

    today = timezone.localdate()
    w.wave_hp = RolloutWave.objects.create(
        name="HP 批次",
        opens_on=today - datetime.timedelta(days=1),
        due_on=today + datetime.timedelta(days=30),
        status="open",
    )
    w.wave_hp.districts.set([w.hp])
    w.wave_hp.courses.set([w.course])
    w.wave_pd = RolloutWave.objects.create(
        name="PD 批次",
        opens_on=today - datetime.timedelta(days=1),
        due_on=today + datetime.timedelta(days=30),
        status="open",
    )
    w.wave_pd.districts.set([w.pd])
    w.wave_pd.courses.set([w.course])
    start = timezone.now() + datetime.timedelta(days=3)
    w.session_hp = TrainingSession.objects.create(
        wave=w.wave_hp, district=w.hp, starts_at=start, place="黄浦中心", trainer=w.users["trainer"]
    )
    w.session_pd = TrainingSession.objects.create(
        wave=w.wave_pd, district=w.pd, starts_at=start, place="浦东中心"
    )

    w.export_hp = record_export(w.users["admin_hp"], RosterFilter(district_ids=[w.hp.pk]), "csv")
    w.export_hp.file.save("pm-export.csv", ContentFile("\ufeff姓名\n学员\n".encode()), save=True)

    w.batch_hp = cert_exports.request_batch(w.users["admin_hp"], district=w.hp)
    w.batch_hp.refresh_from_db()

    from lms.jobs.models import FileJob

    preview = {"preview": {"ok": False, "counts": {}, "errors": [], "rows": []}}
    w.import_job_hp = FileJob.objects.create(
        kind="staff_import", requested_by=w.users["admin_hp"], state="ready", result=preview
    )
    w.question_job = FileJob.objects.create(
        kind="question_import", requested_by=w.users["trainer"], state="ready", result=preview
    )
    from django.contrib.auth import get_user_model
    from wagtail.documents import get_document_model

    w.document = get_document_model().objects.create(
        title="权限矩阵文档", file=ContentFile(b"%PDF-1.4 matrix", name="pm-doc.pdf")
    )
    w.superuser = get_user_model().objects.create_superuser(
        "pm_root", "pm_root@example.cn", "Root-password-2026"
    )
    return w
