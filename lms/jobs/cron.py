"""RQ cron configuration: ``manage.py rqcron lms.jobs.cron`` (see lms/jobs/scheduling.py)."""

from rq import cron

from lms.jobs.scheduling import JOBS, QUEUE

for job in JOBS:
    cron.register(job.func, QUEUE, cron=job.cron, name=job.name, job_timeout=job.timeout)
