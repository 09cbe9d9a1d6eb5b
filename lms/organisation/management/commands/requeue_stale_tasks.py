"""Put tasks that a dead worker left "running" back in the queue (database task backend).

A worker killed in the middle of a task (out of memory, a machine lost) leaves its task
RUNNING for ever. Run this from cron or before starting workers; the tasks it requeues must
be idempotent, as ours are (issuing a certificate that exists returns it; an export or a
certificate batch is rebuilt).
"""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = _("把已停止的任务进程遗留为“运行中”的任务重新排队（数据库任务后端）。")

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=900,
            help=_("只处理开始超过这么多秒的任务（默认 900，应大于最长任务时间）"),
        )

    def handle(self, *args, older_than, **options):
        from django_tasks_db.models import DBTaskResult, TaskResultStatus

        cutoff = timezone.now() - timedelta(seconds=older_than)
        count = (
            DBTaskResult.objects.running()
            .filter(started_at__lt=cutoff)
            .update(status=TaskResultStatus.READY, started_at=None)
        )
        self.stdout.write(_("重新排队的任务：%(count)d 个。") % {"count": count})
        return None
