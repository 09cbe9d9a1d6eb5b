"""What a city administrator found walking the rollout (issue 16, second walk): a certificate in
its recertification cycle still counts as completed (certified ⊆ completed) on the dashboard,
the roster and the digest alike; the digest's numbers are the dashboard's; a wave's row counts
the people it enrolled; districts without a district administrator reach the city digest."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from certificates.issuing import issue
from certificates.models import Certificate
from certificates.reminders import send_expiry_reminders
from courses.models import Enrollment
from lms.organisation import roles
from lms.organisation.models import District
from lms.rollout import dashboards
from lms.rollout.reminders import send_weekly_summaries
from lms.rollout.roster import RosterFilter
from lms.rollout.services import enrol_wave, wave_member_ids
from tests.factories import make_user

from .conftest import make_wave

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture
def site_courses(courses, training_index):
    Site.objects.filter(is_default_site=True).update(root_page=training_index)
    return courses


def _certify(user, course, completed_at):
    Enrollment.objects.create(user=user, course=course, completed_at=completed_at)
    return issue(user, course)


@pytest.fixture
def walk(site_courses):
    """HP: 甲 completed and holds both certificates, C101's expires in 20 days (the reminder
    opens its recertification cycle); 乙 is still learning C101. HP has a district
    administrator; PD has none: 丙 (PD) is overdue, 丁 (PD) holds a certificate expiring in
    12 days."""
    now = timezone.now()
    renewing = make_user(district="HP", full_name="甲复训", username="renewing")
    for course in site_courses:
        _certify(renewing, course, now - 300 * DAY)
    Certificate.objects.filter(user=renewing, course=site_courses[0]).update(
        expires_at=now + 20 * DAY
    )
    learner = make_user(district="HP", full_name="乙学习", username="learner")
    Enrollment.objects.create(user=learner, course=site_courses[0], due_at=now + 10 * DAY)
    late = make_user(district="PD", full_name="丙逾期", username="late")
    Enrollment.objects.create(user=late, course=site_courses[0], due_at=now - DAY)
    expiring = make_user(district="PD", full_name="丁到期", username="expiring")
    cert = _certify(expiring, site_courses[1], now - 300 * DAY)
    Certificate.objects.filter(pk=cert.pk).update(expires_at=now + 12 * DAY)
    send_expiry_reminders(now=now)
    hp_admin = make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin")
    city = make_user(roles.CITY_ADMIN, district=None, username="cityadmin")
    return {"renewing": renewing, "learner": learner, "hp_admin": hp_admin, "city": city}


def _table_rows(html: str) -> dict:
    """The dashboard's by-district table: {district: [cell texts]} (the total as 合计)."""
    table = re.search(r"<table[^>]*data-district-table.*?</table>", html, re.S).group(0)
    body = table.split("<tbody>", 1)[1]
    rows = {}
    for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [
            re.sub(r"<[^>]+>|\s+", "", cell)
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)
        ]
        rows[cells[0]] = cells
    return rows


def test_a_renewing_certificate_counts_as_completed_on_dashboard_roster_and_digest(walk, client):
    renewing = walk["renewing"]
    c101 = Enrollment.objects.get(user=renewing, course__code="C101")
    assert c101.completed_at is None and c101.previous_completed_at is not None  # new cycle

    # The dashboard: certified people are among the completed (50 % each, not 0 % < 50 %).
    client.force_login(walk["city"])
    html = client.get(reverse("rollout_admin:dashboard")).content.decode()
    hp = _table_rows(html)["黄浦区"]
    assert hp[1:5] == ["2", "2", "50%", "50%"], hp
    total = dashboards.overview(RosterFilter())["table"]["total"]
    assert total["certified_people"] <= total["completed_people"]

    # The roster: recertification due, not 学习中.
    district = District.objects.get(code="HP")
    roster = reverse("rollout_admin:roster")
    html = client.get(f"{roster}?district={district.pk}").content.decode()
    row = re.search(r"<tr>(?:(?!</tr>).)*甲复训(?:(?!</tr>).)*C101(?:(?!</tr>).)*</tr>", html, re.S)
    assert row, html
    assert "已获证书（待复训）" in row.group(0) and "学习中" not in row.group(0)
    # Each status filter lists exactly the rows showing that status (the district walk's rule).
    due = client.get(f"{roster}?district={district.pk}&status=recertification_due")
    due = due.content.decode()
    assert "甲复训" in due and "乙学习" not in due
    completed = client.get(f"{roster}?district={district.pk}&status=completed").content.decode()
    assert "甲复训" not in completed
    learning = client.get(f"{roster}?district={district.pk}&status=in_progress").content.decode()
    assert "甲复训" not in learning
    response = client.get(f"{roster}?district={district.pk}&export=csv")
    csv = b"".join(response.streaming_content).decode("utf-8-sig")
    (line,) = [li for li in csv.splitlines() if "甲复训" in li and "C101" in li]
    completed_on = timezone.localtime(c101.previous_completed_at).date().isoformat()
    assert completed_on in line and "已获证书（待复训）" in line

    # The digest says what the dashboard says, district by district.
    send_weekly_summaries()
    (city_mail,) = [m for m in mail.outbox if walk["city"].email in m.to]
    assert "- 黄浦区 / 2 / 2 / 50% / 50% / " in city_mail.body
    assert "完成率：50%" in city_mail.body and "获证率：50%" in city_mail.body


