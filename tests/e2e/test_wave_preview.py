"""The wave form's "将为 N 人报名" line in the browser (the final walk-through: the script ran
before the form existed, so the line never appeared although the JSON endpoint answered)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import E2E_DB, admin_login

pytestmark = [pytest.mark.e2e, E2E_DB]


def test_ticking_a_district_shows_whom_the_wave_will_enrol(open_page):
    from wagtail.models import Page

    from courses.models import CoursePage, TrainingIndexPage
    from lms.organisation.models import District
    from tests.factories import make_user

    index = Page.get_first_root_node().add_child(
        instance=TrainingIndexPage(title="培训", slug="training-wave-preview")
    )
    index.add_child(
        instance=CoursePage(title="知识产权基础", slug="wp-101", code="WP-101", summary="…")
    )
    for _ in range(2):
        make_user(district="HP")
    make_user("city_admin", district=None, username="city_wave")

    page = open_page(viewport={"width": 1366, "height": 800})
    admin_login(page, "city_wave", next_url="/admin/rollout/waves/new/")
    page.goto("/admin/rollout/waves/new/")
    assert "/admin/rollout/waves/new/" in page.url, page.url
    hp = District.objects.get(code="HP")
    assert page.locator('input[name="districts"]').count()
    page.locator(f'input[name="districts"][value="{hp.pk}"]').check()
    page.locator('input[name="courses"]').first.check()
    expect(page.locator("[data-wave-preview]")).to_contain_text("将为 2 人报名 1 门课程")
