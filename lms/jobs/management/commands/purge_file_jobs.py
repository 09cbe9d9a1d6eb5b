from django.core.management.base import BaseCommand

from lms.jobs.models import FileJob


class Command(BaseCommand):
    help = "Delete expired background file jobs and their files (run daily from cron)."

    def handle(self, *args, **options):
        count = 0
        for job in FileJob.objects.expired().exclude(state__in=FileJob.ACTIVE_STATES):
            job.delete_file()
            job.delete()
            count += 1
        if options["verbosity"]:
            self.stdout.write(f"deleted {count} expired jobs")
