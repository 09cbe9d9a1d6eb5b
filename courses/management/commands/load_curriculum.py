from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from courses.loader import CurriculumInvalid, load_curriculum


class Command(BaseCommand):
    help = (
        "Build or update the training page tree (and, through extensions, the quizzes) from the "
        "curriculum folder. Idempotent; pages edited in the CMS are kept unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default="content", help="curriculum folder")
        parser.add_argument(
            "--force",
            action="store_true",
            help="overwrite pages, quizzes and questions edited in the admin",
        )
        parser.add_argument("--dry-run", action="store_true", help="validate only, write nothing")

    def handle(self, *args, path, force, dry_run, **options):
        try:
            report = load_curriculum(path, force=force, dry_run=dry_run)
        except CurriculumInvalid as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(
                _("课程内容有 %(count)s 处错误，未写入任何内容。") % {"count": len(exc.errors)}
            )
        if dry_run:
            self.stdout.write(self.style.SUCCESS(_("检查通过，未写入（--dry-run）。")))
            return
        for page in report.created:
            self.stdout.write(_("新建：%(page)s") % {"page": page.title})
        for page in report.updated:
            self.stdout.write(_("更新：%(page)s") % {"page": page.title})
        for page in report.unpublished:
            self.stdout.write(_("下线：%(page)s") % {"page": page.title})
        for _page, message in report.skipped:
            self.stdout.write(self.style.WARNING(_("跳过：%(message)s") % {"message": message}))
        for kind, label in (("quizzes", _("测验")), ("questions", _("题目"))):
            counts = getattr(report, kind)
            if counts:
                self.stdout.write(
                    _(
                        "%(label)s：新建 %(created)s，更新 %(updated)s，未变 %(unchanged)s，"
                        "停用 %(retired)s，恢复 %(restored)s，跳过 %(skipped)s。"
                    )
                    % {
                        "label": label,
                        **{
                            key: counts.get(key, 0)
                            for key in (
                                "created",
                                "updated",
                                "unchanged",
                                "retired",
                                "restored",
                                "skipped",
                            )
                        },
                    }
                )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "完成：新建 %(created)s，更新 %(updated)s，"
                    "未变 %(unchanged)s，跳过 %(skipped)s。"
                )
                % {
                    "created": len(report.created),
                    "updated": len(report.updated),
                    "unchanged": len(report.unchanged),
                    "skipped": len(report.skipped),
                }
            )
        )
