"""``manage.py check_curriculum``: the subject checks of ``content/`` (issue 19 item 6).

Lessons (``courses.curriculum_checks``): sources, check dates, stale checks, banned wording.
Question banks (here), for every course with a ``questions.gift``:

* every question carries a ``lesson:<slug>`` tag naming a lesson of its course and at least
  one ``rule:<citation>`` tag; the citation's law part (before "第") must name a source of
  that lesson (its ``cite`` or a words of its title);
* no question's key rests on a source marked ``official: false``;
* the paper covers every topic: with ``quiz.draw`` every category appears with a count of at
  least 1; without it ``questions_per_attempt`` is at least the number of topics; a draw
  never asks for more questions than a topic can give once exclusion groups are respected;
* a bank has at least ``min_questions`` questions and at least ``min_scenario`` of them are
  scenario items (tag ``scenario``);
* option length gives nothing away: at most ``max_longest_key_share`` of the single-choice
  questions have their key as the uniquely longest option (each such question is named when
  the share is exceeded), and "always pick the longest option" scores below the course's
  pass mark on the single-choice questions of the bank.
"""

from __future__ import annotations

import datetime
import html
import re
from collections import defaultdict
from pathlib import Path

from django.utils.translation import gettext as _

from courses.curriculum_checks import Problem, banned_wording, check_lessons
from courses.loader import CurriculumInvalid, read_curriculum
from lms.formats.numbers import percent

from .formats import FormatError, parse_gift
from .importing import draw_settings, resolve_topic
from .models import tag_values

DEFAULT_MAX_AGE_DAYS = 180
DEFAULT_MIN_QUESTIONS = 30
DEFAULT_MIN_SCENARIO = 0.4
#: Highest share of single-choice questions whose key may be the uniquely longest option
#: (setting ``CURRICULUM_CHECK_MAX_LONGEST_KEY_SHARE``). With four options chance is 0.25.
DEFAULT_MAX_LONGEST_KEY_SHARE = 0.35
#: Pass mark of a quiz whose ``course.md`` names none (``Quiz.pass_mark``'s default).
DEFAULT_PASS_MARK = 60

_LAW_NOISE = re.compile(r"[《》〈〉（）()\s]|中华人民共和国")


def _norm(text: str) -> str:
    return _LAW_NOISE.sub("", text or "")


def law_part(rule: str) -> str:
    """``"62号令第12条"`` -> ``"62号令"``; ``"专利法第68条"`` -> ``"专利法"``."""
    return _norm(rule.split("第", 1)[0]) or _norm(rule)


def matching_sources(rule: str, sources: list[dict]) -> list[dict]:
    law = law_part(rule)
    found = []
    for source in sources:
        cite = _norm(str(source.get("cite") or ""))
        if (cite and (cite == law or law.startswith(cite) or cite.startswith(law))) or (
            law and law in _norm(source["title"])
        ):
            found.append(source)
    return found


_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def option_length(text: str) -> int:
    """Length of an option as the learner reads it: tags removed, entities decoded."""
    return len(_SPACE.sub(" ", html.unescape(_TAG.sub("", text or ""))).strip())


def longest_option_stats(question) -> tuple[bool, float]:
    """``(key is the uniquely longest option, expected fraction when picking the longest)``.

    Ties for the longest option are broken at random, so the expected fraction is the mean
    of the tied options' fractions (negative fractions count as 0).
    """
    lengths = [option_length(answer.text) for answer in question.answers]
    longest = max(lengths)
    tied = [a for a, length in zip(question.answers, lengths, strict=True) if length == longest]
    best = max(answer.fraction for answer in question.answers)
    unique_key = len(tied) == 1 and best > 0 and tied[0].fraction == best
    return unique_key, sum(max(a.fraction, 0) for a in tied) / len(tied)


