from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from wagtail.models import GroupPagePermission, Page, Revision, Site

from courses.loader import (
    CurriculumError,
    CurriculumInvalid,
    load_curriculum,
    register_course_extension,
    unregister_course_extension,
)
from courses.models import CoursePage, LessonPage, TrainingIndexPage
from tests.factories import make_user

from .conftest import write_course

pytestmark = pytest.mark.django_db

CONTENT = Path(__file__).resolve().parents[2] / "content"


def counts():
    return Page.objects.count(), Revision.objects.count()


def test_load_builds_tree_under_default_site(curriculum):
    write_course(curriculum, lessons=3)
    report = load_curriculum(curriculum)
    assert len(report.created) == 4
    index = TrainingIndexPage.objects.get()
    assert index.slug == "training"
    assert Site.objects.get(is_default_site=True).root_page_id == index.pk
    course = CoursePage.objects.get(code="T-101")
    assert course.get_parent().pk == index.pk
    assert course.objectives_list == ["目标一", "目标二"]
    assert course.url == "/training/course-a/"
    lessons = list(course.lessons())
    assert [lesson.slug for lesson in lessons] == ["lesson-1", "lesson-2", "lesson-3"]
    assert lessons[0].url == "/training/course-a/lesson-1/"
    assert all(page.live for page in lessons)
    assert lessons[0].sources_list == ["《中华人民共和国专利法》第42条"]

    # trainers add and edit pages in the training tree; reviewers publish (the workflow)
    def codenames(group):
        return set(
            GroupPagePermission.objects.filter(group__name=group, page=index).values_list(
                "permission__codename", flat=True
            )
        )

    assert {"add_page", "change_page"} <= codenames("trainer")
    assert "publish_page" not in codenames("trainer")
    assert {"change_page", "publish_page"} <= codenames("reviewer")


def test_lesson_blocks_are_parsed(curriculum):
    write_course(curriculum, lessons=1)
    load_curriculum(curriculum)
    body = LessonPage.objects.get().body
    types = [block.block_type for block in body]
    assert types == [
        "heading",
        "text",
        "table",
        "keypoints",
        "checklist",
        "steps",
        "faq",
        "warning",
    ]
    blocks = {block.block_type: block.value for block in body}
    assert blocks["heading"]["text"] == "这个事项是什么"
    assert "<b>二十年</b>" in blocks["text"]["text"].source
    assert "<ul>" in blocks["text"]["text"].source
    assert blocks["keypoints"]["title"] == "本讲要点"
    assert list(blocks["keypoints"]["points"]) == ["发明专利 20年", "实用新型 10年"]
    items = [(i["item"], i["optional"]) for i in blocks["checklist"]["items"]]
    assert items == [("备案申请表", False), ("委托书", True)]
    assert blocks["checklist"]["title"] == "申请材料清单"  # block default
    steps = [(s["title"], s["detail"]) for s in blocks["steps"]["steps"]]
    assert steps == [("核对材料", "逐项核对。"), ("受理登记", "在系统中登记。")]
    faq = list(blocks["faq"]["items"])
    assert faq[0]["question"] == "可以代办吗？"
    assert "需提交委托书" in faq[0]["answer"].source
    assert "<b>没有中文译本</b>" in blocks["warning"]["text"].source


def test_idempotent_second_load_writes_nothing(curriculum):
    write_course(curriculum, lessons=3)
    load_curriculum(curriculum)
    before = counts()
    report = load_curriculum(curriculum)
    assert counts() == before
    assert report.written == 0 and len(report.unchanged) == 4 and not report.skipped


