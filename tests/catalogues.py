"""Are the translation catalogues compiled? Without ``django.mo`` files Django shows the
source strings, and dozens of tests fail with nothing that says why. ``tests/conftest.py``
stops the run at once with this message instead."""

import os
from pathlib import Path

FIX = (
    "compile them with `make messages` (or `.venv/bin/python manage.py compilemessages "
    "--ignore=.venv --ignore=node_modules`); `make test` does it for you"
)


def catalogue_problems(locale_dir: Path) -> list[str]:
    """One line per catalogue whose ``.mo`` is missing or older than its ``.po``."""
    problems = []
    for po in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        name = po.relative_to(locale_dir)
        if not mo.exists():
            problems.append(f"{name}: not compiled ({mo.name} is missing)")
        elif mo.stat().st_mtime < po.stat().st_mtime:
            problems.append(f"{name}: changed since it was compiled ({mo.name} is older)")
    return problems


def catalogue_message(locale_dir: Path) -> str | None:
    problems = catalogue_problems(locale_dir)
    if not problems:
        return None
    lines = "\n  ".join(problems)
    return f"The translation catalogues are not compiled:\n  {lines}\nFix: {FIX}."


def locale_dir_to_check(base_dir: Path) -> Path:
    # LMS_CHECK_LOCALE_DIR: another directory to check (tests/lms/test_catalogue_check.py).
    return Path(os.environ.get("LMS_CHECK_LOCALE_DIR") or Path(base_dir) / "locale")
