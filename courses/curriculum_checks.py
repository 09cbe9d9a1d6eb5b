"""Subject checks of the lessons in ``content/`` (run by ``manage.py check_curriculum``).

Each problem names a file and a line. Lesson rules:

* every lesson lists its ``sources``;
* every source has a last-checked date (``checked:`` on the source, or on the lesson);
* lessons whose oldest check is older than ``max_age_days`` are reported as stale;
* wording the subject review banned (e.g. "3星以下": write "1—3星") does not appear.

The question rules live in ``quizzes.curriculum_checks`` (a higher floor), which calls these.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

#: Wording that must not appear in lessons or questions, with what to write instead.
BANNED_WORDING = {"3星以下": "1—3星", "三星以下": "1—3星"}


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str
    stale: bool = False  # a stale check date: reported, an error only when asked

    def __str__(self) -> str:
        return _("%(path)s 第 %(line)s 行：%(message)s") % {
            "path": self.path,
            "line": self.line,
            "message": self.message,
        }


def _line_of(lines: list[str], needle: str, default: int) -> int:
    for number, line in enumerate(lines, start=1):
        if needle and needle in line:
            return number
    return default


def banned_wording(path: Path, text: str) -> list[Problem]:
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        for phrase, instead in BANNED_WORDING.items():
            if phrase in line:
                problems.append(
                    Problem(
                        path,
                        number,
                        _("不要写“%(phrase)s”（容易误读），请写“%(instead)s”。")
                        % {"phrase": phrase, "instead": instead},
                    )
                )
    return problems


def lesson_check_dates(lesson) -> list[tuple[dict, datetime.date | None]]:
    """(source, its check date or None) for each source of a parsed lesson."""
    default = lesson.meta.get("checked")
    return [(source, source.get("checked") or default) for source in lesson.meta.get("sources", [])]


def check_lessons(courses, today: datetime.date, max_age_days: int) -> list[Problem]:
    """Problems of the lessons of parsed courses (``courses.loader.read_curriculum``)."""
    problems: list[Problem] = []
    for course in courses:
        problems += banned_wording(course.path, course.path.read_text(encoding="utf-8"))
        for lesson in course.lessons:
            text = lesson.path.read_text(encoding="utf-8")
            lines = text.splitlines()
            problems += banned_wording(lesson.path, text)
            sources_line = lesson.key_lines.get("sources", 1)
            sources = lesson.meta.get("sources") or []
            if not sources:
                problems.append(
                    Problem(lesson.path, 1, _("讲义没有列出依据（sources）：每讲必须注明来源。"))
                )
                continue
            dates = []
            for source, checked in lesson_check_dates(lesson):
                line = _line_of(lines, source["title"], sources_line)
                if checked is None:
                    problems.append(
                        Problem(
                            lesson.path,
                            line,
                            _(
                                "依据“%(title)s”没有核对日期"
                                "（在依据或讲义上写 checked: YYYY-MM-DD）。"
                            )
                            % {"title": source["title"]},
                        )
                    )
                else:
                    dates.append(checked)
            if dates:
                oldest = min(dates)
                age = (today - oldest).days
                if age > max_age_days:
                    problems.append(
                        Problem(
                            lesson.path,
                            lesson.key_lines.get("checked", sources_line),
                            _(
                                "最近一次核对是 %(date)s（%(age)s 天前，"
                                "超过 %(max)s 天），请重新核对依据。"
                            )
                            % {"date": oldest.isoformat(), "age": age, "max": max_age_days},
                            stale=True,
                        )
                    )
    return problems
