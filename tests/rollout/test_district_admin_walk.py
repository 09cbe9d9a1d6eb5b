"""What a tester found walking the admin as 黄浦区's district administrator (hp-admin): the
grid's statuses, tiles whose lists do not count what they count, UTC and "True" on inspect
pages, untranslated empty states, Chinese district names in English printouts, sessions under
way offered for booking, cancelled imports shown as failed, the roster's 已获证书, district
filters offering every district, the district's history, the wave message's tense, the
learner's overdue marker and the import's password hint. Each test goes through HTTP."""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.log_actions import log

from courses.models import Enrollment
from lms.organisation import roles
from lms.organisation.models import District, StaffProfile
from lms.rollout.models import RolloutWave, TrainingSession
from tests.factories import make_user

from .conftest import make_wave

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def _hp():
    return District.objects.get(code="HP")


def _certify(user, course, days=700):
    from certificates.models import Certificate

    now = timezone.now()
    return Certificate.objects.create(
        serial=f"T{user.pk}-{course.pk}",
        user=user,
        course=course,
        holder_name=user.staff_profile.full_name,
        holder_district_code="HP",
        issued_at=now - DAY,
        expires_at=now + datetime.timedelta(days=days),
    )


@pytest.fixture
def hp_admin(client):
    admin = make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin")
    client.force_login(admin)
    return admin


@pytest.fixture
def world(courses):
    """黄浦: 甲 certified in both courses (authorised), 乙 completed both without certificates,
    丙 completed one and is overdue on the other, 丁 enrolled and not started, 戊 not
    enrolled. 浦东: 己 certified in both (outside the district administrator's scope)."""
    now = timezone.now()
    people = {
        name: make_user(district="HP", full_name=name, employee_no=f"HP{i:04d}")
        for i, name in enumerate("甲乙丙丁戊")
    }
    pd = make_user(district="PD", full_name="己", employee_no="PD0001")
    for course in courses:
        for name in "甲乙":
            Enrollment.objects.create(user=people[name], course=course, completed_at=now)
        _certify(people["甲"], course)
        Enrollment.objects.create(user=pd, course=course, completed_at=now)
        _certify(pd, course)
        Enrollment.objects.create(user=people["丁"], course=course, due_at=now + DAY)
    Enrollment.objects.create(user=people["丙"], course=courses[0], completed_at=now)
    Enrollment.objects.create(user=people["丙"], course=courses[1], due_at=now - DAY)
    return people


def _rows(html):
    """The roster page's rows as lists of cell texts."""
    body = html[html.index('<table class="rollout-table">') :]
    body = body[body.index("<tbody>") : body.index("</tbody>")]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


# -- 1. the district grid says what the roster and the learner say ------------------------------


def test_district_grid_status_is_the_rosters_and_the_learners(world, hp_admin, client, courses):
    hp = _hp()
    html = client.get(reverse("rollout_admin:district_dashboard", args=[hp.pk])).content.decode()
    grid = html[html.index("人员与课程") :]
    row = grid[grid.index("丁") :]
    row = row[: row.index("</tr>")]
    # 丁 has read nothing: 未开始 in the grid, as in the roster and on the learner's home.
    assert row.count('data-status="not_started"') == 2 and "未开始" in row
    assert "学习中" not in row
    roster = client.get(reverse("rollout_admin:roster"), {"district": hp.pk}).content.decode()
    assert [r[-2] for r in _rows(roster) if r[1] == "丁"] == ["未开始", "未开始"]
    client.force_login(world["丁"])
    home = client.get(reverse("home")).content.decode()
    assert home.count("未开始") >= 2
    # 甲's cells say 已获证书 (the roster's status for a valid certificate).
    row = grid[grid.index("甲") :]
    assert row[: row.index("</tr>")].count("已获证书") == 2


# -- 2. each tile opens a list that counts what the tile counts --------------------------------


def _tile(html, key):
    match = re.search(rf'<a href="([^"]+)" data-kpi="{key}">(.*?)</a>', html, re.S)
    assert match, key
    return match.group(1).replace("&amp;", "&"), match.group(2)


def _people_in_roster(client, url):
    html = client.get(url).content.decode()
    people = {r[2] for r in _rows(html)}  # 工号
    shown = re.search(r"data-roster-count>\s*\d+ 条记录，(\d+) 人", html)
    assert shown, "the roster says how many people it lists"
    assert int(shown.group(1)) == len(people)
    return people


