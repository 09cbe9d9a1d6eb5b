from django.core.management.base import BaseCommand

from certificates.reminders import send_expiry_reminders


class Command(BaseCommand):
    help = "向证书即将到期的学员发送提醒邮件（每张证书只提醒一次）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="one stage (days before expiry); default: CERTIFICATE_EXPIRY_REMINDER_DAYS",
        )

    def handle(self, *args, days=None, **options):
        sent = send_expiry_reminders(days=days)
        self.stdout.write(self.style.SUCCESS(f"已发送 {sent} 封到期提醒。"))
