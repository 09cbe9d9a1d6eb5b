"""A trainer's and a reviewer's walk through the question tools (issue 17, second review):
saving an unchanged question, export → import round trips, the option rows of the editor,
trial results with essays, and the regrade page's wording."""

import pytest
from wagtail.models import ModelLogEntry

from courses.loader import load_curriculum
from quizzes.models import Question, QuestionVersion
from tests.courses.conftest import write_course
from tests.factories import make_user

from .utils import posted_form

pytestmark = pytest.mark.django_db

QUIZ_MD = "quiz:\n  title: 测验\n  pass_mark: 80\n"

CURRICULUM_GIFT = """\
$CATEGORY: 课程/专利

::专利-单选::发明专利权的期限是自申请日起<b>多少</b>年？{
=20 年 # 正确：《专利法》第四十二条。
~10 年 # 这是实用新型专利权的期限。
~15 年
####《专利法》第四十二条。
}

::专利-判断::外观设计专利需要实质审查。{F # 外观设计只做初步审查。 # 对。}

::专利-数值::发明专利权的期限是多少年？{#20:0.5}

::专利-多选::以下哪些属于知识产权？{
~%50%专利权
~%50%商标权
~%-100%物权
}
"""


@pytest.fixture
def trainer_client(client):
    client.force_login(make_user("trainer", district=None))
    return client


def _curriculum(tmp_path, gift=CURRICULUM_GIFT):
    root = tmp_path / "content"
    course_dir = write_course(root, "T-101", "course-a", lessons=1)
    course_md = course_dir / "course.md"
    course_md.write_text(
        course_md.read_text(encoding="utf-8").replace("hours: 2\n", "hours: 2\n" + QUIZ_MD, 1),
        encoding="utf-8",
    )
    (course_dir / "questions.gift").write_text(gift, encoding="utf-8")
    return root, course_dir


def test_saving_a_curriculum_question_unchanged_keeps_it_file_managed(tmp_path, trainer_client):
    root, course_dir = _curriculum(tmp_path)
    load_curriculum(root)
    before = {q.pk: (q.text, q.updated_at) for q in Question.objects.all()}
    assert QuestionVersion.objects.count() == 4
    for question in Question.objects.all():
        url = f"/admin/question/edit/{question.pk}/"
        response = trainer_client.post(url, posted_form(trainer_client.get(url).content.decode()))
        assert response.status_code == 302, question.name
    # no new version, no "已编辑" entry, nothing written
    assert QuestionVersion.objects.count() == 4
    assert not ModelLogEntry.objects.filter(action="wagtail.edit").exists()
    assert {q.pk: (q.text, q.updated_at) for q in Question.objects.all()} == before
    # the file's corrections still arrive
    corrected = CURRICULUM_GIFT.replace("期限是多少年", "保护期限是多少年").replace(
        "需要实质审查", "需要经过实质审查"
    )
    (course_dir / "questions.gift").write_text(corrected, encoding="utf-8")
    report = load_curriculum(root)
    assert report.questions == {"updated": 2, "unchanged": 2}, report.skipped
    assert "保护期限" in Question.objects.get(name="专利-数值").text


def test_a_real_edit_is_still_versioned_logged_and_protected(tmp_path, trainer_client):
    root, course_dir = _curriculum(tmp_path)
    load_curriculum(root)
    question = Question.objects.get(name="专利-数值")
    url = f"/admin/question/edit/{question.pk}/"
    data = posted_form(trainer_client.get(url).content.decode())
    data["text"] = "<p>培训师改过的题干</p>"  # HTML posted instead of the editor's JSON
    assert trainer_client.post(url, data).status_code == 302
    assert question.versions.count() == 2
    assert ModelLogEntry.objects.filter(action="wagtail.edit", object_id=question.pk).count() == 1
    report = load_curriculum(root)
    assert report.questions.get("skipped") == 1