def test_each_tile_links_to_a_list_of_the_people_it_counts(world, hp_admin, client):
    hp = _hp()
    html = client.get(reverse("rollout_admin:district_dashboard", args=[hp.pk])).content.decode()
    # 在岗人数: the window staff (not the administrator himself), in the staff list.
    url, text = _tile(html, "staff")
    assert re.search(r"<strong>5</strong>", text)
    listing = client.get(url).content.decode()
    assert len(set(re.findall(r'id="staffprofile_(\d+)_title"', listing))) == 5
    assert "HP" in listing and hp_admin.staff_profile.full_name not in listing
    expected = {
        "enrolled": ({"HP0000", "HP0001", "HP0002", "HP0003"}, r"<strong>4</strong>"),
        "completed": ({"HP0000", "HP0001"}, r"2 人全部完成"),
        "certified": ({"HP0000"}, r"1 人全部获证"),
        "authorised": ({"HP0000"}, r"1 人具备上岗资格"),
        "overdue": ({"HP0002"}, r"<strong>1</strong>"),
    }
    for key, (people, figure) in expected.items():
        url, text = _tile(html, key)
        assert re.search(figure, text), (key, text)
        assert _people_in_roster(client, url) == people, key


def test_city_tiles_count_people_across_districts(world, client):
    client.force_login(make_user(roles.CITY_ADMIN, district=None, username="city"))
    html = client.get(reverse("rollout_admin:dashboard")).content.decode()
    url, text = _tile(html, "certified")
    assert "2 人全部获证" in text
    assert _people_in_roster(client, url) == {"HP0000", "PD0001"}
    url, _text = _tile(html, "staff")
    listing = client.get(url).content.decode()
    assert len(set(re.findall(r'id="staffprofile_(\d+)_title"', listing))) == 6


# -- 3, 4. inspect pages: local times, 是/否 ------------------------------------------------------


def test_inspect_pages_show_local_times_and_yes_no(world, hp_admin, client, courses):
    utc = datetime.datetime(2026, 3, 1, 17, 30, tzinfo=datetime.UTC)  # 01:30 on 2 March there
    profile = world["甲"].staff_profile
    StaffProfile.objects.filter(pk=profile.pk).update(joined_at=utc)
    html = client.get(reverse("staffprofile:inspect", args=[profile.pk])).content.decode()
    assert re.search(r"<dt>加入时间</dt>\s*<dd>\s*2026年3月2日 01:30\s*</dd>", html)
    assert re.search(r"<dt>在岗</dt>\s*<dd>\s*是\s*</dd>", html)
    assert "True" not in html[html.index("<dl>") : html.index("</dl>")]
    wave = make_wave(courses, districts=("HP",))
    RolloutWave.objects.filter(pk=wave.pk).update(last_enrolled_at=utc)
    html = client.get(reverse("rollout_waves:inspect", args=[wave.pk])).content.decode()
    assert re.search(r"<dt>最近报名时间</dt>\s*<dd>\s*2026年3月2日 01:30\s*</dd>", html)
    client.cookies["django_language"] = "en"
    from wagtail.users.models import UserProfile

    UserProfile.objects.filter(user=hp_admin).update(preferred_language="en")
    html = client.get(reverse("staffprofile:inspect", args=[profile.pk])).content.decode()
    assert re.search(r"<dd>\s*Yes\s*</dd>", html)


# -- 5. empty states in Chinese -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "name"),
    [("staffprofile:index", "工作人员"), ("certificates_certificate:index", "证书")],
)
def test_empty_search_results_are_in_chinese(hp_admin, client, url_name, name):
    html = client.get(reverse(url_name), {"q": "无此人"}).content.decode()
    assert "match your query" not in html
    assert f"没有符合条件的{name}。" in html


# -- 6. the district's English name in English printouts ---------------------------------------