def test_changed_file_becomes_new_published_revision(curriculum):
    course_dir = write_course(curriculum, lessons=2)
    load_curriculum(curriculum)
    lesson = LessonPage.objects.get(slug="lesson-2")
    revisions = lesson.revisions.count()
    path = course_dir / "lessons" / "02-lesson-2.md"
    path.write_text(path.read_text().replace("第2讲 测试课文", "第2讲 修改后的标题"))
    pages_before = Page.objects.count()
    report = load_curriculum(curriculum)
    assert [p.pk for p in report.updated] == [lesson.pk]
    lesson.refresh_from_db()
    assert lesson.title == "第2讲 修改后的标题" and lesson.live
    assert not lesson.has_unpublished_changes
    assert lesson.revisions.count() == revisions + 1
    assert lesson.loader_revision_id == lesson.latest_revision_id
    assert Page.objects.count() == pages_before


def test_page_edited_in_cms_is_not_clobbered_without_force(curriculum):
    course_dir = write_course(curriculum, lessons=1)
    load_curriculum(curriculum)
    lesson = LessonPage.objects.get()
    lesson.title = "培训师在后台改的标题"
    lesson.save_revision().publish()
    path = course_dir / "lessons" / "01-lesson-1.md"
    path.write_text(path.read_text().replace("第1讲 测试课文", "文件里的新标题"))

    report = load_curriculum(curriculum)
    lesson.refresh_from_db()
    assert lesson.title == "培训师在后台改的标题"
    assert [page.pk for page, _msg in report.skipped] == [lesson.pk]
    assert "--force" in report.skipped[0][1] and "01-lesson-1.md" in report.skipped[0][1]

    report = load_curriculum(curriculum, force=True)
    lesson.refresh_from_db()
    assert lesson.title == "文件里的新标题"
    assert [p.pk for p in report.updated] == [lesson.pk]
    # once overwritten, the loader owns it again
    assert not load_curriculum(curriculum).skipped


def test_draft_edit_in_cms_also_counts_as_edited(curriculum):
    write_course(curriculum, lessons=1)
    load_curriculum(curriculum)
    course = CoursePage.objects.get()
    course.summary = "草稿修改"
    course.save_revision()  # draft, not published
    report = load_curriculum(curriculum, force=False)
    assert [page.pk for page, _msg in report.skipped] == [course.pk]


def test_command_reports_skipped_and_summary(curriculum):
    write_course(curriculum, lessons=1)
    call_command("load_curriculum", str(curriculum))
    lesson = LessonPage.objects.get()
    lesson.save_revision().publish()
    out = __import__("io").StringIO()
    call_command("load_curriculum", str(curriculum), stdout=out)
    assert "跳过" in out.getvalue() and "--force" in out.getvalue()


def test_removed_lesson_file_unpublishes_page(curriculum):
    course_dir = write_course(curriculum, lessons=3)
    load_curriculum(curriculum)
    (course_dir / "lessons" / "03-lesson-3.md").unlink()
    report = load_curriculum(curriculum)
    assert [p.slug for p in report.unpublished] == ["lesson-3"]
    assert not LessonPage.objects.get(slug="lesson-3").live


def test_prerequisites_are_linked(two_courses):
    basics, advanced = two_courses
    assert list(advanced.prerequisites.all()) == [basics]
    assert list(basics.prerequisites.all()) == []


@pytest.mark.parametrize(
    "mutate, line, needle",
    [
        (lambda t: t.replace("title: 第1讲 测试课文", "title: [unclosed"), 2, "YAML"),
        (lambda t: t.replace("slug: lesson-1\n", ""), 1, "slug"),
        (lambda t: t.replace("::: checklist\n", "::: gallery\n"), 26, "gallery"),
        (lambda t: t.rstrip().removesuffix(":::") + "\n", 44, "warning"),
    ],
    ids=["bad-yaml", "missing-key", "unknown-block", "unclosed-fence"],
)
def test_invalid_lesson_is_rejected_with_file_and_line(curriculum, mutate, line, needle):
    course_dir = write_course(curriculum, lessons=2)
    path = course_dir / "lessons" / "01-lesson-1.md"
    path.write_text(mutate(path.read_text()))
    before = counts()
    with pytest.raises(CurriculumInvalid) as info:
        load_curriculum(curriculum)
    assert counts() == before  # nothing written, not even the other valid files
    error = info.value.errors[0]
    assert error.path.name == "01-lesson-1.md"
    assert error.line == line
    assert needle in error.message
    assert f"01-lesson-1.md 第 {line} 行" in str(error)


