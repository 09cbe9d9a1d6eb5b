"""Issue a one-time link with which an account enrols its first two-factor device.

The setup page no longer shows a TOTP secret to whoever signs in with an account's password:
the session must first open an enrolment link for that account (lms.organisation.otp_enrolment).
Use this for a superuser made with ``createsuperuser``, after ``reset_two_factor`` (lost
phone), or for an account without e-mail. Give the link to its owner only.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp import user_has_device

from lms.organisation.otp_enrolment import issue_enrolment_link, link_hours


class Command(BaseCommand):
    help = "Print (or e-mail) a one-time two-factor enrolment link for USERNAME."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--email", action="store_true", help="Also send it to the account's own e-mail."
        )
        parser.add_argument(
            "--hours", type=int, default=None, help=f"Validity (default {link_hours()} hours)."
        )

    def handle(self, *args, username, email, hours, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if user_has_device(user, confirmed=True):
            raise CommandError(
                f"{username} already has a confirmed device; reset it first "
                "(lms.organisation.security.reset_two_factor) if the phone is lost."
            )
        if hours is not None and hours < 1:
            raise CommandError("--hours must be at least 1.")
        url = issue_enrolment_link(user, email=email, hours=hours)
        if email and user.email:
            self.stderr.write(f"Sent to {user.email}.")
        self.stdout.write(url)
