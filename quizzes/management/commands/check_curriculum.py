from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from quizzes.curriculum_checks import (
    DEFAULT_MAX_AGE_DAYS,
    DEFAULT_MAX_LONGEST_KEY_SHARE,
    DEFAULT_MIN_QUESTIONS,
    DEFAULT_MIN_SCENARIO,
    check_curriculum,
)


class Command(BaseCommand):
    help = (
        "Check the curriculum folder: lesson sources and check dates, question tags (lesson, "
        "rule), unofficial sources as keys, topic coverage of the draws, bank size and scenario "
        "share, option lengths that give the key away. Lists stale lessons. Names file and line "
        "for each problem; fails on errors."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default="content", help="curriculum folder")
        parser.add_argument(
            "--max-age-days",
            type=int,
            default=getattr(settings, "CURRICULUM_CHECK_MAX_AGE_DAYS", DEFAULT_MAX_AGE_DAYS),
            help="report lessons whose last check is older than this many days",
        )
        parser.add_argument(
            "--fail-stale", action="store_true", help="treat stale lessons as errors"
        )
        parser.add_argument("--min-questions", type=int, default=DEFAULT_MIN_QUESTIONS)
        parser.add_argument("--min-scenario", type=float, default=DEFAULT_MIN_SCENARIO)
        parser.add_argument(
            "--max-longest-key-share",
            type=float,
            default=getattr(
                settings, "CURRICULUM_CHECK_MAX_LONGEST_KEY_SHARE", DEFAULT_MAX_LONGEST_KEY_SHARE
            ),
            help="highest share of single-choice questions whose key is the longest option",
        )

    def handle(
        self,
        *args,
        path,
        max_age_days,
        fail_stale,
        min_questions,
        min_scenario,
        max_longest_key_share,
        **kw,
    ):
        problems = check_curriculum(
            path,
            max_age_days=max_age_days,
            min_questions=min_questions,
            min_scenario=min_scenario,
            max_longest_key_share=max_longest_key_share,
        )
        errors = [p for p in problems if not p.stale or fail_stale]
        stale = [p for p in problems if p.stale]
        for problem in errors:
            self.stderr.write(str(problem))
        if stale:
            self.stdout.write(
                self.style.WARNING(
                    _("需要重新核对的讲义（最近核对超过 %(days)s 天）：") % {"days": max_age_days}
                )
            )
            for problem in stale:
                self.stdout.write(self.style.WARNING(str(problem)))
        if errors:
            raise CommandError(_("课程内容检查发现 %(count)s 个问题。") % {"count": len(errors)})
        self.stdout.write(self.style.SUCCESS(_("课程内容检查通过。")))
