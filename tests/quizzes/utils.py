from html.parser import HTMLParser

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


class _EditForm(HTMLParser):
    """The values a browser posts from a page's main ``<form method="post">`` when nothing
    is touched: inputs (checked boxes only), selected options, textareas; nothing inside a
    ``<template>`` (Wagtail's empty inline rows)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str]] = []
        self.in_form = False
        self.template_depth = 0
        self.select = None
        self.select_value = None
        self.option = None
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post" and not self.in_form:
            self.in_form = "data-edit-form" in a or "w-form" in (a.get("data-controller") or "")
            return
        if tag == "template":
            self.template_depth += 1
        if not self.in_form or self.template_depth or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button", "file", "image"):
                return
            self.fields.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self.select, self.select_value = name, None
        elif tag == "option" and self.select is not None:
            self.option = a.get("value", "")
            # the selected option, else the first one
            if "selected" in a or self.select_value is None:
                self.select_value = (self.option, "selected" in a)
        elif tag == "textarea" and name:
            self.textarea = [name, ""]

    def handle_endtag(self, tag):
        if tag == "template" and self.template_depth:
            self.template_depth -= 1
        elif tag == "form":
            self.in_form = False
        elif tag == "select" and self.select is not None:
            if self.select_value is not None:
                self.fields.append((self.select, self.select_value[0]))
            self.select = None
        elif tag == "option" and self.select is not None:
            self.option = None
        elif tag == "textarea" and self.textarea is not None:
            self.fields.append(tuple(self.textarea))
            self.textarea = None

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


def posted_form(html: str) -> dict:
    """What saving an admin edit page unchanged posts (see ``_EditForm``); a field named
    twice (a multi-select) keeps its last value."""
    parser = _EditForm()
    parser.feed(html)
    return dict(parser.fields)
