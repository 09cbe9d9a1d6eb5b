"""The roster at 1366×768 (a city administrator's laptop): 服务中心 and 课程 wrapped one
character a line; they keep a readable width and the table scrolls sideways instead."""

import pytest

from tests.e2e.conftest import E2E_DB, admin_login

pytestmark = [pytest.mark.e2e, E2E_DB]


def test_roster_columns_stay_readable_at_1366(open_page):
    from django.utils import timezone
    from wagtail.models import Page

    from courses.models import CoursePage, Enrollment, TrainingIndexPage
    from tests.factories import make_user

    index = Page.get_first_root_node().add_child(
        instance=TrainingIndexPage(title="培训", slug="training-layout")
    )
    course = index.add_child(
        instance=CoursePage(
            title="专利侵权纠纷行政裁决的咨询与收件（窗口实务）",
            slug="ip-layout",
            code="IP-201",
            summary="…",
        )
    )
    for i in range(3):
        user = make_user(
            district="HP",
            full_name=f"员工{i}",
            service_centre="黄浦区政务服务中心知识产权综合服务窗口",
        )
        Enrollment.objects.create(user=user, course=course, completed_at=timezone.now())
    make_user("city_admin", district=None, username="city_layout")

    page = open_page(viewport={"width": 1366, "height": 768})
    admin_login(page, "city_layout", next_url="/admin/rollout/roster/")
    page.goto("/admin/rollout/roster/")
    row = page.locator(".rollout-roster tbody tr").first
    line = page.evaluate(
        "() => parseFloat(getComputedStyle("
        "document.querySelector('.rollout-roster td')).lineHeight) || 20"
    )
    for index_, name in ((3, "服务中心"), (4, "课程")):
        box = row.locator("td").nth(index_).bounding_box()
        assert box["width"] >= 120, (name, box)
        assert box["height"] <= 4 * line, (name, box)  # at most three lines, with padding
