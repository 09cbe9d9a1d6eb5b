"""Account activation without e-mail (issue 16): one-time codes on printed slips.

Codes: single use, expiry, revoked on re-issue, hashed at rest; the activation page: rate
limited, privileged accounts refused, one generic error; slips: permission and district scope,
PDF content (username, code text, QR)."""

import datetime
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from wagtail.models import ModelLogEntry

from lms.organisation import activation, roles
from lms.organisation.models import ActivationCode, StaffProfile
from lms.rollout.slip_actions import slips_url
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "Window-staff-2026!"
CODE_RE = re.compile(
    r"^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{2}$"
)


def imported(username="XH901", district="HP"):
    """A person as the staff import creates them: no e-mail, no usable password."""
    user = make_user(district=district, username=username, user__email="")
    user.set_unusable_password()
    user.save()
    return user


def issue(user, actor=None):
    return activation.issue_codes([user], created_by=actor)[0].code


def activate(client, username, code, password=PASSWORD, password2=None, **extra):
    return client.post(
        reverse("activate"),
        {
            "username": username,
            "code": code,
            "new_password1": password,
            "new_password2": password2 or password,
        },
        **extra,
    )


GENERIC = "用户名或激活码不正确"


# -- codes -----------------------------------------------------------------------------------


def test_code_shape_and_hashed_at_rest():
    user = imported()
    code = issue(user)
    assert CODE_RE.match(code)
    record = ActivationCode.objects.get(user=user)
    plain = code.replace("-", "")
    assert plain not in record.code_hash and code not in record.code_hash
    assert record.code_hash == activation.hash_code(code.lower().replace("-", " "))
    # No column anywhere in the row holds the code.
    assert plain not in str(ActivationCode.objects.filter(pk=record.pk).values().get())


def test_default_expiry_is_end_of_local_day_in_14_days(settings):
    now = timezone.make_aware(datetime.datetime(2026, 11, 30, 23, 30))
    expiry = timezone.localtime(activation.default_expiry(now))
    assert expiry.date() == datetime.date(2026, 12, 14) and expiry.hour == 23
    settings.ACTIVATION_CODE_DAYS = 3
    assert timezone.localtime(activation.default_expiry(now)).date() == datetime.date(2026, 12, 3)


def test_activation_sets_password_logs_in_and_is_single_use(client):
    user = imported()
    code = issue(user)
    response = activate(client, "xh901", code.lower())  # case-insensitive, as printed or typed
    assert response.status_code == 302 and response["Location"] == reverse("home")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert client.get(reverse("home")).wsgi_request.user.pk == user.pk
    assert ActivationCode.objects.get(user=user).used_at is not None
    entry = ModelLogEntry.objects.get(action="lms.activate")
    assert entry.object_id == str(user.pk) and entry.user_id == user.pk
    # Used once: a second use (another browser) is the generic error, the password stays.
    other = type(client)()
    response = activate(other, "XH901", code, password="Another-pass-2026!")
    assert response.status_code == 200 and GENERIC in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_expired_code_refused(client):
    user = imported()
    code = issue(user)
    ActivationCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = activate(client, "XH901", code)
    assert GENERIC in response.content.decode()
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_new_slip_revokes_earlier_unused_codes(client):
    user = imported()
    first = issue(user)
    second = issue(user)
    assert ActivationCode.objects.filter(user=user, revoked_at__isnull=False).count() == 1
    assert GENERIC in activate(client, "XH901", first).content.decode()
    assert activate(client, "XH901", second).status_code == 302


def test_wrong_code_unknown_user_and_privileged_read_the_same():
    user = imported()
    issue(user)
    admin = make_user(roles.DISTRICT_ADMIN, username="hpadmin")
    admin_code_records = activation.issue_codes([admin])
    assert admin_code_records == []  # nobody can issue a slip for an administrator
    # Even a code forced into the database does not open a privileged account.
    ActivationCode.objects.create(
        user=admin,
        code_hash=activation.hash_code("AAAA-BBBB-CC"),
        expires_at=activation.default_expiry(),
    )
    from django.test import Client

    answers = set()
    for username, code in [
        ("XH901", "AAAA-AAAA-AA"),
        ("nobody", "AAAA-AAAA-AA"),
        ("hpadmin", "AAAA-BBBB-CC"),
    ]:
        response = activate(Client(), username, code)
        assert response.status_code == 200
        page = response.content.decode()
        answers.add(GENERIC in page)
    assert answers == {True}
    admin.refresh_from_db()
    assert not admin.check_password(PASSWORD)


