"""Run ``lms.jobs.scheduling.JOBS`` on their cron expressions in this process (no Redis needed).

For ``make demo`` and developers' machines; production uses RQ's cron scheduler
(``manage.py rqcron lms.jobs.cron``). ``--once`` runs every job now and exits.
"""

import logging
import time
from datetime import datetime

from croniter import croniter
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils import timezone

from lms.jobs.scheduling import JOBS

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the scheduled jobs (publish_scheduled, …) on their timetable, without Redis."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every job now and exit")

    def handle(self, *args, once=False, **options):
        if once:
            for job in JOBS:
                self.run(job)
            return
        now = timezone.localtime()
        due = {job.name: croniter(job.cron, now).get_next(datetime) for job in JOBS}
        self.stdout.write(f"Scheduled jobs: {', '.join(job.name for job in JOBS)}")
        while True:
            time.sleep(max(0.5, (min(due.values()) - timezone.localtime()).total_seconds()))
            now = timezone.localtime()
            for job in JOBS:
                if due[job.name] <= now:
                    self.run(job)
                    due[job.name] = croniter(job.cron, now).get_next(datetime)

    def run(self, job):
        _close_old_connections()
        try:
            job.func()
        except Exception:  # one failing run must not stop the timetable
            logger.exception("scheduled job %s failed", job.name)
        finally:
            _close_old_connections()


def _close_old_connections():
    """Drop stale connections between runs, as a request cycle does; never inside a transaction
    (a caller's atomic block, e.g. a test case on PostgreSQL, would lose its connection)."""
    if not connection.in_atomic_block:
        close_old_connections()
