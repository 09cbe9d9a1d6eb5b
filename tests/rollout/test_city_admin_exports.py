"""The city administrator's walk through downloads (issue 16): the certificate batch form
chooses waves by name with proper empty choices, names its file after its scope and date and
lists district and wave; Wagtail's list exports are named after their scope and date and show
district names; the export history shows each export's scope and says when it expired."""

import re
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils import timezone

from certificates.issuing import issue
from certificates.models import CertificateBatch
from courses.models import Enrollment
from lms.organisation import roles
from lms.organisation.models import District
from lms.rollout.services import enrol_wave
from tests.factories import make_user

from .conftest import make_wave

pytestmark = pytest.mark.django_db


def _filename(response) -> str:
    disposition = response["Content-Disposition"]
    match = re.search(r"filename\*=UTF-8''([^;]+)", disposition, re.I)
    return unquote(match.group(1)) if match else disposition


@pytest.fixture
def certified(courses):
    """Three HP and one PD staff enrolled by 第一批 (HP, PD), all certified in C101."""
    people = [make_user(district="HP") for _ in range(3)] + [make_user(district="PD")]
    wave = make_wave(courses[:1], districts=("HP", "PD"), name="第一批")
    make_wave(courses[:1], districts=("PD",), name="浦东专场")
    enrol_wave(wave)
    Enrollment.objects.update(completed_at=timezone.now())
    for user in people:
        issue(user, courses[0])
    return wave


def test_certificate_batch_form_chooses_waves_by_name(certified, client):
    city = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(city)
    url = reverse("certificates_batches")
    html = client.get(url).content.decode()
    assert "培训批次编号" not in html and "---------" not in html
    select = re.search(r'<select name="wave_id"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert "全部批次" in select and "第一批" in select and "浦东专场" in select
    assert "全部课程" in html and "全部区" in html

    hp = District.objects.get(code="HP")
    response = client.post(url, {"format": "zip", "district": hp.pk, "wave_id": certified.pk})
    assert response.status_code == 302
    batch = CertificateBatch.objects.get()
    assert batch.certificate_count == 3
    html = client.get(url).content.decode()
    row = re.search(rf"<tr><td>{batch.pk}</td>(.*?)</tr>", html, re.S).group(1)
    assert "黄浦区" in row and "第一批" in row
    download = client.get(reverse("certificates_batch_download", args=[batch.pk]))
    today = timezone.localdate().strftime("%Y%m%d")
    assert _filename(download) == f"证书-黄浦区-第一批-{today}.zip"


def test_a_district_admin_chooses_only_the_waves_of_their_district(certified, client):
    admin = make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin")
    client.force_login(admin)
    url = reverse("certificates_batches")
    html = client.get(url).content.decode()
    assert "第一批" in html and "浦东专场" not in html
    other = certified.__class__.objects.get(name="浦东专场")
    response = client.post(url, {"format": "zip", "wave_id": other.pk})
    assert response.status_code == 200 and not CertificateBatch.objects.exists()
    client.post(url, {"format": "zip"})
    batch = CertificateBatch.objects.get()
    download = client.get(reverse("certificates_batch_download", args=[batch.pk]))
    assert _filename(download).startswith("证书-黄浦区-")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_wagtail_list_exports_are_named_after_scope_and_date(certified, client, fmt):
    import csv
    import io

    from openpyxl import load_workbook

    today = timezone.localdate().strftime("%Y%m%d")
    city = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(city)
    pd = District.objects.get(code="PD")
    staff = client.get(reverse("staffprofile:index") + f"?district={pd.pk}&export={fmt}")
    assert _filename(staff) == f"工作人员-浦东新区-{today}.{fmt}"
    assert f'filename="staff-{today}.{fmt}"' in staff["Content-Disposition"]  # ASCII fallback
    certs = client.get(reverse("certificates_certificate:index") + f"?export={fmt}")
    assert _filename(certs) == f"证书-全市-{today}.{fmt}"
    data = b"".join(certs.streaming_content) if certs.streaming else certs.content
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        column = rows[0].index("区")
        assert {r[column] for r in rows[1:]} == {"黄浦区", "浦东新区"}  # names, not HP / PD
    else:
        ws = load_workbook(io.BytesIO(data)).active
        assert [ws[f"A{i}"].value for i in range(1, 3)] == ["证书", "区：全市"]
        assert ws["A3"].value.startswith("筛选条件：") and ws["A4"].value.startswith("导出时间：")
        column = [c.value for c in ws[6]].index("区")
        assert {row[column].value for row in ws.iter_rows(min_row=7)} == {"黄浦区", "浦东新区"}
    # A district administrator's export is named after their district without filtering.
    client.force_login(make_user(roles.DISTRICT_ADMIN, district="HP", username="hpadmin"))
    certs = client.get(reverse("certificates_certificate:index") + f"?export={fmt}")
    assert _filename(certs) == f"证书-黄浦区-{today}.{fmt}"


def test_export_history_shows_scope_and_says_when_an_export_expired(certified, client):
    import datetime

    from lms.rollout.models import RosterExport

    city = make_user(roles.CITY_ADMIN, district=None, username="city")
    client.force_login(city)
    roster = reverse("rollout_admin:roster")
    hp = District.objects.get(code="HP")
    client.get(roster, {"export": "xlsx", "district": hp.pk, "status": "completed"})
    client.get(roster, {"export": "xlsx", "wave": certified.pk})
    client.get(roster, {"export": "csv"})
    by_scope, by_wave, city_wide = RosterExport.objects.order_by("pk")
    expired_on = timezone.now() - datetime.timedelta(days=1)
    RosterExport.objects.filter(pk=by_wave.pk).update(expires_at=expired_on)
    html = client.get(reverse("rollout_admin:exports")).content.decode()
    rows = {int(pk): row for pk, row in re.findall(r"<tr><td>(\d+)</td>(.*?)</tr>", html, re.S)}
    scope = re.compile(r"<td data-scope>(.*?)</td>", re.S)
    assert scope.search(rows[by_scope.pk]).group(1) == "黄浦区；状态：已完成"
    assert scope.search(rows[by_wave.pk]).group(1) == "黄浦区、浦东新区；培训批次：第一批"
    assert scope.search(rows[city_wide.pk]).group(1) == "全市"
    expired = rows[by_wave.pk]
    day = timezone.localtime(expired_on).strftime("%Y-%m-%d")
    assert "已过期" in expired and f"文件已于 {day} 过期删除" in expired
    assert "href" not in expired
    assert reverse("rollout:export_download", args=[by_scope.pk]) in rows[by_scope.pk]