def test_superuser_and_staff_refused():
    from django.test import Client

    for flags in ({"is_superuser": True}, {"is_staff": True}):
        user = imported(username=f"u{len(flags)}{list(flags)[0]}")
        get_user_model().objects.filter(pk=user.pk).update(**flags)
        user.refresh_from_db()
        assert activation.issue_codes([user]) == []
        ActivationCode.objects.create(
            user=user,
            code_hash=activation.hash_code("AAAA-BBBB-CC"),
            expires_at=activation.default_expiry(),
        )
        assert GENERIC in activate(Client(), user.username, "AAAA-BBBB-CC").content.decode()


def test_password_validators_apply(client):
    user = imported()
    code = issue(user)
    response = activate(client, "XH901", code, password="123")
    assert response.status_code == 200 and GENERIC not in response.content.decode()
    response = activate(client, "XH901", code, password=PASSWORD, password2=PASSWORD + "x")
    assert "两次输入的密码不一致" in response.content.decode()
    assert ActivationCode.objects.get(user=user).used_at is None  # not spent by a typo


def test_rate_limited_per_username_and_per_address(client, settings):
    settings.ACTIVATION_RATE_LIMIT_USERNAME = "3/h"
    settings.ACTIVATION_RATE_LIMIT_IP = "5/h"
    imported()
    for _ in range(3):
        assert activate(client, "XH901", "AAAA-AAAA-AA").status_code == 200
    # The fourth wrong code for this username is refused, from any address.
    assert activate(client, "xh901", "BBBB-BBBB-BB", REMOTE_ADDR="10.0.0.9").status_code == 429
    # Per address: other usernames from the same address run out too.
    assert activate(client, "other1", "AAAA-AAAA-AA").status_code == 200
    assert activate(client, "other2", "AAAA-AAAA-AA").status_code == 200
    assert activate(client, "other3", "AAAA-AAAA-AA").status_code == 429


def test_strangers_cannot_block_the_real_person(client, settings):
    """Failures from many addresses spend the per-username limit; the person with the right
    code still activates (the per-address limit stays)."""
    settings.ACTIVATION_RATE_LIMIT_USERNAME = "3/h"
    settings.ACTIVATION_RATE_LIMIT_IP = "5/h"
    user = imported()
    code = issue(user)
    for n in range(6):
        activate(client, "XH901", "AAAA-AAAA-AA", REMOTE_ADDR=f"10.0.1.{n}")
    # A right code with a password typo is not a failure and is answered, not refused
    mismatch = activate(client, "XH901", code, password2="Other-pass-2026!", REMOTE_ADDR="10.0.2.1")
    assert mismatch.status_code == 200 and "两次输入的密码不一致" in mismatch.content.decode()
    response = activate(client, "XH901", code, REMOTE_ADDR="10.0.2.1")
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_only_failures_count_towards_the_username_limit(client, settings):
    settings.ACTIVATION_RATE_LIMIT_USERNAME = "2/h"
    user = imported()
    code = issue(user)
    for n in range(3):  # right codes with password typos: not failures
        activate(client, "XH901", code, password2="Other-pass-2026!", REMOTE_ADDR=f"10.0.3.{n}")
    assert activate(client, "XH901", "AAAA-AAAA-AA", REMOTE_ADDR="10.0.3.9").status_code == 200


def test_a_leaver_cannot_activate_with_an_earlier_code(client):
    """The staff profile is deactivated when someone leaves; the user may still be active."""
    user = imported()
    code = issue(user)
    StaffProfile.objects.filter(user=user).update(is_active=False)
    response = activate(client, "XH901", code)
    assert response.status_code == 200 and GENERIC in response.content.decode()
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_login_page_links_to_activation(client):
    html = client.get(reverse("login")).content.decode()
    assert "首次登录？使用激活码" in html and reverse("activate") in html
    assert reverse("password_reset") in html


