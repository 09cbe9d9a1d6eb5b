"""Build the certificate font subset now (``certificates.fonts``), so that the first certificate
a learner earns is not the one that waits minutes for it. ``make demo-data`` runs it."""

from django.core.management.base import BaseCommand

from certificates import fonts


class Command(BaseCommand):
    help = "Build the pre-subset certificate font under var/fonts (once per machine)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="rebuild even if up to date")

    def handle(self, *args, force=False, **options):
        path = fonts.build_subset_font(force=force)
        self.stdout.write(f"{path}")
