from django.core.management.base import BaseCommand

from lms.rollout.reminders import (
    send_certificate_expiry_reminders,
    send_overdue_reminders,
    send_weekly_summaries,
)


class Command(BaseCommand):
    help = (
        "Email overdue learners (once a day), district administrators their weekly summary, "
        "and certificate holders their expiry reminders. Safe to run several times a day."
    )

    def add_arguments(self, parser):
        parser.add_argument("--expiry-days", type=int, default=None)

    def handle(self, *args, **options):
        overdue = send_overdue_reminders()
        summaries = send_weekly_summaries()
        expiry = send_certificate_expiry_reminders(days=options["expiry_days"])
        self.stdout.write(
            f"overdue reminders: {overdue}, weekly summaries: {summaries}, "
            f"certificate expiry reminders: {'n/a' if expiry is None else expiry}"
        )
