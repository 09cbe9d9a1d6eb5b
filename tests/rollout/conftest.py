import datetime

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils import timezone
from wagtail.models import Page

from courses.models import CoursePage, Enrollment, TrainingIndexPage
from lms.organisation.models import District, StaffProfile
from lms.rollout.models import RolloutWave


@pytest.fixture
def training_index(db):
    root = Page.get_first_root_node()
    index = TrainingIndexPage(title="培训", slug="training-rollout-tests")
    root.add_child(instance=index)
    return index


def add_course(index, code, title=None, required=True):
    course = CoursePage(
        title=title or f"课程{code}",
        slug=code.lower(),
        code=code,
        summary="…",
        required_for_authorisation=required,
    )
    index.add_child(instance=course)
    return course


@pytest.fixture
def courses(training_index):
    return [add_course(training_index, "C101"), add_course(training_index, "C102")]


def make_wave(courses, districts=("HP", "PD"), status="open", **kwargs):
    today = timezone.localdate()
    wave = RolloutWave.objects.create(
        name=kwargs.pop("name", "第一批"),
        opens_on=kwargs.pop("opens_on", today - datetime.timedelta(days=1)),
        due_on=kwargs.pop("due_on", today + datetime.timedelta(days=30)),
        status=status,
        **kwargs,
    )
    wave.districts.set(District.objects.filter(code__in=districts))
    wave.courses.set(courses)
    return wave


def Attempt():  # noqa: N802
    return apps.get_model("quizzes", "Attempt")


def Certificate():  # noqa: N802
    try:
        return apps.get_model("certificates", "Certificate")
    except LookupError:
        return None


def bulk_roster(n, courses, district_codes=("HP", "PD", "XH"), prefix="B"):
    """n active staff spread over districts, enrolled in ``courses`` with a mix of states,
    built with bulk_create (fast enough for 10,000)."""
    User = get_user_model()
    districts = list(District.objects.filter(code__in=district_codes))
    users = User.objects.bulk_create(
        [
            User(username=f"{prefix}{i:06d}", email=f"{prefix.lower()}{i}@example.com")
            for i in range(n)
        ],
        batch_size=2000,
    )
    if users[0].pk is None:  # SQLite < 3.35 would not return ids
        users = list(User.objects.filter(username__startswith=prefix).order_by("username"))
    StaffProfile.objects.bulk_create(
        [
            StaffProfile(
                user=u,
                full_name=f"员工{i}",
                district=districts[i % len(districts)],
                employee_no=f"{prefix}{i:06d}",
                service_centre="服务中心",
                phone="13800138000",
            )
            for i, u in enumerate(users)
        ],
        batch_size=2000,
    )
    now = timezone.now()
    enrollments = []
    for i, u in enumerate(users):
        if i % 10 == 9:
            continue  # not enrolled
        for j, course in enumerate(courses):
            completed = (
                now - datetime.timedelta(days=i % 40) if i % 3 == 0 or (i + j) % 3 == 0 else None
            )
            due = now + datetime.timedelta(days=5) if i % 4 else now - datetime.timedelta(days=2)
            enrollments.append(
                Enrollment(user=u, course=course, source="wave", due_at=due, completed_at=completed)
            )
    Enrollment.objects.bulk_create(enrollments, batch_size=2000)
    add_results(users, courses, districts)
    return users


def quizzes_for(courses):
    from quizzes.models import QuestionBank, Quiz

    bank, _ = QuestionBank.objects.get_or_create(name="rollout-tests")
    return [
        Quiz.objects.get_or_create(
            course=course, defaults={"title": f"测验{course.code}", "bank": bank}
        )[0]
        for course in courses
    ]


def add_results(users, courses, districts):
    """Graded attempts for every completed enrollment (two attempts, best one passes for some)
    and valid/expired/revoked certificates for some of those, all in bulk."""
    from certificates.models import Certificate
    from quizzes.models import Attempt

    quizzes = quizzes_for(courses)
    now = timezone.now()
    completed = list(
        Enrollment.objects.filter(user__in=users, completed_at__isnull=False).values_list(
            "user_id", "course_id"
        )
    )
    quiz_by_course = {q.course_id: q for q in quizzes}
    attempts, certs = [], []
    for n, (user_id, course_id) in enumerate(completed):
        quiz = quiz_by_course[course_id]
        passed = n % 5 != 0
        attempts.append(
            Attempt(quiz=quiz, user_id=user_id, number=1, status="graded", score=40, passed=False)
        )
        attempts.append(
            Attempt(
                quiz=quiz,
                user_id=user_id,
                number=2,
                status="graded",
                score=90 if passed else 55,
                passed=passed,
            )
        )
        if passed and n % 7 != 0:
            expired = n % 11 == 0
            certs.append(
                Certificate(
                    serial=f"T{user_id}-{course_id}",
                    user_id=user_id,
                    course_id=course_id,
                    holder_name="x",
                    holder_district_code="HP",
                    issued_at=now - datetime.timedelta(days=1),
                    expires_at=now + datetime.timedelta(days=-1 if expired else 700),
                    revoked_at=now if n % 13 == 0 else None,
                )
            )
    Attempt.objects.bulk_create(attempts, batch_size=2000)
    Certificate.objects.bulk_create(certs, batch_size=2000)
