"""``manage.py check_curriculum`` (issue 19 item 6): passes on content/, fails on planted
problems, naming file and line for each."""

import datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from quizzes.curriculum_checks import check_curriculum

pytestmark = pytest.mark.django_db

CONTENT = Path(__file__).resolve().parents[2] / "content"

COURSE = """\
---
code: C-101
title: 检查用课程
slug: check-course
summary: 用于检查的课程。
order: 1
quiz:
  title: 测验
  pass_mark: 80
  questions_per_attempt: 4
  draw:
    备案: 2
    咨询: 1
---
简介。
"""

LESSON = """\
---
title: 备案
slug: filing
order: 1
checked: 2026-11-01
sources:
  - title: 国家知识产权局令第62号《专利实施许可合同备案办法》
    cite: 62号令
  - title: 某高校科技处办事说明
    cite: 高校办事说明
    official: false
---
正文。
"""

GIFT = """\
$CATEGORY: 课程/备案

// [tag:lesson:filing] [tag:rule:62号令第12条] [tag:scenario]
::Q1::某公司来备案……{=先收件 ~拒收}

// [tag:lesson:filing] [tag:rule:62号令第5条]
::Q2::备案期限{=3个月 ~6个月}

$CATEGORY: 课程/咨询

// [tag:lesson:filing] [tag:rule:62号令第9条] [tag:scenario]
::Q3::合同内容{=专利号 ~注册资本}
"""


def write(root, course=COURSE, lesson=LESSON, gift=GIFT):
    course_dir = Path(root) / "courses" / "01-check"
    (course_dir / "lessons").mkdir(parents=True, exist_ok=True)
    (course_dir / "course.md").write_text(course, encoding="utf-8")
    (course_dir / "lessons" / "01-filing.md").write_text(lesson, encoding="utf-8")
    (course_dir / "questions.gift").write_text(gift, encoding="utf-8")
    return course_dir


def run(root, **options):
    return check_curriculum(
        root, today=datetime.date(2026, 11, 30), min_questions=3, min_scenario=0.5, **options
    )


def test_content_folder_passes_the_check(capsys):
    call_command("check_curriculum", str(CONTENT))
    assert "课程内容检查通过" in capsys.readouterr().out


def test_a_clean_planted_course_passes(tmp_path):
    write(tmp_path)
    assert run(tmp_path) == []


def test_planted_problems_are_named_with_file_and_line(tmp_path):
    lesson = LESSON.replace("checked: 2026-11-01\n", "").replace(
        "    cite: 62号令\n", "    cite: 62号令\n    checked: 2026-11-01\n"
    )
    gift = (
        GIFT.replace(
            "[tag:lesson:filing] [tag:rule:62号令第5条]", "[tag:rule:62号令第5条]"
        ).replace("[tag:rule:62号令第9条]", "[tag:rule:高校办事说明第2条]")
        + "\n// [tag:lesson:nowhere] [tag:rule:专利法第12条]\n::Q4::3星以下的差评{T}\n"
    )
    course = COURSE.replace("    咨询: 1\n", "")
    course_dir = write(tmp_path, course=course, lesson=lesson, gift=gift)
    found = {(p.path.name, p.line, p.message) for p in run(tmp_path)}
    gift_path = course_dir / "questions.gift"
    messages = "\n".join(f"{name}:{line}:{message}" for name, line, message in sorted(found))
    # the unofficial source has no check date (neither on it nor on the lesson)
    assert "01-filing.md:9:依据“某高校科技处办事说明”没有核对日期" in messages
    # Q2 has no lesson tag
    assert "questions.gift:7:题目“Q2”没有 lesson 标签" in messages
    # Q3's key rests on an unofficial source
    assert "questions.gift:12:题目“Q3”以非官方来源“某高校科技处办事说明”作为答案依据" in messages
    # Q4: unknown lesson, banned wording
    assert "questions.gift:15:题目“Q4”的 lesson 标签“nowhere”不是本课程的讲义" in messages
    assert "questions.gift:15:不要写“3星以下”" in messages
    # the draw leaves a topic out
    assert "course.md:7:分类“课程/咨询”不在 quiz.draw 中" in messages
    assert gift_path.exists()


def test_missing_sources_scenario_share_and_stale_lessons(tmp_path):
    lesson = LESSON.replace("checked: 2026-11-01", "checked: 2025-01-01").split("sources:")[0]
    write(tmp_path, lesson=lesson + "---\n正文。\n", gift=GIFT.replace(" [tag:scenario]", ""))
    problems = run(tmp_path, max_age_days=180)
    text = "\n".join(str(p) for p in problems)
    assert "讲义没有列出依据（sources）" in text
    assert "情景题只有 0 道（0%），至少需要 50%" in text
    # every question's rule now cites no source of its lesson
    assert "的依据“62号令第12条”不在讲义 filing 的 sources 中" in text