def check_option_lengths(course, path, questions, max_share: float) -> list[Problem]:
    """The right answer must not be findable by length (penetration test, issue 19)."""
    single = [q for q in questions if q.qtype == "multichoice" and len(q.answers) > 1]
    if not single:
        return []
    problems = []
    stats = [(q, *longest_option_stats(q)) for q in single]
    giveaways = [q for q, unique_key, _score in stats if unique_key]
    share = len(giveaways) / len(single)
    if share > max_share:
        for question in giveaways:
            problems.append(
                Problem(
                    path,
                    question.line,
                    _(
                        "题目“%(name)s”的正确答案是唯一最长的选项：本题库有 %(count)s/%(total)s"
                        " 道单选题如此（%(share).0f%%），超过上限 %(max).0f%%。请把错误选项写得同样"
                        "具体，或精简正确答案。"
                    )
                    % {
                        "name": question.name,
                        "count": len(giveaways),
                        "total": len(single),
                        "share": percent(len(giveaways), len(single)),
                        "max": percent(max_share, 1),
                    },
                )
            )
    quiz = course.meta.get("quiz") or {}
    pass_mark = float(quiz.get("pass_mark") or DEFAULT_PASS_MARK)
    score = 100 * sum(score for _q, _unique, score in stats) / len(single)
    if score >= pass_mark:
        problems.append(
            Problem(
                path,
                1,
                _(
                    "单选题总是选最长的选项可得 %(score).1f 分，达到了及格分 %(pass_mark)s"
                    "（course.md 的 quiz.pass_mark）：选项长度泄露了答案。"
                )
                % {"score": score, "pass_mark": f"{pass_mark:g}"},
            )
        )
    return problems


def _course_md_line(course, key="quiz"):
    return course.key_lines.get(key, 1)


def check_bank(
    course,
    min_questions: int,
    min_scenario: float,
    max_longest_key_share: float = DEFAULT_MAX_LONGEST_KEY_SHARE,
) -> list[Problem]:
    path = course.dir / "questions.gift"
    if not path.exists():
        return []
    problems: list[Problem] = banned_wording(path, path.read_text(encoding="utf-8"))
    try:
        questions = parse_gift(path.read_text(encoding="utf-8-sig"))
    except FormatError as error:
        return problems + [Problem(path, line or 1, message) for line, message in error.errors]
    lessons = {lesson.meta["slug"]: lesson for lesson in course.lessons}
    scored = [q for q in questions if q.qtype != "description"]
    for question in scored:
        lesson_slugs = tag_values(question.tags, "lesson")
        rules = tag_values(question.tags, "rule")
        if not lesson_slugs:
            problems.append(
                Problem(
                    path,
                    question.line,
                    _("题目“%(name)s”没有 lesson 标签（// [tag:lesson:讲义网址名]）。")
                    % {"name": question.name},
                )
            )
        unknown = [slug for slug in lesson_slugs if slug not in lessons]
        for slug in unknown:
            problems.append(
                Problem(
                    path,
                    question.line,
                    _("题目“%(name)s”的 lesson 标签“%(slug)s”不是本课程的讲义。")
                    % {"name": question.name, "slug": slug},
                )
            )
        if not rules:
            problems.append(
                Problem(
                    path,
                    question.line,
                    _("题目“%(name)s”没有 rule 标签（// [tag:rule:法规名第N条]）。")
                    % {"name": question.name},
                )
            )
        sources = [
            s
            for slug in lesson_slugs
            if slug in lessons
            for s in lessons[slug].meta.get("sources", [])
        ]
        if unknown or not lesson_slugs:
            continue
        for rule in rules:
            found = matching_sources(rule, sources)
            if not found:
                problems.append(
                    Problem(
                        path,
                        question.line,
                        _("题目“%(name)s”的依据“%(rule)s”不在讲义 %(lessons)s 的 sources 中。")
                        % {"name": question.name, "rule": rule, "lessons": "、".join(lesson_slugs)},
                    )
                )
            elif all(source.get("official") is False for source in found):
                problems.append(
                    Problem(
                        path,
                        question.line,
                        _("题目“%(name)s”以非官方来源“%(source)s”作为答案依据。")
                        % {"name": question.name, "source": found[0]["title"]},
                    )
                )
    if len(scored) < min_questions:
        problems.append(
            Problem(
                path,
                1,
                _("题库只有 %(count)s 道题，至少需要 %(min)s 道。")
                % {"count": len(scored), "min": min_questions},
            )
        )
    scenarios = sum(1 for q in scored if "scenario" in q.tags)
    if scored and scenarios / len(scored) < min_scenario:
        problems.append(
            Problem(
                path,
                1,
                _("情景题只有 %(count)s 道（%(share).0f%%），至少需要 %(min).0f%%。")
                % {
                    "count": scenarios,
                    "share": percent(scenarios, len(scored)),
                    "min": percent(min_scenario, 1),
                },
            )
        )
    problems += check_option_lengths(course, path, scored, max_longest_key_share)
    problems += _check_draw(course, scored)
    return problems


