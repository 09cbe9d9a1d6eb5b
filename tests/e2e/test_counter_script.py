"""A counter script (``::: dialogue`` block, issue 19 item 4) is readable on a phone: bubbles
wrap inside the screen, the window's turns on the left, the applicant's on the right."""

import pytest

from tests.e2e.conftest import E2E_DB, PHONE, login

pytestmark = [pytest.mark.e2e, E2E_DB]

SCRIPT = """
::: dialogue 材料不全时的一次性告知
窗口：您好，材料我先收下，这是收件凭证。我核对了一下，还差两样：代理机构的委托书，以及合同里每项专利的申请日和授权日。我把这两项写在告知单上了，补齐后交来就行，不用重新排队。
申请人：就这两项吗？下次来不会又说缺别的吧？
窗口：就这两项，都在单子上，我签了名。
:::
"""


def test_counter_script_is_readable_on_a_phone(open_page, learner, tmp_path):
    from django.core.management import call_command

    from courses.models import LessonPage

    root = tmp_path / "content"
    path = root / "courses" / "01-window-basics" / "lessons" / "01-patent-term.md"
    path.write_text(path.read_text(encoding="utf-8") + SCRIPT, encoding="utf-8")
    call_command("load_curriculum", str(root), verbosity=0)
    url = LessonPage.objects.get(slug="patent-term").url

    page = open_page(viewport=PHONE)
    login(page, "wangxm", next_url=url)
    page.goto(url)
    block = page.locator(".block-dialogue")
    block.scroll_into_view_if_needed()
    assert block.locator("h3").inner_text() == "材料不全时的一次性告知"
    turns = block.locator(".dialogue-turn")
    assert turns.count() == 3
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    boxes = [turns.nth(i).bounding_box() for i in range(3)]
    for box in boxes:
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    window, applicant = boxes[0], boxes[1]
    assert window["x"] < applicant["x"]  # the window speaks from the left
    assert applicant["x"] + applicant["width"] > window["x"] + window["width"]
    assert window["height"] > 60  # the long turn wraps onto several lines
    size = turns.first.locator(".dialogue-text").evaluate(
        "el => parseFloat(getComputedStyle(el).fontSize)"
    )
    assert size >= 14
    assert turns.nth(1).locator(".dialogue-speaker").inner_text() == "申请人"
