from wagtail.models import Page

from quizzes.formats import parse_gift
from quizzes.importing import import_questions
from quizzes.models import Quiz

SAMPLE_GIFT = """
$CATEGORY: 专利

::P1::发明专利保护期多少年？{=20年 ~10年 ~15年}

::P2::外观设计专利需要实质审查。{F}

::P3::下列哪些是专利类型？{~%50%发明 ~%50%实用新型 ~%-100%商标}

$CATEGORY: 商标

::T1::注册商标有效期几年？{#10}

::T2::商标的英文是？{=trademark =trade mark}

::T3::配对{=专利 -> 国家知识产权局 =著作权 -> 版权局 = -> 工商局}

::T4::谈谈窗口服务的意义。{}
"""


def gift_questions(n, category="专利", prefix="Q"):
    """``n`` single-choice questions in GIFT."""
    blocks = [f"$CATEGORY: {category}"]
    for i in range(n):
        blocks.append(f"::{prefix}{i:03d}::题目 {i}{{=对 ~错一 ~错二 ~错三 ####解析{i}}}")
    return "\n\n".join(blocks)


def make_bank(name="测试题库", text=SAMPLE_GIFT):
    return import_questions(name, parse_gift(text)).bank


def make_quiz(bank=None, **kwargs):
    bank = bank or make_bank()
    defaults = {"title": "测验", "bank": bank, "pass_mark": 60, "shuffle_questions": True}
    defaults.update(kwargs)
    return Quiz.objects.create(**defaults)


def make_course(code="IP-T1"):
    from courses.models import CoursePage, TrainingIndexPage

    root = Page.get_first_root_node()
    index = TrainingIndexPage.objects.first()
    if index is None:
        index = root.add_child(instance=TrainingIndexPage(title="培训", slug="training-t"))
    return index.add_child(
        # Quiz tests are not about the course's gate (tests/courses/test_quiz_gate.py): the quiz
        # may be started before the lessons are read.
        instance=CoursePage(
            title=f"课程 {code}",
            slug=code.lower(),
            code=code,
            summary="s",
            quiz_after_lessons=False,
        )
    )