def test_english_roster_and_sign_in_sheet_name_the_district_in_english(world, courses, client):
    from django.template.loader import render_to_string
    from django.utils import translation

    from lms.rollout.pdf import SHEET_TEMPLATE, sign_in_sheet_context

    city = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(city)
    client.cookies["django_language"] = "en"
    from wagtail.users.models import UserProfile

    UserProfile.objects.filter(user=city).update(preferred_language="en")
    hp = _hp()
    response = client.get(reverse("rollout_admin:roster"), {"district": hp.pk, "export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert rows and {r[0] for r in rows} == {"Huangpu"}
    page = client.get(reverse("rollout_admin:roster"), {"district": hp.pk}).content.decode()
    assert {r[0] for r in _rows(page)} == {"Huangpu"}
    wave = make_wave(courses, districts=("HP",))
    start = timezone.now() + DAY
    session = TrainingSession.objects.create(
        wave=wave, course=courses[0], district=hp, starts_at=start, place="一楼", capacity=5
    )
    response = client.get(reverse("rollout_admin:sign_in_sheet", args=[session.pk]))
    assert response.status_code == 200 and "Huangpu" in response["Content-Disposition"]
    assert "%E9%BB%84%E6%B5%A6" not in response["Content-Disposition"]  # 黄浦
    with translation.override("en"):
        sheet = render_to_string(SHEET_TEMPLATE, sign_in_sheet_context(session))
    meta = sheet[sheet.index('<p class="meta">') :]
    meta = meta[: meta.index("</p>")]
    assert "District: Huangpu" in meta and "黄浦" not in meta


# -- 7. a session under way is listed, not offered for booking ---------------------------------


def test_session_under_way_is_not_offered_for_booking(world, courses, client):
    hp = _hp()
    wave = make_wave(courses, districts=("HP",))
    now = timezone.now()
    under_way = TrainingSession.objects.create(
        wave=wave,
        course=courses[0],
        district=hp,
        starts_at=now - datetime.timedelta(minutes=30),
        ends_at=now + datetime.timedelta(hours=2),
        place="正在进行的教室",
        capacity=10,
    )
    ahead = TrainingSession.objects.create(
        wave=wave, course=courses[1], district=hp, starts_at=now + DAY, place="明天", capacity=10
    )
    full = TrainingSession.objects.create(
        wave=wave, course=courses[1], district=hp, starts_at=now + DAY, place="满员", capacity=0
    )
    assert set(TrainingSession.objects.bookable()) == {ahead}
    assert {s.pk: s.bookable for s in TrainingSession.objects.with_bookable()} == {
        under_way.pk: False,
        ahead.pk: True,
        full.pk: False,
    }
    client.force_login(world["丁"])
    html = client.get(reverse("home")).content.decode()

    def card(session):
        part = html[html.index(f'data-session="{session.pk}"') :]
        return part[: part.index("</li>")]

    assert "已开始" in card(under_way) and 'value="book"' not in card(under_way)
    assert 'value="book"' in card(ahead)
    assert 'value="book"' not in card(full) and "已满员" in card(full)


# -- 8. a cancelled import says 已取消 ---------------------------------------------------------


def test_cancelled_import_is_listed_as_cancelled(hp_admin, client):
    from lms.jobs.models import FileJob

    from .test_import import ZH, upload

    job = upload(client, ZH + "新人,HP9001,黄浦,,,,,\n").context["job"]
    response = client.post(reverse("rollout_admin:import_job", args=[job.pk]), {"cancel": "1"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == FileJob.State.CANCELLED
    html = client.get(reverse("rollout_admin:import")).content.decode()
    recent = html[html.index("我最近的导入") :]
    row = recent[recent.index("staff.csv") :]
    row = row[: row.index("</tr>")]
    assert "已取消" in row and "失败" not in row
    assert not StaffProfile.objects.filter(employee_no="HP9001").exists()


# -- 9. 已获证书 in the roster, apart from 已完成 ------------------------------------------------


def test_roster_says_certified_and_filters_it_apart_from_completed(world, hp_admin, client):
    hp = _hp()
    url = reverse("rollout_admin:roster")
    certified = _rows(client.get(url, {"district": hp.pk, "status": "certified"}).content.decode())
    completed = _rows(client.get(url, {"district": hp.pk, "status": "completed"}).content.decode())
    assert {r[1] for r in certified} == {"甲"} and len(certified) == 2
    assert {r[-2] for r in certified} == {"已获证书"}
    # 乙 (no certificates) and 丙's completed course; 甲's certified rows are not 已完成.
    assert sorted(r[1] for r in completed) == ["丙", "乙", "乙"]
    assert {r[-2] for r in completed} == {"已完成"}


# -- 10. district filters offer the administrator's own district -------------------------------


@pytest.mark.parametrize("url_name", ["staffprofile:index", "certificates_certificate:index"])
def test_district_filter_offers_only_the_administrators_districts(
    world, hp_admin, client, url_name
):
    html = client.get(reverse(url_name)).content.decode()
    assert "黄浦区" in html
    assert "徐汇区" not in html and "浦东新区" not in html
    client.force_login(make_user(roles.CITY_ADMIN, district=None, username="city"))
    assert "徐汇区" in client.get(reverse(url_name)).content.decode()


# -- 11. the district's history, for its own administrator -------------------------------------


def test_district_admin_reads_their_own_districts_history(hp_admin, client):
    hp, pd = _hp(), District.objects.get(code="PD")
    log(instance=hp, action="rollout.remind", user=hp_admin, data={"overdue_people": 1})
    response = client.get(reverse("district:history", args=[hp.pk]))
    assert response.status_code == 200
    assert "提醒逾期人员" in response.content.decode() or "向逾期人员发送了提醒" in (
        response.content.decode()
    )
    assert client.get(reverse("district:history", args=[pd.pk])).status_code == 404
    assert client.get(reverse("district:edit", args=[hp.pk])).status_code in (302, 403)


# -- 12. the wave message in the wave's own tense ----------------------------------------------


def _wave_form(wave, courses, **over):
    return {
        "name": wave.name,
        "districts": [d.pk for d in wave.districts.all()],
        "courses": [c.pk for c in courses],
        "opens_on": over.get("opens_on", wave.opens_on).isoformat(),
        "due_on": over.get("due_on", wave.due_on).isoformat(),
        "status": "open",
    }


def test_saving_an_open_wave_says_since_when_and_who_is_enrolled(
    courses, client, django_capture_on_commit_callbacks
):
    from lms.rollout.services import enrol_wave

    for _ in range(2):
        make_user(district="HP")
    today = timezone.localdate()
    wave = make_wave(courses, districts=("HP",), opens_on=today - datetime.timedelta(days=7))
    enrol_wave(wave)
    client.force_login(make_user(roles.CITY_ADMIN, district=None, username="city"))
    edit = reverse("rollout_waves:edit", args=[wave.pk])
    opened = f"{wave.opens_on.year}年{wave.opens_on.month}月{wave.opens_on.day}日"
    text = client.post(edit, _wave_form(wave, courses), follow=True).content.decode()
    assert "批次将于" not in text
    assert f"批次自 {opened} 起开放，2 人已报名 2 门课程" in text
    # Staff added since: enrolled now, and the message says so.
    newcomer = make_user(district="HP")
    Enrollment.objects.filter(user=newcomer).delete()  # as if the join was missed
    with django_capture_on_commit_callbacks(execute=True):
        text = client.post(edit, _wave_form(wave, courses), follow=True).content.decode()
    assert "2 人已报名；正在后台为其余 1 人报名 2 门课程" in text
    assert Enrollment.objects.filter(user=newcomer).count() == 2
    # Past its due date (the tester's wave): no "will open on" a date gone by.
    past = {"opens_on": today - datetime.timedelta(days=7), "due_on": today - DAY}
    text = client.post(edit, _wave_form(wave, courses, **past), follow=True).content.decode()
    assert "批次将于" not in text and "截止，不再自动为人员报名" in text


# -- 13. the learner sees 已逾期 after the deadline ---------------------------------------------


def test_learner_home_marks_an_overdue_course(world, client):
    client.force_login(world["丙"])
    html = client.get(reverse("home")).content.decode()
    assert html.count("data-overdue") == 1
    card = html[: html.index("data-overdue")]
    assert card[card.rindex("<article") :].count("C102") >= 1
    client.force_login(world["丁"])  # due tomorrow
    assert "data-overdue" not in client.get(reverse("home")).content.decode()


# -- 14. the import's password hint only when it creates accounts -------------------------------


def test_reimport_without_new_people_has_no_password_hint(world, hp_admin, client):
    from .test_import import ZH, upload

    html = upload(client, ZH + "甲,HP0000,黄浦,新服务中心,,,,\n").content.decode()
    assert "将新增 0 人，更新 1 人" in html
    assert "新账号没有初始密码" not in html and "激活单" not in html
    html = upload(client, ZH + "新人,HP9002,黄浦,,,,,\n").content.decode()
    assert "data-slip-hint" in html and "激活单" in html
