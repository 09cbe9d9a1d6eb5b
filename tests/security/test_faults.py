"""Concurrency and faults on PostgreSQL (issue #9, part 2): parallel quiz submissions and
starts through HTTP, parallel certificate issuance, a task worker SIGKILLed mid-batch, and
every backend of the test database terminated during a burst of writing requests.

Each test prints its figures (threads, requests, errors by kind, rows) for the issue note:
run with ``-s`` to see them. Threads use their own database connections (Django opens one
per thread); the worker runs in a subprocess against the test database.
"""

import collections
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import close_old_connections, connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from certificates.issuing import issue, issue_missing
from certificates.models import Certificate, SerialCounter
from courses.loader import load_curriculum
from courses.models import CoursePage, Enrollment, LessonPage, LessonProgress
from quizzes import attempts as svc
from quizzes.models import Attempt, Response
from tests.courses.conftest import write_course
from tests.factories import make_user
from tests.quizzes.utils import gift_questions, make_bank, make_quiz

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: row locks (select_for_update), concurrent connections and "
        "pg_terminate_backend; SQLite serialises writers and has no backends to kill",
    ),
]

BASE_DIR = Path(django_settings.BASE_DIR)


def run_parallel(n, func, barrier=True):
    """Run ``func(i)`` in ``n`` threads (own DB connection each); (results, errors)."""
    gate = threading.Barrier(n) if barrier else None
    results, errors = [None] * n, []

    def worker(i):
        try:
            if gate:
                gate.wait()
            results[i] = func(i)
        except Exception as exc:  # noqa: BLE001 - counted and asserted by the caller
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