def test_digest_numbers_are_the_dashboards(walk, client):
    """Every by-district row of the city digest is the dashboard table's row, and the
    district digest's figures are the district dashboard's tiles, under the same headings."""
    send_weekly_summaries()
    client.force_login(walk["city"])
    dashboard = _table_rows(client.get(reverse("rollout_admin:dashboard")).content.decode())
    (city_mail,) = [m for m in mail.outbox if walk["city"].email in m.to]
    header = re.search(r"各区（(.*?) / 即将到期证书）", city_mail.body).group(1)
    assert header.split(" / ") == [str(label) for _key, label in dashboards.DISTRICT_COLUMNS]
    digest = {}
    for line in re.findall(r"^- (.+)$", city_mail.body, re.M):
        cells = line.split(" / ")
        if len(cells) == len(dashboards.DISTRICT_COLUMNS) + 1:
            digest[cells[0]] = cells[:-1]
    assert digest and set(digest) == set(dashboard) - {"合计"}
    for name, cells in digest.items():
        assert cells == dashboard[name], name

    (hp_mail,) = [m for m in mail.outbox if walk["hp_admin"].email in m.to]
    hp = District.objects.get(code="HP")
    client.force_login(walk["hp_admin"])
    html = client.get(reverse("rollout_admin:district_dashboard", args=[hp.pk])).content.decode()
    tiles = re.findall(r"<strong>([^<]*)</strong>", html.split("data-kpis", 1)[1])[:6]
    for (key, label), shown in zip(dashboards.DISTRICT_COLUMNS[1:7], tiles, strict=True):
        assert f"{label}：{shown}" in hp_mail.body, key


def test_wave_rows_count_the_waves_members_only(site_courses):
    """The wave enrolled 甲 only: 乙 (authorised through an earlier enrolment in the same
    courses) is of the wave's district but not its member, and is not counted in its row."""
    now = timezone.now()
    member = make_user(district="HP", full_name="甲", username="member")
    earlier = make_user(district="HP", full_name="乙", username="earlier")
    for course in site_courses:
        _certify(earlier, course, now - 10 * DAY)
    wave = make_wave(site_courses, districts=("HP",), name="第二批")
    assert enrol_wave(wave) == 2  # 甲 in both courses; 乙 already enrolled
    assert wave_member_ids(wave) == [member.pk]
    numbers = dashboards.city_numbers(RosterFilter())
    (line,) = numbers["by_wave"]
    assert line.numbers["enrolled"] == 2
    assert line.numbers["staff"] == 1 and line.numbers["authorised"] == 0
    hp_line = next(li for li in numbers["by_district"] if li.obj.code == "HP")
    assert hp_line.numbers["authorised"] == 1  # the district still counts 乙


def test_a_district_without_its_administrator_is_in_the_city_digest(walk):
    send_weekly_summaries()
    (city_mail,) = [m for m in mail.outbox if walk["city"].email in m.to]
    orphan_part = city_mail.body.split("以下区尚无区管理员", 1)[1]
    assert orphan_part.startswith("，请代为跟进：浦东新区")
    assert "丙逾期" in orphan_part and "丁到期" in orphan_part and "还有 12 天" in orphan_part
    assert "黄浦区" not in orphan_part.split("详情请查看")[0]  # HP has its own administrator
    (hp_mail,) = [m for m in mail.outbox if walk["hp_admin"].email in m.to]
    assert "甲复训" in hp_mail.body  # its expiring certificate reaches the district admin
