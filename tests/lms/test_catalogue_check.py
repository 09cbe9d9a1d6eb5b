"""The suite stops at once with a clear message when the catalogues are not compiled
(issue 18, finding 9)."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from tests.catalogues import catalogue_message, catalogue_problems

LOCALE = Path(settings.BASE_DIR) / "locale"


def copy_locale(tmp_path, with_mo=True):
    target = tmp_path / "locale"
    shutil.copytree(LOCALE, target, ignore=None if with_mo else shutil.ignore_patterns("*.mo"))
    return target


def test_compiled_catalogues_pass(tmp_path):
    assert catalogue_problems(copy_locale(tmp_path)) == []
    assert catalogue_message(copy_locale(tmp_path / "again")) is None


def test_missing_and_stale_catalogues_are_named(tmp_path):
    locale = copy_locale(tmp_path, with_mo=False)
    assert catalogue_problems(locale) == [
        "en/LC_MESSAGES/django.po: not compiled (django.mo is missing)",
        "zh_Hans/LC_MESSAGES/django.po: not compiled (django.mo is missing)",
    ]
    locale = copy_locale(tmp_path / "stale")
    po = locale / "en/LC_MESSAGES/django.po"
    later = time.time() + 60
    os.utime(po, (later, later))
    assert catalogue_problems(locale) == [
        "en/LC_MESSAGES/django.po: changed since it was compiled (django.mo is older)"
    ]
    assert "make messages" in catalogue_message(locale)


def test_pytest_stops_before_running_any_test(tmp_path):
    env = {**os.environ, "LMS_CHECK_LOCALE_DIR": str(copy_locale(tmp_path, with_mo=False))}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
         "tests/lms/test_catalogues.py"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert run.returncode == 4, output
    assert "The translation catalogues are not compiled" in output
    assert "django.mo is missing" in output and "make messages" in output
    assert "passed" not in output and "failed" not in output
