from django.core.management.base import BaseCommand

from certificates.issuing import issue_missing


class Command(BaseCommand):
    help = "为课程已完成但没有有效证书的学员颁发证书。"

    def add_arguments(self, parser):
        parser.add_argument("--wave", type=int, help="培训批次 ID（rollout.RolloutWave）")
        parser.add_argument("--district", help="区代码，如 HP；市级人员用 SH")
        parser.add_argument("--course", help="课程代码")

    def handle(self, *args, wave=None, district=None, course=None, **options):
        issued, failed = issue_missing(wave_id=wave, district_code=district, course_code=course)
        for cert in issued:
            self.stdout.write(f"{cert.serial} {cert.holder_name} {cert.course.code}")
        for user, course_obj, error in failed:
            self.stderr.write(f"FAILED user {user.pk} {course_obj.code}: {error}")
        self.stdout.write(
            self.style.SUCCESS(f"已颁发 {len(issued)} 张证书，失败 {len(failed)} 张。")
        )
