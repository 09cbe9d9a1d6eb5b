"""Build a realistic data set for benchmarks and load tests, fast (bulk inserts in batches).

    python manage.py generate_load_data --staff 10000 [--seed 2026] [--clear]

Creates N window staff (users, StaffProfile, ``window_staff`` membership) spread over the 16
districts, one rollout wave with every required course, enrollments, lesson progress, graded
quiz attempts (scores only, no per-question responses) and certificate rows (no PDF: the
certificate view renders it on first download). The curriculum is loaded from ``content/``
first if no course exists.

Generated users are named ``<prefix><6 digits>`` (default ``load-000001``) and all share one
password (default ``Load-test-2026``, hashed once); ``--clear`` removes everything generated
before (and, with ``--staff 0``, only that). Re-running without ``--clear`` when generated
users exist is refused, so figures always come from a known data set.
"""

import base64
import contextlib
import random
import time
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from certificates.models import Certificate, SerialCounter
from courses.models import CoursePage, Enrollment, LessonProgress
from lms.organisation import roles
from lms.organisation.models import District, StaffProfile
from lms.rollout.models import RolloutWave
from quizzes.models import Attempt, Quiz, Response

DEFAULT_PREFIX = "load-"
DEFAULT_PASSWORD = "Load-test-2026"  # noqa: S105 - generated test accounts only
WAVE_NAME = "负载测试批次（生成数据）"
BATCH = 2000

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊帆帅旭宁琳晨欣悦佳怡婷雪慧颖倩琪璐晶欢文博思嘉子涵轩睿瑞晓海波"  # noqa: E501
# Relative sizes of the district service centres (浦东 the largest).
DISTRICT_WEIGHTS = {"PD": 5, "MH": 3, "BS": 3, "JD": 2, "SJ": 2, "QP": 2, "FX": 2, "JS": 2}


@contextlib.contextmanager
def explicit_auto_now(*fields):
    """Let bulk_create keep the timestamps we set on auto_now_add fields."""
    saved = [(f, f.auto_now_add) for f in fields]
    for f, _ in saved:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f, value in saved:
            f.auto_now_add = value


