from django.core.management.base import BaseCommand

from lms.rollout.reminders import enqueue_scheduled, weekly_digest_task


class Command(BaseCommand):
    help = (
        "Queue the scheduled background tasks (django_tasks): daily overdue and certificate "
        "expiry reminders, enrolment of open waves, and on WEEKLY_DIGEST_WEEKDAY the weekly "
        "digest to administrators. Run it from cron (e.g. hourly); every task is idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--digest", action="store_true", help="queue the digest today")
        parser.add_argument(
            "--digest-only",
            action="store_true",
            help="queue the weekly digest and nothing else (the scheduled weekly_digest job)",
        )
        parser.add_argument(
            "--no-digest",
            action="store_true",
            help="queue the reminders and wave enrolment only (the scheduled daily job)",
        )

    def handle(self, *args, **options):
        if options["digest_only"]:
            weekly_digest_task.enqueue()
            queued = ["weekly_digest"]
        else:
            queued = enqueue_scheduled(
                force_digest=options["digest"], digest=not options["no_digest"]
            )
        if options["verbosity"]:
            self.stdout.write("queued: " + ", ".join(queued))
