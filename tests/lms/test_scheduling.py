"""Scheduled publishing runs by itself (lms/jobs/scheduling.py): RQ's cron scheduler enqueues
Wagtail's publish_scheduled every minute and an RQ worker runs it (production, prod-local);
``run_scheduled_jobs`` does the same without Redis (make demo)."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import Page, Revision

from courses.models import CoursePage, LessonPage, TrainingIndexPage
from lms.jobs.scheduling import JOBS, QUEUE

pytestmark = pytest.mark.django_db

REDIS_TEST_URL = "redis://127.0.0.1:6379/13"


@pytest.fixture
def scheduled_lesson():
    """A lesson approved for publication at a time that has now come (as when a reviewer
    approved it for 10:36 and it is 10:36:30): live only once publish_scheduled runs."""
    root = Page.get_first_root_node()
    index = root.add_child(instance=TrainingIndexPage(title="培训", slug="sched-training"))
    course = index.add_child(
        instance=CoursePage(title="课程", slug="sched-course", code="SCH-1", summary="s")
    )
    lesson = LessonPage(title="定时发布的课文", slug="scheduled-lesson", live=False)
    course.add_child(instance=lesson)
    lesson.go_live_at = timezone.now() + datetime.timedelta(hours=1)
    revision = lesson.save_revision()
    revision.publish()
    lesson.refresh_from_db()
    assert not lesson.live  # scheduled, not published
    # Time passes: the approved time is now 30 seconds ago.
    due = timezone.now() - datetime.timedelta(seconds=30)
    revision.content["go_live_at"] = due.isoformat()
    Revision.objects.filter(pk=revision.pk).update(
        approved_go_live_at=due, content=revision.content
    )
    LessonPage.objects.filter(pk=lesson.pk).update(go_live_at=due)
    return lesson


def test_publish_scheduled_is_a_job_every_minute():
    [job] = [job for job in JOBS if job.name == "publish_scheduled"]
    assert job.cron == "* * * * *"


def redis_or_fail():
    import redis

    connection = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379 (scripts/prod-local.sh starts it)")
    connection.flushdb()
    return connection


def test_rq_cron_enqueues_publish_scheduled_and_a_worker_publishes_the_page(
    settings, scheduled_lesson
):
    """The production path, without waiting for the minute: the RQ cron scheduler loaded from
    ``lms.jobs.cron`` (as ``manage.py rqcron lms.jobs.cron`` does) enqueues the due job; an RQ
    worker of the ``scheduled`` queue runs it; the page is live. No one ran a command by hand."""
    from django_rq.cron import DjangoCronScheduler
    from rq import Queue, SimpleWorker

    connection = redis_or_fail()
    settings.RQ_QUEUES = {QUEUE: {"URL": REDIS_TEST_URL}}
    scheduler = DjangoCronScheduler()
    scheduler.load_config_from_file("lms.jobs.cron")
    jobs = {job.name: job for job in scheduler.get_jobs()}
    assert set(jobs) == {job.name for job in JOBS}
    cron_job = jobs["publish_scheduled"]
    assert cron_job.cron == "* * * * *" and cron_job.queue_name == QUEUE
    # The minute has come.
    cron_job.next_enqueue_time = cron_job.next_enqueue_time - datetime.timedelta(minutes=1)
    assert [job.name for job in scheduler.enqueue_jobs()] == ["publish_scheduled"]

    queue = Queue(QUEUE, connection=connection)
    assert queue.count == 1
    # SimpleWorker runs the job in this process (the test's database transaction).
    SimpleWorker([queue], connection=connection).work(burst=True)
    scheduled_lesson.refresh_from_db()
    assert scheduled_lesson.live
    connection.flushdb()


def test_expired_file_jobs_are_purged_every_night():
    [job] = [job for job in JOBS if job.name == "purge_file_jobs"]
    assert job.cron == "17 3 * * *"
    job.func()  # runs the command


def test_run_scheduled_jobs_publishes_without_redis(scheduled_lesson):
    call_command("run_scheduled_jobs", "--once")
    scheduled_lesson.refresh_from_db()
    assert scheduled_lesson.live


def test_prod_local_and_demo_start_the_scheduler():
    base = Path(settings.BASE_DIR)
    prod_local = (base / "scripts" / "prod-local.sh").read_text()
    assert "rqcron lms.jobs.cron" in prod_local and f"rqworker {QUEUE}" in prod_local
    makefile = (base / "Makefile").read_text()
    demo = makefile.split("\ndemo:")[1].split("\n\n")[0]
    assert "run_scheduled_jobs" in demo