def clear_generated(prefix, stdout=None):
    """Delete every row generated with ``prefix`` (child tables first, in bulk)."""
    User = get_user_model()
    users = User.objects.filter(username__startswith=prefix)
    user_ids = users.values("pk")
    counts = {}
    # _raw_delete: one DELETE per table, no cascade collection (we delete children first).
    for label, qs in [
        ("responses", Response.objects.filter(attempt__user__in=user_ids)),
        ("attempts", Attempt.objects.filter(user__in=user_ids)),
        ("certificates", Certificate.objects.filter(user__in=user_ids)),
        ("lesson progress", LessonProgress.objects.filter(user__in=user_ids)),
        ("enrollments", Enrollment.objects.filter(user__in=user_ids)),
        ("profiles", StaffProfile.objects.filter(user__in=user_ids)),
        ("group memberships", User.groups.through.objects.filter(user__in=user_ids)),
    ]:
        ids = list(qs.values_list("pk", flat=True))
        for start in range(0, len(ids), 10000):
            qs.model.objects.filter(pk__in=ids[start : start + 10000])._raw_delete(qs.db)
        counts[label] = len(ids)
    counts["users"] = users.count()
    _delete_users(users)
    RolloutWave.objects.filter(name=WAVE_NAME).delete()
    if stdout:
        stdout.write("cleared: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts


def _delete_users(users):
    """Delete users without the ORM collector (which builds ``IN (…10,000 ids)`` filters for
    every related model): clear what still refers to them table by table through a subquery,
    then delete the users in one statement."""
    user_ids = users.values("pk")
    for rel in users.model._meta.related_objects:
        if rel.many_to_many or not rel.field.concrete:
            continue
        related = rel.related_model._base_manager.filter(**{f"{rel.field.name}__in": user_ids})
        if not related.exists():
            continue
        if rel.on_delete is models.SET_NULL:
            related.update(**{rel.field.name: None})
        else:  # CASCADE (PROTECT raises, as it should)
            related.delete()
    users.model.groups.through.objects.filter(user__in=user_ids)._raw_delete(users.db)
    users.model.user_permissions.through.objects.filter(user__in=user_ids)._raw_delete(users.db)
    users._raw_delete(users.db)


class Generator:
    def __init__(self, staff, seed, prefix, password, now=None):
        self.n = staff
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data
        self.prefix = prefix
        self.password_hash = make_password(password)  # once, for every generated user
        self.now = now or timezone.now()
        self.counts = {}

    # -- organisation ----------------------------------------------------------------------

    def users(self):
        User = get_user_model()
        start = self.now - timedelta(days=120)
        users = [
            User(
                username=f"{self.prefix}{i:06d}",
                password=self.password_hash,
                email=f"{self.prefix}{i:06d}@example.com",
                is_active=True,
                date_joined=start,
            )
            for i in range(1, self.n + 1)
        ]
        User.objects.bulk_create(users, batch_size=BATCH)
        if users and users[0].pk is None:  # a backend without RETURNING
            ids = dict(
                User.objects.filter(username__startswith=self.prefix).values_list("username", "pk")
            )
            for user in users:
                user.pk = ids[user.username]
        self.user_list = users
        group = Group.objects.get(name=roles.WINDOW_STAFF)
        Through = User.groups.through
        Through.objects.bulk_create(
            [Through(user_id=u.pk, group_id=group.pk) for u in users], batch_size=BATCH
        )
        districts = list(District.objects.all())
        weights = [DISTRICT_WEIGHTS.get(d.code, 1) for d in districts]
        rng = self.rng
        profiles = []
        self.district_of = {}
        for i, user in enumerate(users, start=1):
            district = rng.choices(districts, weights)[0]
            self.district_of[user.pk] = district
            name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))
            profiles.append(
                StaffProfile(
                    user_id=user.pk,
                    full_name=name,
                    district=district,
                    service_centre=f"{district.name_zh}政务服务中心",
                    window=f"{rng.randint(1, 12)}号窗口",
                    employee_no=f"LOAD{i:06d}",
                    job_title="窗口工作人员",
                    phone=f"13{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}",
                )
            )
        StaffProfile.objects.bulk_create(profiles, batch_size=BATCH)
        self.profile_of = {p.user_id: p for p in profiles}
        self.counts.update(users=len(users), profiles=len(profiles))

    # -- curriculum and learning -----------------------------------------------------------

    def curriculum(self):
        courses = list(
            CoursePage.objects.live()
            .filter(required_for_authorisation=True)
            .defer_streamfields()
            .order_by("path")
        )
        if not courses:
            raise CommandError("No live required course: load the curriculum first.")
        self.courses = courses
        self.lessons = {
            c.pk: list(c.lessons().defer_streamfields().values_list("pk", flat=True))
            for c in courses
        }
        self.quizzes = {q.course_id: q for q in Quiz.objects.filter(course__in=courses, live=True)}
        prereqs = CoursePage.prerequisites.through.objects.filter(from_coursepage__in=courses)
        self.prereqs = defaultdict(set)
        for row in prereqs:
            self.prereqs[row.from_coursepage_id].add(row.to_coursepage_id)
        today = timezone.localdate()
        wave = RolloutWave.objects.create(
            name=WAVE_NAME,
            opens_on=today - timedelta(days=84),
            due_on=today + timedelta(days=30),
            status=RolloutWave.Status.OPEN,
        )
        wave.districts.set(District.objects.all())
        wave.courses.set(courses)
        self.wave = wave

    def learning(self):
        rng = self.rng
        now = self.now
        enrollments, progress, attempts, certificates = [], [], [], []
        wave_start = now - timedelta(days=84)
        due_soon = now + timedelta(days=30)
        due_past = now - timedelta(days=7)
        serials = self._serial_counters()
        for user in self.user_list:
            # How engaged this person is: 0 = not started ... 1 = done everything quickly.
            zeal = rng.random()
            completed_ids = set()
            enrolled_at = wave_start + timedelta(minutes=rng.randint(0, 20 * 24 * 60))
            due_at = due_past if rng.random() < 0.1 else due_soon
            clock = enrolled_at
            for course in self.courses:
                lesson_ids = self.lessons[course.pk]
                enrollment = Enrollment(
                    user_id=user.pk,
                    course_id=course.pk,
                    source="wave",
                    enrolled_at=enrolled_at,
                    due_at=due_at,
                )
                enrollments.append(enrollment)
                if zeal < 0.12 or not self.prereqs[course.pk] <= completed_ids:
                    continue
                if zeal > 0.45:
                    done = len(lesson_ids)
                else:
                    done = rng.randint(0, max(len(lesson_ids) - 1, 0))
                for lesson_id in lesson_ids[:done]:
                    clock += timedelta(minutes=rng.randint(10, 3 * 24 * 60))
                    progress.append(
                        LessonProgress(
                            user_id=user.pk,
                            lesson_id=lesson_id,
                            course_id=course.pk,
                            completed_at=min(clock, now),
                        )
                    )
                if done:
                    enrollment.last_lesson_id = lesson_ids[done - 1]
                quiz = self.quizzes.get(course.pk)
                if done < len(lesson_ids) or quiz is None:
                    continue
                passed_at = self._attempts(user, quiz, zeal, clock, attempts)
                if passed_at is None:
                    continue
                clock = passed_at
                enrollment.completed_at = passed_at
                completed_ids.add(course.pk)
                certificates.append(self._certificate(user, course, passed_at, serials))
        with explicit_auto_now(
            Enrollment._meta.get_field("enrolled_at"),
            LessonProgress._meta.get_field("completed_at"),
        ):
            Enrollment.objects.bulk_create(enrollments, batch_size=BATCH)
            LessonProgress.objects.bulk_create(progress, batch_size=BATCH)
        Attempt.objects.bulk_create(attempts, batch_size=BATCH)
        Certificate.objects.bulk_create(certificates, batch_size=BATCH)
        self._save_serial_counters(serials)
        self.counts.update(
            enrollments=len(enrollments),
            lesson_progress=len(progress),
            attempts=len(attempts),
            certificates=len(certificates),
        )

    def _attempts(self, user, quiz, zeal, clock, out):
        """One or two graded attempts (leaving one of three for the load test); returns the
        time of the passing attempt or None."""
        rng = self.rng
        pass_mark = Decimal(quiz.pass_mark)
        for number in (1, 2):
            if number == 2 and rng.random() < 0.3:
                return None  # gave up for now
            started = min(clock + timedelta(minutes=rng.randint(30, 2 * 24 * 60)), self.now)
            submitted = started + timedelta(minutes=rng.randint(8, 28))
            raw = rng.gauss(62 + 30 * zeal, 10)
            score = Decimal(str(round(min(100.0, max(0.0, raw)), 1))).quantize(Decimal("0.01"))
            passed = score >= pass_mark
            out.append(
                Attempt(
                    quiz_id=quiz.pk,
                    user_id=user.pk,
                    number=number,
                    status=Attempt.GRADED,
                    score=score,
                    passed=passed,
                    seed=rng.randrange(1, 2**62),
                    started_at=started,
                    deadline=started + quiz.time_limit if quiz.time_limit else None,
                    submitted_at=submitted,
                    graded_at=submitted,
                )
            )
            clock = submitted + timedelta(minutes=quiz.cooldown_minutes)
            if passed:
                return submitted
        return None

    def _serial_counters(self):
        return {
            (c.year, c.district_code): c.last_number
            for c in SerialCounter.objects.all()  # a handful of rows
        }

    def _save_serial_counters(self, serials):
        existing = {(c.year, c.district_code): c for c in SerialCounter.objects.all()}
        new = []
        for (year, code), number in serials.items():
            counter = existing.get((year, code))
            if counter is None:
                new.append(SerialCounter(year=year, district_code=code, last_number=number))
            elif counter.last_number < number:
                counter.last_number = number
                counter.save(update_fields=["last_number"])
        SerialCounter.objects.bulk_create(new)

    def _certificate(self, user, course, issued_at, serials):
        profile = self.profile_of[user.pk]
        district = profile.district
        year = timezone.localtime(issued_at).year
        key = (year, district.code)
        serials[key] = serials.get(key, 0) + 1
        code = base64.urlsafe_b64encode(self.rng.getrandbits(128).to_bytes(16, "big"))
        return Certificate(
            serial=f"{year}-{district.code}-{serials[key]:06d}",
            verification_code=code.decode().rstrip("="),
            user_id=user.pk,
            course_id=course.pk,
            holder_name=profile.full_name,
            holder_district=district,
            holder_district_code=district.code,
            holder_employee_no=profile.employee_no,
            issued_at=issued_at,
            expires_at=Certificate.expiry_for(course, issued_at),
        )


