"""A trainer writes a single-choice question in the Wagtail admin: Moodle-style weight
drop-downs per option, a translated per-type error when two options are worth 100 %, then a
Chinese search finds the question by a word inside its name (issue 17)."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import E2E_DB, admin_login

pytestmark = [pytest.mark.e2e, E2E_DB]


@pytest.fixture
def trainer(settings, curriculum):
    from tests.factories import make_user

    settings.LMS_REQUIRE_2FA = False
    return make_user("trainer", district=None, username="trainer_qe", full_name="钱老师")


def save(page):
    page.locator("form button[type=submit]", has_text=re.compile("创建|保存")).first.click()
    page.wait_for_load_state()


def test_trainer_writes_a_question_with_weights_and_finds_it(browser_page, trainer, curriculum):
    from quizzes.models import Question, QuestionBank

    page = browser_page
    bank = QuestionBank.objects.first()
    admin_login(page, "trainer_qe")
    page.goto("/admin/question/new/")
    page.locator("#id_bank").select_option(str(bank.pk))
    page.locator("#id_name").fill("窗口受理时限")
    page.locator("#id_qtype").select_option("multichoice")
    page.locator("#id_text").fill(
        "<p>专利权质押登记的<strong>受理时限</strong>是多少个工作日？</p>"
    )
    add = page.locator("#id_choices-ADD")
    for index, (text, weight) in enumerate([("7个工作日", "1.00000"), ("30个工作日", "1.00000")]):
        add.click()
        page.locator(f"#id_choices-{index}-text").fill(text)
        page.locator(f"#id_choices-{index}-fraction").select_option(weight)
    # the drop-down offers Moodle's weights
    options = page.locator("#id_choices-1-fraction option").all_inner_texts()
    assert "100 %" in options and "33.33333 %" in options and "-100 %" in options
    save(page)
    expect(page.locator("body")).to_contain_text("单选题必须恰好有一个满分选项")
    assert not Question.objects.filter(name="窗口受理时限").exists()

    page.locator("#id_choices-1-fraction").select_option("-0.50000")
    save(page)
    page.wait_for_load_state()
    question = Question.objects.get(name="窗口受理时限")
    assert sorted(float(c.fraction) for c in question.choices.all()) == [-0.5, 1.0]

    page.goto("/admin/question/?q=时限")
    expect(page.locator("table.listing")).to_contain_text("窗口受理时限")
