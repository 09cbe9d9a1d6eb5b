"""Jobs that run on a timetable, by themselves.

``JOBS`` is the one list. Production runs it with RQ's own cron scheduler: ``manage.py rqcron
lms.jobs.cron`` enqueues each job on the ``scheduled`` queue when its cron expression falls due, and
an RQ worker of that queue runs it (``scripts/prod-local.sh``, ``make cron``). A machine
without Redis (``make demo``, a developer's server) runs the same list with
``manage.py run_scheduled_jobs``, which follows the same cron expressions in one process.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.management import call_command

#: the RQ queue of scheduled jobs (a plain RQ worker runs it; django_tasks use "default")
QUEUE = "scheduled"


def publish_scheduled() -> None:
    """Wagtail's ``publish_scheduled``: publish what is due (pages, snippets), unpublish what
    has expired."""
    call_command("publish_scheduled", verbosity=0)


def purge_file_jobs() -> None:
    """Delete expired background file jobs (imports, roster exports, certificate batches) and
    their files (``FILE_JOB_LIFETIME_DAYS``)."""
    call_command("purge_file_jobs", verbosity=0)


def issue_missing_certificates() -> None:
    """Issue the certificates that completions still lack. The certificate is normally issued by
    a background task right after the pass; if that task failed (a locked database, a worker
    that died), this sweep issues it within minutes. Revoked or expired certificates are never
    re-issued without a new pass (``certificates.issuing``)."""
    call_command("issue_certificates", verbosity=0)


def weekly_digest() -> None:
    """The weekly digest to district administrators (their district's dashboard figures,
    overdue people and certificates expiring within the largest reminder stage) and city
    administrators (every district's figures, and the names for districts that have no
    district administrator): ``run_schedule --digest-only`` queues it (once in seven days per
    administrator, so a second run is harmless). This is how administrators hear of their
    staff's expiring certificates; the daily reminders go to the holders only."""
    call_command("run_schedule", digest_only=True, verbosity=0)


def reminders_and_enrolment() -> None:
    """The daily reminders (overdue learners; certificates expiring in 60, 30 and 7 days, to
    the holder: administrators read the expiring certificates in their weekly digest) and the
    enrolment of open waves' new staff: ``run_schedule --no-digest`` queues them; each task is
    idempotent, so running it every hour only picks up what is new."""
    call_command("run_schedule", no_digest=True, verbosity=0)


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    cron: str  # a cron expression, minute resolution
    func: Callable[[], None]
    timeout: int = 300


JOBS = [
    # A page scheduled for 10:36 is live by 10:37.
    ScheduledJob("publish_scheduled", "* * * * *", publish_scheduled),
    # Uploaded files and built exports are kept FILE_JOB_LIFETIME_DAYS, then removed at 03:17.
    ScheduledJob("purge_file_jobs", "17 3 * * *", purge_file_jobs),
    # A pass whose certificate task failed still gets its certificate within five minutes.
    ScheduledJob("issue_missing_certificates", "*/5 * * * *", issue_missing_certificates),
    # Administrators read the week's digest on Monday morning (cron times are local:
    # Django sets the process time zone to TIME_ZONE, Asia/Shanghai).
    ScheduledJob("weekly_digest", "0 8 * * 1", weekly_digest, timeout=900),
    # Staff added to an open wave's district are enrolled within the hour; reminders go out
    # once (the tasks remember what they sent).
    ScheduledJob("reminders_and_enrolment", "7 * * * *", reminders_and_enrolment, timeout=900),
]