def test_stale_lessons_are_reported_and_fail_only_when_asked(tmp_path, capsys):
    write(tmp_path, lesson=LESSON.replace("checked: 2026-11-01", "checked: 2020-01-01"))
    options = {"min_questions": 3, "min_scenario": 0.5, "max_age_days": 365}
    call_command("check_curriculum", str(tmp_path), **options)
    out = capsys.readouterr().out
    assert "需要重新核对的讲义" in out and "01-filing.md 第 5 行：最近一次核对是 2020-01-01" in out
    with pytest.raises(CommandError, match="1 个问题"):
        call_command("check_curriculum", str(tmp_path), fail_stale=True, **options)


def test_command_fails_on_a_planted_bad_file(tmp_path, capsys):
    write(tmp_path, gift=GIFT.replace("[tag:lesson:filing] [tag:rule:62号令第5条]", ""))
    with pytest.raises(CommandError, match="课程内容检查发现"):
        call_command("check_curriculum", str(tmp_path), min_questions=3, min_scenario=0.5)
    err = capsys.readouterr().err
    assert "questions.gift 第 7 行：题目“Q2”没有 lesson 标签" in err


# Option lengths (issue 19, penetration test): the right answer must not be the longest option.
LONGEST_GIFT = """\
$CATEGORY: 课程/备案

// [tag:lesson:filing] [tag:rule:62号令第12条] [tag:scenario]
::Q1::材料不全怎么办{=先收件，出具收件凭证，一次性告知补正 ~拒收 ~请他改天再来}

// [tag:lesson:filing] [tag:rule:62号令第5条] [tag:scenario]
::Q2::备案期限{=合同生效之日起3个月内 ~6个月 ~1年}

$CATEGORY: 课程/咨询

// [tag:lesson:filing] [tag:rule:62号令第9条]
::Q3::合同内容{=专利号 ~注册资本}

// [tag:lesson:filing] [tag:rule:62号令第9条]
::Q4::合同还要写什么{=许可的种类和期限 ~<b>印章</b> ~地址}
"""


def test_keys_that_are_the_longest_option_are_named_with_file_and_line(tmp_path):
    course_dir = write(tmp_path, gift=LONGEST_GIFT)
    problems = [p for p in run(tmp_path) if p.path.name == "questions.gift"]
    lines = {p.line for p in problems if "唯一最长的选项" in p.message}
    # Q1, Q2 and Q4 (line 10, tags excluded from the length) give their key away; Q3 not.
    assert lines == {4, 7, 15}
    text = "\n".join(str(p) for p in problems)
    assert "3/4 道单选题如此（75%），超过上限 35%" in text
    # Always picking the longest option: 3 of 4 right = 75 < 80, so no score problem yet.
    assert "总是选最长的选项" not in text
    assert all(p.path == course_dir / "questions.gift" for p in problems)


def test_the_share_is_configurable_and_the_longest_strategy_must_stay_below_the_pass_mark(
    tmp_path, capsys
):
    write(tmp_path, course=COURSE.replace("pass_mark: 80", "pass_mark: 70"), gift=LONGEST_GIFT)
    problems = run(tmp_path, max_longest_key_share=0.8)
    text = "\n".join(str(p) for p in problems)
    assert "唯一最长的选项" not in text
    # 3 of 4 right when always picking the longest = 75 ≥ the pass mark 70.
    assert "questions.gift 第 1 行：单选题总是选最长的选项可得 75.0 分，达到了及格分 70" in text
    options = {"min_questions": 3, "min_scenario": 0.5}
    with pytest.raises(CommandError):
        call_command("check_curriculum", str(tmp_path), **options)
    assert "第 15 行：题目“Q4”的正确答案是唯一最长的选项" in capsys.readouterr().err


def test_ties_for_the_longest_option_count_half_in_the_longest_strategy(tmp_path):
    gift = GIFT.replace("{=先收件 ~拒收}", "{=先收件 ~不收件}").replace(
        "{=专利号 ~注册资本}", "{=专利号 ~注册号}"
    )
    write(tmp_path, course=COURSE.replace("pass_mark: 80", "pass_mark: 50"), gift=gift)
    text = "\n".join(str(p) for p in run(tmp_path))
    # No key is *uniquely* longest, yet guessing among the longest scores 50 = the pass mark.
    assert "唯一最长的选项" not in text
    assert "总是选最长的选项可得 50.0 分，达到了及格分 50" in text


def test_shipped_banks_do_not_give_the_key_away_by_length():
    problems = check_curriculum(CONTENT, max_longest_key_share=0.3)
    assert not [p for p in problems if "最长的选项" in p.message]
