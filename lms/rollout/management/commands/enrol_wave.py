from django.core.management.base import BaseCommand, CommandError

from lms.rollout.models import RolloutWave
from lms.rollout.services import enrol_wave


class Command(BaseCommand):
    help = "Enrol the staff of a wave's districts in its courses (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("wave", nargs="?", type=int, help="wave id (default: every open wave)")

    def handle(self, *args, **options):
        if options["wave"]:
            waves = RolloutWave.objects.filter(pk=options["wave"])
            if not waves:
                raise CommandError(f"No wave {options['wave']}")
        else:
            waves = RolloutWave.objects.open()
        for wave in waves:
            self.stdout.write(f"{wave}: {enrol_wave(wave)} enrollments created")
