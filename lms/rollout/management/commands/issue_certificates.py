from django.core.management.base import BaseCommand, CommandError

from certificates.issuing import issue_missing
from lms.rollout.models import RolloutWave
from lms.rollout.services import wave_member_ids


class Command(BaseCommand):
    help = (
        "为已完成课程、但本次完成尚未颁发证书的学员颁发证书。"
        "已撤销或已过期的证书不会在没有新的考核通过记录时重新颁发。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--wave", type=int, help="培训批次 ID（rollout.RolloutWave）")
        parser.add_argument("--district", help="区代码，如 HP；市级人员用 SH")
        parser.add_argument("--course", help="课程代码")

    def handle(self, *args, wave=None, district=None, course=None, **options):
        filters = {"district_code": district, "course_code": course}
        if wave is not None:
            # The rollout owns "who is in a wave" and hands the ids down to certificates.
            try:
                wave_obj = RolloutWave.objects.get(pk=wave)
            except RolloutWave.DoesNotExist:
                raise CommandError(f"没有编号为 {wave} 的培训批次。")
            filters["user_ids"] = wave_member_ids(wave_obj)
            filters["course_ids"] = list(wave_obj.courses.values_list("pk", flat=True))
        issued, failed = issue_missing(**filters)
        for cert in issued:
            self.stdout.write(f"{cert.serial} {cert.holder_name} {cert.course.code}")
        for user, course_obj, error in failed:
            self.stderr.write(f"FAILED user {user.pk} {course_obj.code}: {error}")
        self.stdout.write(
            self.style.SUCCESS(f"已颁发 {len(issued)} 张证书，失败 {len(failed)} 张。")
        )
