"""A trainer writes a single-choice question in the Wagtail admin (issue 17): chooses the type
first, writes the stem in Draftail with a bold word and an image from Wagtail's images, sets
Moodle-style weights per option (a translated per-type error when two options are worth
100 %), previews the question as a learner sees it (bold and image), finds it with a Chinese
search, then tries the course quiz (试做) without being enrolled."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import E2E_DB, admin_login, submit_paper

pytestmark = [pytest.mark.e2e, E2E_DB]


@pytest.fixture
def trainer(settings, curriculum):
    from tests.factories import make_user

    settings.LMS_REQUIRE_2FA = False
    return make_user("trainer", district=None, username="trainer_qe", full_name="钱老师")


@pytest.fixture
def flow_chart():
    """A small PNG in Wagtail's images (as the trainer's upload would leave it)."""
    from wagtail.images.models import Image
    from wagtail.images.tests.utils import get_test_image_file

    return Image.objects.create(title="受理流程图", file=get_test_image_file())


def save(page):
    page.locator("form button[type=submit]", has_text=re.compile("创建|保存")).first.click()
    page.wait_for_load_state()


def draftail(scope):
    return scope.locator(".public-DraftEditor-content").first


def test_trainer_writes_a_rich_question_previews_it_and_tries_the_quiz(
    browser_page, trainer, curriculum, flow_chart
):
    from quizzes.models import Attempt, Question, QuestionBank, Quiz

    page = browser_page
    bank = QuestionBank.objects.first()
    admin_login(page, "trainer_qe")
    page.goto("/admin/question/new/")
    page.get_by_role("link", name="添加单选题").click()
    page.wait_for_load_state()
    # only the single-choice fields: no numbers, tolerances or matching answers
    expect(page.locator("#id_text")).to_have_count(1)
    expect(page.locator("[name$=tolerance], [name$=match], #id_rubric")).to_have_count(0)

    page.locator("#id_bank").select_option(str(bank.pk))
    page.locator("#id_name").fill("窗口受理时限")
    draftail(page.locator('[data-contentpath="text"]')).click()
    page.keyboard.type("专利权质押登记的受理时限是")
    page.keyboard.press("Control+b")
    page.keyboard.type("多少个工作日")
    page.keyboard.press("Control+b")
    page.keyboard.type("？")
    page.keyboard.press("Enter")
    page.keyboard.type("/")
    page.locator('[role="option"]', has_text="图片").first.click()
    modal = page.locator(".modal")
    modal.get_by_text("受理流程图").first.click()
    modal.get_by_label("全屏宽度").check()
    modal.get_by_role("button", name="插入图片").click()
    expect(page.locator(".modal")).to_have_count(0)
    expect(page.locator("#id_text")).to_have_value(re.compile("多少个工作日.*IMAGE"))

    add = page.locator("#id_choices-ADD")
    for index, (text, weight) in enumerate([("7个工作日", "1.00000"), ("30个工作日", "1.00000")]):
        add.click()
        editor = draftail(page.locator(f"#inline_child_choices-{index}"))
        expect(editor).to_be_visible()
        page.wait_for_timeout(300)  # the new row's editor is set up after it is shown
        editor.click()
        page.keyboard.type(text)
        expect(editor).to_contain_text(text)
        # Draftail writes its state into the form field every 250 ms: wait for it
        expect(page.locator(f"#id_choices-{index}-text")).to_have_value(re.compile(text))
        page.locator(f"#id_choices-{index}-fraction").select_option(weight)
    # the 正确 tick follows the weight, and unticking sets 0 % (js/admin-correct-tick.js)
    expect(page.locator("#id_choices-0-correct")).to_be_checked()
    page.locator("#id_choices-1-correct").uncheck()
    expect(page.locator("#id_choices-1-fraction")).to_have_value("0.00000")
    page.locator("#id_choices-1-correct").check()
    expect(page.locator("#id_choices-1-fraction")).to_have_value("1.00000")
    options = page.locator("#id_choices-1-fraction option").all_inner_texts()
    assert "100 %" in options and "33.33333 %" in options and "-100 %" in options
    save(page)
    expect(page.locator("body")).to_contain_text("单选题必须恰好有一个满分选项")
    assert not Question.objects.filter(name="窗口受理时限").exists()

    page.locator("#id_choices-1-fraction").select_option("-0.50000")
    save(page)
    question = Question.objects.get(name="窗口受理时限")
    assert "<b>多少个工作日</b>" in question.text
    assert 'embedtype="image"' in question.text
    assert sorted(float(c.fraction) for c in question.choices.all()) == [-0.5, 1.0]

    # the preview: what a learner sees, bold word and image included
    page.goto(f"/admin/quiz-tools/questions/{question.pk}/preview/")
    stem = page.locator(".question-text")
    expect(stem.locator("b")).to_have_text("多少个工作日")
    image = stem.locator("img.richtext-image")
    expect(image).to_have_attribute("alt", "受理流程图")
    assert page.evaluate("(img) => img.naturalWidth", image.element_handle()) > 0
    expect(page.locator(".question .choice")).to_have_count(2)

    page.goto("/admin/question/?q=时限")
    expect(page.locator("table.listing")).to_contain_text("窗口受理时限")

    # 试做: the course quiz from the quiz listing, without enrolling
    quiz = Quiz.objects.get(course=curriculum)
    page.goto("/admin/quiz/")
    page.goto(f"/admin/quiz-tools/quizzes/{quiz.pk}/try/")
    page.get_by_role("button", name="开始试做").click()
    page.wait_for_url("**/attempt/**")
    expect(page.locator("[data-testid=trial-note]")).to_have_text(
        re.compile(r"^\s*试做\s+不计入成绩\s*$")
    )
    submit_paper(page)
    expect(page.locator("[data-testid=trial-note]")).to_have_text(
        re.compile(r"^\s*试做\s+不计入成绩\s*$")
    )
    attempt = Attempt.objects.get(user=trainer)
    assert attempt.is_trial and attempt.status == Attempt.GRADED