def logged_in_client(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def clone_client(client):
    other = Client(raise_request_exception=False)
    other.cookies = client.cookies.__class__(client.cookies)
    return other


# --------------------------------------------------------------------------- C1 quiz races


def test_http_concurrent_starts_and_submits_respect_max_attempts():
    learner = make_user("window_staff", username="race-learner")
    quiz = make_quiz(make_bank("race-bank", gift_questions(5)), max_attempts=2, cooldown_minutes=0)
    base = logged_in_client(learner)
    figures = collections.Counter()

    for _round in range(3):
        clients = [clone_client(base) for _i in range(10)]
        starts, errors = run_parallel(
            10, lambda i, clients=clients: clients[i].post(reverse("quizzes:start", args=[quiz.pk]))
        )
        assert not errors
        figures["start requests"] += len(starts)
        figures.update(f"start {r.status_code}" for r in starts)
        assert all(r.status_code == 302 for r in starts)
        open_attempt = Attempt.objects.filter(
            quiz=quiz, user=learner, status=Attempt.IN_PROGRESS
        ).first()
        if open_attempt is None:
            break
        # All ten got the same attempt.
        assert {r["Location"] for r in starts} == {
            reverse("quizzes:attempt", args=[open_attempt.pk])
        }
        clients = [clone_client(base) for _i in range(50)]
        url = reverse("quizzes:submit", args=[open_attempt.pk])
        submits, errors = run_parallel(
            50, lambda i, clients=clients, url=url: clients[i].post(url, {"q1": "1"})
        )
        assert not errors
        figures["submit requests"] += len(submits)
        figures.update(f"submit {r.status_code}" for r in submits)
        assert all(r.status_code == 302 for r in submits)

    attempts = list(Attempt.objects.filter(quiz=quiz, user=learner).order_by("number"))
    assert [a.number for a in attempts] == [1, 2], "no attempt over max_attempts=2"
    for attempt in attempts:
        assert attempt.status == Attempt.GRADED
        assert attempt.graded_at is not None
        responses = Response.objects.filter(attempt=attempt)
        assert responses.count() == 5
        assert not responses.filter(fraction__isnull=True).exists()
    print(
        f"\nC1 quiz races: threads 10 start x3 rounds, 50 submit x2; {dict(figures)}; "
        f"attempts {len(attempts)}"
    )


def test_start_and_submit_same_learner_do_not_deadlock():
    """The lock order of start_attempt (user row, then attempts) against a submit."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    learner = make_user("window_staff", username="race-learner-2")
    quiz = make_quiz(make_bank("race-bank-2", gift_questions(3)), max_attempts=2)
    attempt = svc.start_attempt(quiz, learner)
    user_locked, errors = threading.Event(), []

    def starter():
        try:
            with transaction.atomic():
                get_user_model().objects.select_for_update().filter(pk=learner.pk).first()
                user_locked.set()
                time.sleep(0.5)  # the submit takes the attempt lock meanwhile
                list(Attempt.objects.select_for_update().filter(pk=attempt.pk))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    def submitter():
        try:
            user_locked.wait(5)
            svc.submit_attempt(attempt)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=starter), threading.Thread(target=submitter)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    print(f"\nC1b start vs submit lock order: errors {[type(e).__name__ for e in errors]}")
    assert not errors, errors
    attempt.refresh_from_db()
    assert attempt.status == Attempt.GRADED


# --------------------------------------------------------------------------- C2 serials


@pytest.fixture
def course():
    from wagtail.models import Page

    from courses.models import TrainingIndexPage

    index = Page.get_first_root_node().add_child(
        instance=TrainingIndexPage(title="培训", slug="faults-training")
    )
    return index.add_child(
        instance=CoursePage(title="故障测试课程", slug="faults-course", code="FLT1", summary="s")
    )


def _serial_numbers(district="HP"):
    year = timezone.localtime().year
    serials = Certificate.objects.filter(serial__startswith=f"{year}-{district}-").values_list(
        "serial", flat=True
    )
    return sorted(int(s.rsplit("-", 1)[1]) for s in serials)


def test_concurrent_issuance_serials_unique_and_gapless(course):
    users = [make_user("window_staff", district="HP", username=f"cert{i}") for i in range(30)]
    started = time.monotonic()
    results, errors = run_parallel(30, lambda i: issue(users[i], course).serial)
    elapsed = time.monotonic() - started
    assert not errors, errors
    numbers = _serial_numbers()
    assert len(results) == len(set(results)) == 30
    assert numbers == list(range(1, 31)), numbers
    counter = SerialCounter.objects.get(year=timezone.localtime().year, district_code="HP")
    assert counter.last_number == 30
    # Issuing again concurrently is idempotent: no new serials.
    again, errors = run_parallel(30, lambda i: issue(users[i], course).serial)
    assert not errors
    assert sorted(again) == sorted(results)
    print(
        f"\nC2 issuance: threads 30 (+30 repeat), certificates {len(numbers)}, "
        f"serials 1..{numbers[-1]} gapless, {elapsed:.1f}s"
    )


# --------------------------------------------------------------------------- C3 worker killed


def _worker_env(tmp_path):
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = url.replace("@", f":{db['PASSWORD']}@", 1)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings.dev",
        "DATABASE_URL": url,
        "TASKS_BACKEND": "database",
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LMS_VAR_DIR": str(tmp_path / "var"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def _start_worker(env, log):
    return subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-startup-delay"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_worker_killed_mid_batch_then_recovery(course, settings, tmp_path):
    from django_tasks_db.models import DBTaskResult

    from certificates.tasks import issue_certificate_task

    n = 20
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    users = [make_user("window_staff", district="PD", username=f"batch{i}") for i in range(n)]
    # bulk_create: no completion signal (which would enqueue its own tasks).
    Enrollment.objects.bulk_create(
        [Enrollment(user=user, course=course, completed_at=timezone.now()) for user in users]
    )
    DBTaskResult.objects.all().delete()
    for user in users:
        issue_certificate_task.enqueue(user.pk, course.pk)
    assert DBTaskResult.objects.count() == n

    env = _worker_env(tmp_path)
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        worker = _start_worker(env, log)
        try:
            deadline = time.monotonic() + 90
            while Certificate.objects.count() < 3 and time.monotonic() < deadline:
                assert worker.poll() is None, log_path.read_text()
                time.sleep(0.05)
            assert Certificate.objects.count() >= 3, log_path.read_text()
            os.killpg(worker.pid, signal.SIGKILL)  # mid-batch, likely inside a transaction
            worker.wait(timeout=10)
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
    issued_at_kill = Certificate.objects.count()
    statuses_at_kill = collections.Counter(DBTaskResult.objects.values_list("status", flat=True))
    assert issued_at_kill < n, "batch finished before the kill; raise n"

    # The killed worker's task is left RUNNING: put it back in the queue (as cron or the
    # worker start-up would), then a new worker drains the queue, retrying it.
    out = io.StringIO()
    call_command("requeue_stale_tasks", older_than=0, stdout=out)
    requeued = int(re.search(r"\d+", out.getvalue()).group())
    with open(log_path, "ab") as log:
        worker = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            assert worker.wait(timeout=180) == 0, log_path.read_text()
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
    after_worker = Certificate.objects.count()
    statuses = collections.Counter(DBTaskResult.objects.values_list("status", flat=True))
    stuck = DBTaskResult.objects.filter(status="RUNNING").count()

    # Nothing is left for the safety net (manage.py issue_certificates) to issue.
    issued, failed = issue_missing(course_code=course.code)
    assert not failed and issued == [] and stuck == 0
    numbers = _serial_numbers("PD")
    per_user = collections.Counter(
        Certificate.objects.filter(course=course).values_list("user_id", flat=True)
    )
    print(
        f"\nC3 worker kill: tasks {n}, issued before kill {issued_at_kill} "
        f"(task statuses {dict(statuses_at_kill)}), requeued {requeued}, "
        f"after new worker {after_worker} "
        f"(task statuses {dict(statuses)}, stuck RUNNING {stuck}), "
        f"issued by issue_missing {len(issued)}, final {len(numbers)}; PDF files written by "
        f"the workers {len(list((tmp_path / 'private').rglob('*.pdf')))}"
    )
    assert len(numbers) == n
    assert numbers == list(range(1, n + 1)), numbers  # gapless: the killed txn rolled back
    assert max(per_user.values()) == 1, "a certificate issued twice"
    assert Certificate.objects.current().filter(course=course).count() == n


# --------------------------------------------------------------------------- C4 backends killed


def _terminate_backends():
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_backends_terminated_during_write_burst(tmp_path, settings):
    settings.DEBUG = False
    n_users, n_lessons = 20, 6
    root = tmp_path / "content"
    write_course(root, "BURST-1", "burst-course", lessons=n_lessons)
    load_curriculum(root)
    course = CoursePage.objects.get(code="BURST-1")
    lessons = list(LessonPage.objects.child_of(course).live().order_by("path"))
    quiz = make_quiz(make_bank("burst-bank", "::E1::谈谈。{}\n\n::E2::再谈。{}"), max_attempts=None)
    users = [make_user("window_staff", username=f"burst{i}") for i in range(n_users)]
    attempts = [svc.start_attempt(quiz, user) for user in users]
    clients = [logged_in_client(user) for user in users]
    figures = collections.Counter()
    saved_text = {}
    stop = threading.Event()
    kills = []

    def killer():
        # Own connection; terminate every other backend of the test database a few times.
        try:
            for _i in range(4):
                if stop.wait(0.25):
                    break
                kills.append(_terminate_backends())
        finally:
            connections.close_all()

    def request(client, method, url, **kwargs):
        for _try in range(6):
            response = getattr(client, method)(url, **kwargs)
            kind = f"{response.status_code}"
            figures[f"responses {kind}"] += 1
            if response.status_code >= 500:
                body = response.content.decode("utf-8", "replace")
                assert "Traceback" not in body and "psycopg" not in body, body[:500]
                close_old_connections()
                time.sleep(0.05)
                continue
            return response
        raise AssertionError(f"{url} kept failing")

    def burst(i):
        client, attempt = clients[i], attempts[i]
        for n, lesson in enumerate(lessons):
            request(client, "post", reverse("courses:complete_lesson", args=[lesson.pk]))
            text = f"user{i}-save{n}"
            response = request(
                client,
                "post",
                reverse("quizzes:autosave", args=[attempt.pk]),
                data=json.dumps({"position": 1, "answer": {"text": text}}),
                content_type="application/json",
            )
            if response.status_code == 200:
                saved_text[i] = text
        request(client, "post", reverse("quizzes:submit", args=[attempt.pk]))
        return True

    kill_thread = threading.Thread(target=killer)
    started = time.monotonic()
    kill_thread.start()
    results, errors = run_parallel(n_users, burst, barrier=False)
    stop.set()
    kill_thread.join()
    elapsed = time.monotonic() - started
    connection.close()  # the main thread's connection was terminated too

    assert not errors, errors
    # Lost updates: every (user, lesson) progress row is there.
    progress_rows = LessonProgress.objects.filter(course=course).count()
    assert progress_rows == n_users * n_lessons
    # No half-written rows.
    for user in users:
        enrollment = Enrollment.objects.get(user=user, course=course)
        assert enrollment.last_lesson_id == lessons[-1].pk, "last_lesson lags its progress"
        assert enrollment.completed_at is not None
    for i, attempt in enumerate(attempts):
        attempt.refresh_from_db()
        assert attempt.status in (Attempt.GRADED, Attempt.PENDING)
        answer = Response.objects.get(attempt=attempt, position=1).answer
        assert answer == {"text": saved_text[i]}, (answer, saved_text.get(i))
    graded = Attempt.objects.filter(status=Attempt.GRADED)
    for attempt in graded:
        scored = Response.objects.filter(attempt=attempt).exclude(
            question__qtype__in=["essay", "description"]
        )
        assert not scored.filter(fraction__isnull=True).exists()
    # The app serves normally afterwards.
    assert Client().get(reverse("healthz")).status_code == 200
    assert clients[0].get(reverse("home")).status_code == 200
    print(
        f"\nC4 terminate backends: threads {n_users}, backends terminated per round {kills}, "
        f"{sum(v for k, v in figures.items())} requests in {elapsed:.1f}s, {dict(figures)}, "
        f"progress rows {progress_rows}/{n_users * n_lessons}, attempts {len(attempts)}"
    )
