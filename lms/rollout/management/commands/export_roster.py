import sys

from django.core.management.base import BaseCommand, CommandError

from courses.models import CoursePage
from lms.organisation.models import District
from lms.rollout import exports
from lms.rollout.models import RolloutWave
from lms.rollout.roster import STATUS_LABELS, RosterFilter


class Command(BaseCommand):
    help = "Export the training roster as CSV (UTF-8 with BOM) or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("--district", help="district code or name")
        parser.add_argument("--wave", type=int, help="wave id")
        parser.add_argument("--course", help="course code")
        parser.add_argument("--status", choices=sorted(STATUS_LABELS), default="")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("-o", "--output", help="file (default: stdout for CSV)")

    def handle(self, *args, **options):
        filt = RosterFilter(status=options["status"])
        if options["district"]:
            district = District.lookup(options["district"])
            if district is None:
                raise CommandError(f"unknown district {options['district']}")
            filt.district_ids = [district.pk]
        if options["wave"]:
            filt.wave = RolloutWave.objects.filter(pk=options["wave"]).first()
            if filt.wave is None:
                raise CommandError(f"unknown wave {options['wave']}")
        if options["course"]:
            filt.course = CoursePage.objects.filter(code=options["course"]).first()
            if filt.course is None:
                raise CommandError(f"unknown course {options['course']}")
        output = options["output"]
        if options["format"] == "xlsx":
            if not output:
                raise CommandError("XLSX needs -o FILE")
            count = exports.write_xlsx(filt, output)
        elif output:
            with open(output, "w", encoding="utf-8", newline="") as fh:
                count = exports.write_csv(filt, fh)
        else:
            count = exports.write_csv(filt, sys.stdout)
        exports.record_export(None, filt, options["format"], row_count=count)
        self.stderr.write(f"{count} rows")