def test_activation_page_prefills_username(client):
    html = client.get(reverse("activate") + "?u=XH901").content.decode()
    assert 'value="XH901"' in html and "activate.js" in html


# -- slips -----------------------------------------------------------------------------------


@pytest.fixture
def hp_admin():
    return make_user(roles.DISTRICT_ADMIN, username="hpadmin")


def _pdf_text(data):
    reader = PdfReader(io.BytesIO(data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def test_district_admin_prints_slips_pdf(client, hp_admin):
    people = [imported(username=f"HP90{i}") for i in range(3)]
    profiles = [u.staff_profile.pk for u in people]
    client.force_login(hp_admin)
    url = slips_url(profiles)
    page = client.get(url)
    assert page.status_code == 200
    assert all(u.staff_profile.full_name in page.content.decode() for u in people)
    response = client.post(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader, text = _pdf_text(response.content)
    assert "HP900" in text and "HP902" in text and "激活码" in text
    codes = re.findall(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{2}", text)
    assert len(codes) == 3
    # The printed codes are the ones that work (and nothing in the database holds them).
    for code in codes:
        assert not ActivationCode.objects.filter(code_hash__contains=code.replace("-", "")).exists()
    assert any(activation.check_code(u, code) is not None for u in people for code in codes)
    # The QR code: one image per slip.
    images = sum(len(page.images) for page in reader.pages)
    assert images == 3
    assert (
        ModelLogEntry.objects.filter(action="lms.activation_slip", user_id=hp_admin.pk).count() == 3
    )


def test_slip_qr_opens_activation_with_username_and_code_in_fragment():
    from lms.rollout.slips import qr_url

    url = qr_url("HP900", "K7QM-4XPA-9R")
    assert url.endswith(reverse("activate") + "?u=HP900#K7QM-4XPA-9R")


def test_district_admin_cannot_print_for_another_district(client, hp_admin):
    pd_person = imported(username="PD900", district="PD")
    client.force_login(hp_admin)
    url = slips_url([pd_person.staff_profile.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert not ActivationCode.objects.exists()


def test_privileged_people_are_skipped(client):
    city = make_user(roles.CITY_ADMIN, district=None, username="city")
    trainer = make_user(roles.TRAINER, username="trainer1")
    person = imported()
    client.force_login(city)
    url = slips_url([trainer.staff_profile.pk, person.staff_profile.pk])
    html = client.get(url).content.decode()
    assert "将被跳过" in html
    response = client.post(url)
    assert response["Content-Type"] == "application/pdf"
    assert list(ActivationCode.objects.values_list("user_id", flat=True)) == [person.pk]


def test_without_permission_refused(client):
    trainer = make_user(roles.TRAINER, username="trainer1")
    person = imported()
    client.force_login(trainer)
    assert client.get(slips_url([person.staff_profile.pk])).status_code in (302, 403)
    assert not ActivationCode.objects.exists()


def test_selection_is_capped(client, hp_admin, settings):
    settings.SLIPS_MAX_PER_PDF = 1
    people = [imported(username=f"HP90{i}") for i in range(2)]
    client.force_login(hp_admin)
    url = slips_url([u.staff_profile.pk for u in people])
    assert "最多 1 人" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert not ActivationCode.objects.exists()


def test_staff_listing_offers_the_bulk_action(client, hp_admin):
    imported()
    client.force_login(hp_admin)
    html = client.get(reverse("staffprofile:index")).content.decode()
    assert "print_activation_slips" in html and "bulk-action-checkbox" in html
    trainer_like = make_user(roles.TRAINER, username="t2")
    StaffProfile.objects.filter(user=trainer_like)  # trainers do not see the staff listing


def test_slips_confirmation_queries_do_not_grow_with_people(client, hp_admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    few = [imported(username=f"HP80{i}").staff_profile.pk for i in range(2)]
    more = few + [imported(username=f"HP81{i}").staff_profile.pk for i in range(6)]
    client.force_login(hp_admin)
    client.get(slips_url(few))  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as small:
        assert client.get(slips_url(few)).status_code == 200
    with CaptureQueriesContext(connection) as large:
        assert client.get(slips_url(more)).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_remind_page_queries_are_pinned(client, hp_admin, django_assert_max_num_queries):
    from lms.organisation.models import District

    hp = District.objects.get(code="HP")
    client.force_login(hp_admin)
    url = reverse("rollout_admin:remind_overdue") + f"?district={hp.pk}"
    client.get(url)
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_slips_skip_activated_people_unless_ticked(client, hp_admin, mailoutbox):
    """A slip silently reset the password of an account already in use."""
    fresh = imported(username="HP950")
    in_use = make_user(username="HP951", user__email="hp951@example.com")  # has a password
    client.force_login(hp_admin)
    url = slips_url([fresh.staff_profile.pk, in_use.staff_profile.pk])
    html = client.get(url).content.decode()
    assert "仍为已激活的人员打印（将重置其密码）" in html
    activated_list = html[html.index("data-slip-activated>") :]
    assert in_use.staff_profile.full_name in activated_list
    assert client.post(url)["Content-Type"] == "application/pdf"
    assert list(ActivationCode.objects.values_list("user_id", flat=True)) == [fresh.pk]
    # Ticked: both get a slip; the one in use is told when the slip replaces the password.
    response = client.post(url, {"include_activated": "on"})
    assert response["Content-Type"] == "application/pdf"
    _reader, text = _pdf_text(response.content)
    codes = dict(
        zip(
            re.findall(r"HP95[01]", text),
            re.findall(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{2}", text),
            strict=False,
        )
    )
    client.logout()
    mailoutbox.clear()
    code = next(
        c
        for c in re.findall(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{2}", text)
        if activation.check_code(in_use, c) is not None
    )
    assert codes  # both slips printed
    assert activate(client, "HP951", code).status_code == 302
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["hp951@example.com"]
    entry = ModelLogEntry.objects.filter(action="lms.activate").get()
    assert entry.data["replaced_password"] and entry.data["notified"]


def test_staff_listing_shows_who_is_activated(client, hp_admin):
    imported(username="HP960")
    client.force_login(hp_admin)
    html = client.get(reverse("staffprofile:index")).content.decode()
    assert "已激活" in html


def test_slips_pdf_file_name_is_translated_with_the_district(client, hp_admin):
    from urllib.parse import quote

    from django.utils import translation

    person = imported(username="HP970")
    client.force_login(hp_admin)
    with translation.override("zh-hans"):
        response = client.post(slips_url([person.staff_profile.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    disposition = response["Content-Disposition"]
    stamp = timezone.localdate().strftime("%Y%m%d")
    assert f'filename="activation-slips-{stamp}.pdf"' in disposition  # ASCII fallback
    assert f"filename*=UTF-8''{quote(f'激活单-黄浦区-{stamp}.pdf')}" in disposition
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("已生成 1 人的激活单" in m for m in messages)


def test_slip_confirmation_names_each_identifier_once(client, hp_admin):
    person = imported(username="HP980")
    StaffProfile.objects.filter(user=person).update(employee_no="HP980")
    client.force_login(hp_admin)
    html = client.get(slips_url([person.staff_profile.pk])).content.decode()
    people = html[
        html.index("data-slip-people>") : html.index("</ul>", html.index("data-slip-people>"))
    ]
    assert people.count("HP980") == 1


def test_slip_expiry_continues_under_its_value_not_its_label():
    """ "有效期至 2026年12月14日（仅可使用一次）" wrapped under the label."""
    from lms.rollout import slips

    user = imported(username="HP990")
    issued = activation.issue_codes([user])
    document = slips.render_document(issued)

    def walk(box):
        yield box
        for child in getattr(box, "children", []) or []:
            yield from walk(child)

    boxes = [b for b in walk(document.pages[0]._page_box) if getattr(b, "text", None)]
    label = next(b for b in boxes if b.text.startswith("有效期至"))
    once = next(b for b in boxes if "一次" in b.text)
    date = next(b for b in boxes if "年" in b.text and "月" in b.text)
    assert once.position_x > label.position_x + 10  # not under the label
    assert date.position_y == label.position_y  # the date stays on the label's line
