"""Dashboards that read at a glance: landing after login, titles that name the district,
people-based numbers by district (sortable, empty districts collapsed), charts with labelled
axes and their tables, tiles that link to the lists behind them, and "remind the overdue"."""

import datetime
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from courses.models import Enrollment
from lms.organisation import roles
from lms.organisation.models import District
from lms.rollout import dashboards
from lms.rollout.roster import RosterFilter
from tests.factories import make_user

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)
PASSWORD = "Pass-word-123"


@pytest.fixture
def city(db):
    return make_user(roles.CITY_ADMIN, district=None, username="city")


@pytest.fixture
def world(courses):
    """HP: 3 staff (one finished both courses, one overdue on one course, one not enrolled);
    PD: 1 staff finished one of two courses."""
    now = timezone.now()
    done = make_user(district="HP", full_name="甲")
    late = make_user(district="HP", full_name="乙")
    make_user(district="HP", full_name="丙")
    pd = make_user(district="PD", full_name="丁")
    for course in courses:
        Enrollment.objects.create(user=done, course=course, completed_at=now)
        Enrollment.objects.create(user=late, course=course, due_at=now - DAY)
    Enrollment.objects.create(user=pd, course=courses[0], completed_at=now)
    Enrollment.objects.create(user=pd, course=courses[1], due_at=now + DAY)
    return {"late": late, "done": done}


@pytest.mark.parametrize(
    "role,district,target",
    [
        (roles.CITY_ADMIN, None, "rollout_admin:dashboard"),
        (roles.DISTRICT_ADMIN, "HP", "rollout_admin:district_dashboard"),
        (roles.WINDOW_STAFF, "HP", "home"),
    ],
)
def test_login_lands_on_the_right_page(client, role, district, target):
    user = make_user(role, district=district, username="who")
    response = client.post(reverse("login"), {"username": "who", "password": PASSWORD})
    assert response.status_code == 302
    args = [District.objects.get(code="HP").pk] if target.endswith("district_dashboard") else []
    assert response["Location"] == reverse(target, args=args)
    if role != roles.WINDOW_STAFF:
        assert client.get("/admin/")["Location"] == reverse(target, args=args)
    assert user


def test_trainer_keeps_the_wagtail_home(client):
    client.force_login(make_user(roles.TRAINER, district=None, username="t"))
    assert client.get("/admin/").status_code == 200


def test_titles_name_the_place(world, client, city):
    client.force_login(city)
    html = client.get(reverse("rollout_admin:dashboard")).content.decode()
    assert re.search(r"<title>[^<]*全市培训看板", html)
    hp = District.objects.get(code="HP")
    html = client.get(reverse("rollout_admin:district_dashboard", args=[hp.pk])).content.decode()
    assert re.search(r"<title>[^<]*黄浦区培训看板", html)


def _visible_header(html: str) -> str:
    """The text of the slim header's breadcrumbs (what the administrator sees at the top)."""
    nav = re.search(r'<nav[^>]*aria-label="[^"]*"[^>]*>(.*?)</nav>', html, re.S)
    assert nav, "no breadcrumbs in the header"
    return re.sub(r"<[^>]+>|\s+", "", nav.group(1))


def test_visible_header_names_the_place_not_home(world, client, city):
    client.force_login(city)
    header = _visible_header(client.get(reverse("rollout_admin:dashboard")).content.decode())
    assert header.endswith("全市培训看板"), header
    hp = District.objects.get(code="HP")
    url = reverse("rollout_admin:district_dashboard", args=[hp.pk])
    header = _visible_header(client.get(url).content.decode())
    assert header.endswith("黄浦区培训看板"), header


def test_people_numbers_by_district(world):
    filt = RosterFilter()
    numbers = dashboards.city_numbers(filt)
    table = dashboards.district_table(numbers, dashboards.progress_by_district(filt))
    rows = {r["district"].code: r for r in table["rows"]}
    assert set(rows) == {"HP", "PD"}
    hp, pd = rows["HP"], rows["PD"]
    assert (hp["staff"], hp["enrolled_people"], hp["overdue_people"]) == (3, 2, 1)
    assert hp["completed_pct"] == 50  # one of two enrolled people completed everything
    assert pd["completed_pct"] == 0 and pd["overdue_people"] == 0
    assert hp["authorised_pct"] == 0
    assert len(table["empty"]) == District.objects.count() - 2
    assert table["total"]["overdue_people"] == 1  # people, not the two overdue enrolments


def test_city_dashboard_table_sorting_collapse_tiles_and_charts(world, client, city):
    client.force_login(city)
    url = reverse("rollout_admin:dashboard")
    html = client.get(url, {"sort": "-completed_pct"}).content.decode()
    table = html[html.index("data-district-table") :]
    table = table[: table.index("</table>")]
    assert table.index("黄浦区") < table.index("浦东新区")  # 50 % before 0 %
    assert 'aria-sort="descending"' in table
    assert "徐汇区" not in table  # empty districts are collapsed apart
    empty = html[html.index("<details data-empty-districts") :]
    assert "徐汇区" in empty[: empty.index("</details>")]
    html_asc = client.get(url, {"sort": "completed_pct"}).content.decode()
    t = html_asc[html_asc.index("data-district-table") :]
    assert t.index("浦东新区") < t.index("黄浦区")
    # Tiles link to the lists behind them, in people.
    kpis = html[html.index("data-kpis") :]
    kpis = kpis[: kpis.index("</div>")]
    assert reverse("rollout_admin:roster") + "?people=overdue" in kpis
    assert reverse("staffprofile:index") + "?window_staff=true" in kpis
    # Charts: labelled axes and a table for screen readers each.
    assert html.count('data-axis="x"') >= 2 and 'data-axis="y"' in html
    assert 'id="authorised-table"' in html and 'id="progress-table"' in html
    assert "0%" in html and "100%" in html


