"""Prepares a load test run (``scripts/load-test.sh``): the benchmark data set, and the next
``USERS`` generated accounts with a password hash of the running settings' first hasher and
their certificates' PDFs.

The data set may have been generated under the test settings (a cheap MD5 hash, which the
production settings do not accept); real staff have the production hash, so the load test
logs in against that: one hash, computed once, given to the accounts of this run.
Prints the account offset for ``LOCUST_USER_OFFSET`` (each run takes the next accounts, so
every simulated user may still start the exam) and the exam's quiz id."""

import os
import sys
from pathlib import Path

import django

QUIZ_COURSE = "IP-101"  # the exam the simulated training room takes


def main(users):
    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from lms.rollout.management.commands.generate_load_data import DEFAULT_PASSWORD
    from tests.perf.data import STAFF, ensure_dataset

    ensure_dataset()
    state = Path(__file__).resolve().parent.parent.parent / "var" / "load-test-offset"
    offset = int(state.read_text()) if state.exists() else 0
    if offset + users > STAFF:
        offset = 0
    state.write_text(str(offset + users))
    names = [f"load-{n:06d}" for n in range(offset + 1, offset + users + 1)]
    updated = (
        get_user_model()
        .objects.filter(username__in=names)
        .update(password=make_password(DEFAULT_PASSWORD))
    )
    print(f"accounts load-{offset + 1:06d}…: {updated} with a production password hash")
    # The worker stores a certificate's PDF when it issues it; the generated certificates have
    # none (rendering 38,000 would take the data set minutes), so render this run's now.
    from certificates.issuing import store_pdf
    from certificates.models import Certificate

    missing = Certificate.objects.filter(user__username__in=names, pdf="")
    rendered = 0
    for certificate in missing.iterator():
        store_pdf(certificate)
        rendered += 1
    print(f"rendered {rendered} certificate PDFs of these accounts")
    from quizzes.models import Quiz

    print(offset, Quiz.objects.get(course__code=QUIZ_COURSE).pk)  # the last line: for the script


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.production")
    main(int(sys.argv[1]))
