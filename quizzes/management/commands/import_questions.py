from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quizzes.formats import FormatError
from quizzes.importing import import_questions, parse_bytes


class Command(BaseCommand):
    help = "Import a Moodle GIFT or Aiken file into a question bank (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--format", choices=["gift", "aiken"], default="gift")
        parser.add_argument("--bank", required=True, help="Question bank name (created if new).")
        parser.add_argument("--dry-run", action="store_true", help="Parse and report only.")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            questions = parse_bytes(path.read_bytes(), options["format"])
        except FormatError as error:
            raise CommandError(f"{path}: nothing imported.\n{error}")
        if options["dry_run"]:
            self.stdout.write(f"{len(questions)} questions parsed; nothing imported (dry run).")
            return
        result = import_questions(options["bank"], questions)
        self.stdout.write(
            self.style.SUCCESS(
                f"Bank {result.bank.name}: {len(result.created)} created, "
                f"{len(result.updated)} updated, {len(result.unchanged)} unchanged."
            )
        )