def test_dashboard_queries_do_not_grow_with_districts(world, client, city, courses):
    client.force_login(city)
    url = reverse("rollout_admin:dashboard")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for code in ("XH", "JA", "CN"):
        user = make_user(district=code)
        Enrollment.objects.create(user=user, course=courses[0])
    with CaptureQueriesContext(connection) as more:
        client.get(url)
    assert len(more.captured_queries) == len(few.captured_queries)


def test_remind_the_overdue_confirms_first_then_sends_with_count_and_audit(world, client):
    hp_admin = make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin")
    client.force_login(hp_admin)
    hp = District.objects.get(code="HP")
    remind_url = reverse("rollout_admin:remind_overdue")
    html = client.get(reverse("rollout_admin:district_dashboard", args=[hp.pk])).content.decode()
    # The dashboard only links to the confirmation page: nothing is posted from it.
    assert re.search(
        rf'<a [^>]*href="{re.escape(remind_url)}\?district={hp.pk}"[^>]*data-remind', html
    )
    assert "提醒 1 名逾期人员" in html
    assert f'action="{remind_url}"' not in html
    page = client.get(f"{remind_url}?district={hp.pk}").content.decode()
    assert mail.outbox == []  # opening the page sends nothing
    assert "将向 1 名逾期人员发送提醒邮件" in page
    assert world["late"].staff_profile.full_name in page
    assert "发送提醒（1 人）" in page and "data-send-reminders" in page
    assert f'name="district" value="{hp.pk}"' in page
    response = client.post(remind_url, {"district": hp.pk}, follow=True)
    assert "已向 1 名逾期人员发送提醒" in response.content.decode()
    assert [m.to for m in mail.outbox] == [[world["late"].email]]
    entry = ModelLogEntry.objects.get(action="rollout.remind")
    assert entry.user_id == hp_admin.pk and entry.data["overdue_people"] == 1
    assert entry.object_id == str(hp.pk)
    pd = District.objects.get(code="PD")
    assert client.post(remind_url, {"district": pd.pk}).status_code == 404


def test_remind_page_separates_no_email_from_already_reminded(world, client, courses):
    from django.contrib.auth import get_user_model

    now = timezone.now()
    no_email = make_user(district="HP", full_name="戊")
    get_user_model().objects.filter(pk=no_email.pk).update(email="")
    Enrollment.objects.create(user=no_email, course=courses[0], due_at=now - DAY)
    client.force_login(make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin"))
    hp = District.objects.get(code="HP")
    remind_url = reverse("rollout_admin:remind_overdue")
    first = client.post(remind_url, {"district": hp.pk}, follow=True).content.decode()
    assert "已向 1 名逾期人员发送提醒" in first and "1 人无邮箱，未发送" in first
    # The same day: the one e-mailed is listed as reminded already, nobody is left to send to.
    page = client.get(f"{remind_url}?district={hp.pk}").content.decode()
    assert "data-send-reminders" not in page and "data-nobody-to-send" in page
    assert "1 名逾期人员今天已提醒过" in page and "戊" in page
    second = client.post(remind_url, {"district": hp.pk}, follow=True).content.decode()
    assert "已向 0 名逾期人员发送提醒" in second
    assert "1 人无邮箱，未发送" in second and "1 人今天已提醒过，未重复发送" in second
    assert len(mail.outbox) == 1


def test_remind_page_names_the_overdue_without_email_with_a_slips_link(world, client):
    """Issue 16: people without e-mail get no reminder; the page names them (name, employee
    number) and links to their activation slips instead of only counting them."""
    from django.contrib.auth import get_user_model

    hp_admin = make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin")
    late = world["late"]
    get_user_model().objects.filter(pk=late.pk).update(email="")
    client.force_login(hp_admin)
    hp = District.objects.get(code="HP")
    response = client.post(reverse("rollout_admin:remind_overdue"), {"district": hp.pk})
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    profile = late.staff_profile
    assert "1 名逾期人员没有邮箱" in html
    assert profile.full_name in html and profile.employee_no in html
    assert "data-print-slips" in html and "print_activation_slips" in html
    assert f"id={profile.pk}" in html
    assert mail.outbox == []


def test_remind_page_shows_the_full_mobile_to_the_district_administrator(world, client):
    """The page says "call them" but masked the number; the district's own administrator sees
    it in full, the city level masked."""
    from django.contrib.auth import get_user_model

    from lms.organisation.models import StaffProfile

    late = world["late"]
    get_user_model().objects.filter(pk=late.pk).update(email="")
    StaffProfile.objects.filter(user=late).update(phone="13900000102")
    hp = District.objects.get(code="HP")
    url = reverse("rollout_admin:remind_overdue") + f"?district={hp.pk}"
    client.force_login(make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin"))
    html = client.get(url).content.decode()
    assert "13900000102" in html
    client.force_login(make_user(roles.CITY_ADMIN, district=None, username="cityadmin"))
    html = client.get(url).content.decode()
    assert "13900000102" not in html and "139****0102" in html
