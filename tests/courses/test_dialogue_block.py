"""The ``::: dialogue`` block: counter scripts in lessons (issue 19 item 4)."""

import pytest

from courses.loader import CurriculumInvalid, load_curriculum
from courses.models import LessonPage
from tests.courses.conftest import write_course
from tests.factories import make_user

pytestmark = pytest.mark.django_db

DIALOGUE = """
::: dialogue 一次性告知
窗口：您好，请问办理什么事项？
申请人：我来备案专利许可合同，
可是委托书忘带了。
窗口：材料我先收下，给您出具收件凭证。还缺**委托书**一项，请一次补齐。
12345话务员：已记录。
:::
"""


def _lesson_with(curriculum, extra):
    course_dir = write_course(curriculum, lessons=1)
    path = course_dir / "lessons" / "01-lesson-1.md"
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def test_dialogue_block_is_parsed_and_rendered(curriculum, client):
    _lesson_with(curriculum, DIALOGUE)
    load_curriculum(curriculum)
    lesson = LessonPage.objects.get()
    block = [b for b in lesson.body if b.block_type == "dialogue"][0]
    assert block.value["title"] == "一次性告知"
    turns = [(t["speaker"], t["role"], t["text"]) for t in block.value["lines"]]
    assert turns == [
        ("窗口", "window", "您好，请问办理什么事项？"),
        ("申请人", "applicant", "我来备案专利许可合同，可是委托书忘带了。"),
        ("窗口", "window", "材料我先收下，给您出具收件凭证。还缺委托书一项，请一次补齐。"),
        ("12345话务员", "other", "已记录。"),
    ]
    client.force_login(make_user("trainer", username="dialogue-trainer"))
    html = client.get(lesson.url).content.decode()
    assert '<section class="block-dialogue"' in html
    assert html.count('class="dialogue-turn dialogue-window"') == 2
    assert 'class="dialogue-turn dialogue-applicant"' in html
    assert '<span class="dialogue-speaker">申请人</span>' in html
    # idempotent: a second load writes nothing
    assert load_curriculum(curriculum).written == 0


def test_dialogue_line_without_speaker_names_file_and_line(curriculum):
    path = _lesson_with(curriculum, "\n::: dialogue\n没有说话人的一句\n:::\n")
    with pytest.raises(CurriculumInvalid) as excinfo:
        load_curriculum(curriculum)
    error = excinfo.value.errors[0]
    line = path.read_text(encoding="utf-8").splitlines().index("没有说话人的一句") + 1
    assert (error.path, error.line) == (path, line)
    assert "说话人" in error.message