def _slots(questions) -> int:
    """How many of ``questions`` one paper can hold when exclusion groups are respected."""
    free = sum(1 for q in questions if not tag_values(q.tags, "exclude"))
    groups = {tuple(sorted(tag_values(q.tags, "exclude"))) for q in questions}
    groups.discard(())
    return free + len(groups)


def _check_draw(course, scored) -> list[Problem]:
    problems = []
    by_topic = defaultdict(list)
    for question in scored:
        by_topic[question.category.strip("/")].append(question)
    quiz = course.meta.get("quiz") or {}
    line = _course_md_line(course)
    try:
        draws = draw_settings(course.meta)
    except ValueError as error:
        return [Problem(course.path, line, str(error))]
    if draws:
        resolved = {}
        for topic, count in draws.items():
            path = resolve_topic(topic, set(by_topic))
            if path is None:
                problems.append(
                    Problem(
                        course.path,
                        line,
                        _("quiz.draw 中的分类“%(topic)s”在题库中不存在或不唯一。")
                        % {"topic": topic},
                    )
                )
            else:
                resolved[path] = count
        for topic, questions in by_topic.items():
            count = resolved.get(topic, 0)
            if count < 1:
                problems.append(
                    Problem(
                        course.path,
                        line,
                        _(
                            "分类“%(topic)s”不在 quiz.draw 中（或抽题数为 0）："
                            "试卷不会考到这个主题。"
                        )
                        % {"topic": topic or _("（未分类）")},
                    )
                )
            elif count > _slots(questions):
                problems.append(
                    Problem(
                        course.path,
                        line,
                        _(
                            "分类“%(topic)s”要抽 %(count)s 道题，但考虑排斥组后最多只能抽"
                            " %(slots)s 道。"
                        )
                        % {"topic": topic, "count": count, "slots": _slots(questions)},
                    )
                )
    else:
        per_attempt = quiz.get("questions_per_attempt")
        if per_attempt is not None and per_attempt < len(by_topic):
            problems.append(
                Problem(
                    course.path,
                    line,
                    _("每次只抽 %(count)s 题，少于 %(topics)s 个主题：有的主题会抽不到。")
                    % {"count": per_attempt, "topics": len(by_topic)},
                )
            )
    return problems


def check_curriculum(
    root,
    today: datetime.date | None = None,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    min_questions: int = DEFAULT_MIN_QUESTIONS,
    min_scenario: float = DEFAULT_MIN_SCENARIO,
    max_longest_key_share: float = DEFAULT_MAX_LONGEST_KEY_SHARE,
) -> list[Problem]:
    """Every problem of the curriculum at ``root`` (format errors included), in file order."""
    today = today or datetime.date.today()
    try:
        courses = read_curriculum(Path(root))
    except CurriculumInvalid as invalid:
        return [Problem(e.path, e.line, e.message) for e in invalid.errors]
    problems = check_lessons(courses, today, max_age_days)
    for course in courses:
        problems += check_bank(course, min_questions, min_scenario, max_longest_key_share)
    return sorted(problems, key=lambda p: (str(p.path), p.line))
