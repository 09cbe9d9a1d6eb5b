"""The whole certificate lifecycle against a plain Python model of the rules (issue 14).

A hypothesis ``RuleBasedStateMachine`` enrols people, reads lessons, fails and passes the
quiz, revokes and reinstates certificates, lets time pass (expiry), opens recertification,
deactivates and reactivates people, adds lessons and changes which courses are required.
After every step it checks that ``is_authorised``, the lookup page, the verify JSON, the
city and district dashboard numbers and the roster export rows all say what the model says;
visiting the home page (a step of its own, since it opens recertification) checks the banner.

Bounded for the normal suite (SQLite and PostgreSQL); for a longer run:
``pytest tests/certificates/test_lifecycle_model.py --hypothesis-profile=lifecycle-long``.
The PDF renderer is stubbed here (its output is tested elsewhere): the subject is the rules.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.test import TestCase as DjangoTestCase
from freezegun import freeze_time
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.factories import make_user

pytestmark = pytest.mark.django_db

VALIDITY_DAYS = 120
# The first expiry reminder (the largest of CERTIFICATE_EXPIRY_REMINDER_DAYS, 60, 30, 7):
# from then on the holder is warned and the course re-opens for recertification.
EXPIRING_DAYS = 60
PEOPLE = [("HP", "甲"), ("HP", "乙"), ("PD", "丙")]
COURSES = ["LC-1", "LC-2"]
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


# --- the model ------------------------------------------------------------------------------


@dataclass
class MCert:
    issued: datetime
    expires: datetime
    revoked: datetime | None = None
    superseded: datetime | None = None
    pk: int | None = None  # the database row, matched when issued
    serial: str = ""

    def current(self):
        return self.revoked is None and self.superseded is None

    def valid(self, now):
        return self.current() and self.expires > now

    def status(self, now):
        if self.revoked is not None:
            return "revoked"
        if self.expires <= now:
            return "expired"
        if self.superseded is not None:
            return "superseded"
        return "valid"


@dataclass
class MEnrolment:
    completed: datetime | None = None
    previous_completed: datetime | None = None
    cycle_start: datetime | None = None
    due: datetime | None = None


@dataclass
class MCourse:
    code: str
    lessons: int = 1
    required: bool = True


@dataclass
class MPerson:
    district: str
    name: str
    active: bool = True
    read: dict = field(default_factory=dict)  # course -> set of lesson numbers
    passes: dict = field(default_factory=dict)  # course -> [datetime]
    enrolments: dict = field(default_factory=dict)  # course -> MEnrolment
    certs: dict = field(default_factory=dict)  # course -> [MCert] in issue order


class Model:
    def __init__(self):
        self.now = START
        self.courses = {code: MCourse(code) for code in COURSES}
        self.people = [MPerson(d, n) for d, n in PEOPLE]

    # rules
    def required(self):
        return [c for c in COURSES if self.courses[c].required]

    def current_cert(self, person, course):
        return next((c for c in person.certs.get(course, []) if c.current()), None)

    def valid_cert(self, person, course):
        cert = self.current_cert(person, course)
        return cert if cert is not None and cert.valid(self.now) else None

    def authorised(self, person):
        return person.active and all(self.valid_cert(person, c) for c in self.required())

    def gate_open(self, person, course):
        enrolment = person.enrolments.get(course)
        read = person.read.get(course, set())
        return enrolment is not None and len(read) >= self.courses[course].lessons

    def passed_since(self, person, course, since):
        return any(since is None or t >= since for t in person.passes.get(course, []))

    def evaluate(self, person, course):
        """courses.completion.evaluate, then the certificate issued on completion."""
        enrolment = person.enrolments.get(course)
        if enrolment is None or enrolment.completed is not None:
            return
        if len(person.read.get(course, set())) < self.courses[course].lessons:
            return
        if not self.passed_since(person, course, enrolment.cycle_start):
            return
        enrolment.completed = self.now
        self.issue(person, course)

    def issue(self, person, course):
        certs = person.certs.setdefault(course, [])
        old = self.current_cert(person, course)
        if old is not None:
            old.superseded = self.now
        certs.append(MCert(self.now, self.now + timedelta(days=VALIDITY_DAYS)))

    def start_new_cycle(self, person, course, due=None):
        enrolment = person.enrolments.get(course)
        if enrolment is None:
            return
        if enrolment.cycle_start is not None and enrolment.cycle_start >= self.now:
            return
        if enrolment.completed is not None:
            enrolment.previous_completed = enrolment.completed
        enrolment.completed = None
        enrolment.cycle_start = self.now
        enrolment.due = due

    def open_renewals(self, person=None):
        for p in [person] if person else self.people:
            for course, enrolment in p.enrolments.items():
                cert = self.current_cert(p, course)
                if (
                    enrolment.completed is not None
                    and cert is not None
                    and cert.issued >= enrolment.completed
                    and cert.expires <= self.now + timedelta(days=EXPIRING_DAYS)
                ):
                    self.start_new_cycle(p, course, due=cert.expires)

    def reason(self, person, course):
        """certificates.authorisation: why a required course has no valid certificate."""
        enrolment = person.enrolments.get(course)
        certs = person.certs.get(course, [])
        latest = certs[-1] if certs else None
        completed = enrolment.completed if enrolment else None
        if completed is not None and (latest is None or latest.issued < completed):
            return "issuing"
        if latest is not None and latest.revoked and (enrolment is None or completed is None):
            return "revoked"
        if latest is not None and latest.expires <= self.now:
            return "expired"
        if enrolment is None:
            return "not_enrolled"
        return "learning"

    def missing(self, person):
        return [
            (c, self.reason(person, c)) for c in self.required() if not self.valid_cert(person, c)
        ]


# --- the machine ----------------------------------------------------------------------------


def _render_stub(certificate, *args, **kwargs):
    return b"%PDF-1.4\n% lifecycle test stub\n"


class LifecycleMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.freezer = freeze_time(START, ignore=["hypothesis", "_pytest", "pluggy"])
        self.clock = self.freezer.start()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        from certificates import rendering

        self._render = rendering.render_certificate
        rendering.render_certificate = _render_stub
        cache.clear()

    def teardown(self):
        from certificates import rendering

        rendering.render_certificate = self._render
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)
        self.freezer.stop()
        cache.clear()

    @initialize()
    def setup_world(self):
        from courses.models import TrainingIndexPage
        from tests.certificates.lifecycle_helpers import course_with_quiz, site_training_index

        self.model = Model()
        index = TrainingIndexPage.objects.first() or site_training_index("training-model")
        self.courses = {}
        for code in COURSES:
            course = course_with_quiz(index, code, lessons=1)
            course.certificate_validity_days = VALIDITY_DAYS
            course.save()
            self.courses[code] = course
        self.users = [
            make_user(district=d, full_name=f"模型{n}", employee_no=f"M{i:03d}")
            for i, (d, n) in enumerate(PEOPLE)
        ]
        self.admin = make_user("city_admin", district=None)
        self.client = Client()
        self.client.force_login(self.admin)

    # -- helpers
    def tick(self, delta=timedelta(minutes=1)):
        self.model.now += delta
        self.clock.move_to(self.model.now)

    def run(self, func, *args, **kwargs):
        with DjangoTestCase.captureOnCommitCallbacks(execute=True):
            return func(*args, **kwargs)

    def match_new_certificates(self, i, code):
        """Attach database rows to the model's certificates issued in this step."""
        from certificates.models import Certificate

        rows = list(
            Certificate.objects.filter(user=self.users[i], course=self.courses[code]).order_by(
                "issued_at", "pk"
            )
        )
        certs = self.model.people[i].certs.get(code, [])
        assert len(rows) == len(certs), (code, rows, certs)
        for row, cert in zip(rows, certs, strict=True):
            cert.pk, cert.serial = row.pk, row.serial

    # -- rules
    people = st.integers(0, len(PEOPLE) - 1)
    course_codes = st.sampled_from(COURSES)

    @rule(i=people, code=course_codes)
    def enrol(self, i, code):
        from courses.enrolment import enrol

        self.tick()
        enrol(self.users[i], self.courses[code])
        self.model.people[i].enrolments.setdefault(code, MEnrolment())

    @rule(i=people, code=course_codes)
    def read_lessons(self, i, code):
        from courses.models import LessonPage
        from courses.progress import complete_lesson

        self.tick()
        course = self.courses[code]
        for lesson in LessonPage.objects.child_of(course).live():
            self.run(complete_lesson, self.users[i], lesson, course=course)
        person = self.model.people[i]
        person.read[code] = set(range(self.model.courses[code].lessons))
        self.model.evaluate(person, code)
        self.match_new_certificates(i, code)

    @rule(i=people, code=course_codes, correct=st.booleans())
    def take_quiz(self, i, code, correct):
        from quizzes.attempts import AttemptError
        from tests.certificates.lifecycle_helpers import take_quiz

        self.tick()
        person = self.model.people[i]
        enrolment = person.enrolments.get(code)
        # Closed: the course's gate, or a pass in the current cycle (no further attempt until
        # a revocation or a recertification opens a new one).
        if not self.model.gate_open(person, code) or (
            enrolment is not None and self.model.passed_since(person, code, enrolment.cycle_start)
        ):
            with pytest.raises(AttemptError):
                take_quiz(self.users[i], self.courses[code], correct)
            return
        attempt = self.run(take_quiz, self.users[i], self.courses[code], correct)
        assert attempt.passed == correct
        if correct:
            person.passes.setdefault(code, []).append(self.model.now)
            self.model.evaluate(person, code)
        self.match_new_certificates(i, code)

    @rule(i=people, code=course_codes)
    def revoke(self, i, code):
        from certificates import revoke
        from certificates.models import Certificate

        self.tick()
        person = self.model.people[i]
        cert = self.model.current_cert(person, code)
        if cert is None:
            return
        revoke(Certificate.objects.get(pk=cert.pk), actor=self.admin, reason="模型撤销")
        cert.revoked = self.model.now
        self.model.start_new_cycle(person, code)

    @rule(i=people, code=course_codes)
    def reinstate(self, i, code):
        from certificates import reinstate
        from certificates.models import Certificate

        self.tick()
        person = self.model.people[i]
        revoked = [c for c in person.certs.get(code, []) if c.revoked is not None]
        if not revoked:
            return
        cert = revoked[-1]
        if self.model.current_cert(person, code) is not None:
            with pytest.raises(ValueError):
                reinstate(Certificate.objects.get(pk=cert.pk), actor=self.admin, reason="误撤销")
            return
        reinstate(Certificate.objects.get(pk=cert.pk), actor=self.admin, reason="误撤销")
        revoked_at, cert.revoked = cert.revoked, None
        enrolment = person.enrolments.get(code)
        if (
            enrolment is not None
            and enrolment.completed is None
            and enrolment.previous_completed is not None
            and enrolment.cycle_start == revoked_at
        ):
            enrolment.completed = enrolment.previous_completed

    @rule(days=st.sampled_from([1, 20, 40, 61, 90, 121]))
    def time_passes(self, days):
        self.tick(timedelta(days=days))

    @rule()
    def daily_renewal_job(self):
        from certificates.lifecycle import open_renewals

        self.tick()
        open_renewals()
        self.model.open_renewals()

    @rule(i=people, active=st.booleans())
    def set_active(self, i, active):
        self.tick()
        user = self.users[i]
        user.is_active = active
        user.save(update_fields=["is_active"])
        self.model.people[i].active = active

    @rule(code=course_codes)
    def add_lesson(self, code):
        from tests.certificates.lifecycle_helpers import add_lesson

        self.tick()
        add_lesson(self.courses[code])
        self.model.courses[code].lessons += 1

    @rule(code=course_codes)
    def toggle_required(self, code):
        from courses.models import CoursePage

        self.tick()
        course = self.model.courses[code]
        course.required = not course.required
        CoursePage.objects.filter(pk=self.courses[code].pk).update(
            required_for_authorisation=course.required
        )

    @precondition(lambda self: hasattr(self, "model"))
    @rule(i=people)
    def visit_home(self, i):
        """The learner's home page: opens recertification for them, shows the banner."""
        if not self.model.people[i].active:
            return
        self.tick()
        client = Client()
        client.force_login(self.users[i])
        html = client.get("/").content.decode()
        person = self.model.people[i]
        self.model.open_renewals(person)
        if self.model.authorised(person):
            assert "status-banner" in html and 'class="missing-courses"' not in html
        else:
            banner = html.split('class="missing-courses"', 1)[1].split("</ul>", 1)[0]
            shown = [
                (part.split('"', 1)[0], part.split('data-reason="', 1)[1].split('"', 1)[0])
                for part in banner.split('data-course="')[1:]
            ]
            assert shown == self.model.missing(person)

    # -- invariants
    @precondition(lambda self: hasattr(self, "model"))
    @invariant()
    def authorisation_agrees(self):
        from certificates.authorisation import authorised_user_ids, is_authorised

        expected = set()
        for person, user in zip(self.model.people, self.users, strict=True):
            user.refresh_from_db()
            status = is_authorised(user)
            assert status.authorised == self.model.authorised(person)
            if person.active:
                got = [(m.course.code, m.reason) for m in status.missing]
                assert got == self.model.missing(person)
            if self.model.authorised(person):
                expected.add(user.pk)
        assert authorised_user_ids([u.pk for u in self.users]) == expected

    @precondition(lambda self: hasattr(self, "model"))
    @invariant()
    def lookup_agrees(self):
        self.client.force_login(self.admin)  # time passes: the session may have expired
        for person in self.model.people:
            html = self.client.get("/certificates/lookup/", {"q": f"模型{person.name}"})
            html = html.content.decode()
            if not person.active:
                expected = "left"
            elif self.model.authorised(person):
                expected = "authorised"
            else:
                expected = "not_authorised"
            assert f'data-status="{expected}"' in html, (person, expected)

    @precondition(lambda self: hasattr(self, "model"))
    @invariant()
    def verification_agrees(self):
        from certificates.models import Certificate

        for person, user in zip(self.model.people, self.users, strict=True):
            for code, course in self.courses.items():
                issued = Certificate.objects.filter(user=user, course=course).count()
                assert issued == len(person.certs.get(code, [])), (person.name, code)
        for person in self.model.people:
            for code, certs in person.certs.items():
                for cert in certs:
                    cache.clear()  # the public verification is rate limited per client
                    from certificates.models import Certificate

                    row = Certificate.objects.get(pk=cert.pk)
                    data = self.client.get(f"/verify/{row.verification_code}.json").json()
                    assert data["status"] == cert.status(self.model.now), (code, cert)

    @precondition(lambda self: hasattr(self, "model"))
    @invariant()
    def roster_and_dashboards_agree(self):
        from lms.rollout.dashboards import city_numbers
        from lms.rollout.roster import RosterFilter, roster_values

        now = self.model.now
        rows = {}
        for row in roster_values(RosterFilter(), now=now):
            if row["employee_no"].startswith("M"):  # the modelled people (not the admin)
                rows[(row["employee_no"], row["course_code"])] = row
        expected_rows = {}
        totals = {"HP": _zero(), "PD": _zero()}
        for i, person in enumerate(self.model.people):
            if not person.active:
                continue
            employee_no = f"M{i:03d}"
            line = totals[person.district]
            line["staff"] += 1
            line["authorised"] += self.model.authorised(person)
            if not person.enrolments:
                line["not_enrolled"] += 1
                expected_rows[(employee_no, "")] = None
            for code, enrolment in person.enrolments.items():
                cert = self.model.valid_cert(person, code)
                expected_rows[(employee_no, code)] = {
                    "completed": enrolment.completed is not None,
                    "passed": bool(person.passes.get(code)),
                    "cert_serial": cert.serial if cert else None,
                    "authorised": self.model.authorised(person),
                }
                line["enrolled"] += 1
                line["completed"] += enrolment.completed is not None
                line["overdue"] += (
                    enrolment.completed is None
                    and enrolment.due is not None
                    and enrolment.due < now
                )
                line["passed"] += bool(person.passes.get(code))
                line["certified"] += cert is not None
        assert set(rows) == set(expected_rows)
        for key, expected in expected_rows.items():
            if expected is None:
                continue
            row = rows[key]
            got = {
                "completed": row["completed_at"] is not None,
                "passed": bool(row["passed"]),
                "cert_serial": row["cert_serial"],
                "authorised": bool(row["authorised"]),
            }
            assert got == expected, key
        numbers = city_numbers(RosterFilter(), now=now)
        by_district = {line.obj.code: line.numbers for line in numbers["by_district"]}
        for district, expected in totals.items():
            got = {key: by_district[district][key] for key in expected}
            assert got == expected, district
        total = {key: sum(t[key] for t in totals.values()) for key in _zero()}
        assert {key: numbers["total"].numbers[key] for key in total} == total


def _zero():
    keys = ["staff", "authorised", "not_enrolled", "enrolled", "completed", "overdue"]
    return dict.fromkeys(keys + ["passed", "certified"], 0)


def _settings():
    if settings.get_current_profile_name() == "lifecycle-long":
        return settings()
    return settings(
        max_examples=6,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


def test_lifecycle_matches_the_reference_model():
    run_state_machine_as_test(LifecycleMachine, settings=_settings())
