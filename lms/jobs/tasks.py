"""Running file jobs in the background (django_tasks: immediate backend on a developer's
machine and in tests, RQ or the database worker in production; see settings.TASKS).

Each kind registers its handler once, by dotted path, so this floor imports no app above it::

    register("staff_import", "lms.rollout.importing.run_job")

A handler is ``handler(job, phase)``; it reports progress with ``job.report(...)`` and ends
with ``job.finish(...)`` (or raises ``JobError`` with a message for the user). Any other
exception marks the job failed with a generic message and is logged.
"""

import logging

from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tasks import task

from .models import FileJob

logger = logging.getLogger(__name__)

HANDLERS: dict[str, str] = {}


class JobError(Exception):
    """A failure to show to the user as it is (already translated)."""


def register(kind: str, handler: str) -> None:
    HANDLERS[kind] = handler


def handler_for(kind: str):
    return import_string(HANDLERS[kind])


@task()
def run_file_job(job_id: int, phase: str = "run") -> str:
    job = FileJob.objects.filter(pk=job_id).first()
    if job is None:
        return "missing"
    try:
        handler_for(job.kind)(job, phase)
    except JobError as exc:
        job.fail(str(exc))
    except Exception:
        logger.exception("file job %s (%s, %s) failed", job.pk, job.kind, phase)
        job.fail(_("处理失败，请稍后重试或联系管理员。"))
    job.refresh_from_db()
    if job.state in FileJob.ACTIVE_STATES:  # a handler that forgot to finish
        job.finish()
    return job.state


def enqueue(job: FileJob, phase: str = "run") -> None:
    """Queue ``job`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: run_file_job.enqueue(job.pk, phase))
