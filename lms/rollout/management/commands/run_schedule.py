from django.core.management.base import BaseCommand

from lms.rollout.reminders import enqueue_scheduled


class Command(BaseCommand):
    help = (
        "Queue the scheduled background tasks (django_tasks): daily overdue and certificate "
        "expiry reminders, enrolment of open waves, and on WEEKLY_DIGEST_WEEKDAY the weekly "
        "digest to administrators. Run it from cron (e.g. hourly); every task is idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--digest", action="store_true", help="queue the digest today")

    def handle(self, *args, **options):
        queued = enqueue_scheduled(force_digest=options["digest"])
        self.stdout.write("queued: " + ", ".join(queued))
