from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lms.rollout import importing


class Command(BaseCommand):
    help = (
        "Import staff from an HR spreadsheet (XLSX or CSV, Chinese or English header). "
        "All rows or none; new accounts get an unusable password (staff use password reset)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--district", help="only rows of this district (code or name)")
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="deactivate active staff of the imported districts not in the file",
        )
        parser.add_argument("--dry-run", action="store_true", help="validate and preview only")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"{path} not found")
        if path.stat().st_size > settings.MAX_IMPORT_UPLOAD_SIZE:
            raise CommandError("file too large (MAX_IMPORT_UPLOAD_SIZE)")
        try:
            result = importing.preview(
                path.read_bytes(),
                path.name,
                district_code=options["district"],
                deactivate_missing=options["deactivate_missing"],
            )
        except importing.ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        for error in result.errors:
            self.stderr.write(str(error))
        self.stdout.write(
            f"rows: {len(result.rows)}, create: {result.to_create}, update: {result.to_update}, "
            f"deactivate: {len(result.leavers)}, errors: {len(result.errors)}"
        )
        if result.errors:
            raise CommandError("errors found: nothing imported")
        if options["dry_run"]:
            self.stdout.write("dry run: nothing written")
            return
        record = importing.apply(result)
        self.stdout.write(
            self.style.SUCCESS(
                f"imported: {record.created} created, {record.updated} updated, "
                f"{record.deactivated} deactivated"
            )
        )