class Command(BaseCommand):
    help = (
        "Generate load-test data in bulk: N window staff with enrollments, lesson progress, "
        "graded attempts and certificate rows (no PDFs)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--staff", type=int, default=1000, help="number of staff (users)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed")
        parser.add_argument("--clear", action="store_true", help="remove generated data first")
        parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="username prefix")
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="password of all users")
        parser.add_argument("--content", default="content", help="curriculum folder")

    def handle(self, *args, staff, seed, clear, prefix, password, content, **options):
        if not prefix or len(prefix) < 3:
            raise CommandError("--prefix must have at least 3 characters.")
        started = time.perf_counter()
        User = get_user_model()
        if clear:
            with transaction.atomic():
                clear_generated(prefix, self.stdout)
        elif User.objects.filter(username__startswith=prefix).exists():
            raise CommandError(
                f"Generated users ({prefix}…) exist already: add --clear to replace them."
            )
        if not staff:
            return
        if not CoursePage.objects.exists():
            self.stdout.write(f"no course yet: load_curriculum {content}")
            t = time.perf_counter()
            call_command("load_curriculum", content, stdout=self.stdout)
            self.stdout.write(f"curriculum loaded in {time.perf_counter() - t:.1f}s")
        t = time.perf_counter()
        with transaction.atomic():
            generator = Generator(staff, seed, prefix, password)
            generator.users()
            generator.curriculum()
            generator.learning()
        analysed = time.perf_counter()
        refresh_statistics()
        analysed = time.perf_counter() - analysed
        counts = ", ".join(f"{k} {v}" for k, v in generator.counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"generated {counts} in {time.perf_counter() - t:.1f}s "
                f"(statistics {analysed:.1f}s, total {time.perf_counter() - started:.1f}s); "
                f"log in as {prefix}000001 / {password}"
            )
        )


def refresh_statistics():
    """After a bulk load the planner's statistics describe the empty tables (and PostgreSQL's
    visibility map is unset, so no index-only scans) until autovacuum catches up: refresh them
    now so that what runs next is planned as on a database in service."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and connection.get_autocommit():
            cursor.execute("VACUUM ANALYZE")  # cannot run inside a transaction
        else:
            cursor.execute("ANALYZE")
