"""Demo accounts for each role in two districts, printed with their passwords."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from lms.organisation import roles
from lms.organisation.models import District, StaffProfile

# username, full name, role, district code, password
DEMO_ACCOUNTS = [
    ("city-admin", "陈市管", roles.CITY_ADMIN, None, "Demo-city-2026"),
    ("trainer", "林培训", roles.TRAINER, None, "Demo-trainer-2026"),
    ("reviewer", "周审核", roles.REVIEWER, None, "Demo-reviewer-2026"),
    ("hp-admin", "黄区管", roles.DISTRICT_ADMIN, "HP", "Demo-hpadmin-2026"),
    ("pd-admin", "浦区管", roles.DISTRICT_ADMIN, "PD", "Demo-pdadmin-2026"),
    ("hp-staff1", "王小明", roles.WINDOW_STAFF, "HP", "Demo-learner-2026"),
    ("hp-staff2", "李晓红", roles.WINDOW_STAFF, "HP", "Demo-learner-2026"),
    ("pd-staff1", "张伟", roles.WINDOW_STAFF, "PD", "Demo-learner-2026"),
    ("pd-staff2", "赵敏", roles.WINDOW_STAFF, "PD", "Demo-learner-2026"),
]


class Command(BaseCommand):
    help = "Create the demo accounts (idempotent) and print them with their passwords."

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        rows = []
        for number, (username, name, role, district_code, password) in enumerate(DEMO_ACCOUNTS, 1):
            user, _ = User.objects.get_or_create(username=username)
            user.set_password(password)
            user.email = f"{username}@example.com"
            user.is_active = True
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            district = District.objects.get(code=district_code) if district_code else None
            StaffProfile.objects.update_or_create(
                user=user,
                defaults={
                    "full_name": name,
                    "district": district,
                    "employee_no": f"DEMO{number:03d}",
                    "service_centre": f"{district}政务服务中心" if district else "上海市知识产权局",
                    "job_title": str(roles.ROLE_LABELS[role]),
                },
            )
            rows.append((str(roles.ROLE_LABELS[role]), district or "-", username, password))
        self.after_accounts()
        self.stdout.write(self.style.SUCCESS("Demo accounts:"))
        for role_label, district, username, password in rows:
            self.stdout.write(f"  {role_label:<8} {str(district):<6} {username:<12} {password}")
        if getattr(settings, "LMS_REQUIRE_2FA", True):
            self.enrolment_links(User)

    def enrolment_links(self, User):
        """With two-factor login on, the admin accounts need an enrolment link for their first
        TOTP device (lms.organisation.otp_enrolment): print one for each that has none."""
        from django_otp import user_has_device

        from lms.organisation.otp_enrolment import issue_enrolment_link
        from lms.organisation.roles import is_privileged

        usernames = [row[0] for row in DEMO_ACCOUNTS]
        links = [
            (user.username, issue_enrolment_link(user))
            for user in User.objects.filter(username__in=usernames).order_by("pk")
            if is_privileged(user) and not user_has_device(user, confirmed=True)
        ]
        if links:
            self.stdout.write(
                "Two-factor enrolment links (sign in as the account, then open its link; "
                "each works once):"
            )
        for username, url in links:
            self.stdout.write(f"  {username:<12} {url}")

    def after_accounts(self):
        """Hook for the rollout: enrol the demo learners (see rollout.demo)."""
        try:
            from lms.rollout.demo import after_demo_accounts
        except ImportError:
            return
        after_demo_accounts(self.stdout)