def test_invalid_course_file_and_unknown_prerequisite(curriculum):
    course_dir = write_course(curriculum, prerequisites=["NOPE-1"])
    with pytest.raises(CurriculumInvalid) as info:
        load_curriculum(curriculum)
    error = info.value.errors[0]
    assert error.path == course_dir / "course.md" and error.line == 11
    assert "NOPE-1" in error.message
    assert not CoursePage.objects.exists()


def test_error_in_one_course_writes_nothing_even_on_reload(curriculum):
    write_course(curriculum, "T-101", "course-a", lessons=2)
    load_curriculum(curriculum)
    before = counts()
    good = curriculum / "courses" / "course-a" / "lessons" / "01-lesson-1.md"
    good.write_text(good.read_text().replace("第1讲 测试课文", "改过的标题"))
    bad = write_course(curriculum, "T-102", "course-b", lessons=1)
    (bad / "course.md").write_text((bad / "course.md").read_text().replace("code: T-102\n", ""))
    with pytest.raises(CurriculumInvalid):
        load_curriculum(curriculum)
    assert counts() == before
    assert LessonPage.objects.get(slug="lesson-1", title="第1讲 测试课文")


def test_command_fails_with_translated_message(curriculum):
    course_dir = write_course(curriculum, lessons=1)
    path = course_dir / "lessons" / "01-lesson-1.md"
    path.write_text(path.read_text().replace("::: steps 办理步骤", "::: stepz"))
    err = __import__("io").StringIO()
    with pytest.raises(CommandError, match="未写入"):
        call_command("load_curriculum", str(curriculum), stderr=err)
    assert "01-lesson-1.md 第 31 行" in err.getvalue()
    assert "stepz" in err.getvalue()


def test_course_extension_validates_then_writes_in_transaction(curriculum):
    write_course(curriculum, lessons=1)
    calls = []

    def extension(course_page, course_dir, front_matter, dry_run):
        calls.append((course_page.code if course_page else None, front_matter["code"], dry_run))
        if front_matter.get("hours") == 99:
            raise CurriculumError(course_dir / "questions.gift", 3, "题库有误")

    register_course_extension(extension)
    try:
        load_curriculum(curriculum)
        assert calls == [(None, "T-101", True), ("T-101", "T-101", False)]
        path = curriculum / "courses" / "course-a" / "course.md"
        path.write_text(path.read_text().replace("hours: 2", "hours: 99"))
        before = counts()
        with pytest.raises(CurriculumInvalid) as info:
            load_curriculum(curriculum)
        assert "questions.gift 第 3 行" in str(info.value.errors[0])
        assert counts() == before
    finally:
        unregister_course_extension(extension)


def test_dry_run_writes_nothing(curriculum):
    write_course(curriculum, lessons=2)
    before = counts()
    load_curriculum(curriculum, dry_run=True)
    assert counts() == before


@pytest.mark.skipif(
    not any((CONTENT / "courses").glob("*/course.md")), reason="content/ has no courses yet"
)
def test_real_content_folder_loads_and_is_idempotent(client):
    report = load_curriculum(CONTENT)
    assert report.created and not report.skipped
    assert CoursePage.objects.count() == len(list((CONTENT / "courses").glob("*/course.md")))
    for course in CoursePage.objects.all():
        assert course.lessons().count() >= 1
    before = counts()
    load_curriculum(CONTENT)
    assert counts() == before
    client.force_login(make_user("trainer", username="content-trainer"))
    for course in CoursePage.objects.all():
        assert client.get(course.url).status_code == 200
        for lesson in course.lessons():
            assert client.get(lesson.url).status_code == 200, lesson.url
